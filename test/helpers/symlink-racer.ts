/**
 * An attacker able to write to a socket's folder: as soon as NAME appears there as a socket, a symlink to
 * `target` is renamed over it (what would make a chmod or chown by path after bind change `target`).
 * A real process watching with inotify (fs.watch).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function startSymlinkRacer(dir: string, name: string, target: string): Promise<ChildProcess> {
  const racer = spawn(
    process.execPath,
    [
      '-e',
      `const fs=require('fs'),p=require('path');const [d,n,t]=process.argv.slice(1);
       fs.watch(d,(ev,f)=>{if(f!==n)return;try{if(!fs.lstatSync(p.join(d,n)).isSocket())return}catch{return}try{fs.symlinkSync(t,p.join(d,'tmp-link'));}catch{}try{fs.renameSync(p.join(d,'tmp-link'),p.join(d,n));}catch{}});
       process.stdout.write('ready\\n');`,
      dir,
      name,
      target,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((r) => racer.stdout!.once('data', r));
  return racer;
}

/**
 * Ten tries of: open a socket at DIR/sockets/NAME (root, with an owner to chown to) while the racer swaps a
 * symlink to a 0644 file in, then close it. Returns how many tries the racer won the swap (the caller
 * expects some, or the test proved nothing), after checking at each try that the target kept its mode
 * and owner.
 */
export async function raceSocketSetup(
  dir: string,
  name: string,
  openClose: (path: string) => Promise<() => Promise<void> | void>,
  check: (mode: string, uid: number) => void,
): Promise<number> {
  const target = join(dir, 'precious');
  writeFileSync(target, 'x');
  chmodSync(target, 0o644);
  const sockDir = join(dir, 'sockets');
  mkdirSync(sockDir);
  const racer = await startSymlinkRacer(sockDir, name, target);
  let swapped = 0;
  try {
    for (let i = 0; i < 10; i++) {
      const close = await openClose(join(sockDir, name));
      await new Promise((r) => setTimeout(r, 20));
      try {
        if (statSync(join(sockDir, name)).isFile()) swapped++;
      } catch {
        /* not swapped this time */
      }
      await close();
      rmSync(join(sockDir, name), { force: true });
      const st = statSync(target);
      check((st.mode & 0o777).toString(8), st.uid);
    }
  } finally {
    racer.kill();
  }
  return swapped;
}
