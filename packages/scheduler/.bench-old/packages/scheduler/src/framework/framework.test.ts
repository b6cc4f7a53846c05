import { FakeClock } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { DEFAULT_PLUGINS, DEFAULT_SCORE_WEIGHTS, inTreeRegistry } from '../plugins/registry';
import { CycleState } from './cycle-state';
import { NodeInfo } from './node-info';
import { Framework } from './framework';
import type { PermitPlugin, Plugin } from './interface';
import type { ProfileConfig } from './profile';
import { Status } from './status';

function framework(profile: Partial<ProfileConfig> = {}, extra: [string, () => Plugin][] = [], clock = new FakeClock()) {
  const registry = inTreeRegistry();
  for (const [n, f] of extra) registry.register(n, f);
  return new Framework({ registry, profile: { schedulerName: 'default-scheduler', ...profile }, defaultPlugins: DEFAULT_PLUGINS, defaultWeights: DEFAULT_SCORE_WEIGHTS, clock });
}

describe('profiles', () => {
  it('enables the default plugins at every point they implement, with upstream weights', () => {
    const f = framework();
    expect(f.filterPlugins.map((p) => p.name)).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeBinding', 'PodTopologySpread', 'InterPodAffinity']);
    expect(f.postFilterPlugins.map((p) => p.name)).toEqual(['DefaultPreemption']);
    expect(f.scorePlugins.map((p) => p.name)).toEqual(['TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity', 'NodeResourcesBalancedAllocation', 'ImageLocality']);
    expect(f.reservePlugins.map((p) => p.name)).toEqual(['VolumeBinding']);
    expect(f.preBindPlugins.map((p) => p.name)).toEqual(['VolumeBinding']);
    expect(Object.fromEntries(f.weights)).toEqual({ TaintToleration: 3, NodeAffinity: 2, NodeResourcesFit: 1, PodTopologySpread: 2, InterPodAffinity: 2, NodeResourcesBalancedAllocation: 1, ImageLocality: 1 });
    expect(f.queueSortPlugin.name).toBe('PrioritySort');
    expect(f.bindPlugins.map((p) => p.name)).toEqual(['DefaultBinder']);
  });

  it.each([
    ['disabling a plugin at one point keeps it elsewhere', { score: { disabled: [{ name: 'TaintToleration' }] } }, 'TaintToleration', true, false],
    ['disabling at multiPoint removes it everywhere', { multiPoint: { disabled: [{ name: 'TaintToleration' }] } }, 'TaintToleration', false, false],
    ['"*" disables every default at a point', { score: { disabled: [{ name: '*' }] } }, 'NodeAffinity', true, false],
  ])('%s', (_n, plugins, name, inFilter, inScore) => {
    const f = framework({ plugins });
    expect(f.filterPlugins.some((p) => p.name === name)).toBe(inFilter);
    expect(f.scorePlugins.some((p) => p.name === name)).toBe(inScore);
  });

  it('lets a profile reweight a default score plugin', () => {
    expect(framework({ plugins: { score: { enabled: [{ name: 'ImageLocality', weight: 7 }] } } }).weights.get('ImageLocality')).toBe(7);
  });

  it('passes args to the factory', () => {
    const f = framework({ pluginConfig: { NodeResourcesFit: { scoringStrategy: { type: 'MostAllocated' } } } });
    expect(f.plugin('NodeResourcesFit')).toBeDefined();
    expect(() => framework({ pluginConfig: { Unknown: {} } })).toThrow(/unknown plugin "Unknown"/);
  });
});

describe('Permit', () => {
  class Gate implements PermitPlugin {
    readonly name = 'Gate';
    permit() {
      return { status: Status.wait(), timeoutMs: 10_000 };
    }
  }

  it.each([
    ['allowed by the waiting plugin', (f: Framework, uid: string) => f.getWaitingPod(uid)!.allow('Gate'), 'Success'],
    ['rejected by a plugin', (f: Framework, uid: string) => f.getWaitingPod(uid)!.reject('Gate', 'no quota'), 'Unschedulable'],
  ])('a waiting pod is %s', async (_n, act, code) => {
    const f = framework({ plugins: { permit: { enabled: [{ name: 'Gate' }] } } }, [['Gate', () => new Gate()]]);
    const p = pod('p');
    expect(f.runPermitPlugins(new CycleState(), p, 'n1').isWait()).toBe(true);
    expect(f.getWaitingPod('uid-p')!.pendingPlugins()).toEqual(['Gate']);
    const done = f.waitOnPermit(p);
    act(f, 'uid-p');
    expect((await done).code).toBe(code);
    expect(f.getWaitingPod('uid-p')).toBeUndefined();
  });

  it('rejects a waiting pod when its timeout passes on the clock', async () => {
    const clock = new FakeClock();
    const f = framework({ plugins: { permit: { enabled: [{ name: 'Gate' }] } } }, [['Gate', () => new Gate()]], clock);
    const p = pod('p');
    f.runPermitPlugins(new CycleState(), p, 'n1');
    const done = f.waitOnPermit(p);
    await clock.advance(10_000);
    const s = await done;
    expect(s.code).toBe('Unschedulable');
    expect(s.message()).toBe('rejected due to timeout after waiting 10s at plugin Gate');
  });
});

describe('running points', () => {
  it('stops Filter at the first rejecting plugin and names it', () => {
    const f = framework();
    const s = new CycleState();
    const p = pod('p', { nodeName: 'other', cpu: '100' });
    f.runPreFilterPlugins(s, p, []);
    const st = f.runFilterPlugins(s, p, new NodeInfo(node('n1')));
    expect(st.plugin).toBe('NodeName');
  });

  it('turns a throwing plugin into an Error status', () => {
    const f = framework({ plugins: { filter: { enabled: [{ name: 'Boom' }] } } }, [['Boom', () => ({ name: 'Boom', filter: () => { throw new Error('kaput'); } })]]);
    const st = f.runFilterPlugins(new CycleState(), pod('p'), new NodeInfo(node('n1')));
    expect(st.code).toBe('Error');
    expect(st.message()).toBe('running "Boom" filter plugin: kaput');
    expect(st.plugin).toBe('Boom');
  });
});
