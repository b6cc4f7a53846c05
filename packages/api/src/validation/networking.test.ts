import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const SVC = 'v1/Service';
const EP = 'v1/Endpoints';
const ING = 'networking.k8s.io/v1/Ingress';
const path0 = (o: any) => o.spec.rules[0].http.paths[0];

describe('Service validation', () => {
  it.each<[string, (o: any) => void, string, string]>([
    ['ports are required', (o) => (o.spec.ports = []), 'spec.ports', 'Required value'],
    ['ports are 1..65535', (o) => (o.spec.ports[0].port = 0), 'spec.ports[0].port', 'Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['several ports need names', (o) => o.spec.ports.push({ name: 'https', port: 443 }), 'spec.ports[0].name', 'Required value'],
    ['the second of several ports needs a name', (o) => (o.spec.ports = [{ name: 'http', port: 80 }, { port: 443 }]), 'spec.ports[1].name', 'Required value'],
    ['port names are unique', (o) => (o.spec.ports = [{ name: 'http', port: 80 }, { name: 'http', port: 81 }]), 'spec.ports[1].name', 'Duplicate value: "http"'],
    ['port and protocol pairs are unique', (o) => (o.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 80 }]), 'spec.ports[1]', 'Duplicate value: {"protocol":"TCP","port":80}'],
    ['the protocol is supported', (o) => (o.spec.ports[0].protocol = 'ICMP'), 'spec.ports[0].protocol', 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ['targetPort is a port number', (o) => (o.spec.ports[0].targetPort = 70000), 'spec.ports[0].targetPort', 'Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ['targetPort is an IANA name', (o) => (o.spec.ports[0].targetPort = 'Http_Port'), 'spec.ports[0].targetPort', 'Invalid value: "Http_Port"'],
    ['nodePort is forbidden for ClusterIP', (o) => (o.spec.ports[0].nodePort = 30001), 'spec.ports[0].nodePort', "Forbidden: may not be used when `type` is 'ClusterIP'"],
    [
      'nodePort is in the node port range',
      (o) => Object.assign(o.spec, { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }),
      'spec.ports[0].nodePort',
      'Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ],
    ['the type is supported', (o) => (o.spec.type = 'Ingress'), 'spec.type', 'Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    ['session affinity is supported', (o) => (o.spec.sessionAffinity = 'Cookie'), 'spec.sessionAffinity', 'Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
    [
      'the ClientIP timeout is at most a day',
      (o) => Object.assign(o.spec, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 90000 } } }),
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
      'Invalid value: 90000: must be greater than 0 and less than 86400',
    ],
    ['clusterIP is an IP or None', (o) => (o.spec.clusterIP = '10.0.0.300'), 'spec.clusterIP', 'Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    ['selector labels are valid', (o) => (o.spec.selector = { app: 'a b' }), 'spec.selector', 'Invalid value: "a b"'],
    ['an ExternalName service names a host', (o) => Object.assign(o.spec, { type: 'ExternalName', ports: [] }), 'spec.externalName', 'Required value'],
    ['an ExternalName is a DNS name', (o) => Object.assign(o.spec, { type: 'ExternalName', externalName: 'not a host' }), 'spec.externalName', 'Invalid value: "not a host"'],
    ['a headless service is not a NodePort', (o) => Object.assign(o.spec, { type: 'NodePort', clusterIP: 'None' }), 'spec.clusterIPs[0]', "Invalid value: \"None\": may not be set to 'None' for NodePort services"],
    ['externalTrafficPolicy needs an external service', (o) => (o.spec.externalTrafficPolicy = 'Local'), 'spec.externalTrafficPolicy', 'Invalid value: "Local": may only be set for externally-accessible services'],
    ['the name is a DNS-1035 label', (o) => (o.metadata.name = '1web'), 'metadata.name', 'Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters'],
    ['the name has no dots', (o) => (o.metadata.name = 'web.v1'), 'metadata.name', 'Invalid value: "web.v1": a DNS-1035 label'],
  ])('%s', (_, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(SVC, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, (o: any) => void]>([
    ['named ports with named target ports', (o) => (o.spec.ports = [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'https', port: 443, targetPort: 'https' }])],
    ['the same port over TCP and UDP', (o) => (o.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }])],
    ['a NodePort service', (o) => Object.assign(o.spec, { type: 'NodePort', ports: [{ port: 80, targetPort: 8080, nodePort: 30001 }] })],
    ['a LoadBalancer service', (o) => (o.spec.type = 'LoadBalancer')],
    ['a headless service without ports', (o) => Object.assign(o.spec, { clusterIP: 'None', ports: [] })],
    ['an ExternalName service', (o) => (o.spec = { type: 'ExternalName', externalName: 'www.baidu.com', ports: [{ port: 80 }] })],
    ['a ClientIP service', (o) => (o.spec.sessionAffinity = 'ClientIP')],
    ['a service without a selector', (o) => delete o.spec.selector],
    ['an IPv6 cluster IP', (o) => (o.spec.clusterIP = 'fd00::10')],
  ])('accepts %s', (_, change) => {
    expect(validateObject(defaultObject(objectWith(SVC, change)))).toEqual([]);
  });

  it('keeps an allocated clusterIP', () => {
    const old = defaultObject(objectWith(SVC, (o) => (o.spec.clusterIP = '10.96.0.10')));
    const svc = structuredClone(old);
    svc.spec.clusterIP = '10.96.0.11';
    svc.spec.clusterIPs = ['10.96.0.11'];
    expect(validateObject(svc, old)).toEqual(
      expect.arrayContaining([cause('spec.clusterIP', 'Invalid value: "10.96.0.11": field is immutable'), cause('spec.clusterIPs[0]', 'Invalid value: ["10.96.0.11"]: may not change once set')]),
    );
  });

  it('allows allocating a clusterIP and changing ports', () => {
    const old = defaultObject(objectWith(SVC));
    const svc = structuredClone(old);
    svc.spec.clusterIP = '10.96.0.10';
    svc.spec.clusterIPs = ['10.96.0.10'];
    svc.spec.ports[0].targetPort = 9090;
    expect(validateObject(svc, old)).toEqual([]);
  });

  it('allows dropping the clusterIP when turning into ExternalName', () => {
    const old = defaultObject(objectWith(SVC, (o) => (o.spec.clusterIP = '10.96.0.10')));
    const svc = { ...structuredClone(old), spec: { type: 'ExternalName', externalName: 'example.com' } };
    expect(validateObject(svc, old)).toEqual([]);
  });
});

