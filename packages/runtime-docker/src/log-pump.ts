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

/** The timestamp of the last line of a CRI log file, or undefined (no file, empty, unreadable). */
export function lastLogTimestamp(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    const last = lines[lines.length - 1];
    const ts = last?.slice(0, last.indexOf(' '));
    return ts && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(ts) ? ts : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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
  private last: string;
  private readonly held: Partial<Record<LogStream, { ts: string; content: string }>> = {};

  constructor(
    readonly path: string,
    after = '',
  ) {
    this.last = after;
    this.open();
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

  /** The timestamp of the newest line written or held back ('' before the first). */
  get lastTimestamp(): string {
    return this.last;
  }

  /** Writes one Docker log message of `stream`. */
  write(stream: LogStream, message: string): void {
    const l = criLineFromDockerMessage(stream, message);
    // Docker stamps each line in nanoseconds, so a line not newer than the last one
    // written is a replay from `since` (which is inclusive), not a new line.
    if (!l || l.ts <= this.last || this.fd === undefined) return;
    this.last = l.ts;
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
