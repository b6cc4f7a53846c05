import { defaultImagePullPolicy } from './image';
import { arr, child, isObj, isZero, setDefault, setDefaultString, unset, unsetString } from './util';
import { POD_VOLUME_SOURCES } from './volume-sources';

/** Options for {@link defaultPodSpec} and {@link defaultPodTemplate}. */
export interface PodSpecDefaultOptions {
  /**
   * Whether an empty `restartPolicy` becomes `Always` (true by default). Job and CronJob
   * templates pass false: their restart policy has no default and must be chosen
   * (`OnFailure` or `Never`), so validation can say so instead of rejecting `Always`.
   */
  restartPolicy?: boolean;
}

/** Default file mode of secret, configMap, downwardAPI and projected volume files: 0644. */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;
/** Default `terminationGracePeriodSeconds` of a pod. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/** The scheduler a pod names when it names none. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/**
 * Fills in a pod spec's defaults in place, as upstream's SetDefaults_PodSpec and the
 * defaulters of everything nested in it (containers, ports, probes, env, volumes) do:
 * dnsPolicy ClusterFirst, restartPolicy Always, securityContext {},
 * terminationGracePeriodSeconds 30, schedulerName default-scheduler; per container the
 * image pull policy, termination message path and policy, port protocols, probe
 * timings and HTTP paths; per volume emptyDir when no source is set and file modes 0644.
 * Used for pods and for every pod template (Deployment, Job, …). Idempotent; ignores
 * anything that is not an object.
 */
