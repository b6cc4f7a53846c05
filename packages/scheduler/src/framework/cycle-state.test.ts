import { describe, expect, it } from 'vitest';
import { CycleState, stateKey, type StateKey } from './cycle-state';
import { Status } from './status';

describe('CycleState', () => {
  it('reads what was written under a typed key', () => {
    const k = stateKey<number[]>('k');
    const s = new CycleState();
    s.write(k, [1]);
    expect(s.read(k)).toEqual([1]);
    expect(() => s.read(stateKey('missing'))).toThrow(/no value for key "missing"/);
    expect(s.tryRead(stateKey('missing'))).toBeUndefined();
  });

  it('clones values whose key can clone, shares the others', () => {
    const copied = stateKey<number[]>('copied', (v) => [...v]);
    const shared = stateKey<number[]>('shared');
    const s = new CycleState();
    s.write(copied, [1]);
    s.write(shared, [1]);
    s.skipFilterPlugins.add('X');
    const c = s.clone();
    c.read(copied).push(2);
    c.read(shared).push(2);
    expect(s.read(copied)).toEqual([1]);
    expect(s.read(shared)).toEqual([1, 2]);
    expect(c.skipFilterPlugins.has('X')).toBe(true);
  });

  it('keys with the same name share a value, keys built by hand (no slot) too; delete and undefined values', () => {
    const a = stateKey<string>('same-name');
    const b = stateKey<string>('same-name');
    const byHand: StateKey<string> = { name: 'same-name' };
    const s = new CycleState();
    s.write(a, 'x');
    expect(s.read(b)).toBe('x');
    expect(s.read(byHand)).toBe('x');
    s.write(byHand, 'y');
    expect(s.tryRead(a)).toBe('y');
    s.delete(b);
    expect(s.tryRead(a)).toBeUndefined();
    expect(() => s.read(a)).toThrow(/no value for key "same-name"/);
    // A value written as undefined is there: read does not throw, and clone keeps it.
    const u = stateKey<undefined>('written-undefined');
    s.write(u, undefined);
    expect(s.read(u)).toBeUndefined();
    expect(s.clone().read(u)).toBeUndefined();
    expect(() => s.clone().read(a)).toThrow(/no value/);
  });
});

describe('Status', () => {
  it.each([
    ['success', Status.success, 'Success', true, false],
    ['unschedulable', Status.unschedulable('a', 'b'), 'Unschedulable', false, true],
    ['unresolvable', Status.unschedulableAndUnresolvable('a'), 'UnschedulableAndUnresolvable', false, true],
    ['error', Status.error(new Error('boom')), 'Error', false, false],
    ['skip', Status.skip(), 'Skip', false, false],
    ['wait', Status.wait(), 'Wait', false, false],
  ])('%s has its code', (_n, s, code, ok, rejected) => {
    expect(s.code).toBe(code);
    expect(s.isSuccess()).toBe(ok);
    expect(s.isRejected()).toBe(rejected);
  });

  it('records the failing plugin without changing the shared success', () => {
    const s = Status.unschedulable('x').withPlugin('P');
    expect(s.plugin).toBe('P');
    expect(s.message()).toBe('x');
    expect(Status.success.withPlugin('P')).toBe(Status.success);
    expect(Status.error(new Error('boom')).message()).toBe('boom');
  });
});
