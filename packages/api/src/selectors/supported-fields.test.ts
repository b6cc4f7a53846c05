import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors';
import { parseFieldSelector } from './field-selector';
import { fieldsSupportedBy, validateFieldSelector } from './supported-fields';

describe('validateFieldSelector', () => {
  it.each([
    ['Pod', 'spec.nodeName=node-1,status.phase!=Failed'],
    ['Pod', 'metadata.name=a,metadata.namespace=b'],
    ['Event', 'involvedObject.name=web,reason=Scheduled,type=Normal,source=kubelet,reportingComponent=x'],
    ['Secret', 'type=kubernetes.io/service-account-token'],
    ['Namespace', 'status.phase=Active'],
    ['Node', 'spec.unschedulable=false,metadata.name=n1'],
    ['Job', 'status.successful=1'],
    ['ReplicaSet', 'status.replicas=0'],
    ['ReplicationController', 'status.replicas=0'],
    ['Deployment', 'metadata.name=web'],
    ['Widget', 'metadata.namespace=default'],
    ['Deployment', ''],
  ])('accepts, for a %s, %j', (kind, text) => {
    expect(() => validateFieldSelector(kind, parseFieldSelector(text))).not.toThrow();
    expect(() => validateFieldSelector(kind, text)).not.toThrow();
  });

  it.each([
    ['Deployment', 'spec.replicas=3', 'spec.replicas'],
    ['Pod', 'metadata.name=a,spec.hostname=x', 'spec.hostname'],
    ['Node', 'metadata.namespace=default', 'metadata.namespace'],
    ['Secret', 'status.phase=x', 'status.phase'],
    ['Pod', 'metadata.name =a', 'metadata.name '],
  ])('refuses, for a %s, %j', (kind, text, field) => {
    let err: unknown;
    try {
      validateFieldSelector(kind, text);
    } catch (e) {
      err = e;
    }
    expect(isApiError(err) && err.reason).toBe('BadRequest');
    expect((err as Error).message).toBe(`field label not supported: ${field}`);
  });

  it.each([
    ['Pod', 'spec.nodeName'],
    ['Widget', 'metadata.name'],
  ])('lists what a %s supports, including %s', (kind, field) => {
    expect(fieldsSupportedBy(kind)).toContain(field);
  });
});
