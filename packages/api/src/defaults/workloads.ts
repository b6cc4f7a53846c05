import { defaultPodTemplate } from './pod';
import { defaultPersistentVolumeClaim } from './storage';
import { arr, child, isObj, setDefault, setDefaultString } from './util';

/** Default `revisionHistoryLimit` of Deployments, StatefulSets and DaemonSets. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/**
 * Deployment defaults (apps/v1 SetDefaults_Deployment): replicas 1, strategy
 * RollingUpdate with maxUnavailable and maxSurge 25%, revisionHistoryLimit 10,
 * progressDeadlineSeconds 600; the pod template as {@link defaultPodTemplate}. Idempotent.
 */
export function defaultDeployment(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  if (strategy) {
    setDefaultString(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      if (ru) {
        setDefault(ru, 'maxUnavailable', '25%');
        setDefault(ru, 'maxSurge', '25%');
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

/** ReplicaSet defaults: replicas 1 and the pod template. Idempotent. */
export function defaultReplicaSet(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

/**
 * ReplicationController defaults (core/v1 SetDefaults_ReplicationController): an empty
 * selector and empty metadata.labels both default to the template's labels, replicas
 * 1, and the pod template. Idempotent.
 */
export function defaultReplicationController(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  const tpl = spec.template;
  const labels = isObj(tpl) && isObj(tpl.metadata) && isObj(tpl.metadata.labels) ? tpl.metadata.labels : undefined;
  if (labels) {
    if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = child(obj, 'metadata');
    if (meta && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(tpl);
}

/**
 * StatefulSet defaults (apps/v1 SetDefaults_StatefulSet): podManagementPolicy
 * OrderedReady, updateStrategy RollingUpdate with partition 0,
 * persistentVolumeClaimRetentionPolicy Retain/Retain, replicas 1, revisionHistoryLimit
 * 10, the pod template, and every volumeClaimTemplate as a PersistentVolumeClaim
 * (volumeMode Filesystem, status.phase Pending, as upstream shows them). Idempotent.
 */
export function defaultStatefulSet(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefaultString(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  if (strategy) {
    if (!strategy.type) {
      strategy.type = 'RollingUpdate';
      setDefault(strategy, 'rollingUpdate', { partition: 0 });
    }
    if (strategy.type === 'RollingUpdate' && isObj(strategy.rollingUpdate)) setDefault(strategy.rollingUpdate, 'partition', 0);
  }
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  if (retention) {
    setDefaultString(retention, 'whenDeleted', 'Retain');
    setDefaultString(retention, 'whenScaled', 'Retain');
  }
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
  defaultPodTemplate(spec.template);
  for (const pvc of arr(spec.volumeClaimTemplates)) defaultPersistentVolumeClaim(pvc);
}

/**
 * DaemonSet defaults (apps/v1 SetDefaults_DaemonSet): updateStrategy RollingUpdate with
 * maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10, the pod template. Idempotent.
 */
export function defaultDaemonSet(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  const strategy = child(spec, 'updateStrategy');
  if (strategy) {
    setDefaultString(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      if (ru) {
        setDefault(ru, 'maxUnavailable', 1);
        setDefault(ru, 'maxSurge', 0);
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
  defaultPodTemplate(spec.template);
}