describe('Endpoints validation', () => {
  it.each<[string, (o: any) => void, string, string]>([
    ['addresses are IPs', (o) => (o.subsets[0].addresses[0].ip = 'baidu.com'), 'subsets[0].addresses[0].ip', 'Invalid value: "baidu.com": must be a valid IP address'],
    ['addresses are specified', (o) => (o.subsets[0].addresses[0].ip = '0.0.0.0'), 'subsets[0].addresses[0].ip', 'Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)'],
    ['a subset has addresses', (o) => (o.subsets[0].addresses = []), 'subsets[0]', 'Required value: must specify `addresses` or `notReadyAddresses`'],
    ['ports are 1..65535', (o) => (o.subsets[0].ports[0].port = 0), 'subsets[0].ports[0].port', 'Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['several ports are named', (o) => o.subsets[0].ports.push({ port: 443 }), 'subsets[0].ports[0].name', 'Required value'],
    ['a hostname is a DNS label', (o) => (o.subsets[0].addresses[0].hostname = 'a.b'), 'subsets[0].addresses[0].hostname', 'Invalid value: "a.b"'],
  ])('%s', (_, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(EP, change)))).toContainEqual(cause(field, message));
  });

  it('accepts the seed example of external endpoints', () => {
    const ep = objectWith(EP, (o) => (o.subsets = [{ addresses: [{ ip: '220.181.38.148' }, { ip: '39.156.69.79' }], ports: [{ port: 80 }] }]));
    expect(validateObject(defaultObject(ep))).toEqual([]);
  });

  it('accepts loopback addresses, which the process runtime gives pods', () => {
    expect(validateObject(defaultObject(objectWith(EP, (o) => (o.subsets[0].addresses[0].ip = '127.0.0.2'))))).toEqual([]);
  });
});

describe('Ingress validation', () => {
  it.each<[string, (o: any) => void, string, string]>([
    ['pathType is required', (o) => delete path0(o).pathType, 'spec.rules[0].http.paths[0].pathType', 'Required value: pathType must be specified'],
    ['pathType is supported', (o) => (path0(o).pathType = 'Regex'), 'spec.rules[0].http.paths[0].pathType', 'Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"'],
    ['a Prefix path is absolute', (o) => (path0(o).path = 'kubia'), 'spec.rules[0].http.paths[0].path', 'Invalid value: "kubia": must be an absolute path'],
    ['a path has no //', (o) => (path0(o).path = '/a//b'), 'spec.rules[0].http.paths[0].path', "Invalid value: \"/a//b\": must not contain '//'"],
    ['a backend names a service', (o) => (path0(o).backend = {}), 'spec.rules[0].http.paths[0].backend', 'Invalid value: "": resource or service backend is required'],
    ['a service backend has a name', (o) => delete path0(o).backend.service.name, 'spec.rules[0].http.paths[0].backend.service.name', 'Required value'],
    ['a service backend has a port', (o) => (path0(o).backend.service.port = {}), 'spec.rules[0].http.paths[0].backend', 'Required value: port name or number is required'],
    [
      'a service backend port is a name or a number, not both',
      (o) => (path0(o).backend.service.port = { name: 'http', number: 80 }),
      'spec.rules[0].http.paths[0].backend',
      'Invalid value: "": cannot set both port name & port number',
    ],
    ['a port number is in range', (o) => (path0(o).backend.service.port = { number: 99999 }), 'spec.rules[0].http.paths[0].backend.service.port.number', 'Invalid value: 99999: must be between 1 and 65535, inclusive'],
    ['a host is not an IP', (o) => (o.spec.rules[0].host = '10.0.0.1'), 'spec.rules[0].host', 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address'],
    ['a wildcard host is well-formed', (o) => (o.spec.rules[0].host = 'a.*.com'), 'spec.rules[0].host', "Invalid value: \"a.*.com\": a wildcard DNS-1123 subdomain must start with '*.'"],
    ['rules or a default backend', (o) => (o.spec = {}), 'spec', 'Invalid value: []: either `defaultBackend` or `rules` must be specified'],
    ['http rules have paths', (o) => (o.spec.rules[0].http.paths = []), 'spec.rules[0].http.paths', 'Required value'],
  ])('%s', (_, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(ING, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, (o: any) => void]>([
    ['a wildcard host', (o) => (o.spec.rules[0].host = '*.example.com')],
    ['a named service port', (o) => (path0(o).backend.service.port = { name: 'http' })],
    ['an ImplementationSpecific path without a path', (o) => Object.assign(path0(o), { pathType: 'ImplementationSpecific', path: undefined })],
    ['a default backend only', (o) => (o.spec = { defaultBackend: { service: { name: 'web', port: { number: 80 } } } })],
    ['TLS', (o) => (o.spec.tls = [{ hosts: ['web.example.com'], secretName: 'web-tls' }])],
  ])('accepts %s', (_, change) => {
    expect(validateObject(defaultObject(objectWith(ING, change)))).toEqual([]);
  });
});
