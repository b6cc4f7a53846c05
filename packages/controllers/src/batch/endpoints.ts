// The Endpoints controller: a Service's selected pods as addresses and ports.
import { isAlreadyExists, isConflict, isNotFound, labelSelectorFromObject, rfc3339, type core, type Endpoints, type Pod, type Service } from '@bosun/api';
import { Action, Controller, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { isPodReady, jsonEqual } from './util';

type EndpointAddress = core.EndpointAddress;
type EndpointPort = core.EndpointPort;
type EndpointSubset = core.EndpointSubset;

/** Annotation: when the change that led to the current Endpoints happened. */
export const ENDPOINTS_LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
/** Label on the Endpoints of a headless Service. */
export const SERVICE_HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** Options of {@link addEndpointsController}. */
export interface EndpointsControllerOptions {
  /** Workers. Default 2. */
  concurrency?: number;
  /** Controller name. Default `endpoint-controller`. */
  name?: string;
}

/**
 * The container port a service port's targetPort names in `pod`: a number as is, a name
 * looked up among the pod's container ports (undefined when the pod has none by that
 * name), the service port itself when unset (upstream `podutil.FindPort`).
 */
export function findPort(pod: Pod, port: core.ServicePort): number | undefined {
  const t = port.targetPort;
  if (t === undefined || t === null || t === '') return port.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === t && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP')) return p.containerPort;
  return undefined;
}

/** Upstream `ShouldPodBeInEndpoints`: has an IP, not finished, terminating only when publishing not-ready addresses. */
function shouldBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  const phase = pod.status.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}`;
const addrKey = (a: EndpointAddress) => `${a.ip}/${a.targetRef?.uid ?? ''}`;

/**
 * Groups (address, ready, port) triples into subsets by identical port sets (upstream
 * `RepackSubsets`), sorted so equal inputs always give equal output.
 */
export function repackSubsets(entries: readonly { address: EndpointAddress; ready: boolean; port?: EndpointPort }[]): EndpointSubset[] {
  const perAddr = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const e of entries) {
    const k = `${e.ready ? 'r' : 'n'}/${addrKey(e.address)}`;
    let a = perAddr.get(k);
    if (!a) perAddr.set(k, (a = { address: e.address, ready: e.ready, ports: new Map() }));
    if (e.port) a.ports.set(portKey(e.port), e.port);
  }
  const bySet = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const a of perAddr.values()) {
    const ports = [...a.ports.values()].sort((x, y) => portKey(x).localeCompare(portKey(y)));
    const k = ports.map(portKey).join(',');
    let s = bySet.get(k);
    if (!s) bySet.set(k, (s = { ports, ready: [], notReady: [] }));
    (a.ready ? s.ready : s.notReady).push(a.address);
  }
  const byIp = (x: EndpointAddress, y: EndpointAddress) => x.ip.localeCompare(y.ip) || (x.targetRef?.name ?? '').localeCompare(y.targetRef?.name ?? '');
  return [...bySet.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, s]) => {
      const out: EndpointSubset = {};
      if (s.ready.length) out.addresses = s.ready.sort(byIp);
      if (s.notReady.length) out.notReadyAddresses = s.notReady.sort(byIp);
      if (s.ports.length) out.ports = s.ports;
      return out;
    });
}

/** The subsets for `service` over `pods` (already selected by the Service's selector). */
export function endpointSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const ports = service.spec?.ports ?? [];
  const headless = service.spec?.clusterIP === 'None';
  const entries: { address: EndpointAddress; ready: boolean; port?: EndpointPort }[] = [];
  for (const pod of pods) {
    if (!shouldBeInEndpoints(pod, publishNotReady)) continue;
    const address: EndpointAddress = {
      ip: pod.status?.podIP ?? '',
      nodeName: pod.spec?.nodeName,
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
    if (pod.spec?.hostname && pod.spec.subdomain === service.metadata?.name && pod.metadata?.namespace === service.metadata?.namespace) address.hostname = pod.spec.hostname;
    if (!address.nodeName) delete address.nodeName;
    const ready = publishNotReady || isPodReady(pod);
    if (ports.length === 0) {
      // Headless services without ports still list their addresses.
      if (headless) entries.push({ address, ready });
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      entries.push({ address, ready, port: ep });
    }
  }
  return repackSubsets(entries);
}

function selectorOf(service: Service): Record<string, string> | undefined {
  const sel = service.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

/**
 * Creates the Endpoints reconcile: for a Service with a selector, writes the Endpoints
 * of the same name when its subsets or labels change (annotated with
 * `endpoints.kubernetes.io/last-change-trigger-time`). Services without a selector are
 * left alone: their Endpoints are the user's.
 */
export function createEndpointsReconcile(): Reconcile<Service> {
  return async (service, ctx, signal) => {
    const { client, clock, informers } = ctx;
    const sel = selectorOf(service);
    if (!sel || service.spec?.type === 'ExternalName') return Action.awaitChange();
    const ns = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    const pods = informers.forKind('v1', 'Pod').cache.list({ namespace: ns, labelSelector: labelSelectorFromObject({ matchLabels: sel }) });
    const subsets = endpointSubsets(service, pods);
    const labels: Record<string, string> = { ...(service.metadata?.labels ?? {}) };
    if (service.spec?.clusterIP === 'None') labels[SERVICE_HEADLESS_LABEL] = '';
    const current = informers.forKind('v1', 'Endpoints').cache.get(`${ns}/${name}`);
    if (current && jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata?.labels ?? {}, labels)) return Action.awaitChange();
    const annotations = { ...(current?.metadata?.annotations ?? {}), [ENDPOINTS_LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: rfc3339(clock.now()) };
    const ep: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? {}), name, namespace: ns, labels, annotations },
      subsets: subsets.length ? subsets : undefined,
    };
    if (!current) {
      try {
        await client.create(ep, { signal });
        return Action.awaitChange();
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const live = await client.get('v1', 'Endpoints', ns, name, { signal });
        ep.metadata = { ...live.metadata, labels, annotations: { ...(live.metadata?.annotations ?? {}), ...annotations } };
      }
    }
    try {
      await client.update(ep, { signal });
    } catch (e) {
      // Conflict: the cache is behind, and its catching up requeues this Service.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    return Action.awaitChange();
  };
}

/**
 * Adds the Endpoints controller to `manager`: Services, the pods their selectors match
 * (a pod change reconciles every Service in its namespace selecting it, before and after
 * the change), and Endpoints (a change by someone else is undone). The Endpoints of a
 * deleted Service are deleted from the Service informer's delete notification.
 */
export function addEndpointsController(manager: Manager, opts: EndpointsControllerOptions = {}): void {
  const services = manager.informers.forKind('v1', 'Service');
  const servicesFor = (pod: Pod) => {
    const ns = pod.metadata?.namespace ?? '';
    return services.cache
      .list({ namespace: ns })
      .filter((s) => {
        const sel = selectorOf(s);
        return !!sel && Object.entries(sel).every(([k, v]) => pod.metadata?.labels?.[k] === v);
      })
      .map((s) => ({ namespace: ns, name: s.metadata?.name ?? '' }));
  };
  services.addEventHandler({
    onDelete: (svc) => {
      if (!selectorOf(svc)) return;
      void manager.client.delete('v1', 'Endpoints', svc.metadata?.namespace ?? '', svc.metadata?.name ?? '').catch(() => undefined);
    },
  });
  manager.add(
    Controller.for('v1', 'Service')
      .watches('v1', 'Pod', servicesFor)
      .watches('v1', 'Endpoints', (ep) => [{ namespace: ep.metadata?.namespace ?? '', name: ep.metadata?.name ?? '' }])
      .withConfig({ name: opts.name ?? 'endpoint-controller', concurrency: opts.concurrency ?? 2 })
      .build(createEndpointsReconcile()),
  );
}
