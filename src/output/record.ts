/** One line of a process's output, as it travels to every sink. */
export type StreamName = 'stdout' | 'stderr';

export interface OutputRecord {
  /** Process name (web.1) or "procinit" for procinit's own messages. */
  name: string;
  stream: StreamName;
  /** Milliseconds since the epoch when the line was read. */
  time: number;
  line: Buffer;
}
