/**
 * Bind the HTTP servers the config asks for, as supervisord does: a unix socket (a stale one is replaced, a
 * live one is an error; made in a private folder with chown user[:group] and chmod (default 0700), then linked
 * into place, so the file has its owner and mode from its first instant; its folder is checked as the control
 * socket's is) and TCP
 * ports (host '' = every IPv4 address). Nothing is bound that the config did not name.
 */
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { listenPrivately } from '../control/private-bind.js';
import { dirname } from 'node:path';
import { socketDirProblem } from '../control/socket-dir.js';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import type { HttpServerSpec, RpcSpec } from '../config/model.js';
import { createRpcHttpServer, type HttpDeps } from './http.js';
import { RpcBindError } from './bind-error.js';

export { RpcBindError };

export interface RpcServers {
  /** Where each server listens, for the log. */
  addresses: string[];
  close(): Promise<void>;
}

function idOf(file: string, name: string): number | null {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 3) return Number(f[2]);
    }
  } catch {
    /* no such database */
  }
  return null;
}

/** `user` or `user:group` as uid/gid (the user's primary group when none is named). */
export function ownerIds(chown: string): { uid: number; gid: number } | string {
  const [user, group] = chown.split(':');
  const uid = idOf('/etc/passwd', user);
  if (uid === null) return `no such user '${user}'`;
  let gid: number | null;
  if (group !== undefined) {
    gid = idOf('/etc/group', group);
    if (gid === null) return `no such group '${group}'`;
  } else {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    gid = line ? Number(line.split(':')[3]) : -1;
  }
  return { uid, gid };
}

function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

function listen(server: Server, spec: HttpServerSpec, owner: { uid: number; gid: number } | null): Promise<void> {
  const quiet = (): void => void server.on('error', () => {});
  // a unix socket is made in a private folder with its owner and mode, then linked into place
  // (control/private-bind.ts): never a process-wide umask, never a chmod through a path
  if (spec.kind === 'unix') return listenPrivately(server, spec.file, spec.chmod, owner).then(quiet);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port, spec.host === '' ? '0.0.0.0' : spec.host, () => {
      server.off('error', reject);
      quiet();
      resolve();
    });
  });
}

async function bindOne(spec: HttpServerSpec, deps: HttpDeps): Promise<{ server: Server; address: string }> {
  const where = `[${spec.section}] (${spec.source.file}:${spec.source.line})`;
  if (spec.kind === 'unix') {
    const dirProblem = socketDirProblem(dirname(spec.file));
    if (dirProblem !== null) throw new RpcBindError(`${where}: will not listen on ${spec.file}: ${dirProblem}`);
    let exists = false;
    try {
      exists = lstatSync(spec.file).isSocket();
    } catch {
      /* none */
    }
    if (exists) {
      if (await alive(spec.file)) {
        throw new RpcBindError(`${where}: another program is already listening on ${spec.file}; shut it down first`);
      }
      try {
        unlinkSync(spec.file);
      } catch {
        /* listen reports it */
      }
    }
  }
  let owner: { uid: number; gid: number } | null = null;
  if (spec.kind === 'unix' && spec.chown !== null) {
    const ids = ownerIds(spec.chown);
    if (typeof ids === 'string') throw new RpcBindError(`${where}: ${spec.file}: cannot set chown: ${ids}`);
    owner = ids;
  }
  const server = createRpcHttpServer({ ...deps, username: spec.username, password: spec.password });
  try {
    await listen(server, spec, owner);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const what = spec.kind === 'unix' ? spec.file : `port ${spec.host || '*'}:${spec.port}`;
    throw new RpcBindError(`${where}: cannot listen on ${what}: ${code}`);
  }
  if (spec.kind === 'inet') return { server, address: `http://${spec.host || '*'}:${spec.port}` };
  return { server, address: `unix://${spec.file}` };
}

export async function serveRpc(spec: RpcSpec, deps: Omit<HttpDeps, 'username' | 'password'>): Promise<RpcServers> {
  const bound: Array<{ server: Server; address: string }> = [];
  try {
    for (const s of spec.servers) bound.push(await bindOne(s, { ...deps, username: null, password: null }));
  } catch (err) {
    await Promise.all(bound.map((b) => new Promise((r) => b.server.close(r))));
    throw err;
  }
  const unixFiles = spec.servers.flatMap((s) => (s.kind === 'unix' ? [s.file] : []));
  return {
    addresses: bound.map((b) => b.address),
    close: async () => {
      await Promise.all(
        bound.map(
          (b) =>
            new Promise<void>((resolve) => {
              b.server.close(() => resolve());
              b.server.closeAllConnections();
            }),
        ),
      );
      for (const f of unixFiles) {
        try {
          unlinkSync(f);
        } catch {
          /* gone */
        }
      }
    },
  };
}
