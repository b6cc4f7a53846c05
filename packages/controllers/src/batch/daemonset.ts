// The DaemonSet controller: one pod per eligible node.
import { compileNodeSelector, controllerRef, getControllerOf, isNotFound, toleratesTaint, keyOf, type core, type DaemonSet, type Node, type Pod, type Selector } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { Action, Controller, addOrphanIndex, adopt, isAlreadyOwnedError, release, type CacheListOptions, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { Expectations, asKube, compileSelector, deleteIgnoringNotFound, hashOf, isPodReady, isTerminating, scaledValue, writeStatus } from './util';

type Toleration = core.Toleration;
type Taint = core.Taint;

/** Pod label carrying the hash of the template the pod was made from. */
export const DAEMONSET_REVISION_HASH_LABEL = 'controller-revision-hash';
/** Pod label carrying the DaemonSet generation the pod was made from (deprecated upstream, still set). */
export const DAEMONSET_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** Options of {@link addDaemonSetController}. */
export interface DaemonSetControllerOptions {
  /** Workers. Default 2. */
  concurrency?: number;
  /** Controller name. Default `daemonset-controller`. */
  name?: string;
}

/**
 * The tolerations upstream adds to every daemon pod (`AddOrUpdateDaemonPodTolerations`):
 * not-ready and unreachable NoExecute without tolerationSeconds, disk-pressure,
 * memory-pressure, pid-pressure and unschedulable NoSchedule, and network-unavailable
 * NoSchedule for hostNetwork pods.
 */
export function daemonPodTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}


function mergeTolerations(base: readonly Toleration[], extra: readonly Toleration[]): Toleration[] {
  const out = [...base];
  for (const t of extra) if (!out.some((o) => o.key === t.key && o.effect === t.effect && o.operator === t.operator && (o.value ?? '') === (t.value ?? ''))) out.push(t);
  return out;
}

/** Why a daemon pod should not run on `node`, or undefined when it should. */
export function nodeShouldNotRunReason(pod: Pod, node: Node): string | undefined {
  const spec = pod.spec;
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return `node selector ${k}=${v} does not match`;
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !compileNodeSelector(required).matches(node)) return 'node affinity does not match';
  const tolerations = spec?.tolerations ?? [];
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerations.some((t) => toleratesTaint(t, taint))) return `untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  return undefined;
}

/** The node a daemon pod is for: `spec.nodeName`, else its `matchFields metadata.name In [node]` affinity term. */
export function daemonPodNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/**
 * The pod for `nodeName`: the template with the default daemon tolerations and its
 * required node affinity replaced by `matchFields metadata.name In [node]`, as upstream
 * (`ReplaceDaemonSetPodNodeNameNodeAffinity`). It carries no nodeName: the scheduler
 * binds it.
 */
export function daemonPodForNode(ds: DaemonSet, hash: string, nodeName: string): Pod {
  const tpl = ds.spec?.template ?? {};
  const spec = structuredClone(tpl.spec ?? { containers: [] });
  spec.tolerations = mergeTolerations(spec.tolerations ?? [], daemonPodTolerations(spec.hostNetwork === true));
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] },
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata?.name ?? ''}-`,
      namespace: ds.metadata?.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}), [DAEMONSET_REVISION_HASH_LABEL]: hash, [DAEMONSET_TEMPLATE_GENERATION_LABEL]: String(ds.metadata?.generation ?? 1) },
      annotations: tpl.metadata?.annotations,
      ownerReferences: [controllerRef(asKube(ds), { blockOwnerDeletion: true })],
    },
    spec,
  };
}

/**
 * The DaemonSet's pods, claimed as upstream's `ClaimPods`: pods it controls that match
 * its selector; matching orphans are adopted (a DaemonSet recreated after
 * `--cascade=orphan` takes its pods back instead of doubling them); pods it controls
 * that stop matching are released. A DaemonSet being deleted only reads.
 */
