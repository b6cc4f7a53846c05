import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const NS = 'v1/Namespace';
const NODE = 'v1/Node';
const EVENT = 'v1/Event';
const LEASE = 'coordination.k8s.io/v1/Lease';
const PC = 'scheduling.k8s.io/v1/PriorityClass';
const PDB = 'policy/v1/PodDisruptionBudget';
const SA = 'v1/ServiceAccount';

describe('cluster kinds validation', () => {
  it.each<[string, string, (o: any) => void, string, string]>([
    ['a Namespace name is a DNS label', NS, (o) => (o.metadata.name = 'team.a'), 'metadata.name', 'Invalid value: "team.a": a lowercase RFC 1123 label'],
    [
      'Namespace finalizers are standard or qualified',
      NS,
      (o) => (o.spec = { finalizers: ['cleanup'] }),
      'spec.finalizers',
      'Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ],
    ['a taint effect is required', NODE, (o) => (o.spec = { taints: [{ key: 'dedicated', value: 'gpu' }] }), 'spec.taints[0].effect', 'Required value'],
    ['a taint effect is supported', NODE, (o) => (o.spec = { taints: [{ key: 'k', effect: 'NoRun' }] }), 'spec.taints[0].effect', 'Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
    ['a taint key is a label name', NODE, (o) => (o.spec = { taints: [{ key: 'bad key', effect: 'NoSchedule' }] }), 'spec.taints[0].key', 'Invalid value: "bad key"'],
    [
      'taints are unique by key and effect',
      NODE,
      (o) => (o.spec = { taints: [{ key: 'k', value: 'a', effect: 'NoSchedule' }, { key: 'k', value: 'b', effect: 'NoSchedule' }] }),
      'spec.taints[1]',
      'Duplicate value: {"key":"k","value":"b","effect":"NoSchedule"}: taints must be unique by key and effect pair',
    ],
    ['a podCIDR is a CIDR', NODE, (o) => (o.spec = { podCIDR: '10.244.1.0' }), 'spec.podCIDR', 'Invalid value: "10.244.1.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'],
    ['podCIDRs are CIDRs', NODE, (o) => (o.spec = { podCIDRs: ['10.244.1.0/33'] }), 'spec.podCIDRs[0]', 'Invalid value: "10.244.1.0/33": must be a valid CIDR value'],
    [
      'podCIDRs have one CIDR per family',
      NODE,
      (o) => (o.spec = { podCIDRs: ['10.244.1.0/24', '10.245.1.0/24'] }),
      'spec.podCIDRs',
      'Invalid value: ["10.244.1.0/24","10.245.1.0/24"]: may specify no more than one CIDR for each IP family',
    ],
    ['capacity quantities are well-formed', NODE, (o) => (o.status = { capacity: { cpu: 'four' } }), 'status.capacity.cpu', 'Invalid value: "four": quantities must match'],
    ['an Event names its object kind', EVENT, (o) => delete o.involvedObject.kind, 'involvedObject.kind', 'Required value'],
    ['an Event names its object', EVENT, (o) => delete o.involvedObject.name, 'involvedObject.name', 'Required value'],
    ['an Event has a reason', EVENT, (o) => delete o.reason, 'reason', 'Required value'],
    ['an Event lives with its object', EVENT, (o) => (o.involvedObject.namespace = 'other'), 'involvedObject.namespace', 'Invalid value: "other": does not match event.namespace'],
    ['an Event type is Normal or Warning', EVENT, (o) => (o.type = 'Info'), 'type', 'Invalid value: "": has invalid value: Info'],
    ['a modern Event names its reporter', EVENT, (o) => (o.eventTime = '2026-01-01T00:00:00.000000Z'), 'reportingController', 'Required value'],
    ['a Lease lasts a positive time', LEASE, (o) => (o.spec.leaseDurationSeconds = 0), 'spec.leaseDurationSeconds', 'Invalid value: 0: must be greater than 0'],
    ['Lease transitions are not negative', LEASE, (o) => (o.spec.leaseTransitions = -1), 'spec.leaseTransitions', 'Invalid value: -1: must be greater than or equal to 0'],
    ['Lease times are RFC 3339', LEASE, (o) => (o.spec.renewTime = 'yesterday'), 'spec.renewTime', 'Invalid value: "yesterday": must be an RFC 3339 timestamp'],
    [
      'a user PriorityClass is at most one billion',
      PC,
      (o) => (o.value = 1_000_000_001),
      'value',
      'Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ],
    [
      'system- names are reserved',
      PC,
      (o) => (o.metadata.name = 'system-mine'),
      'metadata.name',
      "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ],
    ['a PriorityClass has a value', PC, (o) => delete o.value, 'value', 'Required value'],
    ['a PriorityClass preemption policy is supported', PC, (o) => (o.preemptionPolicy = 'Always'), 'preemptionPolicy', 'Unsupported value: "Always": supported values: "PreemptLowerPriority", "Never"'],
    ['a PDB sets minAvailable or maxUnavailable, not both', PDB, (o) => (o.spec.maxUnavailable = 1), 'spec', 'Invalid value: '],
    ['a PDB percentage is at most 100%', PDB, (o) => (o.spec.minAvailable = '150%'), 'spec.minAvailable', 'Invalid value: "150%": must not be greater than 100%'],
    ['a PDB count is not negative', PDB, (o) => (o.spec.minAvailable = -1), 'spec.minAvailable', 'Invalid value: -1: must be greater than or equal to 0'],
    ['a PDB selector is valid', PDB, (o) => (o.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In' }] }), 'spec.selector.matchExpressions[0].values', "Required value: must be specified when `operator` is 'In' or 'NotIn'"],
    ['ServiceAccount secret names are subdomains', SA, (o) => (o.secrets = [{ name: 'Bad Name' }]), 'secrets[0].name', 'Invalid value: "Bad Name"'],
  ])('%s', (_, key, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, string, (o: any) => void]>([
    ['the system-node-critical class', PC, (o) => Object.assign(o, { metadata: { name: 'system-node-critical' }, value: 2_000_001_000 })],
    ['a PDB with maxUnavailable as a percentage', PDB, (o) => Object.assign(o.spec, { minAvailable: undefined, maxUnavailable: '25%' })],
    ['a tainted node with a dual-stack pod CIDR', NODE, (o) => (o.spec = { podCIDRs: ['10.244.1.0/24', 'fd00:1::/64'], taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })],
    ['a node event in the default namespace', EVENT, (o) => (o.involvedObject = { kind: 'Node', name: 'node-1' })],
    ['the standard namespace finalizer', NS, (o) => (o.spec = { finalizers: ['kubernetes'] })],
  ])('accepts %s', (_, key, change) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toEqual([]);
  });

  it.each<[string, string, (o: any) => void, (o: any) => void, string, string]>([
    ['a PriorityClass value is fixed', PC, () => {}, (o) => (o.value = 5), 'value', 'Forbidden: may not be changed in an update.'],
    ['a PriorityClass preemption policy is fixed', PC, () => {}, (o) => (o.preemptionPolicy = 'Never'), 'preemptionPolicy', 'Invalid value: "Never": field is immutable'],
    ['a node pod CIDR is set once', NODE, (o) => (o.spec = { podCIDR: '10.244.1.0/24' }), (o) => (o.spec.podCIDR = '10.244.2.0/24'), 'spec.podCIDR', 'Forbidden: node updates may not change podCIDR except from "" to valid'],
    ['a node provider ID is set once', NODE, (o) => (o.spec = { providerID: 'bosun://a' }), (o) => (o.spec.providerID = 'bosun://b'), 'spec.providerID', 'Forbidden: node updates may not change providerID'],
  ])('%s', (_, key, before, change, field, message) => {
    const old = defaultObject(objectWith(key, before));
    const obj = structuredClone(old);
    change(obj);
    expect(validateObject(obj, old)).toContainEqual(cause(field, message));
  });

  it('lets a node get its pod CIDR', () => {
    const old = defaultObject(objectWith(NODE));
    const node = structuredClone(old);
    node.spec = { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] };
    expect(validateObject(node, old)).toEqual([]);
  });
});
