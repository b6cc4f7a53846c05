import type { PriorityClass } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { pod } from '../../test/fixtures';
import { createPriorityResolver } from './priority';

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });

describe('createPriorityResolver', () => {
  const r = createPriorityResolver(() => [pc('high', 1000), pc('default', 10, { globalDefault: true }), pc('polite', 500, { preemptionPolicy: 'Never' })]);
  it.each([
    ['spec.priority wins when set', pod('p', { priority: 7, priorityClassName: 'high' }), 7, 'PreemptLowerPriority'],
    ['priorityClassName resolves through the PriorityClass', pod('p', { priorityClassName: 'high' }), 1000, 'PreemptLowerPriority'],
    ['no class: the globalDefault applies', pod('p'), 10, 'PreemptLowerPriority'],
    ['an unknown class counts as 0', pod('p', { priorityClassName: 'missing' }), 0, 'PreemptLowerPriority'],
    ['preemptionPolicy Never comes from the class', pod('p', { priorityClassName: 'polite' }), 500, 'Never'],
  ])('%s', (_n, p, priority, policy) => {
    expect(r.podPriority(p)).toBe(priority);
    expect(r.podPreemptionPolicy(p)).toBe(policy);
  });
});
