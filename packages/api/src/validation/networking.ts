// Service, Endpoints and Ingress, as core/validation and networking/validation check them.
import type { FieldCause } from '../errors';
import { isExternallyAccessible } from '../defaults/networking';
import { validateDns1123Label, validateDns1123Subdomain } from '../selectors/index';
import { SUPPORTED_PORT_PROTOCOLS } from './container';
import {
  arr,
  FieldPath,
  fieldError,
  has,
  int,
  invalidEach,
  ipFamily,
  INVALID_IP,
  obj,
  validateDns1035Label,
  validateLabels,
  validatePortName,
  validatePortNum,
  validatePortNumOrName,
  validateWildcardDns1123Subdomain,
  type Causes,
  type Path,
} from './util';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
/** The NodePort range Bosun allocates from, as kube-apiserver's default `--service-node-port-range`. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
const KUBELET_PORT = 10250;

function isHeadless(spec: Record<string, any>): boolean {
  return spec.clusterIP === 'None' || (arr(spec.clusterIPs).length === 1 && spec.clusterIPs[0] === 'None');
}

/**
 * The Service kind's validation (metadata aside; names must also be DNS-1035 labels):
 * ports required except for ExternalName and headless services; each port 1..65535 with
 * a protocol, a targetPort number or IANA name, names required when there are several
 * and unique; (protocol, port) and (protocol, nodePort) pairs unique; nodePort only for
 * NodePort and LoadBalancer, within 30000-32767; type, sessionAffinity (ClientIP with a
 * timeout up to a day), traffic and IP family policies supported; clusterIP `None` or an
 * IP, matching clusterIPs[0]; selector labels valid; ExternalName with a DNS name. On
 * update clusterIP cannot change once set (`field is immutable`), unless the type changes
 * to or from ExternalName.
 */
