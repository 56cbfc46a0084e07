/**
 * [eventlistener:x] sections, read as supervisord 4.2's process_groups_from_parser reads them: a pool
 * named after the section, priority -1 by default (started first, stopped last), buffer_size (an integer
 * >= 1, default 10), events= (required; supervisord's type names, any case), result_handler (only
 * supervisord's default handler: procinit cannot import a Python callable), redirect_stderr refused (it
 * would break the protocol); every [program:x] option otherwise, through the same reader.
 */
import { ConfigError } from './errors.js';
import type { EventListenerSpec, ProcessSpec, ProgramSpec } from './model.js';
import { integer, listOfStrings, ValueError, boolean } from './supervisord-types.js';
import { isEventTypeName } from '../events/types.js';

export const LISTENER_ONLY_KEYS = ['events', 'buffer_size', 'result_handler'];

export const DEFAULT_RESULT_HANDLER = 'supervisor.dispatchers:default_handler';

/** A value from the section (or its default), with where it was written. */
export interface ListenerGot {
  value: string;
  file: string;
  line: number;
}

export interface ListenerSectionReader {
  /** The option's value (expanded with %(here)s and ENV_x, as supervisord's get()) or the default. */
  get(key: string, dflt: string): ListenerGot;
  /** The section's program reader (processes_from_section), making the pool's processes. */
  readProgram(group: string): ProgramSpec;
}

export interface ListenerPool {
  name: string;
  priority: number;
  program: ProgramSpec;
}

function conv<T>(section: string, key: string, got: ListenerGot, fn: (v: string) => T): T {
  try {
    return fn(got.value);
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw new ConfigError(got.file, got.line, `[${section}] ${key}: ${err.message}`);
  }
}

export function readListenerPool(section: string, r: ListenerSectionReader): ListenerPool {
  const name = section.slice(section.indexOf(':') + 1);
  const priority = conv(section, 'priority', r.get('priority', '-1'), integer);
  const bufferGot = r.get('buffer_size', '10');
  const bufferSize = conv(section, 'buffer_size', bufferGot, integer);
  if (bufferSize < 1) throw new ConfigError(bufferGot.file, bufferGot.line, `[${section}] section sets invalid buffer_size (${bufferSize})`);
  const handler = r.get('result_handler', DEFAULT_RESULT_HANDLER);
  if (handler.value.trim() !== DEFAULT_RESULT_HANDLER) {
    throw new ConfigError(
      handler.file,
      handler.line,
      `[${section}] result_handler=${handler.value}: procinit cannot import Python callables; only ${DEFAULT_RESULT_HANDLER} (OK acknowledges, anything else rejects) is supported`,
    );
  }
  const eventsGot = r.get('events', '');
  const names = [...new Set(listOfStrings(eventsGot.value).map((x) => x.toUpperCase()))];
  if (names.length === 0) throw new ConfigError(eventsGot.file, eventsGot.line, `[${section}] section requires an "events" line`);
  for (const n of names) {
    if (!isEventTypeName(n)) throw new ConfigError(eventsGot.file, eventsGot.line, `Unknown event type ${n} in [${section}] events`);
  }
  const redirect = r.get('redirect_stderr', 'false');
  if (conv(section, 'redirect_stderr', redirect, boolean)) {
    throw new ConfigError(
      redirect.file,
      redirect.line,
      `[${section}] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol`,
    );
  }
  const listener: EventListenerSpec = { pool: name, events: names, bufferSize };
  const program = r.readProgram(name);
  const instantiate = program.instantiate;
  // the pool's priority orders its processes' start and stop (listeners first up, last down); no terminal:
  // stdout is the protocol
  const asListener = (spec: ProcessSpec): ProcessSpec => ({ ...spec, eventListener: listener, priority, tty: false });
  program.instantiate = (n) => asListener(instantiate(n));
  program.instances = program.instances.map(asListener);
  return { name, priority, program };
}
