/**
 * `logs [-f] [-n LINES] [NAME...]`: the recent output from the per-process ring buffers, as a stream of
 * line events, then (with follow) every new line until the client goes away or the run ends.
 */
import type { OutputHub } from '../../output/hub.js';
import type { OutputRecord } from '../../output/record.js';
import { matchesSelector, type Supervisor } from '../../supervisor/supervisor.js';
import { encodeEvents, type RequestContext, type Stream } from '../connection.js';
import type { RequestId } from '../protocol.js';
import { optionalBool, optionalInt, selectOrThrow, stringList } from './args.js';

export const DEFAULT_LOG_LINES = 100;
/** The most lines one request may ask for (every ring holds at most RING_MAX_LINES). */
export const MAX_LOG_LINES = 1_000_000;

/** One event of the stream. */
export interface LogEvent {
  time: string;
  name: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** The stream's opening result. */
export interface LogsOpen {
  /** Every process name, for aligning prefixes. */
  names: string[];
  follow: boolean;
}

function toEvent(r: OutputRecord): LogEvent {
  return { time: new Date(r.time).toISOString(), name: r.name, stream: r.stream, line: r.line.toString('utf8') };
}

/**
 * A record's event as JSON, made once however many followers send it (the hub hands every follower the
 * same records): 100 followers cost 100 string copies of a line, not 100 encodings.
 */
const encoded = new WeakMap<OutputRecord, string>();
function eventJson(r: OutputRecord): string {
  let j = encoded.get(r);
  if (j === undefined) encoded.set(r, (j = JSON.stringify(toEvent(r))));
  return j;
}

/**
 * A whole batch as event lines for one stream id, made once for every follower of everything with that id
 * (clients number their requests alike, so most followers share it): the followers' sockets then queue
 * the same Buffer, and a follower that stops reading costs a reference, not a copy.
 */
const batchLines = new WeakMap<readonly OutputRecord[], Map<string, Buffer>>();
function allLines(records: readonly OutputRecord[], id: RequestId): Buffer {
  let byId = batchLines.get(records);
  if (!byId) batchLines.set(records, (byId = new Map()));
  const key = JSON.stringify(id);
  let b = byId.get(key);
  if (!b) byId.set(key, (b = encodeEvents(id, records.map(eventJson))));
  return b;
}

export function logsHandler(supervisor: Supervisor, hub: OutputHub) {
  return async (args: Record<string, unknown>, ctx: RequestContext): Promise<void> => {
    const selectors = stringList(args, 'names');
    const lines = optionalInt(args, 'lines', 0, MAX_LOG_LINES) ?? DEFAULT_LOG_LINES;
    const follow = optionalBool(args, 'follow');
    const selected = selectOrThrow(supervisor, selectors);
    const all = selectors.length === 0 || selectors.includes('all');
    // by name for the backlog; by selector while following, so instances added by scale/reload show up
    const cache = new Map<string, boolean>();
    const wanted = (name: string): boolean => {
      if (all) return true;
      let yes = cache.get(name);
      if (yes === undefined) {
        const inst = supervisor.instances.find((i) => i.name === name);
        yes = inst !== undefined && selectors.some((s) => matchesSelector(inst.spec, s));
        cache.set(name, yes);
      }
      return yes;
    };

    const stream = ctx.beginStream({ names: supervisor.instances.map((i) => i.name), follow } satisfies LogsOpen);
    // following: subscribe before taking the backlog, so no line falls between the two
    let live = false;
    const queued: OutputRecord[] = [];
    const unfollow = follow
      ? hub.follow(null, (records) => {
          if (live) {
            // one write per batch: a follower that stops reading is dropped at STREAM_DROP_BYTES
            if (all) return void stream.sendEncoded(allLines(records, stream.id));
            const json: string[] = [];
            for (const r of records) if (wanted(r.name)) json.push(eventJson(r));
            stream.eventsJson(json);
            return;
          }
          for (const r of records) {
            if (!wanted(r.name)) continue;
            if (queued.push(r) > MAX_QUEUED) {
              stream.end({ code: 'too_slow', message: 'output came faster than the stream could be read' });
              return;
            }
          }
        })
      : null;
    if (unfollow) stream.onEnd(unfollow);
    const backlog = lines === 0 ? [] : hub.recent(all ? [] : selected.map((i) => i.name), lines);
    if (!(await send(stream, backlog))) return;
    if (!follow) return stream.end();
    while (queued.length > 0) if (!(await send(stream, queued.splice(0, queued.length)))) return;
    live = true;
  };
}

/** Send records, waiting whenever the client is behind; false when the stream is over. */
async function send(stream: Stream, records: OutputRecord[]): Promise<boolean> {
  for (const r of records) {
    if (!stream.eventsJson([eventJson(r)])) return false;
    if (stream.congested) await stream.drained();
    if (stream.ended) return false;
  }
  return true;
}

/** Lines that may pile up for a follower while its backlog is still being sent. */
const MAX_QUEUED = 100_000;

