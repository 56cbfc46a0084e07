#!/usr/bin/python3
"""Load a supervisord config with supervisord's own parser and print it as procinit's `check --json` sees it.

Usage: /usr/bin/python3 supervisord_dump.py [--lenient] [--ignore-servers] CONFIG...

Loads each CONFIG the way supervisord does (ServerOptions.realize with -c, which runs process_config and
read_config) and prints one JSON object per config (a JSON array of them when several are given):
  {"ok": true, "format": "supervisord", "processes": [...], "logs": [...], "environment": {...}, "warnings": [...]}
where each process has exactly the keys of procinit's toCheckJson (src/config/check-json.ts), "logs" holds each
process's stdout/stderr log settings in the same order, and "environment" is the [supervisord] environment;
or {"ok": false, "error": "..."} when supervisord refuses the file.

Event listener and FastCGI processes are left out (procinit does not run them). With --ignore-servers,
[unix_http_server] and [inet_http_server] are not validated (procinit ignores them). With --lenient, checks that depend on the host rather than on the file (log directories exist, users
exist, fcgi socket owners exist) pass, as they do for procinit, which only warns about them.
"""
import json
import os
import signal
import sys

from supervisor import datatypes
from supervisor import options as sopts


class Refused(Exception):
    pass


class Uid(int):
    """A uid that remembers the user name it was looked up from."""
    user_name = None


def patch(lenient, ignore_servers):
    real_name_to_uid = sopts.name_to_uid

    def name_to_uid(name):
        uid = Uid(0 if lenient else real_name_to_uid(name))
        uid.user_name = name
        return uid

    sopts.name_to_uid = name_to_uid
    if ignore_servers:
        sopts.ServerOptions.server_configs_from_parser = lambda self, parser: []
    if lenient:
        sopts.existing_directory = os.path.expanduser
        sopts.existing_dirpath = os.path.expanduser
        datatypes.existing_dirpath = os.path.expanduser
        sopts.colon_separated_user_group = lambda arg: (0, 0)

    real_groups = sopts.ServerOptions.process_groups_from_parser

    def process_groups_from_parser(self, parser):
        groups = real_groups(self, parser)
        # read_config merges [supervisord] environment into each program's afterwards: keep the program's own.
        for group in groups:
            for proc in group.process_configs:
                proc.own_environment = dict(proc.environment or {})
        return groups

    sopts.ServerOptions.process_groups_from_parser = process_groups_from_parser


def autorestart_name(value):
    if value is datatypes.RestartUnconditionally:
        return 'true'
    if value is datatypes.RestartWhenExitUnexpected:
        return 'unexpected'
    return 'false'


def signal_name(num):
    try:
        return signal.Signals(num).name[3:]
    except ValueError:
        return str(num)


def logfile(value):
    if value is None:
        return 'NONE'
    if value is datatypes.Automatic:
        return 'AUTO'
    return value


def dump(path):
    options = sopts.ServerOptions()

    def usage(msg):
        raise Refused(str(msg))

    options.usage = usage
    try:
        options.realize(args=['-c', path])
    except Refused as e:
        return {'ok': False, 'error': str(e)}
    processes = []
    logs = []
    for group in options.process_group_configs:
        listener = type(group) is sopts.EventListenerPoolConfig
        if type(group) not in (sopts.ProcessGroupConfig, sopts.FastCGIGroupConfig) and not listener:
            continue
        for p in group.process_configs:
            if type(p) not in ((sopts.EventListenerConfig,) if listener else (sopts.ProcessConfig, sopts.FastCGIProcessConfig)):
                continue
            processes.append({
                'group': group.name,
                'name': p.name,
                'command': p.command,
                'directory': p.directory,
                'user': getattr(p.uid, 'user_name', None) if p.uid is not None else None,
                'umask': p.umask,
                'environment': p.own_environment,
                'autostart': p.autostart,
                'autorestart': autorestart_name(p.autorestart),
                'exitcodes': list(p.exitcodes),
                'startsecs': p.startsecs,
                'startretries': p.startretries,
                'stopwaitsecs': p.stopwaitsecs,
                # a pool's processes start and stop in the pool's order: procinit gives them its priority
                'priority': group.priority if listener else p.priority,
                'stopsignal': signal_name(p.stopsignal),
                'stopasgroup': p.stopasgroup,
                'killasgroup': p.killasgroup,
                'redirect_stderr': p.redirect_stderr,
            })
            logs.append({
                'stdout_logfile': logfile(p.stdout_logfile),
                'stdout_logfile_maxbytes': p.stdout_logfile_maxbytes,
                'stdout_logfile_backups': p.stdout_logfile_backups,
                'stderr_logfile': logfile(p.stderr_logfile),
                'stderr_logfile_maxbytes': p.stderr_logfile_maxbytes,
                'stderr_logfile_backups': p.stderr_logfile_backups,
            })
    section = options.configroot.supervisord
    return {
        'ok': True,
        'format': 'supervisord',
        'processes': processes,
        'logs': logs,
        'environment': section.environment,
        'childlogdir': section.childlogdir,
        'identifier': section.identifier,
        'warnings': options.parse_warnings,
    }


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    if not args:
        sys.stderr.write(__doc__)
        return 2
    patch('--lenient' in sys.argv[1:], '--ignore-servers' in sys.argv[1:])
    results = [dump(path) for path in args]
    print(json.dumps(results[0] if len(args) == 1 else results, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