export function defaultPodSpec(spec: unknown, opts: PodSpecDefaultOptions = {}): void {
  if (!isObj(spec)) return;
  // Named reads and writes rather than setDefault(obj, key): every pod write runs these.
  if (unsetString(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (opts.restartPolicy !== false && unsetString(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (unset(spec.securityContext)) spec.securityContext = {};
  if (unset(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  if (unsetString(spec.schedulerName)) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  for (const c of arr(spec.containers)) defaultContainer(c);
  for (const c of arr(spec.initContainers)) defaultContainer(c);
  for (const c of arr(spec.ephemeralContainers)) defaultContainer(c);
  for (const v of arr(spec.volumes)) defaultVolume(v);
}

/**
 * Fills in a pod template's defaults in place: its `spec` (created when absent) gets
 * {@link defaultPodSpec}. Template-only: the pod-level defaults of {@link defaultPod}
 * (requests from limits, enableServiceLinks, priority) are left to the pods created from
 * it, as upstream does. Idempotent.
 */
export function defaultPodTemplate(tpl: unknown, opts: PodSpecDefaultOptions = {}): void {
  if (!isObj(tpl)) return;
  const spec = child(tpl, 'spec');
  if (spec) defaultPodSpec(spec, opts);
}

/**
 * Fills in a Pod's defaults in place: {@link defaultPodSpec}, then what upstream does
 * for pods only: requests default to limits for every resource with a limit and no
 * request, enableServiceLinks true, host ports default to container ports with
 * hostNetwork, priority 0 and preemptionPolicy PreemptLowerPriority when no
 * priorityClassName names them (otherwise priority admission decides), and
 * status.phase Pending. Idempotent.
 */
export function defaultPod(pod: unknown): void {
  if (!isObj(pod)) return;
  const spec = child(pod, 'spec');
  if (spec) {
    defaultPodSpec(spec);
    for (const c of arr(spec.containers)) if (isObj(c)) defaultRequestsFromLimits(c);
    for (const c of arr(spec.initContainers)) if (isObj(c)) defaultRequestsFromLimits(c);
    if (unset(spec.enableServiceLinks)) spec.enableServiceLinks = true;
    if (spec.hostNetwork === true) {
      const all = [...arr(spec.containers), ...arr(spec.initContainers)].filter(isObj);
      for (const c of all) {
        for (const p of arr(c.ports)) if (isObj(p) && isZero(p.hostPort) && typeof p.containerPort === 'number') p.hostPort = p.containerPort;
      }
    }
    if (!spec.priorityClassName) {
      if (unset(spec.priority)) spec.priority = 0;
      if (unsetString(spec.preemptionPolicy)) spec.preemptionPolicy = 'PreemptLowerPriority';
    }
  }
  const status = child(pod, 'status');
  if (status && unsetString(status.phase)) status.phase = 'Pending';
}

function defaultRequestsFromLimits(c: Record<string, any>): void {
  const resources = c.resources;
  if (!isObj(resources) || !isObj(resources.limits)) return;
  const requests = child(resources, 'requests');
  if (!requests) return;
  const limits = resources.limits;
  for (const k of Object.keys(limits)) if (requests[k] === undefined && limits[k] !== undefined) requests[k] = limits[k];
}

/**
 * Fills in a container's defaults in place: imagePullPolicy from the image tag
 * ({@link defaultImagePullPolicy}), terminationMessagePath `/dev/termination-log`,
 * terminationMessagePolicy `File`, port protocol TCP, probe and lifecycle handler
 * defaults, and `apiVersion: v1` on env field references. Idempotent.
 */
export function defaultContainer(c: unknown): void {
  if (!isObj(c)) return;
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultImagePullPolicy(typeof c.image === 'string' ? c.image : '');
  if (unsetString(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (unsetString(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  for (const p of arr(c.ports)) if (isObj(p) && unsetString(p.protocol)) p.protocol = 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObj(c.lifecycle)) {
    if (isObj(c.lifecycle.postStart)) defaultHttpGet(c.lifecycle.postStart.httpGet);
    if (isObj(c.lifecycle.preStop)) defaultHttpGet(c.lifecycle.preStop.httpGet);
  }
  for (const e of arr(c.env)) if (isObj(e) && isObj(e.valueFrom)) defaultFieldRef(e.valueFrom.fieldRef);
}

/** Probe defaults: timeoutSeconds 1, periodSeconds 10, successThreshold 1, failureThreshold 3, HTTP path `/` and scheme HTTP. */
export function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  if (isZero(probe.timeoutSeconds)) probe.timeoutSeconds = 1;
  if (isZero(probe.periodSeconds)) probe.periodSeconds = 10;
  if (isZero(probe.successThreshold)) probe.successThreshold = 1;
  if (isZero(probe.failureThreshold)) probe.failureThreshold = 3;
  defaultHttpGet(probe.httpGet);
}

function defaultHttpGet(h: unknown): void {
  if (!isObj(h)) return;
  if (unsetString(h.path)) h.path = '/';
  if (unsetString(h.scheme)) h.scheme = 'HTTP';
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref) && unsetString(ref.apiVersion)) ref.apiVersion = 'v1';
}

/**
 * Fills in a pod volume's defaults in place: `emptyDir: {}` when no source is set; file
 * mode 0644 on secret, configMap, downwardAPI and projected volumes; hostPath type `''`;
 * token expiry 3600s on projected service account tokens; the legacy in-tree sources'
 * defaults (iSCSI, RBD, Azure Disk, ScaleIO). Idempotent.
 */
export function defaultVolume(v: unknown): void {
  if (!isObj(v)) return;
  if (!hasVolumeSource(v)) v.emptyDir = {};
  if (isObj(v.secret)) setDefault(v.secret, 'defaultMode', DEFAULT_VOLUME_FILE_MODE);
  if (isObj(v.configMap)) setDefault(v.configMap, 'defaultMode', DEFAULT_VOLUME_FILE_MODE);
  if (isObj(v.downwardAPI)) setDefault(v.downwardAPI, 'defaultMode', DEFAULT_VOLUME_FILE_MODE);
  if (isObj(v.projected)) setDefault(v.projected, 'defaultMode', DEFAULT_VOLUME_FILE_MODE);
  if (isObj(v.downwardAPI)) for (const item of arr(v.downwardAPI.items)) if (isObj(item)) defaultFieldRef(item.fieldRef);
  if (isObj(v.projected)) {
    for (const src of arr(v.projected.sources)) {
      if (!isObj(src)) continue;
      if (isObj(src.serviceAccountToken)) setDefault(src.serviceAccountToken, 'expirationSeconds', 3600);
      if (isObj(src.downwardAPI)) for (const item of arr(src.downwardAPI.items)) if (isObj(item)) defaultFieldRef(item.fieldRef);
    }
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate) && isObj(v.ephemeral.volumeClaimTemplate.spec)) {
    setDefault(v.ephemeral.volumeClaimTemplate.spec, 'volumeMode', 'Filesystem');
  }
  defaultVolumeSourceFields(v);
}

const VOLUME_SOURCES = new Set(POD_VOLUME_SOURCES);

/** Whether a volume names a source (a non-null value at one of {@link POD_VOLUME_SOURCES}). */
function hasVolumeSource(v: Record<string, any>): boolean {
  // A volume has a few keys: look through them rather than probing ~30 source names.
  for (const k in v) if (VOLUME_SOURCES.has(k) && v[k] !== undefined && v[k] !== null) return true;
  return POD_VOLUME_SOURCES.some((k) => v[k] !== undefined && v[k] !== null);
}

/** The in-tree source defaults shared by pod volumes and PersistentVolume specs. */
export function defaultVolumeSourceFields(src: Record<string, any>): void {
  if (isObj(src.hostPath)) setDefault(src.hostPath, 'type', '');
  if (isObj(src.iscsi)) setDefaultString(src.iscsi, 'iscsiInterface', 'default');
  if (isObj(src.rbd)) {
    setDefaultString(src.rbd, 'pool', 'rbd');
    setDefaultString(src.rbd, 'user', 'admin');
    setDefaultString(src.rbd, 'keyring', '/etc/ceph/keyring');
  }
  if (isObj(src.azureDisk)) {
    setDefault(src.azureDisk, 'cachingMode', 'ReadWrite');
    setDefault(src.azureDisk, 'kind', 'Shared');
    setDefault(src.azureDisk, 'fsType', 'ext4');
    setDefault(src.azureDisk, 'readOnly', false);
  }
  if (isObj(src.scaleIO)) {
    setDefaultString(src.scaleIO, 'storageMode', 'ThinProvisioned');
    setDefaultString(src.scaleIO, 'fsType', 'xfs');
  }
}