async function claimDaemonPods(client: Client, ds: DaemonSet, selector: Selector | undefined, podCache: { list(opts: CacheListOptions): Pod[] }, signal: AbortSignal): Promise<Pod[]> {
  const ns = ds.metadata?.namespace ?? '';
  const deleting = !!ds.metadata?.deletionTimestamp;
  const out: Pod[] = [];
  for (const p of podCache.list({ namespace: ns, controlledBy: asKube(ds) })) {
    if (selector?.matches(p.metadata?.labels)) out.push(p);
    else if (!deleting) await release(client, asKube(ds), p, { signal });
  }
  if (deleting || !selector) return out;
  for (const p of podCache.list({ namespace: ns, orphan: true, labelSelector: selector })) {
    if (isTerminating(p)) continue;
    try {
      const adopted = await adopt(client, asKube(ds), p, { signal });
      if (adopted) out.push(adopted);
    } catch (e) {
      if (!isAlreadyOwnedError(e) && !isNotFound(e)) throw e;
    }
  }
  return out;
}

/**
 * Creates the DaemonSet reconcile: for each node, whether a daemon pod should run there
 * (nodeSelector, required node affinity, NoSchedule/NoExecute taints against the
 * template's tolerations plus the default daemon tolerations); creates missing pods,
 * deletes pods on nodes that should not run them (or that are gone), extra pods and
 * failed pods; rolls updates within maxUnavailable; writes the status.
 */
export function createDaemonSetReconcile(): Reconcile<DaemonSet> {
  const expectations = new Expectations();
  return async (ds, ctx, signal) => {
    const { client, clock, recorder, informers } = ctx;
    const now = clock.now();
    const key = keyOf(ds);
    const ns = ds.metadata?.namespace ?? '';
    const podCache = informers.forKind('v1', 'Pod').cache;
    const nodes = informers.forKind('v1', 'Node').cache.list();
    // Being deleted (the collector takes or orphans the pods): create, delete and write
    // nothing, as upstream; a set recreated under the same name takes over.
    if (ds.metadata?.deletionTimestamp) {
      expectations.forget(key);
      return Action.awaitChange();
    }
    if (!expectations.satisfied(key, (n) => podCache.get(`${ns}/${n}`), now)) return Action.awaitChange();

    const hash = hashOf(ds.spec?.template ?? {});
    const selector = compileSelector(ds.spec?.selector);
    const byNode = new Map<string, Pod[]>();
    const orphans: Pod[] = [];
    for (const p of await claimDaemonPods(client, ds, selector, podCache, signal)) {
      if (isTerminating(p)) continue;
      const n = daemonPodNode(p);
      if (!n) orphans.push(p);
      else byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    // Eligibility is judged on the pod as it would be created (default tolerations included).
    const probe = daemonPodForNode(ds, hash, '');
    const probeSpec = { ...probe, spec: { ...probe.spec, affinity: ds.spec?.template?.spec?.affinity } } as Pod;

    const toCreate: string[] = [];
    const toDelete: Pod[] = [...orphans];
    const desired: string[] = [];
    let misscheduled = 0;
    const nodeNames = new Set(nodes.map((n) => n.metadata?.name ?? ''));
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      const pods = byNode.get(name) ?? [];
      const should = nodeShouldNotRunReason(probeSpec, node) === undefined;
      if (!should) {
        if (pods.length) misscheduled++;
        toDelete.push(...pods);
        continue;
      }
      desired.push(name);
      const alive = pods.filter((p) => p.status?.phase !== 'Failed');
      for (const p of pods.filter((x) => x.status?.phase === 'Failed')) {
        recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${ns}/${p.metadata?.name} on node ${name}, will try to kill it`);
        toDelete.push(p);
      }
      if (alive.length === 0) toCreate.push(name);
      else if (alive.length > 1) {
        // Keep the oldest; upstream keeps the oldest too.
        const sorted = [...alive].sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
        toDelete.push(...sorted.slice(1));
      }
    }
    for (const [n, pods] of byNode) if (!nodeNames.has(n)) toDelete.push(...pods);

    // Rolling update within maxUnavailable.
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && toCreate.length === 0) {
      const maxUnavailable = Math.max(1, scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable as number | string | undefined, desired.length, true, 1));
      const current = (n: string) => (byNode.get(n) ?? []).filter((p) => p.status?.phase !== 'Failed' && !toDelete.includes(p));
      let unavailable = desired.filter((n) => !current(n).some(isPodReady)).length;
      const old = desired.flatMap((n) => current(n).filter((p) => p.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL] !== hash));
      // Old pods that are not available go first: deleting them costs no availability.
      for (const p of old.filter((p) => !isPodReady(p))) toDelete.push(p);
      for (const p of old.filter(isPodReady)) {
        if (unavailable >= maxUnavailable) break;
        toDelete.push(p);
        unavailable++;
      }
    }

    let createError: unknown;
    const createdOn = new Set<string>();
    for (const n of toCreate) {
      try {
        const created = await client.create(daemonPodForNode(ds, hash, n), { signal });
        expectations.expectCreate(key, created.metadata?.name ?? '', now);
        createdOn.add(n);
        recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
      } catch (e) {
        if (signal.aborted) throw e;
        // Upstream's message; the other nodes still get their pods, and the error policy retries.
        recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : String(e)}`);
        createError ??= e;
      }
    }
    for (const p of new Set(toDelete)) {
      if (await deleteIgnoringNotFound(client, p)) {
        expectations.expectDelete(key, p.metadata?.name ?? '', p.metadata?.uid, now);
        recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
      }
    }

    const deleted = new Set(toDelete);
    const podOn = (n: string) => (byNode.get(n) ?? []).filter((p) => !deleted.has(p));
    const scheduled = desired.filter((n) => podOn(n).length > 0 || createdOn.has(n)).length;
    const ready = desired.filter((n) => podOn(n).some(isPodReady)).length;
    const updated = desired.filter((n) => createdOn.has(n) || podOn(n).some((p) => p.metadata?.labels?.[DAEMONSET_REVISION_HASH_LABEL] === hash)).length;
    await writeStatus(
      client,
      ds,
      {
        ...(ds.status ?? {}),
        observedGeneration: ds.metadata?.generation,
        desiredNumberScheduled: desired.length,
        currentNumberScheduled: scheduled,
        numberMisscheduled: misscheduled,
        numberReady: ready,
        numberAvailable: ready,
        numberUnavailable: desired.length - ready,
        updatedNumberScheduled: updated,
      },
      signal,
    );
    if (createError !== undefined) throw createError;
    return Action.awaitChange();
  };
}

