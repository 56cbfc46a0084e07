import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { remoteCommunicationEvent } from '../../../src/events/event.js';
import { EventListenerPool } from '../../../src/events/pool.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(bufferSize = 3): { bus: EventBus; pool: EventListenerPool; sent: string[]; logs: string[] } {
  const bus = new EventBus();
  const logs: string[] = [];
  const pool = new EventListenerPool({ name: 'p', events: ['REMOTE_COMMUNICATION'], bufferSize, identifier: 'supervisor' }, bus, {
    debug: (m) => logs.push(`debug ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  });
  bus.subscribe(pool);
  return { bus, pool, sent: [], logs };
}

describe('EventListenerPool', () => {
  let cleanup: Array<() => void> = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));

  it('buffers until a RUNNING listener is READY, sends the oldest, re-sends a FAILed one first', async () => {
    const { bus, pool, sent } = setup();
    const l = pool.attach('p_0', { write: (d) => sent.push(d.toString()) });
    bus.publish(remoteCommunicationEvent('a', '1'));
    bus.publish(remoteCommunicationEvent('b', '2'));
    l.protocol.push(Buffer.from('READY\n'));
    await tick();
    expect(sent).toEqual([]); // not RUNNING yet
    pool.processState('p_0', 'RUNNING');
    await tick();
    expect(sent).toEqual(['ver:3.0 server:supervisor serial:0 pool:p poolserial:0 eventname:REMOTE_COMMUNICATION len:8\ntype:a\n1']);
    l.protocol.push(Buffer.from('RESULT 4\nFAILREADY\n'));
    await tick();
    expect(sent[1]).toBe(sent[0]);
    l.protocol.push(Buffer.from('RESULT 2\nOKREADY\n'));
    await tick();
    expect(sent[2]).toContain('serial:1 pool:p poolserial:1');
    expect(pool.buffered).toBe(0);
  });

  it('drops the oldest on overflow and re-buffers the event of a listener that died while BUSY', async () => {
    const { bus, pool, sent, logs } = setup(2);
    const l = pool.attach('p_0', { write: (d) => sent.push(d.toString()) });
    for (const t of ['a', 'b', 'c']) bus.publish(remoteCommunicationEvent(t, ''));
    expect(logs).toContain('error pool p event buffer overflowed, discarding event 0');
    pool.processState('p_0', 'RUNNING');
    l.protocol.push(Buffer.from('READY\n'));
    await tick();
    expect(sent[0]).toContain('serial:1 ');
    pool.detach(l);
    expect(pool.buffered).toBe(2);
    const l2 = pool.attach('p_0', { write: (d) => sent.push(d.toString()) });
    pool.processState('p_0', 'RUNNING');
    l2.protocol.push(Buffer.from('READY\n'));
    await tick();
    expect(sent[1]).toBe(sent[0]);
  });

  it('a listener whose stdin cannot be written is passed over for the next ready one', async () => {
    const { bus, pool, sent, logs } = setup();
    pool.setOrder(['p_0', 'p_1']);
    const broken = pool.attach('p_0', {
      write: () => {
        throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      },
    });
    const ok = pool.attach('p_1', { write: (d) => sent.push(d.toString()) });
    for (const l of [broken, ok]) {
      pool.processState(l.name, 'RUNNING');
      l.protocol.push(Buffer.from('READY\n'));
    }
    bus.publish(remoteCommunicationEvent('a', ''));
    await tick();
    expect(sent).toHaveLength(1);
    expect(broken.state).toBe('READY');
    expect(ok.state).toBe('BUSY');
    expect(logs.some((l) => l.includes('epipe occurred while sending event 0 to listener p_0'))).toBe(true);
  });

  it('a burst: the oldest beyond buffer_size are dropped, the rest arrive in order, one in flight, FAILed ones first again', async () => {
    const { bus, pool, sent, logs } = setup(300);
    const l = pool.attach('p_0', { write: (d) => sent.push(d.toString()) });
    pool.processState('p_0', 'RUNNING');
    for (let i = 0; i < 1000; i++) bus.publish(remoteCommunicationEvent('burst', String(i)));
    // supervisord: 700 overflows, each naming the event it drops, oldest first
    const dropped = logs.filter((m) => m.startsWith('error pool p event buffer overflowed'));
    expect(dropped).toHaveLength(700);
    expect(dropped[0]).toBe('error pool p event buffer overflowed, discarding event 0');
    expect(dropped[699]).toBe('error pool p event buffer overflowed, discarding event 699');
    expect(pool.buffered).toBe(300);
    l.protocol.push(Buffer.from('READY\n'));
    await tick();
    const serial = (m: string): number => Number(/ serial:(\d+)/.exec(m)![1]);
    const poolSerial = (m: string): number => Number(/poolserial:(\d+)/.exec(m)![1]);
    let rejected = 0;
    for (let answered = 0; l.state === 'BUSY'; answered++) {
      expect(sent).toHaveLength(answered + 1); // one event in flight
      const fail = answered % 7 === 3;
      l.protocol.push(Buffer.from(fail ? 'RESULT 4\nFAILREADY\n' : 'RESULT 2\nOKREADY\n'));
      await tick();
      if (fail) {
        rejected++;
        expect(sent[answered + 1]).toBe(sent[answered]); // the rejected one again, first
      }
    }
    expect(pool.buffered).toBe(0);
    const delivered = sent.filter((m, i) => i === 0 || m !== sent[i - 1]);
    expect(delivered.map(serial)).toEqual(Array.from({ length: 300 }, (_, i) => 700 + i));
    expect(delivered.map(poolSerial)).toEqual(delivered.map(serial));
    expect(delivered.at(-1)).toMatch(/\n999$/);
    expect(sent).toHaveLength(300 + rejected);
  });
});
