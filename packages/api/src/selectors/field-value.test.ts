import { describe, expect, it } from 'vitest';
import { fieldValue } from './field-value';

describe('fieldValue', () => {
  it.each([
    ['a plain string', { metadata: { name: 'x' } }, 'metadata.name', 'x'],
    ['a missing field', { metadata: {} }, 'metadata.name', ''],
    ['a missing parent', {}, 'spec.nodeName', ''],
    ['a deep path', { a: { b: { c: { d: 'deep' } } } }, 'a.b.c.d', 'deep'],
    ['a number', { status: { replicas: 3 } }, 'status.replicas', '3'],
    ['a boolean', { spec: { suspend: true } }, 'spec.suspend', 'true'],
    ['an object', { spec: { template: {} } }, 'spec.template', ''],
    ['a top-level field', { type: 'Opaque' }, 'type', 'Opaque'],
    ['null', null, 'metadata.name', ''],
    ['an inherited member', { metadata: {} }, 'metadata.constructor', ''],
    ['a Node without spec.unschedulable as false', { kind: 'Node', spec: {} }, 'spec.unschedulable', 'false'],
    ['a cordoned Node', { kind: 'Node', spec: { unschedulable: true } }, 'spec.unschedulable', 'true'],
    ['a Job status.successful from status.succeeded', { kind: 'Job', status: { succeeded: 2 } }, 'status.successful', '2'],
    ['a new Job status.successful as 0', { kind: 'Job' }, 'status.successful', '0'],
    ['a new ReplicaSet status.replicas as 0', { kind: 'ReplicaSet', status: {} }, 'status.replicas', '0'],
    ['a ReplicationController status.replicas', { kind: 'ReplicationController', status: { replicas: 4 } }, 'status.replicas', '4'],
    ['an Event source from source.component', { kind: 'Event', source: { component: 'kubelet' } }, 'source', 'kubelet'],
    ['an Event reportingComponent from reportingController', { kind: 'Event', reportingController: 'bosun/scheduler' }, 'reportingComponent', 'bosun/scheduler'],
    ['an Event involvedObject field', { kind: 'Event', involvedObject: { kind: 'Pod' } }, 'involvedObject.kind', 'Pod'],
    ['a Pod status.podIP from status.podIPs', { kind: 'Pod', status: { podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.2' }] } }, 'status.podIP', '10.0.0.2'],
    ['a Pod status.podIP without podIPs', { kind: 'Pod', status: { podIP: '10.0.0.1' } }, 'status.podIP', '10.0.0.1'],
    ['a Pod spec.hostNetwork as false', { kind: 'Pod', spec: {} }, 'spec.hostNetwork', 'false'],
    ['a special field of another kind, read plainly', { kind: 'Widget', status: { successful: 'yes' } }, 'status.successful', 'yes'],
  ])('reads %s', (_name, obj, field, value) => {
    expect(fieldValue(obj, field)).toBe(value);
  });
});
