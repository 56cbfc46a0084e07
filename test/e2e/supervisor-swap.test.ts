/**
 * docker/supervisor-swap: an image that ran Debian's supervisor, with procinit (the single executable) under
 * the names supervisord and supervisorctl, its CMD and HEALTHCHECK untouched. The container runs, Docker's
 * health check (`supervisorctl status`) turns healthy, supervisorctl drives the programs, docker stop is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container, buildScenarioImages, docker, dockerEnvironment, eventually, imageName } from '../helpers/docker.js';
import { ensureSeaBinary } from '../helpers/sea-binary.js';

const engine = dockerEnvironment();
if (!engine.ready) console.warn(`test/e2e/supervisor-swap.test.ts: ${engine.message}`);
const IMAGE = imageName('supervisor-swap');

describe.skipIf(!engine.ready)('supervisor swapped for procinit (docker/supervisor-swap)', () => {
  beforeAll(async () => {
    await buildScenarioImages(ensureSeaBinary(), ['supervisor-swap']);
  }, 600_000);
  afterAll(() => Container.removeAll());

  it('keeps CMD ["/usr/bin/supervisord", "-n", "-c", ...] and the supervisorctl HEALTHCHECK working', async () => {
    const c = await Container.run(IMAGE);
    // supervisorctl exits 0 for STARTING too (only STOPPED, EXITED, FATAL and UNKNOWN make it 3), so wait
    // for both programs to have stayed up for startsecs
    const status = await eventually(
      () => c.exec(['supervisorctl', 'status']),
      (r) => r.code === 0 && /^bar\s+RUNNING/m.test(r.stdout) && /^foo\s+RUNNING/m.test(r.stdout),
      'supervisorctl status to exit 0 with both programs RUNNING',
      20_000,
    );
    expect(status.stdout).toMatch(/^bar\s+RUNNING\s+pid \d+, uptime /m);
    expect(status.stdout).toMatch(/^foo\s+RUNNING\s+pid \d+, uptime /m);
    const health = await eventually(
      () => docker(['inspect', '-f', '{{.State.Health.Status}}', c.name]),
      (r) => r.stdout.trim() === 'healthy',
      'Docker to call the container healthy',
      30_000,
    );
    expect(health.stdout.trim()).toBe('healthy');
    expect((await c.exec(['supervisorctl', 'stop', 'bar'])).stdout).toBe('bar: stopped\n');
    const down = await c.exec(['supervisorctl', 'status']);
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/^bar\s+STOPPED/m);
    expect((await c.exec(['supervisorctl', 'start', 'all'])).stdout).toBe('bar: started\n');
    expect((await c.exec(['supervisorctl', 'pid'])).stdout.trim()).toBe('1');
    const { exitCode, elapsedMs } = await c.stop(10);
    expect(exitCode).toBe(0);
    expect(elapsedMs).toBeLessThan(5_000);
  }, 120_000);
});
