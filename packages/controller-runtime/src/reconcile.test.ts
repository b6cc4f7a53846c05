import { ApiError, FakeClock, isConflict, type KubeObject } from '@bosun/api';
import { createTestEnv } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { Action, isTerminalError, retryOnConflict, TerminalError, updateWithRetry } from './reconcile';

describe('Action', () => {
  it.each<[string, Action, string, number, string]>([
    ['awaitChange()', Action.awaitChange(), 'awaitChange', 0, 'awaitChange'],
    ['requeue()', Action.requeue(), 'requeue', 0, 'requeue'],
    ['requeueAfter(250)', Action.requeueAfter(250), 'requeueAfter', 250, 'requeueAfter(250ms)'],
    ['requeueAfter(-5) (clamped to now)', Action.requeueAfter(-5), 'requeueAfter', 0, 'requeueAfter(0ms)'],
  ])('%s is a frozen %s action', (_name, action, type, delayMs, text) => {
    expect([action.type, action.delayMs, String(action), Object.isFrozen(action)]).toEqual([type, delayMs, text, true]);
  });

  it.each([NaN, Infinity])('refuses requeueAfter(%s)', (ms) => {
    expect(() => Action.requeueAfter(ms)).toThrow(RangeError);
  });
});

describe('TerminalError', () => {
  it('is an Error with a name, a code and a cause', () => {
    const cause = new Error('root');
    const e = new TerminalError('spec.x is invalid', { cause });
    expect([e instanceof Error, e.name, e.code, e.message, e.cause]).toEqual([true, 'TerminalError', 'Terminal', 'spec.x is invalid', cause]);
  });

  it.each<[string, unknown, boolean]>([
    ['a TerminalError', new TerminalError('x'), true],
    ['one from another copy of the package (same name)', Object.assign(new Error('x'), { name: 'TerminalError' }), true],
    ['a plain Error', new Error('x'), false],
    ['a string', 'TerminalError', false],
  ])('isTerminalError recognizes %s → %s', (_name, e, expected) => {
    expect(isTerminalError(e)).toBe(expected);
  });
});

describe('retryOnConflict', () => {
  const conflict = () => ApiError.conflict('configmaps', 'c', 'the object has been modified');

  it.each<[string, number, number, 'ok' | 'conflict']>([
    ['succeeds on the third attempt', 2, 5, 'ok'],
    ['gives up after the last attempt and throws the conflict', 5, 5, 'conflict'],
    ['honours a smaller attempt count', 2, 2, 'conflict'],
  ])('%s', async (_name, conflicts, attempts, outcome) => {
    let calls = 0;
    const p = retryOnConflict(async () => {
      if (calls++ < conflicts) throw conflict();
      return 'done';
    }, { attempts });
    if (outcome === 'ok') expect(await p).toBe('done');
    else await expect(p).rejects.toSatisfy(isConflict);
    expect(calls).toBe(Math.min(conflicts + 1, attempts));
  });

  it('throws other errors at once', async () => {
    let calls = 0;
    await expect(retryOnConflict(async () => {
      calls++;
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });

  it('waits delayMs on the clock between attempts when given one', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const p = retryOnConflict(async () => {
      at.push(clock.now());
      if (at.length < 3) throw conflict();
    }, { clock, delayMs: 10 });
    await clock.advance(25);
    await p;
    expect(at.map((t) => t - at[0])).toEqual([0, 10, 20]);
  });
});

describe('updateWithRetry against the API server', () => {
  it('re-reads after a conflict and applies the change to the latest version', async () => {
    await using env = await createTestEnv();
    const stale = await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } });
    await env.client.patch('v1', 'ConfigMap', 'default', 'c', { data: { b: '2' } });
    const seen: string[] = [];
    const after = await updateWithRetry(env.client, stale, (latest) => {
      seen.push(Object.keys(latest.data ?? {}).join());
      return { ...latest, data: { ...latest.data, c: '3' } };
    });
    expect(seen).toEqual(['a', 'a,b']);
    expect(after?.data).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('resolves undefined when the object was deleted, or replaced by a new one with the same name', async () => {
    await using env = await createTestEnv();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } };
    const first = await env.client.create(cm);
    await env.client.delete('v1', 'ConfigMap', 'default', 'c');
    expect(await updateWithRetry(env.client, first, (l) => ({ ...l, data: { x: 'y' } }))).toBeUndefined();
    await env.client.create(cm);
    expect(await updateWithRetry(env.client, first, (l) => ({ ...l, data: { x: 'y' } }))).toBeUndefined();
    expect((await env.client.get('v1', 'ConfigMap', 'default', 'c')).data).toBeUndefined();
  });

  it('writes nothing when the mutation returns undefined', async () => {
    await using env = await createTestEnv();
    const cm = await env.client.create<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } });
    expect(await updateWithRetry(env.client, cm, () => undefined)).toBe(cm);
    expect((await env.client.get('v1', 'ConfigMap', 'default', 'c')).metadata.resourceVersion).toBe(cm.metadata!.resourceVersion);
  });
});
