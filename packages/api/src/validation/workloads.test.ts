import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';
import { STATEFULSET_SPEC_FORBIDDEN } from './workloads';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const DEPLOY = 'apps/v1/Deployment';
const RS = 'apps/v1/ReplicaSet';
const RC = 'v1/ReplicationController';
const STS = 'apps/v1/StatefulSet';
const DS = 'apps/v1/DaemonSet';
const CR = 'apps/v1/ControllerRevision';

describe('workload validation', () => {
  it.each<[string, string, (o: any) => void, string, string]>([
    ['a Deployment needs a selector', DEPLOY, (o) => delete o.spec.selector, 'spec.selector', 'Required value'],
    ['a Deployment selector is not empty', DEPLOY, (o) => (o.spec.selector = {}), 'spec.selector', 'Invalid value: {}: empty selector is invalid for deployment'],
    [
      'a Deployment selector matches the template labels',
      DEPLOY,
      (o) => (o.spec.selector.matchLabels = { app: 'other' }),
      'spec.template.metadata.labels',
      'Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ],
    [
      'a Deployment selector expression matches the template labels',
      DEPLOY,
      (o) => (o.spec.selector = { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }),
      'spec.template.metadata.labels',
      'Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ],
    [
      'a Deployment selector operator is known',
      DEPLOY,
      (o) => (o.spec.selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'app', operator: 'Matches', values: ['web'] }] }),
      'spec.selector.matchExpressions[0].operator',
      'Invalid value: "Matches": not a valid selector operator',
    ],
    ['Deployment replicas are not negative', DEPLOY, (o) => (o.spec.replicas = -1), 'spec.replicas', 'Invalid value: -1: must be greater than or equal to 0'],
    ['Deployment replicas are integers', DEPLOY, (o) => (o.spec.replicas = '3'), 'spec.replicas', 'Invalid value: "3": must be an integer'],
    [
      'a Deployment template restarts Always',
      DEPLOY,
      (o) => (o.spec.template.spec.restartPolicy = 'Never'),
      'spec.template.spec.restartPolicy',
      'Unsupported value: "Never": supported values: "Always"',
    ],
    ['a Deployment template is required', DEPLOY, (o) => delete o.spec.template, 'spec.template', 'Required value'],
    ['a Deployment template has containers', DEPLOY, (o) => (o.spec.template.spec.containers = []), 'spec.template.spec.containers', 'Required value'],
    [
      'a Deployment template has no activeDeadlineSeconds',
      DEPLOY,
      (o) => (o.spec.template.spec.activeDeadlineSeconds = 10),
      'spec.template.spec.activeDeadlineSeconds',
      'Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    ],
    [
      'maxUnavailable and maxSurge are not both 0',
      DEPLOY,
      (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }),
      'spec.strategy.rollingUpdate.maxUnavailable',
      'Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ],
    [
      'maxSurge is an integer or a percentage',
      DEPLOY,
      (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } }),
      'spec.strategy.rollingUpdate.maxSurge',
      "Invalid value: \"lots\": a valid percent string must be a numeric string followed by an ending '%'",
    ],
    [
      'maxUnavailable is at most 100%',
      DEPLOY,
      (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '120%' } }),
      'spec.strategy.rollingUpdate.maxUnavailable',
      'Invalid value: "120%": must not be greater than 100%',
    ],
    [
      'Recreate has no rollingUpdate',
      DEPLOY,
      (o) => (o.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }),
      'spec.strategy.rollingUpdate',
      "Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ],
    ['the strategy type is supported', DEPLOY, (o) => (o.spec.strategy = { type: 'BlueGreen' }), 'spec.strategy.type', 'Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"'],
    ['revisionHistoryLimit is not negative', DEPLOY, (o) => (o.spec.revisionHistoryLimit = -1), 'spec.revisionHistoryLimit', 'Invalid value: -1: must be greater than or equal to 0'],
    [
      'progressDeadlineSeconds exceeds minReadySeconds',
      DEPLOY,
      (o) => Object.assign(o.spec, { minReadySeconds: 30, progressDeadlineSeconds: 30 }),
      'spec.progressDeadlineSeconds',
      'Invalid value: 30: must be greater than minReadySeconds',
    ],
    ['a ReplicaSet needs a selector', RS, (o) => delete o.spec.selector, 'spec.selector', 'Required value'],
    ['a ReplicaSet selector matches the template', RS, (o) => (o.spec.selector.matchLabels.tier = 'fe'), 'spec.template.metadata.labels', 'Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
    ['a ReplicaSet template restarts Always', RS, (o) => (o.spec.template.spec.restartPolicy = 'OnFailure'), 'spec.template.spec.restartPolicy', 'Unsupported value: "OnFailure": supported values: "Always"'],
    ['a ReplicationController selector matches the template', RC, (o) => (o.spec.selector = { app: 'kubia' }), 'spec.template.metadata.labels', 'Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
    ['ReplicationController replicas are not negative', RC, (o) => (o.spec.replicas = -2), 'spec.replicas', 'Invalid value: -2: must be greater than or equal to 0'],
    [
      'a ReplicationController template has no activeDeadlineSeconds',
      RC,
      (o) => (o.spec.template.spec.activeDeadlineSeconds = 5),
      'spec.template.spec.activeDeadlineSeconds',
      'Forbidden: activeDeadlineSeconds in ReplicationController is not Supported',
    ],
    ['a StatefulSet selector is not empty', STS, (o) => (o.spec.selector = {}), 'spec.selector', 'Invalid value: {}: empty selector is invalid for statefulset'],
    ['a StatefulSet podManagementPolicy is supported', STS, (o) => (o.spec.podManagementPolicy = 'Random'), 'spec.podManagementPolicy', "Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"],
    ['a StatefulSet partition is not negative', STS, (o) => (o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: -1 } }), 'spec.updateStrategy.rollingUpdate.partition', 'Invalid value: -1: must be greater than or equal to 0'],
    [
      'OnDelete StatefulSets have no rollingUpdate',
      STS,
      (o) => (o.spec.updateStrategy = { type: 'OnDelete', rollingUpdate: { partition: 1 } }),
      'spec.updateStrategy.rollingUpdate',
      "Invalid value: {\"partition\":1}: only allowed for updateStrategy 'RollingUpdate'",
    ],
    [
      'a StatefulSet retention policy is Retain or Delete',
      STS,
      (o) => (o.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Keep' }),
      'spec.persistentVolumeClaimRetentionPolicy.whenDeleted',
      'Unsupported value: "Keep": supported values: "Retain", "Delete"',
    ],
    ['a StatefulSet template restarts Always', STS, (o) => (o.spec.template.spec.restartPolicy = 'Never'), 'spec.template.spec.restartPolicy', 'Unsupported value: "Never": supported values: "Always"'],
    [
      'volumeClaimTemplates are valid claims',
      STS,
      (o) => (o.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } }]),
      'spec.volumeClaimTemplates[0].spec.accessModes',
      'Required value: at least 1 access mode is required',
    ],
    ['volumeClaimTemplates have names', STS, (o) => (o.spec.volumeClaimTemplates = [{ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }]), 'spec.volumeClaimTemplates[0].metadata.name', 'Required value'],
    ['a StatefulSet template mounts existing volumes', STS, (o) => (o.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }]), 'spec.template.spec.containers[0].volumeMounts[0].name', 'Not found: "data"'],
    ['a DaemonSet needs a selector', DS, (o) => delete o.spec.selector, 'spec.selector', 'Required value'],
    ['a DaemonSet selector is not empty', DS, (o) => (o.spec.selector = {}), 'spec.selector', 'Invalid value: {}: empty selector is invalid for daemonset'],
    ['a DaemonSet template restarts Always', DS, (o) => (o.spec.template.spec.restartPolicy = 'Never'), 'spec.template.spec.restartPolicy', 'Unsupported value: "Never": supported values: "Always"'],
    [
      'a DaemonSet template has no activeDeadlineSeconds',
      DS,
      (o) => (o.spec.template.spec.activeDeadlineSeconds = 5),
      'spec.template.spec.activeDeadlineSeconds',
      'Invalid value: 5: activeDeadlineSeconds must be nil for DaemonSets',
    ],
    [
      'a DaemonSet surges or tolerates unavailability, not both',
      DS,
      (o) => (o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } }),
      'spec.updateStrategy.rollingUpdate.maxSurge',
      'Invalid value: 1: may not be set when maxUnavailable is non-zero',
    ],
    [
      'a DaemonSet cannot have both at zero',
      DS,
      (o) => (o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }),
      'spec.updateStrategy.rollingUpdate.maxUnavailable',
      'Required value: cannot be 0 when maxSurge is 0',
    ],
    ['a ControllerRevision needs data', CR, (o) => delete o.data, 'data', 'Required value: data is mandatory'],
    ['a ControllerRevision revision is not negative', CR, (o) => (o.revision = -1), 'revision', 'Invalid value: -1: must be greater than or equal to 0'],
  ])('%s', (_, key, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, string, (o: any) => void]>([
    ['a Deployment with a Recreate strategy', DEPLOY, (o) => (o.spec.strategy = { type: 'Recreate' })],
    ['a Deployment with zero replicas', DEPLOY, (o) => (o.spec.replicas = 0)],
    ['a Deployment with extra template labels', DEPLOY, (o) => (o.spec.template.metadata.labels.tier = 'fe')],
    ['a Deployment with integer surge', DEPLOY, (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })],
    ['a ReplicaSet with matchExpressions', RS, (o) => (o.spec.selector.matchExpressions = [{ key: 'env', operator: 'DoesNotExist' }])],
    ['a StatefulSet mounting its claim template', STS, (o) => {
      o.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } } }];
      o.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/storagedir' }];
    }],
    ['a DaemonSet with OnDelete', DS, (o) => (o.spec.updateStrategy = { type: 'OnDelete' })],
    ['a DaemonSet with surge instead of unavailability', DS, (o) => (o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } })],
    ['a ReplicationController without a selector (defaulted from the template)', RC, (o) => delete o.spec.selector],
  ])('accepts %s', (_, key, change) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toEqual([]);
  });
});

