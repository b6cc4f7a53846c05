import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Longest line kept whole; longer lines are written in pieces tagged `P` (containerd uses 16 KiB too). */
export const MAX_LOG_LINE = 16 * 1024;

/** One of the two streams a container writes. */
export type LogStream = 'stdout' | 'stderr';

/** RFC 3339 with nanoseconds, as CRI log lines start (`2026-01-01T00:00:00.123000000Z`). */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** One CRI log line: `<RFC3339Nano> <stream> <F|P> <content>\n`. */
export function formatLogLine(ms: number, stream: LogStream, partial: boolean, content: string): string {
  return `${rfc3339Nano(ms)} ${stream} ${partial ? 'P' : 'F'} ${content}\n`;
}

/**
 * Writes a container's stdout and stderr to one file in the CRI log format the kubelet
 * reads. Complete lines are tagged `F`; a line longer than {@link MAX_LOG_LINE} is cut
 * into `P` pieces followed by a final `F` piece; what is left without a newline when a
 * stream ends is written as `F` (containerd does the same). `reopen()` closes and opens
 * the path again (after log rotation moved the file away).
 */
export class CriLogWriter {
  private fd: number | undefined;
  private readonly pending: Record<LogStream, string> = { stdout: '', stderr: '' };

  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    this.open();
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, 'a', 0o640);
  }

  private write(text: string): void {
    if (this.fd === undefined || !text) return;
    try {
      writeSync(this.fd, text);
    } catch {
      // the disk is full or the file is gone: logs are best effort, the container keeps running
    }
  }

  /** Feeds a chunk the container wrote on `stream`. */
  push(stream: LogStream, chunk: Buffer | string): void {
    let buf = this.pending[stream] + chunk.toString('utf8');
    let out = '';
    const at = this.now();
    for (;;) {
      const nl = buf.indexOf('\n');
      if (nl < 0) break;
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      while (line.length > MAX_LOG_LINE) {
        out += formatLogLine(at, stream, true, line.slice(0, MAX_LOG_LINE));
        line = line.slice(MAX_LOG_LINE);
      }
      out += formatLogLine(at, stream, false, line);
    }
    while (buf.length > MAX_LOG_LINE) {
      out += formatLogLine(at, stream, true, buf.slice(0, MAX_LOG_LINE));
      buf = buf.slice(MAX_LOG_LINE);
    }
    this.pending[stream] = buf;
    this.write(out);
  }

  /** The stream ended: writes what is left of its last line. */
  end(stream: LogStream): void {
    const rest = this.pending[stream];
    this.pending[stream] = '';
    if (rest) this.write(formatLogLine(this.now(), stream, false, rest));
  }

  /** Closes and opens the path again (the old file may have been renamed by rotation). */
  reopen(): void {
    this.closeFd();
    this.open();
  }

  /** Flushes both streams and closes the file. Idempotent. */
  close(): void {
    this.end('stdout');
    this.end('stderr');
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
