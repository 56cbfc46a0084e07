// The tools under test and how each is told to run the same programs: a Procfile for procinit and
// foreman, a supervisord.conf for supervisord (and for procinit where the scenario needs supervisord's
// restart semantics), an ecosystem file for pm2-runtime. Every config is written at run time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function shQuote(s) {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A Procfile with one line per program (commands run through `sh -c`, as Procfile users write them). */
export function writeProcfile(dir, programs) {
  const file = join(dir, 'Procfile');
  writeFileSync(file, programs.map((p) => `${p.name}: ${p.argv.map(shQuote).join(' ')}\n`).join(''));
  return file;
}

/**
 * A supervisord.conf in the foreground, with its control socket, every program's stdout on supervisord's
 * stdout (stdout_logfile=/dev/stdout, maxbytes=0: the container setup people use).
 * restart: startsecs=0 + autorestart=true, no backoff (supervisord itself restarts on its next 1 s tick).
 */
export function writeSupervisordConf(dir, programs, { restart = false } = {}) {
  const file = join(dir, 'supervisord.conf');
  const sock = join(dir, 'supervisor.sock');
  const lines = [
    '[unix_http_server]',
    `file=${sock}`,
    '',
    '[supervisord]',
    'nodaemon=true',
    'user=root',
    `logfile=${join(dir, 'supervisord.log')}`,
    `pidfile=${join(dir, 'supervisord.pid')}`,
    `childlogdir=${dir}`,
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    '[supervisorctl]',
    `serverurl=unix://${sock}`,
    '',
  ];
  for (const p of programs) {
    lines.push(
      `[program:${p.name}]`,
      `command=${p.argv.map(shQuote).join(' ')}`,
      'stdout_logfile=/dev/stdout',
      'stdout_logfile_maxbytes=0',
      'redirect_stderr=true',
      ...(restart ? ['startsecs=0', 'autorestart=true', 'startretries=1000000000'] : ['autorestart=false']),
      '',
    );
  }
  writeFileSync(file, lines.join('\n'));
  return { file, sock };
}

/** A pm2 ecosystem file. restart: autorestart with no delay and no limit on restarts. */
export function writePm2Ecosystem(dir, programs, { restart = false } = {}) {
  const file = join(dir, 'ecosystem.json');
  const apps = programs.map((p) => ({
    name: p.name,
    script: p.argv[0],
    args: p.argv.slice(1),
    interpreter: 'none',
    cwd: dir,
    ...(restart ? { autorestart: true, restart_delay: 0, max_restarts: 1000000000, min_uptime: 0 } : { autorestart: false }),
  }));
  writeFileSync(file, JSON.stringify({ apps }, null, 2));
  return file;
}

/** How a tool's rows are shown: procinit itself, another procinit build, or a peer. */
export function kindOf(tool) {
  return tool.id === 'procinit' ? 'procinit' : tool.variant ? 'variant' : 'peer';
}

function procinitTool(ctx, bin, id, label, { raw = false } = {}) {
  const env = ctx.env;
  return {
    id,
    label,
    missing: null,
    supports: (scenario) =>
      scenario === 'restart' && !ctx.features.ini ? 'n/a (feature missing: supervisord config for procinit)' : true,
    prepare(dir, spec, opts = {}) {
      const sock = join(dir, 'procinit.sock');
      const base = opts.profileDir ? bin.profileArgs(opts.profileDir) : bin;
      const toolEnv = { ...env };
      let cfgArgs;
      if (spec.restart || opts.ini || raw) {
        const { file } = writeSupervisordConf(dir, spec.programs, { restart: spec.restart });
        cfgArgs = ['-c', file];
      } else {
        cfgArgs = ['-f', writeProcfile(dir, spec.programs)];
      }
      return {
        cmd: base.cmd,
        args: [...base.args, ...cfgArgs, '--socket', sock],
        env: toolEnv,
        control: ctx.features.control
          ? { cmd: bin.cmd, args: [...bin.args, 'status', '--socket', sock], env: { ...env, PROCINIT_SOCKET: sock } }
          : null,
        controlMissing: ctx.features.control ? null : 'n/a (feature missing: control socket)',
      };
    },
  };
}

/**
 * procinit from the same supervisord.conf as supervisord (stdout_logfile=/dev/stdout): its raw passthrough,
 * bytes as read, no prefix (issue 18 goal 1). Only the throughput scenarios run it; variant: another build's
 * (--also-procinit), as its own row.
 */
export function procinitRaw(ctx, variant = null) {
  const t = variant
    ? procinitTool(ctx, variant, `procinit-raw@${variant.name}`, `procinit (${variant.name}, supervisord.conf: raw passthrough)`, { raw: true })
    : procinitTool(ctx, ctx.procinit, 'procinit-raw', 'procinit (supervisord.conf: raw passthrough)', { raw: true });
  return { ...t, variant: true, supports: (scenario) => (scenario === 'throughput' ? true : 'n/a (throughput only)') };
}

