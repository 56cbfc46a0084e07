/** Help texts, readable in 80 columns. */
export const MAIN_HELP = `procinit: a container init and process supervisor for Procfiles and supervisord.conf

Usage:
  procinit [up] [TYPE...] [options]   run every process (or only these types)
  procinit [-t SECONDS] -- CMD ARGS   run one command under PID-1 care (tini mode)
  procinit check [-f|-c FILE] [--json]  validate a config, print its processes
  procinit status [NAME...] [--json]  processes, their states and READY flags
  procinit describe TYPE [--json]     a type's command, limits, checks, instances
  procinit top [NAME...]              CPU % and memory against the limits
  procinit start|stop|restart NAME... act on processes (NAME, TYPE, group:*, all)
  procinit signal SIG NAME...         send a signal
  procinit logs [-f] [-n N] [NAME...] recent output (in-memory ring buffer)
  procinit scale TYPE=N...            change the number of instances
  procinit reload                     re-read the config, apply the difference
  procinit shutdown                   stop everything, as SIGTERM does
  procinit connect NAME               attach to a process's terminal
  procinit export kubernetes|compose|fly   describe the processes for a platform

Run 'procinit COMMAND --help' for a command's options.

Exit codes: 0 clean stop; 1 a stop needed SIGKILL, internal error, or no procinit
answering; 2 usage or config error; 3 status: some process not running or not
ready; 4 status:
no such process; 126/127 tini mode: not executable/not found; otherwise the
code of the process that ended the run (128+n for signal n).
`;

export const UP_HELP = `Usage: procinit [up] [TYPE...] [options]

Runs every process type of the config (or only the TYPEs named, or those in
$PROCINIT_PROCESSES) and supervises them until SIGTERM/SIGINT or until a
process that may not die exits.

Config:
  -f, --procfile PATH     Procfile (else $PROCINIT_PROCFILE, else ./Procfile)
  -c, --config PATH       supervisord.conf, fly.toml, manifest.yml or Procfile
  -d, --root DIR          working directory (default: the config's folder)
  -e, --env FILE          env file, repeatable (after ./.env)
  -p, --port N            base port (default $PORT or 5000): +100 per type,
                          +1 per instance
  -m, --formation SPEC    instances per type: web=2,worker=0 or all=N
      --app NAME          application of a Cloud Foundry manifest

Policy:
  -r, --auto-restart NAMES|all  restart these when they exit (backoff 100ms..10s)
      --can-die NAMES|all       these may exit without ending the run
  -t, --timeout SECONDS   grace between the stop signal and SIGKILL (default 5)
      --stop-signal SPEC  stop signal per type: web=INT,worker=QUIT
      --tty NAMES|all     run these in a pseudo-terminal (for connect)
      --stop-timeout S    seconds the container's stop allows (docker stop -t;
                          default $PROCINIT_STOP_TIMEOUT or 10): warn at start
                          when a grace does not fit
      --limits auto|rss   enforce memory limits with cgroups where procinit can
                          make them (auto), or by sampling RSS (also
                          $PROCINIT_LIMITS)

Output:
      --output text|json      programs' output: prefixed lines or JSON lines
      --log-format text|json  procinit's own messages
      --timestamps            prefix lines with the time
      --prefix                a supervisord config's /dev/stdout output prefixed
                              with program names (else it passes through raw)
      --no-color              no colours (also NO_COLOR; FORCE_COLOR forces)
  -s, --socket PATH       control socket (else $PROCINIT_SOCKET, /run/procinit.sock)
`;

export const CHECK_HELP = `Usage: procinit check [-f PROCFILE | -c CONFIG] [--json] [-m SPEC] [TYPE...]

Reads and validates the config without running anything, then prints the
processes it would run. --json prints {"format", "processes": [...]} with
supervisord's keys. Exit code 2 and one line file:line: problem when invalid.
`;
