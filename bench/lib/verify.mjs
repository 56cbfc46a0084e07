// Check the throughput scenario's output file: every line the generators wrote must arrive whole, once.
// A generator line is "@@" ID(2) " " SEQ(9) " " + 84 filler bytes that depend on SEQ (see programs/gen.c);
// a supervisor may put a prefix before it. Lines without "@@" are the supervisor's own messages.
import { closeSync, openSync, readSync } from 'node:fs';

const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const REP = Buffer.from(ALPHA.repeat(3));
const PAYLOAD = 99;
const MARK = Buffer.from('@@');

function digits(buf, from, to) {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Returns { whole, broken, other, perGen: {id: {count, sum, inOrder}}, ok, summary } for generators 1..gens
 * of `lines` lines each. ok: every generator's count and checksum (sum of sequence numbers) match and no
 * line is broken.
 */
export function verifyOutput(file, gens, lines) {
  const perGen = new Map();
  for (let i = 1; i <= gens; i++) perGen.set(i, { count: 0, sum: 0, next: 0, inOrder: true });
  let whole = 0;
  let broken = 0;
  let other = 0;
  const check = (line) => {
    const at = line.indexOf(MARK);
    if (at < 0) {
      if (line.length > 0) other++;
      return;
    }
    const p = line.subarray(at);
    if (p.length !== PAYLOAD || p[4] !== 32 || p[14] !== 32) {
      broken++;
      return;
    }
    const id = digits(p, 2, 4);
    const seq = digits(p, 5, 14);
    const g = perGen.get(id);
    const f = (seq + 15) % 62;
    if (!g || seq < 0 || seq >= lines || REP.compare(p, 15, PAYLOAD, f, f + PAYLOAD - 15) !== 0) {
      broken++;
      return;
    }
    whole++;
    g.count++;
    g.sum += seq;
    if (seq !== g.next) g.inOrder = false;
    g.next = seq + 1;
  };
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let carry = Buffer.alloc(0);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (;;) {
        const nl = data.indexOf(10, start);
        if (nl < 0) break;
        check(data.subarray(start, nl));
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      data = null;
    }
  } finally {
    closeSync(fd);
  }
  if (carry.length) check(carry);
  const expectSum = (lines * (lines - 1)) / 2;
  const lost = [...perGen.values()].reduce((a, g) => a + Math.max(0, lines - g.count), 0);
  const dup = [...perGen.values()].reduce((a, g) => a + Math.max(0, g.count - lines), 0);
  const checksumOk = [...perGen.values()].every((g) => g.count === lines && g.sum === expectSum);
  const inOrder = [...perGen.values()].every((g) => g.inOrder);
  const ok = checksumOk && broken === 0;
  const parts = [`${whole}/${gens * lines} whole`];
  if (broken) parts.push(`${broken} broken`);
  if (lost) parts.push(`${lost} lost`);
  if (dup) parts.push(`${dup} extra`);
  parts.push(checksumOk ? 'checksum ok' : 'checksum MISMATCH');
  if (!inOrder) parts.push('out of order');
  return { whole, broken, other, lost, ok, inOrder, summary: parts.join(', ') };
}
