import { rfc3339, type Pod, type core } from '@bosun/api';
import type { ContainerStatus } from '@bosun/cri';

/** One runtime container of a pod, as the last observation saw it. */
export interface ObservedContainer {
  status: ContainerStatus;
  sandboxId: string;
  /** From the `io.kubernetes.container.restartCount` annotation the agent wrote. */
  restartCount: number;
}

/** What the runtime holds for one pod. */
export interface PodObservation {
  /** The newest sandbox, if any. */
  sandbox?: { id: string; ready: boolean; ip: string; attempt: number };
  /** Containers by name, newest first, across every sandbox of the pod. */
  containers: Map<string, ObservedContainer[]>;
}

/** A waiting reason the pod worker decided on (CrashLoopBackOff, ErrImagePull, …). */
export interface WaitingReason {
  reason: string;
  message?: string;
}

/** Inputs of {@link computePodStatus}. */
export interface PodStatusInput {
  pod: Pod;
  observation: PodObservation;
  waiting: ReadonlyMap<string, WaitingReason>;
  /** Probe results by runtime container id. */
  probes: { isReady(containerId: string, hasProbe: boolean): boolean; isStarted(containerId: string, hasProbe: boolean): boolean };
  hostIP: string;
  runtimeName: string;
  now: number;
}

const nsToTime = (ns: number) => rfc3339(Math.floor(ns / 1e6));

const terminated = (c: ObservedContainer, runtimeName: string): core.ContainerStateTerminated => ({
  exitCode: c.status.exitCode,
  reason: c.status.reason || (c.status.exitCode === 0 ? 'Completed' : 'Error'),
  ...(c.status.message ? { message: c.status.message } : {}),
  ...(c.status.startedAt ? { startedAt: nsToTime(c.status.startedAt) } : {}),
  finishedAt: nsToTime(c.status.finishedAt || c.status.createdAt),
  containerID: `${runtimeName}://${c.status.id}`,
});

const isExited = (c: ObservedContainer | undefined) => c?.status.state === 'CONTAINER_EXITED' || c?.status.state === 'CONTAINER_UNKNOWN';

/** The latest container of `name` in the current sandbox (older sandboxes' containers do not count). */
export function currentContainer(obs: PodObservation, name: string): ObservedContainer | undefined {
  const latest = obs.containers.get(name)?.[0];
  return latest && latest.sandboxId === obs.sandbox?.id ? latest : undefined;
}

function containerStatus(spec: core.Container, init: boolean, initDone: boolean, input: PodStatusInput): core.ContainerStatus {
  const hist = input.observation.containers.get(spec.name) ?? [];
  const [latest, prev] = hist;
  const w = input.waiting.get(spec.name);
  const rt = input.runtimeName;
  const cs: core.ContainerStatus = { name: spec.name, image: spec.image ?? '', imageID: latest?.status.imageRef ?? '', restartCount: latest?.restartCount ?? 0, ready: false, started: false, state: {}, lastState: {} };
  if (latest) cs.containerID = `${rt}://${latest.status.id}`;
  const waiting = (reason: string, message?: string): core.ContainerState => ({ waiting: { reason, ...(message ? { message } : {}) } });
  const previousTerminated = prev && isExited(prev) ? { terminated: terminated(prev, rt) } : {};
  if (!latest) {
    cs.state = w ? waiting(w.reason, w.message) : waiting(init || initDone ? 'ContainerCreating' : 'PodInitializing');
  } else if (latest.status.state === 'CONTAINER_CREATED') {
    cs.state = w ? waiting(w.reason, w.message) : waiting('ContainerCreating');
    cs.lastState = previousTerminated;
  } else if (latest.status.state === 'CONTAINER_RUNNING') {
    cs.state = { running: { startedAt: nsToTime(latest.status.startedAt) } };
    cs.lastState = previousTerminated;
    cs.started = input.probes.isStarted(latest.status.id, !!spec.startupProbe);
    cs.ready = !init && cs.started && input.probes.isReady(latest.status.id, !!spec.readinessProbe);
  } else if (w) {
    cs.state = waiting(w.reason, w.message);
    cs.lastState = { terminated: terminated(latest, rt) };
  } else {
    cs.state = { terminated: terminated(latest, rt) };
    cs.lastState = previousTerminated;
    cs.ready = init && latest.status.exitCode === 0;
  }
  return cs;
}

/**
 * Upstream's `getPhase` for the app containers: Pending while any waits for its first
 * start, Running while any runs (or will be restarted), else Succeeded when all
 * succeeded, Failed otherwise (restartPolicy Never, or OnFailure never fails a pod).
 */
export function podPhase(pod: Pod, initStatuses: core.ContainerStatus[], statuses: core.ContainerStatus[]): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  for (const s of initStatuses) {
    const t = s.state?.terminated;
    if (t && t.exitCode !== 0 && policy === 'Never') return 'Failed';
    if (!t || t.exitCode !== 0) return 'Pending';
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, now: string, old: core.PodCondition[] | undefined, reason?: string, message?: string): core.PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = old?.find((c) => c.type === type);
  return {
    type,
    status,
    lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

const OWN_CONDITIONS = ['PodScheduled', 'PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'];

/**
 * The pod status the agent reports for what the runtime holds: phase, conditions, IPs,
 * start time and container statuses. Pure; fields it does not own (qosClass, other
 * conditions) are kept from the stored status. A terminal phase never goes back.
 */
export function computePodStatus(input: PodStatusInput): core.PodStatus {
  const { pod, observation: obs } = input;
  const old = pod.status ?? {};
  const now = rfc3339(input.now);
  const initSpecs = pod.spec?.initContainers ?? [];
  const initStatuses = initSpecs.map((c) => containerStatus(c, true, false, input));
  const initDone = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const statuses = (pod.spec?.containers ?? []).map((c) => containerStatus(c, false, initDone, input));
  const phase = old.phase === 'Succeeded' || old.phase === 'Failed' ? old.phase : podPhase(pod, initStatuses, statuses);

  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const incompleteInit = initStatuses.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name);
  const readyReason = phase === 'Succeeded' ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = unready.length ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const hostNetwork = !!pod.spec?.hostNetwork;
  const sandboxReady = !!obs.sandbox?.ready;
  const conds: core.PodCondition[] = [
    condition('PodReadyToStartContainers', sandboxReady, now, old.conditions),
    incompleteInit.length
      ? condition('Initialized', false, now, old.conditions, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`)
      : condition('Initialized', true, now, old.conditions, phase === 'Succeeded' && initSpecs.length ? 'PodCompleted' : undefined),
    unready.length ? condition('ContainersReady', false, now, old.conditions, readyReason, readyMessage) : condition('ContainersReady', true, now, old.conditions),
    unready.length ? condition('Ready', false, now, old.conditions, readyReason, readyMessage) : condition('Ready', true, now, old.conditions),
    old.conditions?.find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled', true, now, undefined),
  ];
  const others = (old.conditions ?? []).filter((c) => !OWN_CONDITIONS.includes(c.type));

  const ip = hostNetwork ? input.hostIP : sandboxReady && obs.sandbox?.ip ? obs.sandbox.ip : (old.podIP ?? '');
  const status: core.PodStatus = {
    ...old,
    phase,
    conditions: [...others, ...conds],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: old.startTime ?? now,
    containerStatuses: statuses,
  };
  if (ip) {
    status.podIP = ip;
    status.podIPs = [{ ip }];
  }
  if (initSpecs.length) status.initContainerStatuses = initStatuses;
  return status;
}

/** Structural equality of JSON values, ignoring key order and undefined members. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return (a ?? null) === (b ?? null);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => jsonEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
