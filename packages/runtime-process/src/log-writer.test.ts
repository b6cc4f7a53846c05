import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CriLogWriter, formatLogLine, MAX_LOG_LINE, rfc3339Nano } from './log-writer';

const dir = mkdtempSync(join(tmpdir(), 'bosun-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T = Date.parse('2026-01-01T00:00:00.123Z');
const at = '2026-01-01T00:00:00.123000000Z';

describe('CriLogWriter', () => {
  it('formats RFC3339Nano timestamps', () => {
    expect(rfc3339Nano(T)).toBe(at);
    expect(formatLogLine(T, 'stderr', true, 'x')).toBe(`${at} stderr P x\n`);
  });

  it('writes complete lines as F, keeps a partial line until its newline, flushes the rest at end', () => {
    const path = join(dir, 'a', '0.log');
    const w = new CriLogWriter(path, () => T);
    w.push('stdout', 'one\ntw');
    w.push('stderr', 'err\n');
    w.push('stdout', 'o\nthree');
    w.end('stdout');
    w.close();
    expect(readFileSync(path, 'utf8')).toBe(`${at} stdout F one\n${at} stderr F err\n${at} stdout F two\n${at} stdout F three\n`);
  });

  it('cuts a line longer than the maximum into P pieces and a final F', () => {
    const path = join(dir, 'b.log');
    const w = new CriLogWriter(path, () => T);
    w.push('stdout', `${'x'.repeat(MAX_LOG_LINE + 5)}\n`);
    w.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => l.split(' ')[2])).toEqual(['P', 'F']);
    expect(lines[1]).toBe(`${at} stdout F xxxxx`);
  });

  it('reopens the path after rotation', () => {
    const path = join(dir, 'c.log');
    const w = new CriLogWriter(path, () => T);
    w.push('stdout', 'before\n');
    renameSync(path, `${path}.1`);
    w.reopen();
    w.push('stdout', 'after\n');
    w.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(`${at} stdout F before\n`);
    expect(readFileSync(path, 'utf8')).toBe(`${at} stdout F after\n`);
  });
});