/** Another procinit build (bin from setup.procinitBinary), shown as its own row. */
export function procinitVariant(ctx, name, bin) {
  return { ...procinitTool(ctx, bin, `procinit@${name}`, `procinit (${name})`), variant: true };
}

/**
 * Tool definitions. prepare(dir, spec) writes the tool's config for spec = { programs, restart } and
 * returns { cmd, args, env, control? } where control is the status command for the control scenario.
 * ctx.variants: other procinit builds to compare (--also-procinit LABEL=PATH), run as extra rows.
 */
export function makeTools(ctx) {
  const env = ctx.env;
  const procinit = procinitTool(ctx, ctx.procinit, 'procinit', 'procinit');
  const variants = (ctx.variants ?? []).map((v) => procinitVariant(ctx, v.name, v));

  const supervisord = {
    id: 'supervisord',
    label: 'supervisord',
    missing: ctx.peers.supervisord ? null : 'n/a (supervisor not installed)',
    supports: () => true,
    prepare(dir, spec) {
      const { file } = writeSupervisordConf(dir, spec.programs, { restart: spec.restart });
      return {
        cmd: ctx.peers.supervisord,
        args: ['-n', '-c', file],
        env,
        control: ctx.peers.supervisorctl ? { cmd: ctx.peers.supervisorctl, args: ['-c', file, 'status'], env } : null,
      };
    },
  };

  const pm2 = {
    id: 'pm2-runtime',
    label: 'pm2-runtime',
    missing: ctx.peers.pm2Runtime ? null : 'n/a (pm2 not installed)',
    supports: () => true,
    prepare(dir, spec) {
      const home = join(dir, 'pm2home');
      mkdirSync(home, { recursive: true });
      const file = writePm2Ecosystem(dir, spec.programs, { restart: spec.restart });
      const pmEnv = { ...env, PM2_HOME: home };
      return {
        cmd: process.execPath,
        args: [ctx.peers.pm2Runtime, file],
        env: pmEnv,
        control: { cmd: process.execPath, args: [ctx.peers.pm2, 'jlist'], env: pmEnv },
      };
    },
  };

  const foreman = {
    id: 'foreman',
    label: 'foreman',
    missing: ctx.peers.foreman ? null : 'n/a (ruby-foreman not installed)',
    supports: (scenario) => (scenario === 'restart' ? 'n/a (foreman has no auto-restart)' : true),
    prepare(dir, spec) {
      return { cmd: ctx.peers.foreman, args: ['start', '-f', writeProcfile(dir, spec.programs), '-d', dir], env, control: null, controlMissing: 'n/a (no control command)' };
    },
  };

  // s6 (skarnet): s6-svscan over a scan directory, one service directory per program with a ./run that
  // execs it, and s6-supervise per service. No multiplexer: every program writes to svscan's own stdout.
  // SIGTERM to s6-svscan brings every service down (s6-svscanctl -t) and exits.
  const s6 = {
    id: 's6',
    label: 's6-svscan',
    missing: ctx.peers.s6svscan ? null : 'n/a (s6 not installed)',
    supports: () => true,
    prepare(dir, spec) {
      const scan = join(dir, 's6');
      mkdirSync(scan, { recursive: true });
      for (const p of spec.programs) {
        const svc = join(scan, p.name);
        mkdirSync(svc, { recursive: true });
        writeFileSync(join(svc, 'run'), `#!/bin/sh\nexec ${p.argv.map(shQuote).join(' ')}\n`, { mode: 0o755 });
        // without auto-restart: a ./finish that exits 125 tells s6-supervise the service is down for good
        if (!spec.restart) writeFileSync(join(svc, 'finish'), '#!/bin/sh\nexit 125\n', { mode: 0o755 });
      }
      return {
        cmd: ctx.peers.s6svscan,
        args: [scan],
        env,
        control: null,
        controlMissing: 'n/a (s6-svstat reads one service’s status file; there is no daemon round trip to compare)',
      };
    },
  };

  const honcho = {
    id: 'honcho',
    label: 'honcho',
    missing: ctx.peers.honcho ? null : 'n/a (not packaged in Debian 12)',
    supports: (scenario) => (scenario === 'restart' ? 'n/a (honcho has no auto-restart)' : true),
    prepare(dir, spec) {
      return { cmd: ctx.peers.honcho, args: ['-f', writeProcfile(dir, spec.programs), '-d', dir, 'start'], env, control: null, controlMissing: 'n/a (no control command)' };
    },
  };

  return [procinit, ...variants, supervisord, pm2, foreman, s6, honcho];
}
