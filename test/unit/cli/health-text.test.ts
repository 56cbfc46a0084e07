/** The health model in words: probe lines read back by procinit.toml to the same probe. */
import { describe, expect, it } from 'vitest';
import { healthLines, memoryText, probeLine } from '../../../src/cli/health-text.js';
import { noHealth } from '../../../src/config/model.js';
import { buildProbe, parseProbeLine } from '../../../src/config/probe.js';

const where = { file: 'procinit.toml', line: 1 };
const read = (line: string) => buildProbe('liveness', 'web liveness', parseProbeLine(line, 'web liveness', where), where);

describe('probeLine', () => {
  it.each([
    'http-get path=/geo/ port=8000 delay=120s timeout=10s period=20s #success=1 #failure=3',
    'http-get path=/ port=$PORT delay=0s timeout=1s period=0.5s #success=1 #failure=3',
    'tcp-socket :5432 delay=5s timeout=2s period=1s #success=1 #failure=10',
    'exec [pg_isready] delay=0s timeout=1s period=10s #success=1 #failure=3',
  ])('%s prints as it is read', (line) => {
    expect(probeLine(read(line))).toBe(line);
  });

  it('lists what a program has, one line each', () => {
    const h = noHealth();
    expect(healthLines(h)).toEqual([]);
    h.checks.readiness = read('tcp-socket :5432 period=1s');
    h.dependsOn = [{ program: 'db', condition: 'ready', source: where }];
    h.limits = { memoryBytes: 64 * 2 ** 20, cpu: 0.5, source: where };
    h.notify = { kind: 'sd_notify', watchdogMs: 10_000, source: where };
    expect(healthLines(h)).toEqual([
      'readiness tcp-socket :5432 delay=0s timeout=1s period=1s #success=1 #failure=3',
      'notify sd_notify (watchdog 10s)',
      'depends_on db (ready)',
      'limits cpu 0.5, memory 64Mi',
    ]);
    expect(memoryText(1536)).toBe('1536');
  });
});
