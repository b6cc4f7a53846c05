import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { callLogEntry, type CallLogEntry } from './call-log';
import type { UnaryCallOutcome } from './unary-handler';

const redact = (req: { token: string; name: string }) => ({ ...req, token: '[REDACTED]' });
const request = { token: 's3cret', name: 'web' };

describe('callLogEntry', () => {
  it.each<[string, UnaryCallOutcome<typeof request>, CallLogEntry]>([
    [
      'a success as debug',
      { ok: true, request, durationMs: 3 },
      { level: 'debug', method: 'Svc/Do', request: { token: '[REDACTED]', name: 'web' }, durationMs: 3 },
    ],
    [
      'a failure as error with the status name and message',
      { ok: false, request, durationMs: 5, error: new Error('x'), status: { code: status.NOT_FOUND, details: 'no web' } },
      { level: 'error', method: 'Svc/Do', request: { token: '[REDACTED]', name: 'web' }, code: 'NOT_FOUND', message: 'no web', durationMs: 5 },
    ],
  ])('logs %s, with the request redacted', (_what, outcome, entry) => {
    expect(callLogEntry('Svc/Do', outcome, redact)).toEqual(entry);
    expect(JSON.stringify(callLogEntry('Svc/Do', outcome, redact))).not.toContain('s3cret');
  });
});
