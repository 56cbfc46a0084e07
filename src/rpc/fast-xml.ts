/**
 * A fast path for the XML-RPC that supervisorctl and its kin send and get: plain elements, text, the five
 * predefined entities and character references. Anything else (a DOCTYPE, a comment, CDATA, attributes, an
 * unknown entity, text outside the root, a tag that does not match) returns null and the `xmlrpc`
 * package does the whole document, so what is accepted, refused and produced is always the package's.
 *
 * Parsing: the `xmlrpc` package's Deserializer is fed the events sax would give it (upper-cased tag names,
 * as sax's non-strict mode gives them), so values are built by the package's own code; only sax's
 * character-by-character tokenizer is replaced (it cost about 60 µs per call of a system.multicall).
 * Serializing: strings, numbers, booleans, nil, arrays and structs written as the package's serializer
 * (xmlbuilder) writes them, byte for byte; anything else returns null.
 */
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore: the package ships no types
import Deserializer from 'xmlrpc/lib/deserializer.js';

interface DeserializerState {
  type: string | null;
  methodname: string | null;
  marks: number[];
  stack: unknown[];
  error: Error | null;
  callback: (err: Error | null | undefined, result?: unknown[]) => void;
  onOpentag(node: { name: string }): void;
  onClosetag(name: string): void;
  onText(text: string): void;
  onDone(): void;
}

/** A fresh Deserializer without the sax stream its constructor makes (the fields are the constructor's). */
function deserializer(): DeserializerState {
  const d = Object.create(Deserializer.prototype) as DeserializerState & Record<string, unknown>;
  Object.assign(d, { type: null, responseType: null, stack: [], marks: [], data: [], methodname: null, encoding: 'utf8', value: false, callback: null, error: null });
  return d;
}

const OPEN = /<([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\r\n]*(\/?)>/y;
const CLOSE = /<\/([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\r\n]*>/y;
const DECLARATION = /^<\?xml[^<>?&]*\?>/;
const WHITESPACE = /^[ \t\r\n]*$/;
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/y;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Tag names as sax's non-strict mode gives them (upper case), remembered for the few names XML-RPC has. */
const upperNames = new Map<string, string>();
function upper(name: string): string {
  let u = upperNames.get(name);
  if (u === undefined) {
    u = name.toUpperCase();
    if (upperNames.size < 64 && name.length <= 32) upperNames.set(name, u); // bounded: names come from clients
  }
  return u;
}

/** Text with its entity and character references replaced, or null for one the fast path leaves to sax. */
function decode(text: string): string | null {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', from)) {
    ENTITY.lastIndex = at;
    const m = ENTITY.exec(text);
    if (!m) return null;
    let ch: string;
    if (m[1]) ch = NAMED[m[1]];
    else {
      const n = m[2] !== undefined ? parseInt(m[2], 10) : parseInt(m[3], 16);
      if (n < 1 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return null;
      ch = String.fromCodePoint(n);
    }
    out += text.slice(from, at) + ch;
    from = ENTITY.lastIndex;
  }
  return from === 0 ? text : out + text.slice(from);
}

export type FastCall = { method: string; params: unknown[] } | { error: Error };

/** A methodCall document the fast path can read: what the package would make of it; null: let the package parse it. */
export function fastParseCall(text: string): FastCall | null {
  const d = deserializer();
  let outcome: FastCall | null = null;
  d.callback = (err, result) => {
    if (outcome) return;
    if (err) outcome = { error: err };
    else if (d.type !== 'methodcall') outcome = { error: new Error('Not a method call') };
    else if (!d.methodname) outcome = { error: new Error('Method call did not contain a method name') };
    else outcome = { method: d.methodname, params: result ?? [] };
  };
  let i = 0;
  const decl = DECLARATION.exec(text);
  if (decl) i = decl[0].length;
  else if (text.startsWith('<?')) return null;
  const open: string[] = [];
  let sawRoot = false;
  for (;;) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    if (chunk.length > 0) {
      if (open.length === 0) {
        if (!WHITESPACE.test(chunk)) return null; // text outside the root
      } else {
        const t = decode(chunk);
        if (t === null) return null;
        d.onText(t);
      }
    }
    if (lt === -1) break;
    if (text.charCodeAt(lt + 1) === 0x2f /* / */) {
      CLOSE.lastIndex = lt;
      const m = CLOSE.exec(text);
      if (!m || open.length === 0) return null;
      const name = upper(m[1]);
      if (open[open.length - 1] !== name) return null; // sax's non-strict recovery: the package's business
      open.pop();
      d.onClosetag(name);
      i = CLOSE.lastIndex;
    } else {
      OPEN.lastIndex = lt;
      const m = OPEN.exec(text);
      if (!m || (sawRoot && open.length === 0)) return null; // a comment, CDATA, attributes, a second root
      sawRoot = true;
      const name = upper(m[1]);
      d.onOpentag({ name });
      if (m[2]) d.onClosetag(name);
      else open.push(name);
      i = OPEN.lastIndex;
    }
    if (outcome) return outcome; // the package's handlers refused a value
  }
  if (!sawRoot || open.length > 0) return null;
  d.onDone();
  return outcome;
}

// ---- responses -----------------------------------------------------------------------------------

/**
 * Strings the package's serializer writes as escaped text (it writes those with `<` or `&` as CDATA) and
 * that hold only characters XML 1.0 allows (codec.ts replaces the others first, on the package's path).
 */
// eslint-disable-next-line no-control-regex
const PLAIN_STRING = /^[^<&\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF\uD800-\uDFFF]*$/u;

function escapeText(s: string): string {
  // xmlbuilder's elEscape, for a string without `<` or `&`
  return s.replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function value(v: unknown, out: string[], depth: number): boolean {
  if (depth > 64) return false;
  switch (typeof v) {
    case 'boolean':
      out.push(v ? '<value><boolean>1</boolean></value>' : '<value><boolean>0</boolean></value>');
      return true;
    case 'string':
      if (v.length === 0) out.push('<value><string/></value>');
      else if (PLAIN_STRING.test(v)) out.push('<value><string>', escapeText(v), '</string></value>');
      else return false;
      return true;
    case 'number':
      if (!Number.isFinite(v)) return false;
      out.push(Number.isInteger(v) ? `<value><int>${v}</int></value>` : `<value><double>${v}</double></value>`);
      return true;
    case 'object': {
      if (v === null) {
        out.push('<value><nil/></value>');
        return true;
      }
      if (Array.isArray(v)) {
        if (v.length === 0) {
          out.push('<value><array><data/></array></value>');
          return true;
        }
        out.push('<value><array><data>');
        for (const item of v) if (!value(item, out, depth + 1)) return false;
        out.push('</data></array></value>');
        return true;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return false; // Date, Buffer, ...: the package's
      const keys = Object.keys(v);
      if (keys.length === 0) {
        out.push('<value><struct/></value>');
        return true;
      }
      out.push('<value><struct>');
      for (const k of keys) {
        if (k.length === 0 || !PLAIN_STRING.test(k)) return false;
        out.push('<member><name>', escapeText(k), '</name>');
        if (!value((v as Record<string, unknown>)[k], out, depth + 1)) return false;
        out.push('</member>');
      }
      out.push('</struct></value>');
      return true;
    }
    default:
      return false;
  }
}

/** A methodResponse as the package writes it, or null for a value the fast path leaves to the package. */
export function fastResponse(result: unknown): string | null {
  const out = ['<?xml version="1.0"?><methodResponse><params><param>'];
  if (!value(result, out, 0)) return null;
  out.push('</param></params></methodResponse>');
  return out.join('');
}
