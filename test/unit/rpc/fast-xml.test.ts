import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeResponse, encodeResponseWithPackage, parseCall, parseCallWithPackage } from '../../../src/rpc/codec.js';
import { fastParseCall, fastResponse } from '../../../src/rpc/fast-xml.js';

type Outcome = { ok: unknown } | { err: string };
const settle = (p: Promise<unknown>): Promise<Outcome> => p.then((ok) => ({ ok }), (e: Error) => ({ err: e.message }));

/** The same outcome through the fast path (where it applies) as through the package alone. */
async function same(doc: string | Buffer): Promise<{ fast: boolean }> {
  const body = Buffer.isBuffer(doc) ? doc : Buffer.from(doc, 'utf8');
  const [ours, pkg] = await Promise.all([settle(parseCall(body)), settle(parseCallWithPackage(body))]);
  expect(ours, body.toString('utf8')).toEqual(pkg);
  return { fast: fastParseCall(body.toString('utf8')) !== null };
}

// what real clients send: Python's xmlrpc.client (supervisorctl, superlance, ansible), allow_none as supervisor's
const PY = String.raw`
import json, sys, datetime
from xmlrpc.client import dumps, Binary
calls = [
  ((), 'supervisor.getAllProcessInfo'),
  (('web',), 'supervisor.getProcessInfo'),
  (('web', True), 'supervisor.startProcess'),
  (('grp:*', 'HUP'), 'supervisor.signalProcessGroup'),
  (('web', -5, 1600), 'supervisor.tailProcessStdoutLog'),
  (('t', 'a & b < c > d " \' \r\n\t end ]]> é ✓ 😀'), 'supervisor.sendRemoteCommEvent'),
  (('',), 'supervisor.getProcessInfo'),
  ((1.5, -0.25, 2**31 - 1, -2**31), 'x.y'),
  (([1, [2, [3, {'a': [], 'b': {}}]], 'x'],), 'x.y'),
  (({'methodName': 'supervisor.getState', 'params': []},), 'x.y'),
  (([{'methodName': 'supervisor.sendRemoteCommEvent', 'params': ['bench', 'm %d' % i]} for i in range(5)],), 'system.multicall'),
  ((None, Binary(b'\x00\x01binary'), datetime.datetime(2026, 12, 6, 19, 0, 1)), 'x.y'),
  (({'k&<>': 'v', 'ключ': 'значение'},), 'x.y'),
]
print(json.dumps([dumps(p, m, allow_none=True) for p, m in calls]))
`;

