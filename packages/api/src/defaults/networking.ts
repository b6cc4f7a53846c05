import { arr, child, isObj, setDefault, setDefaultString } from './util';

/** Default `sessionAffinityConfig.clientIP.timeoutSeconds`: 3 hours. */
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

/** Whether traffic can reach a Service from outside the cluster (NodePort, LoadBalancer, or external IPs). */
export function isExternallyAccessible(spec: Record<string, any>): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
}

/**
 * Service defaults (core/v1 SetDefaults_Service, plus the registry's IP family policy
 * and clusterIP/clusterIPs agreement): type ClusterIP, sessionAffinity None (ClientIP
 * gets a 10800s timeout), port protocol TCP, targetPort = port when unset or zero,
 * externalTrafficPolicy Cluster for externally accessible services,
 * internalTrafficPolicy Cluster, allocateLoadBalancerNodePorts true for LoadBalancer,
 * ipFamilyPolicy SingleStack (except ExternalName), and clusterIP and clusterIPs filled
 * from each other when one is missing. Idempotent.
 */
export function defaultService(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefaultString(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    if (!isObj(cfg) || !isObj(cfg.clientIP) || cfg.clientIP.timeoutSeconds == null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
    }
  }
  setDefaultString(spec, 'type', 'ClusterIP');
  for (const p of arr(spec.ports)) {
    if (!isObj(p)) continue;
    setDefaultString(p, 'protocol', 'TCP');
    if ((p.targetPort == null || p.targetPort === 0 || p.targetPort === '') && p.port != null) p.targetPort = p.port;
  }
  if (isExternallyAccessible(spec)) setDefaultString(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (spec.type !== 'ExternalName') {
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && arr(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
    const ips = arr(spec.clusterIPs);
    if (!spec.clusterIP && typeof ips[0] === 'string' && ips[0] !== '') spec.clusterIP = ips[0];
  }
}

/** Endpoints defaults: every subset port's protocol TCP. Idempotent. */
export function defaultEndpoints(obj: unknown): void {
  if (!isObj(obj)) return;
  for (const s of arr(obj.subsets)) {
    if (!isObj(s)) continue;
    for (const p of arr(s.ports)) if (isObj(p)) setDefaultString(p, 'protocol', 'TCP');
  }
}
