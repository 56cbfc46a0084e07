/** `procinit check [-f|-c FILE] [--json]`: validate without running anything; print the processes. */
import { loadRun } from '../config/load.js';
import { withFsWatchdog } from './fs-watchdog.js';
import { toCheckJson } from '../config/check-json.js';
import { LOAD_OPTIONS, parse, toLoadOptions } from './args.js';
import { CHECK_HELP } from './help.js';
import { out } from '../control/client-command.js';
import { healthLines } from './health-text.js';

export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...LOAD_OPTIONS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  const run = withFsWatchdog(() => loadRun(toLoadOptions(values, positionals))); // never a hung terminal
  const json = toCheckJson(run);
  if (values.json) {
    await out(JSON.stringify(json, null, 2) + '\n');
    return 0;
  }
  for (const w of run.warnings) process.stderr.write(`warning: ${w.file}:${w.line}: ${w.message}\n`);
  const width = json.processes.reduce((w, p) => Math.max(w, p.name.length), 4);
  const lines = [`${run.file}: ${json.format}, ${json.processes.length} process(es)`];
  for (const p of json.processes) {
    const flags = [p.autorestart === 'true' ? 'restart' : p.autorestart === 'unexpected' ? 'restart-unexpected' : null, p.autostart ? null : 'no-autostart']
      .filter(Boolean)
      .join(',');
    lines.push(`  ${p.name.padEnd(width)}  ${p.command}${flags ? `  [${flags}]` : ''}`);
  }
  for (const program of run.programs) {
    for (const line of healthLines(program.health)) lines.push(`  ${program.name}: ${line}`);
  }
  // awaited: process.exit would cut a pipe's output short (a 200,000-line check ended after 13,000)
  await out(lines.join('\n') + '\n');
  return 0;
}
