import { describe, expect, it } from 'vitest';
import { domainMethodName, findDomainMethod } from './method-name';

describe('domainMethodName', () => {
  it.each([
    ['RunPodSandbox', 'runPodSandbox'],
    ['NodePublishVolume', 'nodePublishVolume'],
    ['GC', 'gC'],
    ['Add', 'add'],
    ['version', 'version'],
    ['', ''],
  ])('turns the RPC %j into the domain method %j', (rpc, domain) => {
    expect(domainMethodName(rpc)).toBe(domain);
  });
});

describe('findDomainMethod', () => {
  class Impl {
    readonly prefix = 'v';
    version() {
      return `${this.prefix}1`;
    }
  }
  const impl = Object.assign(new Impl(), { runPodSandbox: (req: unknown) => ({ got: req }), status: 'not a function' });

  it.each<[string, string, unknown, unknown]>([
    ['an own function property', 'RunPodSandbox', { id: 1 }, { got: { id: 1 } }],
    ['a prototype method, bound to the impl', 'Version', {}, 'v1'],
  ])('finds %s', (_what, rpc, request, expected) => {
    expect(findDomainMethod(impl, rpc)?.(request)).toEqual(expected);
  });

  it.each([['a missing method', 'PullImage'], ['a property that is not a function', 'Status']])('returns undefined for %s', (_what, rpc) => {
    expect(findDomainMethod(impl, rpc)).toBeUndefined();
  });
});