describe('XML-RPC fast path', () => {
  it("reads what Python's xmlrpc.client sends exactly as the package does, on the fast path", async () => {
    const docs = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { encoding: 'utf8' })) as string[];
    for (const doc of docs) expect((await same(doc)).fast, doc).toBe(true);
    const ours = await parseCall(Buffer.from(docs[5]));
    expect(ours.params).toEqual(['t', 'a & b < c > d " \' \r\n\t end ]]> é ✓ 😀']);
  });

  it('leaves what it does not read to the package, with the same outcome (faults included)', async () => {
    const call = (inner: string): string => `<?xml version="1.0"?><methodCall><methodName>m.n</methodName><params>${inner}</params></methodCall>`;
    const fallback = [
      '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><methodCall><methodName>&b;</methodName></methodCall>',
      call('<!-- c --><param><value><string>x</string></value></param>'),
      call('<param><value><string><![CDATA[a<b]]></string></value></param>'),
      call('<param a="1"><value>x</value></param>'),
      call('<param><value><string>&nbsp;&copy;</string></value></param>'),
      call('<param><value><string>&#0;&#X41;</string></value></param>'),
      call('<param><value><string>x</value></string></param>'),
      '<methodCall><methodName>m.n</methodName>',
      '<methodCall><methodName>m.n</methodName></methodCall>trailing',
      '<methodCall><methodName>m.n</methodName></methodCall><second/>',
      '\uFEFF<methodCall><methodName>m.n</methodName></methodCall>',
      '<?pi x?><methodCall><methodName>m.n</methodName></methodCall>',
      'text<methodCall><methodName>m.n</methodName></methodCall>',
      '',
      'not xml at all',
      '<methodCall><methodName>m.n</methodName><params><param><value>< x</value></param></params></methodCall>',
    ];
    for (const doc of fallback) expect((await same(doc)).fast, doc).toBe(false);
    const fast = [
      call('<param><value><boolean>2</boolean></value></param>'),
      call('<param><value><int>x</int></value></param>'),
      call('<param><value><i8>1.5</i8></value></param>'),
      call('<param><value><double>nope</double></value></param>'),
      call('<param><value><bogus>1</bogus></value></param>'),
      call('<param><value><string>&#65;&#x42;&#0067;&lt;&gt;&amp;&quot;&apos;</string></value></param>'),
      call('<param><value>untyped</value></param><param><value></value></param><param><value><nil/></value></param>'),
      call('<param>\r\n  <value>\r\n    <string>crlf\r\nkept</string>\r\n  </value>\r\n</param>'),
      '<METHODCALL><METHODNAME>m.n</METHODNAME></METHODCALL>',
      '<methodResponse><params><param><value>x</value></param></params></methodResponse>',
      '<methodCall><params/></methodCall>',
      '<methodCall/>',
      '  \n<methodCall><methodName>m.n</methodName></methodCall>\n  ',
    ];
    for (const doc of fast) expect((await same(doc)).fast, doc).toBe(true);
    // bytes that are not UTF-8 become U+FFFD both ways
    await same(Buffer.concat([Buffer.from(call('<param><value><string>')), Buffer.from([0xff, 0xc3]), Buffer.from('</string></value></param>')]));
  });

  it('a mangled document has the same outcome either way (random edits of a real request)', async () => {
    const base =
      '<?xml version="1.0"?>\n<methodCall>\n<methodName>system.multicall</methodName>\n<params>\n<param>\n<value><array><data>\n' +
      '<value><struct>\n<member>\n<name>methodName</name>\n<value><string>supervisor.sendRemoteCommEvent</string></value>\n</member>\n' +
      '<member>\n<name>params</name>\n<value><array><data>\n<value><string>t &amp; &#233;</string></value>\n<value><int>7</int></value>\n' +
      '<value><boolean>1</boolean></value>\n</data></array></value>\n</member>\n</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodCall>\n';
    const pieces = ['<', '>', '/', '&', ';', '#', 'x', '!', '?', '"', ' ', '\n', '<value>', '</value>', '<int>', '&amp;', '&#1;', ']]>', 'A'];
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let fastCount = 0;
    for (let k = 0; k < 400; k++) {
      let doc = base;
      for (let edits = 1 + rnd(3); edits > 0; edits--) {
        const at = rnd(doc.length);
        const op = rnd(3);
        if (op === 0) doc = doc.slice(0, at) + doc.slice(at + 1 + rnd(4));
        else if (op === 1) doc = doc.slice(0, at) + pieces[rnd(pieces.length)] + doc.slice(at);
        else doc = doc.slice(0, at) + doc.slice(at, at + rnd(20)) + doc.slice(at);
      }
      if ((await same(doc)).fast) fastCount++;
    }
    expect(fastCount).toBeGreaterThan(50); // the fast path did read many of them (and refused some: faults)
  });

  it('writes responses byte for byte as the package does, on the fast path for what supervisord answers', () => {
    const values: unknown[] = [
      true,
      false,
      0,
      -0,
      42,
      -7,
      2 ** 40,
      1e21,
      0.5,
      -1.25e-7,
      '',
      'plain',
      'gt > and \r cr',
      'unicode é ✓ 😀',
      null,
      [],
      {},
      [1, 'a', [true, {}], { x: [] }],
      { name: 'web', group: 'web', state: 20, statename: 'RUNNING', spawnerr: '', description: 'pid 12, uptime 0:00:01', pid: 12 },
      Array.from({ length: 50 }, () => true),
      [{ faultCode: 10, faultString: 'BAD_NAME: x' }, true],
    ];
    for (const v of values) {
      const fast = fastResponse(v);
      expect(fast, JSON.stringify(v)).not.toBeNull();
      expect(fast).toBe(encodeResponseWithPackage(v));
      expect(encodeResponse(v)).toBe(fast);
    }
    // left to the package (and cleaned of what XML cannot carry), the same as before
    const others: unknown[] = ['a < b', 'a & b', 'x ]]> <', 'esc \x1b nul \x00', 'lone \ud800', NaN, Infinity, undefined, new Date(0), Buffer.from('hi'), { 'k<': 1 }, { '': 1 }];
    for (const v of others) {
      expect(fastResponse(v), String(v)).toBeNull();
      expect(encodeResponse(v)).toBe(encodeResponseWithPackage(v));
    }
  });
});