export function validateService(svc: unknown, old?: unknown): FieldCause[] {
  const s = obj(svc);
  const spec = obj(s.spec);
  const path = FieldPath.root('spec');
  const causes: Causes = [];
  const name = obj(s.metadata).name;
  if (typeof name === 'string' && name !== '' && validateDns1123Subdomain(name).length === 0) {
    causes.push(...invalidEach('metadata.name', name, validateDns1035Label(name)));
  }
  const type = spec.type ?? 'ClusterIP';
  const headless = isHeadless(spec);
  const ports = arr(spec.ports);
  if (ports.length === 0 && !headless && type !== 'ExternalName') causes.push(fieldError.required(path.child('ports')));
  switch (type) {
    case 'LoadBalancer':
      if (headless) causes.push(fieldError.invalid(path.child('clusterIPs').index(0), 'None', 'may not be set to \'None\' for LoadBalancer services'));
      ports.forEach((p, i) => {
        if (obj(p).port === KUBELET_PORT) causes.push(fieldError.invalid(path.child('ports').index(i), KUBELET_PORT, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`));
      });
      break;
    case 'NodePort':
      if (headless) causes.push(fieldError.invalid(path.child('clusterIPs').index(0), 'None', 'may not be set to \'None\' for NodePort services'));
      break;
    case 'ExternalName': {
      if (arr(spec.clusterIPs).length > 0 || (typeof spec.clusterIP === 'string' && spec.clusterIP !== '')) causes.push(fieldError.forbidden(path.child('clusterIPs'), 'may not be set for ExternalName services'));
      if (arr(spec.ipFamilies).length > 0) causes.push(fieldError.forbidden(path.child('ipFamilies'), 'may not be set for ExternalName services'));
      if (has(spec.ipFamilyPolicy)) causes.push(fieldError.forbidden(path.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
      const cname = typeof spec.externalName === 'string' ? spec.externalName.replace(/\.$/, '') : '';
      if (cname) causes.push(...invalidEach(path.child('externalName'), cname, validateDns1123Subdomain(cname)));
      else causes.push(fieldError.required(path.child('externalName')));
      break;
    }
  }
  const names = new Set<string>();
  const seenPorts = new Set<string>();
  const seenNodePorts = new Set<string>();
  ports.forEach((raw, i) => {
    const p = path.child('ports').index(i);
    const port = obj(raw);
    if (ports.length > 1 && (typeof port.name !== 'string' || port.name === '')) causes.push(fieldError.required(p.child('name')));
    else if (typeof port.name === 'string' && port.name !== '') {
      causes.push(...invalidEach(p.child('name'), port.name, validateDns1123Label(port.name)));
      if (names.has(port.name)) causes.push(fieldError.duplicate(p.child('name'), port.name));
      names.add(port.name);
    }
    causes.push(...invalidEach(p.child('port'), port.port, validatePortNum(port.port)));
    const protocol = port.protocol ?? 'TCP';
    if (!(SUPPORTED_PORT_PROTOCOLS as readonly string[]).includes(protocol)) {
      causes.push(protocol === '' ? fieldError.required(p.child('protocol')) : fieldError.notSupported(p.child('protocol'), protocol, SUPPORTED_PORT_PROTOCOLS));
    }
    if (has(port.targetPort) && port.targetPort !== 0 && port.targetPort !== '') causes.push(...validatePortNumOrName(port.targetPort, p.child('targetPort')));
    if (has(port.nodePort) && port.nodePort !== 0) {
      const np = int(port.nodePort, p.child('nodePort'), causes);
      if (type === 'ClusterIP') causes.push(fieldError.forbidden(p.child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else if (type === 'ExternalName') causes.push(fieldError.forbidden(p.child('nodePort'), "may not be used when `type` is 'ExternalName'"));
      else if (np !== undefined && (np < NODE_PORT_RANGE.min || np > NODE_PORT_RANGE.max)) {
        causes.push(fieldError.invalid(p.child('nodePort'), np, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
      }
      const key = `${protocol}/${port.nodePort}`;
      if (seenNodePorts.has(key)) causes.push(fieldError.duplicate(p.child('nodePort'), port.nodePort));
      seenNodePorts.add(key);
    }
    const key = `${protocol}/${port.port}`;
    if (seenPorts.has(key)) causes.push(fieldError.duplicate(p, { protocol, port: port.port }));
    seenPorts.add(key);
  });
  causes.push(...validateLabels(spec.selector, path.child('selector')));
  const affinity = spec.sessionAffinity ?? 'None';
  if (!SESSION_AFFINITIES.includes(affinity)) {
    causes.push(affinity === '' ? fieldError.required(path.child('sessionAffinity')) : fieldError.notSupported(path.child('sessionAffinity'), affinity, SESSION_AFFINITIES));
  } else if (affinity === 'ClientIP' && has(spec.sessionAffinityConfig)) {
    const t = obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    const tp = path.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds');
    if (!has(t)) causes.push(fieldError.required(tp));
    else if (typeof t !== 'number' || t <= 0 || t > 86400) causes.push(fieldError.invalid(tp, t, 'must be greater than 0 and less than 86400'));
  } else if (affinity === 'None' && has(spec.sessionAffinityConfig)) {
    causes.push(fieldError.forbidden(path.child('sessionAffinityConfig'), 'must not be set when session affinity is None'));
  }
  if (!SERVICE_TYPES.includes(type)) causes.push(type === '' ? fieldError.required(path.child('type')) : fieldError.notSupported(path.child('type'), type, SERVICE_TYPES));
  if (type !== 'ExternalName') causes.push(...validateClusterIPs(spec, path));
  arr(spec.externalIPs).forEach((ip, i) => {
    if (typeof ip !== 'string' || !ipFamily(ip)) causes.push(fieldError.invalid(path.child('externalIPs').index(i), ip, INVALID_IP));
  });
  if (has(spec.externalTrafficPolicy) && spec.externalTrafficPolicy !== '') {
    if (!isExternallyAccessible({ ...spec, type })) causes.push(fieldError.invalid(path.child('externalTrafficPolicy'), spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) causes.push(fieldError.notSupported(path.child('externalTrafficPolicy'), spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (has(spec.internalTrafficPolicy) && !TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) causes.push(fieldError.notSupported(path.child('internalTrafficPolicy'), spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  if (has(spec.healthCheckNodePort) && spec.healthCheckNodePort !== 0 && !(type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')) {
    causes.push(fieldError.invalid(path.child('healthCheckNodePort'), spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (old !== undefined) causes.push(...validateServiceUpdate(spec, obj(obj(old).spec), path));
  return causes;
}

function validateClusterIPs(spec: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  if (has(spec.ipFamilyPolicy) && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) causes.push(fieldError.notSupported(path.child('ipFamilyPolicy'), spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  const families = arr(spec.ipFamilies);
  families.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') causes.push(fieldError.notSupported(path.child('ipFamilies').index(i), f, ['IPv4', 'IPv6']));
    else if (families.indexOf(f) !== i) causes.push(fieldError.duplicate(path.child('ipFamilies').index(i), f));
  });
  if (families.length > 2) causes.push(fieldError.invalid(path.child('ipFamilies'), families, 'may specify no more than one IP for each IP family'));
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && spec.clusterIP !== 'None' && !ipFamily(spec.clusterIP)) {
    causes.push(fieldError.invalid(path.child('clusterIP'), spec.clusterIP, INVALID_IP));
  }
  const ips = arr(spec.clusterIPs);
  ips.forEach((ip, i) => {
    if (ip === 'None') {
      if (i > 0 || ips.length > 1) causes.push(fieldError.invalid(path.child('clusterIPs').index(i), ip, "'None' must be the first and only value"));
    } else if (typeof ip !== 'string' || !ipFamily(ip)) causes.push(fieldError.invalid(path.child('clusterIPs').index(i), ip, INVALID_IP));
  });
  if (ips.length > 0 && typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && spec.clusterIP !== ips[0]) {
    causes.push(fieldError.invalid(path.child('clusterIPs'), ips, 'first value must match `clusterIP`'));
  }
  if (ips.length === 2 && ipFamily(String(ips[0])) && ipFamily(String(ips[0])) === ipFamily(String(ips[1]))) {
    causes.push(fieldError.invalid(path.child('clusterIPs'), ips, 'may specify no more than one IP for each IP family'));
  }
  return causes;
}

function validateServiceUpdate(spec: Record<string, any>, oldSpec: Record<string, any>, path: Path): Causes {
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
  const causes: Causes = [];
  const before = typeof oldSpec.clusterIP === 'string' ? oldSpec.clusterIP : '';
  const now = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
  if (before !== '' && now !== before) causes.push(fieldError.immutable(path.child('clusterIP'), now));
  const oldIPs = arr(oldSpec.clusterIPs);
  const newIPs = arr(spec.clusterIPs);
  if (oldIPs.length > 0 && newIPs.length > 0 && oldIPs[0] !== newIPs[0]) causes.push(fieldError.invalid(path.child('clusterIPs').index(0), newIPs, 'may not change once set'));
  return causes;
}

/**
 * The Endpoints kind's validation: each subset has addresses or notReadyAddresses; every
 * address a valid, specified IP (`0.0.0.0` refused), hostname a DNS label, nodeName a
 * subdomain; ports 1..65535 with a supported protocol, named when there are several.
 * Loopback and link-local addresses are accepted (Bosun's process runtime uses them).
 */
export function validateEndpoints(ep: unknown): FieldCause[] {
  const causes: Causes = [];
  const path = FieldPath.root('subsets');
  arr(obj(ep).subsets).forEach((raw, i) => {
    const p = path.index(i);
    const ss = obj(raw);
    if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0) causes.push(fieldError.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    for (const k of ['addresses', 'notReadyAddresses']) {
      arr(ss[k]).forEach((a, j) => causes.push(...validateEndpointAddress(obj(a), p.child(k).index(j))));
    }
    const ports = arr(ss.ports);
    ports.forEach((rp, j) => {
      const pp = p.child('ports').index(j);
      const port = obj(rp);
      if (ports.length > 1 && (typeof port.name !== 'string' || port.name === '')) causes.push(fieldError.required(pp.child('name')));
      else if (typeof port.name === 'string' && port.name !== '') causes.push(...invalidEach(pp.child('name'), port.name, validateDns1123Label(port.name)));
      causes.push(...invalidEach(pp.child('port'), port.port, validatePortNum(port.port)));
      if (has(port.protocol) && !(SUPPORTED_PORT_PROTOCOLS as readonly string[]).includes(port.protocol)) causes.push(fieldError.notSupported(pp.child('protocol'), port.protocol, SUPPORTED_PORT_PROTOCOLS));
    });
  });
  return causes;
}

function validateEndpointAddress(a: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  if (typeof a.ip !== 'string' || !ipFamily(a.ip)) causes.push(fieldError.invalid(path.child('ip'), a.ip ?? '', INVALID_IP));
  else if (a.ip === '0.0.0.0' || /^[0:]+$/.test(a.ip)) causes.push(fieldError.invalid(path.child('ip'), a.ip, `may not be unspecified (${a.ip})`));
  if (typeof a.hostname === 'string' && a.hostname !== '') causes.push(...invalidEach(path.child('hostname'), a.hostname, validateDns1123Label(a.hostname)));
  if (typeof a.nodeName === 'string' && a.nodeName !== '') causes.push(...invalidEach(path.child('nodeName'), a.nodeName, validateDns1123Subdomain(a.nodeName)));
  return causes;
}

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

function validateIngressBackend(b: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  const hasResource = has(b.resource);
  const hasService = has(b.service);
  if (hasResource && hasService) return [fieldError.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) {
    const r = obj(b.resource);
    if (!r.kind) causes.push(fieldError.required(path.child('resource', 'kind')));
    if (!r.name) causes.push(fieldError.required(path.child('resource', 'name')));
    return causes;
  }
  if (!hasService) return [fieldError.invalid(path, '', 'resource or service backend is required')];
  const svc = obj(b.service);
  if (typeof svc.name !== 'string' || svc.name === '') causes.push(fieldError.required(path.child('service', 'name')));
  else causes.push(...invalidEach(path.child('service', 'name'), svc.name, validateDns1035Label(svc.name)));
  const port = obj(svc.port);
  const hasName = typeof port.name === 'string' && port.name !== '';
  const hasNumber = has(port.number) && port.number !== 0;
  if (hasName && hasNumber) causes.push(fieldError.invalid(path, '', 'cannot set both port name & port number'));
  else if (hasName) causes.push(...invalidEach(path.child('service', 'port', 'name'), port.name, validatePortName(port.name)));
  else if (hasNumber) causes.push(...invalidEach(path.child('service', 'port', 'number'), port.number, validatePortNum(port.number)));
  else causes.push(fieldError.required(path, 'port name or number is required'));
  return causes;
}

/**
 * The Ingress kind's validation (networking.k8s.io/v1): rules or a defaultBackend; rule
 * hosts DNS names (wildcards `*.example.com` allowed), not IPs; every HTTP path with a
 * pathType Exact, Prefix or ImplementationSpecific (required in v1) and, for Exact and
 * Prefix, an absolute path without `//`, `/./`, `/../`; every backend a service (name
 * and port by number or name, exactly one) or a resource; TLS hosts and secret names
 * valid; ingressClassName a subdomain.
 */
export function validateIngress(ing: unknown): FieldCause[] {
  const spec = obj(obj(ing).spec);
  const path = FieldPath.root('spec');
  const causes: Causes = [];
  const rules = arr(spec.rules);
  if (rules.length === 0 && !has(spec.defaultBackend)) causes.push(fieldError.invalid(path, rules, 'either `defaultBackend` or `rules` must be specified'));
  if (has(spec.defaultBackend)) causes.push(...validateIngressBackend(obj(spec.defaultBackend), path.child('defaultBackend')));
  rules.forEach((raw, i) => {
    const rp = path.child('rules').index(i);
    const rule = obj(raw);
    if (typeof rule.host === 'string' && rule.host !== '') {
      if (ipFamily(rule.host)) causes.push(fieldError.invalid(rp.child('host'), rule.host, 'must be a DNS name, not an IP address'));
      const msgs = rule.host.includes('*') ? validateWildcardDns1123Subdomain(rule.host) : validateDns1123Subdomain(rule.host);
      causes.push(...invalidEach(rp.child('host'), rule.host, msgs));
    }
    if (!has(rule.http)) return;
    const hp = rp.child('http');
    const paths = arr(obj(rule.http).paths);
    if (paths.length === 0) causes.push(fieldError.required(hp.child('paths')));
    paths.forEach((rawPath, j) => {
      const pp = hp.child('paths').index(j);
      const p = obj(rawPath);
      if (!has(p.pathType)) {
        causes.push(fieldError.required(pp.child('pathType'), 'pathType must be specified'));
        return;
      }
      const text = typeof p.path === 'string' ? p.path : '';
      if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
        if (!text.startsWith('/')) causes.push(fieldError.invalid(pp.child('path'), text, 'must be an absolute path'));
        for (const seq of INVALID_PATH_SEQUENCES) if (text.includes(seq)) causes.push(fieldError.invalid(pp.child('path'), text, `must not contain '${seq}'`));
        for (const suf of INVALID_PATH_SUFFIXES) if (text.endsWith(suf)) causes.push(fieldError.invalid(pp.child('path'), text, `cannot end with '${suf}'`));
      } else if (p.pathType === 'ImplementationSpecific') {
        if (text !== '' && !text.startsWith('/')) causes.push(fieldError.invalid(pp.child('path'), text, 'must be an absolute path'));
      } else {
        causes.push(fieldError.notSupported(pp.child('pathType'), p.pathType, PATH_TYPES));
      }
      causes.push(...validateIngressBackend(obj(p.backend), pp.child('backend')));
    });
  });
  arr(spec.tls).forEach((raw, i) => {
    const tp = path.child('tls').index(i);
    const tls = obj(raw);
    arr(tls.hosts).forEach((h, j) => {
      const host = String(h);
      const msgs = host.includes('*') ? validateWildcardDns1123Subdomain(host) : validateDns1123Subdomain(host);
      causes.push(...invalidEach(tp.child('hosts').index(j), host, msgs));
    });
    if (typeof tls.secretName === 'string' && tls.secretName !== '') causes.push(...invalidEach(tp.child('secretName'), tls.secretName, validateDns1123Subdomain(tls.secretName)));
  });
  if (typeof spec.ingressClassName === 'string' && spec.ingressClassName !== '') {
    causes.push(...invalidEach(path.child('ingressClassName'), spec.ingressClassName, validateDns1123Subdomain(spec.ingressClassName)));
  }
  return causes;
}
