import { closeSync, existsSync, mkdirSync, openSync, readSync, fstatSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One of the two streams of a container. */
export type LogStream = 'stdout' | 'stderr';

/**
 * Docker's timestamp (RFC 3339, fraction trimmed of zeros) with exactly nine fraction
 * digits, so that lines compare in time order as strings and read as CRI timestamps.
 */
export function padTimestamp(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return ts;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/**
 * Splits Docker's multiplexed attach/logs stream into frames: an 8-byte header (stream
 * type: 1 stdout, 2 stderr; bytes 4–7 the big-endian payload length) then the payload.
 * Feed chunks with `push`; complete frames go to `onFrame`.
 */
export class FrameDemuxer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: LogStream, payload: Buffer) => void) {}

  /** Feeds a chunk of the raw stream. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) return;
      const type = this.buf[0];
      const payload = this.buf.subarray(8, 8 + size);
      this.buf = this.buf.subarray(8 + size);
      if (type === 1 || type === 2) this.onFrame(type === 1 ? 'stdout' : 'stderr', payload);
    }
  }
}

/**
 * Turns one `docker logs --timestamps` message (`<RFC3339Nano> <content>`, newline
 * included when the line is complete) into a CRI log line:
 * `<RFC3339Nano> <stream> <F|P> <content>\n`. A message without a final newline is a
 * partial line (Docker cuts lines at 16 KiB) and is tagged `P`. Returns the padded
 * timestamp too, for resuming.
 */
export function criLineFromDockerMessage(stream: LogStream, message: string): { ts: string; line: string; content: string; partial: boolean } | undefined {
  const sp = message.indexOf(' ');
  if (sp <= 0) return undefined;
  const ts = padTimestamp(message.slice(0, sp));
  let content = message.slice(sp + 1);
  const complete = content.endsWith('\n');
  if (complete) content = content.slice(0, -1);
  return { ts, line: `${ts} ${stream} ${complete ? 'F' : 'P'} ${content}\n`, content, partial: !complete };
}

/** Splits a logs payload into its messages, each keeping its newline (the last may lack one). */
export function splitMessages(payload: string): string[] {
  return payload.split(/(?<=\n)/).filter(Boolean);
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT[\d:.]+Z$/;

/** The last 64 KiB of a CRI log file, as lines ([] when there is no file or it is unreadable). */
function tailLines(path: string): string[] {
  if (!existsSync(path)) return [];
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The timestamp of the last line of a CRI log file, or undefined (no file, empty, unreadable). */
export function lastLogTimestamp(path: string): string | undefined {
  const lines = tailLines(path);
  const last = lines[lines.length - 1];
  const ts = last?.slice(0, last.indexOf(' '));
  return ts && TIMESTAMP.test(ts) ? ts : undefined;
}

/** The timestamp of the last stdout line and of the last stderr line of a CRI log file (within its last 64 KiB). */
export function lastLogTimestamps(path: string): Partial<Record<LogStream, string>> {
  const out: Partial<Record<LogStream, string>> = {};
  for (const line of tailLines(path)) {
    const [ts, stream] = line.split(' ', 2);
    if ((stream === 'stdout' || stream === 'stderr') && ts && TIMESTAMP.test(ts)) out[stream] = ts;
  }
  return out;
}

/** Docker's `since` for a padded RFC 3339 timestamp: `<seconds>.<nanoseconds>`. */
export function dockerSince(ts: string): string {
  const m = /^(.*?)(?:\.(\d{9}))?Z$/.exec(ts);
  const secs = Math.floor(Date.parse(`${m?.[1] ?? ts}Z`) / 1000);
  return `${secs}.${m?.[2] ?? '000000000'}`;
}

/**
 * Appends a container's `docker logs --follow --timestamps` to its CRI log file. Lines at
 * or before `after` (the last timestamp already in the file) are skipped, so a follower
 * resumed after a daemon or runtime restart does not write lines twice. A message without
 * a final newline is held back until the next message of its stream (then it is written
 * as a `P` piece of a longer line) or until the file is closed (then it is the last line,
 * written `F`, as containerd does).
 */
export class CriLogFile {
  private fd: number | undefined;
  // Per stream: Docker stamps each stream's lines in order, but a follow stream may
  // deliver a stderr line after a later stdout one (two copiers), so one watermark for
  // both would drop it as a replay.
  private readonly last: Record<LogStream, string>;
  private taken = 0;
  private readonly held: Partial<Record<LogStream, { ts: string; content: string }>> = {};

  /** `after`: the last timestamp already in the file, for both streams or per stream (see {@link lastLogTimestamps}). */
  constructor(
    readonly path: string,
    after: string | Partial<Record<LogStream, string>> = '',
  ) {
    this.last = typeof after === 'string' ? { stdout: after, stderr: after } : { stdout: after.stdout ?? '', stderr: after.stderr ?? '' };
    this.open();
  }

  /** How many messages were taken (written or held back); replays are not counted. */
  get accepted(): number {
    return this.taken;
  }

  /**
   * Where a replay must start (`since`, inclusive) so that neither stream misses a line:
   * the older of the two streams' last timestamps, or of the one seen when only one has
   * written ('' before any line).
   */
  get resumeFrom(): string {
    const { stdout, stderr } = this.last;
    if (!stdout || !stderr) return stdout || stderr;
    return stdout < stderr ? stdout : stderr;
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, 'a', 0o640);
  }

  private append(text: string): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, text);
    } catch {
      // a full disk must not stop the container; logs are best effort
    }
  }

  private releaseHeld(stream: LogStream, tag: 'P' | 'F'): void {
    const h = this.held[stream];
    if (!h) return;
    delete this.held[stream];
    this.append(`${h.ts} ${stream} ${tag} ${h.content}\n`);
  }

  /** Writes one Docker log message of `stream`. */
  write(stream: LogStream, message: string): void {
    const l = criLineFromDockerMessage(stream, message);
    // Docker stamps each line in nanoseconds, so a line not newer than the last one
    // written is a replay from `since` (which is inclusive), not a new line.
    if (!l || l.ts <= this.last[stream] || this.fd === undefined) return;
    this.last[stream] = l.ts;
    this.taken++;
    this.releaseHeld(stream, 'P');
    if (l.partial) this.held[stream] = { ts: l.ts, content: l.content };
    else this.append(l.line);
  }

  /** Closes and opens the path again (rotation moved the old file away). */
  reopen(): void {
    this.closeFd();
    this.open();
  }

  /** Writes what is held back and closes the file. Idempotent. */
  close(): void {
    this.releaseHeld('stdout', 'F');
    this.releaseHeld('stderr', 'F');
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}
