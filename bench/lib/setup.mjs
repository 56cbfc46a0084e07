// Before measuring: build procinit, install the peers (Debian packages, pm2 from npm into bench/.peers),
// compile the benchmark programs, describe the machine, and find out which procinit features exist yet.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 600000, env: opts.env ?? process.env, cwd: opts.cwd, stdio: opts.stdio ?? 'pipe' });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), error: r.error };
}

function which(name) {
  for (const d of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/sbin', '/bin'])) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The environment every measured process gets: NODE_EXTRA_CA_CERTS (adds ~100 ms to a node start) and procinit's own variables removed. */
export function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('PROCINIT_') || k.startsWith('PM2_') || k.startsWith('npm_')) delete env[k];
  env.NO_COLOR = '1';
  return env;
}

export function buildProcinit(repo, log) {
  const full = existsSync(join(repo, 'build/sea.mjs'));
  log(`building procinit (node build/build.mjs${full ? '' : ' --js-only'})`);
  let r = run(process.execPath, [join(repo, 'build/build.mjs'), ...(full ? [] : ['--js-only'])], { cwd: repo });
  if (r.code !== 0 && full) {
    log(`  full build failed (${r.out.split('\n').slice(-3).join(' / ')}); building the JS bundle only`);
    r = run(process.execPath, [join(repo, 'build/build.mjs'), '--js-only'], { cwd: repo });
  }
  if (r.code !== 0) log(`  build failed, using the existing dist/: ${r.out.split('\n').slice(-5).join(' / ')}`);
  return r.code === 0;
}

/**
 * Which procinit to run: `explicit` (a path: an executable, or a .js run with node), else dist/procinit (the
 * single executable) when it exists and is not older than dist/procinit.js, else node dist/procinit.js.
 */
export function chooseProcinit(repo, explicit) {
  const js = join(repo, 'dist/procinit.js');
  const sea = join(repo, 'dist/procinit');
  const profileArgs = (dir) => ({ cmd: process.execPath, args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, js] });
  if (explicit) return procinitBinary(explicit);
  let note = null;
  if (existsSync(sea)) {
    const fresh = !existsSync(js) || statSync(sea).mtimeMs >= statSync(js).mtimeMs - 60000;
    if (fresh) return { cmd: sea, args: [], label: 'dist/procinit (single executable)', kind: 'sea', js, profileArgs, note };
    note = 'dist/procinit exists but is older than dist/procinit.js: not used';
  }
  return { cmd: process.execPath, args: [js], label: 'node dist/procinit.js', kind: 'js', js, profileArgs, note };
}

/** procinit at PATH: an executable, or a .js bundle run with node (then profiled with --cpu-prof). */
export function procinitBinary(path) {
  const isJs = path.endsWith('.js');
  const js = isJs ? path : join(dirname(path), 'procinit.js');
  return {
    cmd: isJs ? process.execPath : path,
    args: isJs ? [path] : [],
    label: isJs ? `node ${path}` : path,
    kind: isJs ? 'js' : 'binary',
    js,
    profileArgs: (dir) => ({ cmd: process.execPath, args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, js] }),
  };
}

/** s6 has no --version: Debian's package version. */
function s6Version() {
  const r = run('dpkg-query', ['-W', '-f', '${Version}', 's6']);
  return r.out.trim() || null;
}

const APT = [
  { bin: 'supervisord', pkg: 'supervisor' },
  { bin: 'tini', pkg: 'tini' },
  { bin: 'dumb-init', pkg: 'dumb-init' },
  { bin: 'foreman', pkg: 'ruby-foreman' },
  { bin: 's6-svscan', pkg: 's6' },
];

function aptCandidate(pkg) {
  const r = run('apt-cache', ['policy', pkg]);
  const m = r.out.match(/Candidate:\s*(\S+)/);
  return m && m[1] !== '(none)' ? m[1] : null;
}

