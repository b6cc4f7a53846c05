import { readFile } from 'node:fs/promises';
import { ApiError } from '@bosun/api';

/** Options of `agent.logs()`, as `kubectl logs` takes them. */
export interface LogOptions {
  /** The container; may be left out when the pod has exactly one. */
  container?: string;
  /** The previous (terminated) instance of the container instead of the current one. */
  previous?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** Prefix each line with its RFC3339Nano timestamp, as `kubectl logs --timestamps`. */
  timestamps?: boolean;
}

/** One line of a CRI-format log file. */
export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** The content, without the trailing newline. */
  text: string;
}

/**
 * Parses CRI log format (`<RFC3339Nano> <stdout|stderr> <P|F> <content>`): `P` (partial)
 * fragments are joined with the lines that complete them, per stream. Malformed lines
 * are kept as stdout text rather than dropped.
 */
export function parseCriLog(content: string): CriLogLine[] {
  const out: CriLogLine[] = [];
  const partial: Record<string, { time: string; text: string } | undefined> = {};
  for (const raw of content.split('\n')) {
    if (!raw) continue;
    const m = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/.exec(raw);
    if (!m) {
      out.push({ time: '', stream: 'stdout', text: raw });
      continue;
    }
    const [, time, stream, tag, text] = m as unknown as [string, string, 'stdout' | 'stderr', string, string];
    const held = partial[stream];
    if (tag === 'P') {
      partial[stream] = { time: held?.time ?? time, text: (held?.text ?? '') + text };
      continue;
    }
    partial[stream] = undefined;
    out.push({ time: held?.time ?? time, stream, text: (held?.text ?? '') + text });
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const held = partial[stream];
    if (held) out.push({ time: held.time, stream, text: held.text });
  }
  return out;
}

/**
 * Reads a container's CRI log file and formats it as `kubectl logs` prints it: the
 * lines of both streams in order, `tailLines` keeping the last N, `timestamps` prefixing
 * each with its time. A missing file reads as empty (a container that wrote nothing).
 */
export async function readContainerLog(path: string, opts: Pick<LogOptions, 'tailLines' | 'timestamps'> = {}): Promise<string> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw ApiError.internal(`reading log file ${path}: ${(err as Error).message}`, err);
  }
  let lines = parseCriLog(content);
  if (opts.tailLines !== undefined) {
    if (!Number.isInteger(opts.tailLines) || opts.tailLines < 0) throw ApiError.badRequest(`tailLines must be a non-negative integer, got ${opts.tailLines}`);
    lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
  }
  return lines.map((l) => (opts.timestamps && l.time ? `${l.time} ${l.text}\n` : `${l.text}\n`)).join('');
}