/**
 * Adds the DaemonSet controller to `manager`: DaemonSets, their pods, and Nodes (any
 * node change reconciles every DaemonSet). Pods are created unbound, with the node
 * affinity `matchFields metadata.name In [node]`: the scheduler binds them (until one
 * runs, they stay Pending). Events: SuccessfulCreate, SuccessfulDelete, FailedDaemonPod
 * (Warning, a failed pod that is replaced), FailedCreate
 * (Warning; the other nodes still get their pods and the sync is retried with backoff).
 */
export function addDaemonSetController(manager: Manager, opts: DaemonSetControllerOptions = {}): void {
  const dsCache = () => manager.informers.forKind('apps/v1', 'DaemonSet').cache;
  addOrphanIndex(manager.informers.forKind('v1', 'Pod').cache);
  manager.add(
    Controller.for('apps/v1', 'DaemonSet')
      .owns('v1', 'Pod')
      .watches('v1', 'Pod', (pod) => {
        // An orphan wakes the DaemonSets whose selector matches it (they may adopt it).
        if (getControllerOf(asKube(pod)) || !pod.metadata?.namespace) return [];
        return dsCache()
          .list({ namespace: pod.metadata.namespace })
          .filter((d) => !!compileSelector(d.spec?.selector)?.matches(pod.metadata?.labels))
          .map((d) => keyOf(d));
      })
      .watches('v1', 'Node', () => dsCache().keys())
      .withConfig({ name: opts.name ?? 'daemonset-controller', concurrency: opts.concurrency ?? 2 })
      .build(createDaemonSetReconcile()),
  );
}