/** Install what is missing from Debian (apt-get) and pm2 from npm into bench/.peers. Returns notes. */
export function installPeers(benchDir, { install, log }) {
  const notes = [];
  const debian = existsSync('/etc/debian_version');
  const root = process.getuid?.() === 0;
  const canApt = install && debian && root && which('apt-get');
  const listsEmpty = () => {
    try {
      return !readdirSync('/var/lib/apt/lists').some((f) => f.includes('Packages'));
    } catch {
      return true;
    }
  };
  if (canApt && listsEmpty()) {
    log('apt-get update (no package lists yet)');
    run('apt-get', ['update']);
  }
  const wanted = APT.filter((a) => !which(a.bin)).map((a) => a.pkg);
  const honchoCandidate = canApt || debian ? aptCandidate('honcho') : null;
  if (!which('honcho') && honchoCandidate) wanted.push('honcho');
  if (!honchoCandidate && !which('honcho')) notes.push('honcho is not measured: Debian has no honcho package here (`apt-cache policy honcho`: no candidate), and the harness installs only from Debian and npm.');
  if (wanted.length > 0) {
    if (!canApt) notes.push(`not installed (no apt-get as root, or --no-install): ${wanted.join(', ')}`);
    else {
      log(`apt-get install -y ${wanted.join(' ')}`);
      let r = run('apt-get', ['install', '-y', ...wanted], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (r.code !== 0) {
        log('  failed; apt-get update and retry');
        run('apt-get', ['update']);
        r = run('apt-get', ['install', '-y', ...wanted], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      }
      if (r.code !== 0) notes.push(`apt-get install ${wanted.join(' ')} failed: ${r.out.split('\n').slice(-2).join(' ')}`);
    }
  }
  const peersDir = join(benchDir, '.peers');
  const pm2Dir = join(peersDir, 'node_modules/pm2');
  if (!existsSync(join(pm2Dir, 'bin/pm2-runtime')) && install) {
    log('npm install --prefix bench/.peers pm2@7');
    mkdirSync(peersDir, { recursive: true });
    // the registry needs this machine's CA settings: the install keeps the caller's environment
    const r = run('npm', ['install', '--prefix', peersDir, 'pm2@7', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: peersDir });
    if (r.code !== 0) notes.push(`npm install pm2 failed: ${r.out.split('\n').slice(-2).join(' ')}`);
  }
  const pm2ok = existsSync(join(pm2Dir, 'bin/pm2-runtime'));
  return {
    notes,
    peers: {
      supervisord: which('supervisord'),
      supervisorctl: which('supervisorctl'),
      tini: which('tini'),
      dumbInit: which('dumb-init'),
      foreman: which('foreman'),
      s6svscan: which('s6-svscan'),
      s6svstat: which('s6-svstat'),
      honcho: which('honcho'),
      unshare: which('unshare'),
      time: existsSync('/usr/bin/time') ? '/usr/bin/time' : null,
      pm2Runtime: pm2ok ? join(pm2Dir, 'bin/pm2-runtime') : null,
      pm2: pm2ok ? join(pm2Dir, 'bin/pm2') : null,
      pm2Version: pm2ok ? JSON.parse(readFileSync(join(pm2Dir, 'package.json'), 'utf8')).version : null,
    },
  };
}

/** Compile bench/programs/*.c into bench/.peers/programs/ (when the source is newer). */
export function compilePrograms(benchDir, log) {
  const src = join(benchDir, 'programs');
  const out = join(benchDir, '.peers/programs');
  mkdirSync(out, { recursive: true });
  const cc = which('cc') ?? which('gcc');
  if (!cc) throw new Error('no C compiler (cc): install build-essential (procinit needs it for its native addon too)');
  const programs = {};
  const header = statSync(join(src, 'common.h')).mtimeMs;
  for (const name of ['marker', 'tick', 'gen', 'orphans']) {
    const c = join(src, `${name}.c`);
    const bin = join(out, name);
    if (!existsSync(bin) || statSync(bin).mtimeMs < Math.max(statSync(c).mtimeMs, header)) {
      log(`cc -O2 ${name}.c`);
      const r = run(cc, ['-O2', '-Wall', '-o', bin, c]);
      if (r.code !== 0) throw new Error(`compiling ${c} failed:\n${r.out}`);
    }
    programs[name] = bin;
  }
  return programs;
}

function firstLine(r) {
  return r.code === 0 || r.out ? r.out.split('\n')[0] : null;
}

export function machineInfo(peers, procinit, env) {
  const cpus = os.cpus();
  const version = (cmd, args) => (cmd ? firstLine(run(cmd, args, { env, timeout: 20000 })) : null);
  let distro = null;
  try {
    distro = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? null;
  } catch {
    /* not Linux? */
  }
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? '?',
    kernel: `${os.type()} ${os.release()}`,
    distro,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    load: os.loadavg().map((x) => x.toFixed(1)).join(' '),
    versions: {
      procinit: version(procinit.cmd, [...procinit.args, '--version']),
      supervisord: version(peers.supervisord, ['--version']),
      'pm2-runtime': peers.pm2Version,
      foreman: version(peers.foreman, ['version']),
      s6: s6Version(),
      honcho: version(peers.honcho, ['--version']),
      tini: version(peers.tini, ['--version']),
      'dumb-init': version(peers.dumbInit, ['--version']),
    },
  };
}