describe('workload updates', () => {
  it.each<[string, string, (o: any) => void, string, string]>([
    ['a Deployment selector is immutable', DEPLOY, (o) => (o.spec.selector.matchLabels.tier = 'fe'), 'spec.selector', 'Invalid value: {"matchLabels":{"app":"web","tier":"fe"}}: field is immutable'],
    ['a ReplicaSet selector is immutable', RS, (o) => (o.spec.selector = { matchLabels: { app: 'web', v: '2' } }), 'spec.selector', 'Invalid value: '],
    ['a DaemonSet selector is immutable', DS, (o) => (o.spec.selector = { matchLabels: { app: 'web', v: '2' } }), 'spec.selector', 'Invalid value: '],
    ['a StatefulSet selector is fixed', STS, (o) => (o.spec.selector = { matchLabels: { app: 'web', v: '2' } }), 'spec', `Forbidden: ${STATEFULSET_SPEC_FORBIDDEN}`],
    ['a StatefulSet serviceName is fixed', STS, (o) => (o.spec.serviceName = 'other'), 'spec', 'Forbidden: updates to statefulset spec for fields other than'],
    [
      'StatefulSet volumeClaimTemplates are fixed',
      STS,
      (o) => (o.spec.volumeClaimTemplates = [{ metadata: { name: 'x' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }]),
      'spec',
      'Forbidden: updates to statefulset spec for fields other than',
    ],
    ['ControllerRevision data is immutable', CR, (o) => (o.data = { a: 1 }), 'data', 'Invalid value: {"a":1}: field is immutable'],
  ])('%s', (_, key, change, field, message) => {
    const old = defaultObject(objectWith(key));
    const obj = structuredClone(old);
    change(obj);
    expect(validateObject(defaultObject(obj), old)).toContainEqual(cause(field, message));
  });

  it.each<[string, string, (o: any) => void]>([
    ['a Deployment scale and new image', DEPLOY, (o) => Object.assign(o.spec, { replicas: 7 }) && (o.spec.template.spec.containers[0].image = 'nginx:1.27')],
    ['a StatefulSet scale, template and strategy change', STS, (o) => {
      o.spec.replicas = 5;
      o.spec.template.spec.containers[0].image = 'db:2';
      o.spec.updateStrategy = { type: 'OnDelete' };
      o.spec.minReadySeconds = 10;
      o.spec.revisionHistoryLimit = 3;
    }],
    ['a ReplicationController selector change', RC, (o) => {
      o.spec.selector = { app: 'web', v: '2' };
      o.spec.template.metadata.labels = { app: 'web', v: '2' };
    }],
  ])('allows %s', (_, key, change) => {
    const old = defaultObject(objectWith(key));
    const obj = structuredClone(old);
    change(obj);
    expect(validateObject(defaultObject(obj), old)).toEqual([]);
  });
});
