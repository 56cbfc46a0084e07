#!/usr/bin/python3
"""The Python pieces supervisord is built on, for differential tests of src/config/{ini,expand,shlex}.ts.

Reads one JSON object {"kind": ..., "cases": [...]} on stdin and prints a JSON list with one result per case:
  format   case {"template": str, "values": {...}}  -> {"ok": str} | {"error": "KeyError" | "other"}
           (supervisor.options.expand: `template % values`)
  ini      case str (file text)                     -> {"ok": {"sections": [[name, [[key, value], ...]], ...],
                                                        "defaults": [[key, value], ...]}} | {"error": str}
           (supervisor.options.UnhosedConfigParser reading it as a file, universal newlines)
  split    case str                                 -> {"ok": [str, ...]} | {"error": str}   (shlex.split)
  pairs    case str                                 -> {"ok": {k: v}} | {"error": str}
           (supervisor.datatypes.dict_of_key_value_pairs)
"""
import io
import json
import shlex
import sys

from supervisor.datatypes import dict_of_key_value_pairs
from supervisor.options import UnhosedConfigParser


def run_format(case):
    try:
        return {'ok': case['template'] % case['values']}
    except KeyError:
        return {'error': 'KeyError'}
    except Exception as e:  # what supervisord reports as "badly formatted"
        return {'error': 'other: %s' % e}


def run_ini(text):
    parser = UnhosedConfigParser()
    try:
        # universal newlines, as open() gives supervisord when it reads a file
        parser.read_file(io.StringIO(text, newline=None), '<config>')
    except Exception as e:
        return {'error': '%s: %s' % (type(e).__name__, e)}
    sections = [[name, [[k, v] for k, v in parser._sections[name].items()]] for name in parser.sections()]
    defaults = [[k, v] for k, v in parser._defaults.items()]
    return {'ok': {'sections': sections, 'defaults': defaults}}


def run_split(text):
    try:
        return {'ok': shlex.split(text)}
    except ValueError as e:
        return {'error': str(e)}


def run_pairs(text):
    try:
        return {'ok': dict_of_key_value_pairs(text)}
    except ValueError as e:
        return {'error': str(e)}


def main():
    request = json.load(sys.stdin)
    run = {'format': run_format, 'ini': run_ini, 'split': run_split, 'pairs': run_pairs}[request['kind']]
    json.dump([run(case) for case in request['cases']], sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main())
