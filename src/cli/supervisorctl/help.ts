/** supervisorctl's help texts for the actions whose usage errors print them (supervisorctl.py help_*). */
export const HELP: Record<string, string> = {
  start: 'start <name>\t\tStart a process\nstart <gname>:*\t\tStart all processes in a group\nstart <name> <name>\tStart multiple processes or groups\nstart all\t\tStart all processes',
  stop: 'stop <name>\t\tStop a process\nstop <gname>:*\t\tStop all processes in a group\nstop <name> <name>\tStop multiple processes or groups\nstop all\t\tStop all processes',
  restart:
    'restart <name>\t\tRestart a process\nrestart <gname>:*\tRestart all processes in a group\nrestart <name> <name>\tRestart multiple processes or groups\nrestart all\t\tRestart all processes\nNote: restart does not reread config files. For that, see reread and update.',
  signal:
    'signal <signal name> <name>\t\tSignal a process\nsignal <signal name> <gname>:*\t\tSignal all processes in a group\nsignal <signal name> <name> <name>\tSignal multiple processes or groups\nsignal <signal name> all\t\tSignal all processes',
  clear: "clear <name>\t\tClear a process' log files.\nclear <name> <name>\tClear multiple process' log files\nclear all\t\tClear all process' log files",
  tail:
    'tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\ntail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr',
  shutdown: 'shutdown \tShut the remote supervisord down.',
  reload: 'reload \t\tRestart the remote supervisord.',
  avail: 'avail\t\t\tDisplay all configured processes',
  reread: "reread \t\t\tReload the daemon's configuration files without add/remove",
  version: 'version\t\t\tShow the version of the remote supervisord process',
};
