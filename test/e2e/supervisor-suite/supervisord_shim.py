"""supervisor.supervisord replaced: exec procinit under the name `supervisord`, with supervisord's arguments.

The harness (run.sh) copies Debian's supervisor package and puts this file in place of its supervisord.py;
supervisorctl, pidproxy, the tests and their fixtures stay the real ones.
"""
import os
import sys


def main(args=None, test=False):
    exe = os.environ['PROCINIT_AS_SUPERVISORD']
    argv = sys.argv[1:] if args is None else list(args)
    os.execv(exe, [exe] + argv)


if __name__ == '__main__':
    main()
