import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';
import { POD_UPDATE_FORBIDDEN, validatePodSpec } from './pod';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const c0 = (o: any) => o.spec.containers[0];
const podWith = (change: (o: any) => void) => defaultObject(objectWith('v1/Pod', change));

describe('pod spec validation', () => {
  it.each<[string, (o: any) => void, string, string]>([
    ['containers are required', (o) => (o.spec.containers = []), 'spec.containers', 'Required value'],
    ['a container needs a name', (o) => delete c0(o).name, 'spec.containers[0].name', 'Required value'],
    ['a container name is a DNS label', (o) => (c0(o).name = 'Web_1'), 'spec.containers[0].name', 'Invalid value: "Web_1": a lowercase RFC 1123 label must consist of'],
    ['container names are unique', (o) => o.spec.containers.push({ name: 'nginx', image: 'x' }), 'spec.containers[1].name', 'Duplicate value: "nginx"'],
    [
      'init container names do not repeat container names',
      (o) => (o.spec.initContainers = [{ name: 'nginx', image: 'busybox' }]),
      'spec.initContainers[0].name',
      'Duplicate value: "nginx"',
    ],
    ['a container needs an image', (o) => delete c0(o).image, 'spec.containers[0].image', 'Required value'],
    ['an image has no surrounding spaces', (o) => (c0(o).image = ' nginx'), 'spec.containers[0].image', 'Invalid value: " nginx": must not have leading or trailing whitespace'],
    ['containerPort is 1..65535', (o) => (c0(o).ports = [{ containerPort: 70000 }]), 'spec.containers[0].ports[0].containerPort', 'Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ['containerPort is required', (o) => (c0(o).ports = [{ name: 'http' }]), 'spec.containers[0].ports[0].containerPort', 'Required value'],
    ['hostPort is 0..65535', (o) => (c0(o).ports = [{ containerPort: 80, hostPort: -1 }]), 'spec.containers[0].ports[0].hostPort', 'Invalid value: -1: must be between 1 and 65535, inclusive'],
    ['the protocol is TCP, UDP or SCTP', (o) => (c0(o).ports = [{ containerPort: 80, protocol: 'HTTP' }]), 'spec.containers[0].ports[0].protocol', 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
    ['port names are IANA service names', (o) => (c0(o).ports = [{ containerPort: 80, name: 'http-server-port-1' }]), 'spec.containers[0].ports[0].name', 'Invalid value: "http-server-port-1": must be no more than 15 characters'],
    ['port names need a letter', (o) => (c0(o).ports = [{ containerPort: 80, name: '8080' }]), 'spec.containers[0].ports[0].name', 'Invalid value: "8080": must contain at least one letter (a-z)'],
    [
      'port names are unique within a container',
      (o) => (c0(o).ports = [{ containerPort: 80, name: 'http' }, { containerPort: 81, name: 'http' }]),
      'spec.containers[0].ports[1].name',
      'Duplicate value: "http"',
    ],
    [
      'host ports do not collide',
      (o) => (o.spec.containers = [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }, { name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] }]),
      'spec.containers[1].ports[0].hostPort',
      'Duplicate value: "/TCP/8080"',
    ],
    [
      'env names are valid',
      (o) => (c0(o).env = [{ name: '1ST', value: 'x' }]),
      'spec.containers[0].env[0].name',
      "Invalid value: \"1ST\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
    ],
    ['env names are required', (o) => (c0(o).env = [{ value: 'x' }]), 'spec.containers[0].env[0].name', 'Required value'],
    [
      'valueFrom needs a source',
      (o) => (c0(o).env = [{ name: 'A', valueFrom: {} }]),
      'spec.containers[0].env[0].valueFrom',
      'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
    ],
    [
      'valueFrom takes one source',
      (o) => (c0(o).env = [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' }, secretKeyRef: { name: 's', key: 'k' } } }]),
      'spec.containers[0].env[0].valueFrom',
      'Invalid value: "": may not have more than one field specified at a time',
    ],
    [
      'valueFrom excludes value',
      (o) => (c0(o).env = [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
      'spec.containers[0].env[0].valueFrom',
      'Invalid value: "": may not be specified when `value` is not empty',
    ],
    [
      'fieldRef paths are supported ones',
      (o) => (c0(o).env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.lebels.app' } } }]),
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath',
      'Unsupported value: "metadata.lebels.app": supported values: "metadata.name"',
    ],
    [
      'resourceFieldRef resources are supported ones',
      (o) => (c0(o).env = [{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }]),
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource',
      'Unsupported value: "limits.gpu"',
    ],
    [
      'cpu divisors are 1m or 1',
      (o) => (c0(o).env = [{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1Ki' } } }]),
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor',
      "Invalid value: \"1Ki\": only divisor's values 1m and 1 are supported with the cpu resource",
    ],
    ['configMapKeyRef needs a key', (o) => (c0(o).env = [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c' } } }]), 'spec.containers[0].env[0].valueFrom.configMapKeyRef.key', 'Required value'],
    ['envFrom needs a source', (o) => (c0(o).envFrom = [{ prefix: 'CONF_' }]), 'spec.containers[0].envFrom', 'Invalid value: "": must specify one of: `configMapRef` or `secretRef`'],
    ['volumes need a name', (o) => (o.spec.volumes = [{ emptyDir: {} }]), 'spec.volumes[0].name', 'Required value'],
    ['volume names are DNS labels', (o) => (o.spec.volumes = [{ name: 'Data', emptyDir: {} }]), 'spec.volumes[0].name', 'Invalid value: "Data"'],
    ['volume names are unique', (o) => (o.spec.volumes = [{ name: 'd', emptyDir: {} }, { name: 'd', emptyDir: {} }]), 'spec.volumes[1].name', 'Duplicate value: "d"'],
    [
      'a volume has one source',
      (o) => (o.spec.volumes = [{ name: 'd', emptyDir: {}, hostPath: { path: '/tmp' } }]),
      'spec.volumes[0].emptyDir',
      'Forbidden: may not specify more than 1 volume type',
    ],
    ['a hostPath needs a path', (o) => (o.spec.volumes = [{ name: 'd', hostPath: {} }]), 'spec.volumes[0].hostPath.path', 'Required value'],
    ['a hostPath type is supported', (o) => (o.spec.volumes = [{ name: 'd', hostPath: { path: '/x', type: 'Dir' } }]), 'spec.volumes[0].hostPath.type', 'Unsupported value: "Dir": supported values: "", "BlockDevice"'],
    ['a secret volume needs secretName', (o) => (o.spec.volumes = [{ name: 'd', secret: {} }]), 'spec.volumes[0].secret.secretName', 'Required value'],
    ['a file mode is at most 0777', (o) => (o.spec.volumes = [{ name: 'd', configMap: { name: 'c', defaultMode: 0o1777 } }]), 'spec.volumes[0].configMap.defaultMode', 'Invalid value: 1023: must be a number between 0 and 0777 (octal), both inclusive'],
    ['configMap items paths are relative', (o) => (o.spec.volumes = [{ name: 'd', configMap: { name: 'c', items: [{ key: 'k', path: '/etc/x' }] } }]), 'spec.volumes[0].configMap.items[0].path', 'Invalid value: "/etc/x": must be a relative path'],
    ['a claim volume needs claimName', (o) => (o.spec.volumes = [{ name: 'd', persistentVolumeClaim: {} }]), 'spec.volumes[0].persistentVolumeClaim.claimName', 'Required value'],
    ['an nfs path is absolute', (o) => (o.spec.volumes = [{ name: 'd', nfs: { server: 's', path: 'x' } }]), 'spec.volumes[0].nfs.path', 'Invalid value: "x": must be an absolute path'],
    [
      'downwardAPI items take fieldRef or resourceFieldRef',
      (o) => (o.spec.volumes = [{ name: 'd', downwardAPI: { items: [{ path: 'labels' }] } }]),
      'spec.volumes[0].downwardAPI.items[0]',
      'Required value: one of fieldRef and resourceFieldRef is required',
    ],
    [
      'downwardAPI resource references name a container',
      (o) => (o.spec.volumes = [{ name: 'd', downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { resource: 'requests.cpu' } }] } }]),
      'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName',
      'Required value',
    ],
    ['a volume mount refers to a volume', (o) => (c0(o).volumeMounts = [{ name: 'data', mountPath: '/data' }]), 'spec.containers[0].volumeMounts[0].name', 'Not found: "data"'],
    [
      'mountPath is required',
      (o) => {
        o.spec.volumes = [{ name: 'data', emptyDir: {} }];
        c0(o).volumeMounts = [{ name: 'data' }];
      },
      'spec.containers[0].volumeMounts[0].mountPath',
      'Required value',
    ],
    [
      'mountPaths are unique',
      (o) => {
        o.spec.volumes = [{ name: 'a', emptyDir: {} }, { name: 'b', emptyDir: {} }];
        c0(o).volumeMounts = [{ name: 'a', mountPath: '/data' }, { name: 'b', mountPath: '/data' }];
      },
      'spec.containers[0].volumeMounts[1].mountPath',
      'Invalid value: "/data": must be unique',
    ],
    [
      'subPath is relative',
      (o) => {
        o.spec.volumes = [{ name: 'a', emptyDir: {} }];
        c0(o).volumeMounts = [{ name: 'a', mountPath: '/data', subPath: '/abs' }];
      },
      'spec.containers[0].volumeMounts[0].subPath',
      'Invalid value: "/abs": must be a relative path',
    ],
    [
      'subPath does not climb out',
      (o) => {
        o.spec.volumes = [{ name: 'a', emptyDir: {} }];
        c0(o).volumeMounts = [{ name: 'a', mountPath: '/data', subPath: 'x/../../etc' }];
      },
      'spec.containers[0].volumeMounts[0].subPath',
      "Invalid value: \"x/../../etc\": must not contain '..'",
    ],
    [
      'requests do not exceed limits',
      (o) => (c0(o).resources = { requests: { cpu: '2' }, limits: { cpu: '1' } }),
      'spec.containers[0].resources.requests',
      'Invalid value: "2": must be less than or equal to cpu limit of 1',
    ],
    [
      'memory requests do not exceed limits either',
      (o) => (c0(o).resources = { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } }),
      'spec.containers[0].resources.requests',
      'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
    ],
    ['quantities are well-formed', (o) => (c0(o).resources = { limits: { cpu: 'lots' } }), 'spec.containers[0].resources.limits[cpu]', "Invalid value: \"lots\": quantities must match the regular expression"],
    ['quantities are non-negative', (o) => (c0(o).resources = { requests: { cpu: '-1' } }), 'spec.containers[0].resources.requests[cpu]', 'Invalid value: "-1": must be greater than or equal to 0'],
    ['resource names are standard', (o) => (c0(o).resources = { requests: { gpu: '1' } }), 'spec.containers[0].resources.requests[gpu]', 'Invalid value: "gpu": must be a standard resource for containers'],
    [
      'extended resources cannot be overcommitted',
      (o) => (c0(o).resources = { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '2' } }),
      'spec.containers[0].resources.requests',
      'Invalid value: "1": must be equal to example.com/gpu limit of 2',
    ],
    ['restartPolicy is supported', (o) => (o.spec.restartPolicy = 'Sometimes'), 'spec.restartPolicy', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ['dnsPolicy is supported', (o) => (o.spec.dnsPolicy = 'Google'), 'spec.dnsPolicy', 'Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
    ['dnsPolicy None needs dnsConfig', (o) => (o.spec.dnsPolicy = 'None'), 'spec.dnsConfig', 'Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
    ['a probe has a handler', (o) => (c0(o).livenessProbe = { initialDelaySeconds: 3 }), 'spec.containers[0].livenessProbe', 'Required value: must specify a handler type'],
    [
      'a probe has one handler',
      (o) => (c0(o).readinessProbe = { exec: { command: ['ls'] }, tcpSocket: { port: 80 } }),
      'spec.containers[0].readinessProbe.tcpSocket',
      'Forbidden: may not specify more than 1 handler type',
    ],
    ['a liveness probe succeeds once', (o) => (c0(o).livenessProbe = { exec: { command: ['ls'] }, successThreshold: 2 }), 'spec.containers[0].livenessProbe.successThreshold', 'Invalid value: 2: must be 1'],
    ['a startup probe succeeds once', (o) => (c0(o).startupProbe = { exec: { command: ['ls'] }, successThreshold: 3 }), 'spec.containers[0].startupProbe.successThreshold', 'Invalid value: 3: must be 1'],
    ['probe thresholds are not negative', (o) => (c0(o).readinessProbe = { exec: { command: ['ls'] }, failureThreshold: -1 }), 'spec.containers[0].readinessProbe.failureThreshold', 'Invalid value: -1: must be greater than or equal to 0'],
    ['probe ports are numbers or IANA names', (o) => (c0(o).livenessProbe = { httpGet: { port: 'HTTP_PORT' } }), 'spec.containers[0].livenessProbe.httpGet.port', 'Invalid value: "HTTP_PORT"'],
    ['probe port numbers are in range', (o) => (c0(o).livenessProbe = { tcpSocket: { port: 0 } }), 'spec.containers[0].livenessProbe.tcpSocket.port', 'Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['an exec probe has a command', (o) => (c0(o).livenessProbe = { exec: {} }), 'spec.containers[0].livenessProbe.exec.command', 'Required value'],
    [
      'init containers without restartPolicy Always have no probes',
      (o) => (o.spec.initContainers = [{ name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['ls'] } } }]),
      'spec.initContainers[0].readinessProbe',
      'Forbidden: may not be set for init containers without restartPolicy=Always',
    ],
    ['a lifecycle hook has a handler', (o) => (c0(o).lifecycle = { preStop: {} }), 'spec.containers[0].lifecycle.preStop', 'Required value: must specify a handler type'],
    ['terminationGracePeriodSeconds is not negative', (o) => (o.spec.terminationGracePeriodSeconds = -5), 'spec.terminationGracePeriodSeconds', 'Invalid value: -5: must be greater than or equal to 0'],
    ['activeDeadlineSeconds is positive', (o) => (o.spec.activeDeadlineSeconds = 0), 'spec.activeDeadlineSeconds', 'Invalid value: 0: must be between 1 and 2147483647, inclusive'],
    ['nodeSelector labels are valid', (o) => (o.spec.nodeSelector = { disk: 'ssd drive' }), 'spec.nodeSelector', 'Invalid value: "ssd drive"'],
    ['nodeName is a subdomain', (o) => (o.spec.nodeName = 'Node_1'), 'spec.nodeName', 'Invalid value: "Node_1"'],
    ['serviceAccountName is a subdomain', (o) => (o.spec.serviceAccountName = 'Bad Name'), 'spec.serviceAccountName', 'Invalid value: "Bad Name"'],
    ['hostname is a DNS label', (o) => (o.spec.hostname = 'a.b'), 'spec.hostname', 'Invalid value: "a.b"'],
    [
      'a toleration operator is Equal or Exists',
      (o) => (o.spec.tolerations = [{ key: 'k', operator: 'In', value: 'v' }]),
      'spec.tolerations[0].operator',
      'Unsupported value: "In": supported values: "Equal", "Exists"',
    ],
    [
      'an Exists toleration has no value',
      (o) => (o.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }]),
      'spec.tolerations[0].operator',
      'Invalid value: {"key":"k","operator":"Exists","value":"v"}: value must be empty when `operator` is \'Exists\'',
    ],
    [
      'an empty toleration key needs Exists',
      (o) => (o.spec.tolerations = [{ operator: 'Equal', value: 'v' }]),
      'spec.tolerations[0].operator',
      'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ],
    [
      'a toleration effect is supported',
      (o) => (o.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoRun' }]),
      'spec.tolerations[0].effect',
      'Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ],
    [
      'tolerationSeconds needs NoExecute',
      (o) => (o.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 60 }]),
      'spec.tolerations[0].effect',
      "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
    ],
    [
      'In node affinity needs values',
      (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'mysql', operator: 'In' }] }] } } }),
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values',
      "Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ],
    [
      'Exists node affinity has no values',
      (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['x'] }] }] } } }),
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values',
      "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ],
    [
      'Gt node affinity takes one value',
      (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1', '2'] }] }] } } }),
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values',
      "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
    ],
    [
      'Lt node affinity takes an integer',
      (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'Lt', values: ['ten'] }] }] } } }),
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]',
      'Invalid value: "ten": must be an integer',
    ],
    [
      'required node affinity has terms',
      (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }),
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
      'Required value: must have at least one node selector term',
    ],
    [
      'preferred weights are 1..100',
      (o) => (o.spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, preference: { matchExpressions: [{ key: 'k', operator: 'Exists' }] } }] } }),
      'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
      'Invalid value: 101: must be in the range 1-100',
    ],
    [
      'pod anti-affinity needs a topologyKey',
      (o) => (o.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } } }] } }),
      'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey',
      'Required value: can not be empty',
    ],
    [
      'topology spread needs a positive maxSkew',
      (o) => (o.spec.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }]),
      'spec.topologySpreadConstraints[0].maxSkew',
      'Invalid value: 0: must be greater than zero',
    ],
    ['ephemeral containers cannot be set on create', (o) => (o.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }]), 'spec.ephemeralContainers', 'Forbidden: cannot be set on create'],
  ])('%s', (_, change, field, message) => {
    expect(validateObject(podWith(change))).toContainEqual(cause(field, message));
  });

  it.each<[string, (o: any) => void]>([
    ['named ports used by probes', (o) => Object.assign(c0(o), { ports: [{ name: 'http', containerPort: 8080 }], livenessProbe: { httpGet: { port: 'http' } } })],
    ['a fieldRef to a label', (o) => (c0(o).env = [{ name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }])],
    ['an envFrom with a prefix', (o) => (c0(o).envFrom = [{ prefix: 'CONF_', configMapRef: { name: 'fortune-config-cm' } }])],
    ['requests equal to limits for extended resources', (o) => (c0(o).resources = { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '1' } })],
    ['a sidecar init container with a probe', (o) => (o.spec.initContainers = [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 9901 } } }])],
    ['a NoExecute toleration with seconds', (o) => (o.spec.tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }])],
    ['an empty-key Exists toleration', (o) => (o.spec.tolerations = [{ operator: 'Exists' }])],
    ['a None dnsPolicy with nameservers', (o) => Object.assign(o.spec, { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['svc.cluster.local.'] } })],
    ['a volume mount with a subPath', (o) => Object.assign(o.spec, { volumes: [{ name: 'config', configMap: { name: 'c' } }] }) && (c0(o).volumeMounts = [{ name: 'config', mountPath: '/etc/nginx/conf.d/gzip.conf', subPath: 'gzip.conf' }])],
  ])('accepts %s', (_, change) => {
    expect(validateObject(podWith(change))).toEqual([]);
  });

  it('reports under the path it is given', () => {
    const causes = validatePodSpec({ containers: [] });
    expect(causes).toEqual([expect.objectContaining({ field: 'spec.containers' })]);
  });
});

describe('pod update validation', () => {
  const running = () =>
    defaultObject(
      objectWith('v1/Pod', (o) => {
        o.spec.initContainers = [{ name: 'init', image: 'busybox:1' }];
        o.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }];
      }),
    );

  it.each<[string, (o: any) => void]>([
    ['a new container image', (o) => (c0(o).image = 'nginx:1.26')],
    ['a new init container image', (o) => (o.spec.initContainers[0].image = 'busybox:2')],
    ['setting activeDeadlineSeconds', (o) => (o.spec.activeDeadlineSeconds = 600)],
    ['an added toleration', (o) => o.spec.tolerations.push({ key: 'x', operator: 'Exists' })],
    ['a changed tolerationSeconds', (o) => (o.spec.tolerations[0].tolerationSeconds = 30)],
    ['binding to a node', (o) => (o.spec.nodeName = 'node-1')],
    ['changed labels', (o) => (o.metadata.labels = { tier: 'web' })],
  ])('allows %s', (_, change) => {
    const old = running();
    const pod = structuredClone(old);
    change(pod);
    expect(validateObject(pod, old)).toEqual([]);
  });

  it.each<[string, (o: any) => void, (o: any) => void, string, string]>([
    ['changing container ports', () => {}, (o) => (c0(o).ports = [{ containerPort: 80, protocol: 'TCP' }]), 'spec', `Forbidden: ${POD_UPDATE_FORBIDDEN}`],
    ['changing the restart policy', () => {}, (o) => (o.spec.restartPolicy = 'Never'), 'spec', 'Forbidden: pod updates may not change fields other than'],
    ['adding a container', () => {}, (o) => o.spec.containers.push({ name: 'side', image: 'x' }), 'spec.containers', 'Forbidden: pod updates may not add or remove containers'],
    ['removing a toleration', () => {}, (o) => (o.spec.tolerations = []), 'spec.tolerations', 'Forbidden: existing toleration can not be modified except its tolerationSeconds'],
    ['moving a bound pod to another node', (o) => (o.spec.nodeName = 'node-1'), (o) => (o.spec.nodeName = 'node-2'), 'spec', 'Forbidden: pod updates may not change fields other than'],
    ['raising activeDeadlineSeconds', (o) => (o.spec.activeDeadlineSeconds = 60), (o) => (o.spec.activeDeadlineSeconds = 120), 'spec.activeDeadlineSeconds', 'Invalid value: 120: must be less than or equal to previous value'],
    ['unsetting activeDeadlineSeconds', (o) => (o.spec.activeDeadlineSeconds = 60), (o) => delete o.spec.activeDeadlineSeconds, 'spec.activeDeadlineSeconds', 'Invalid value: null: must not update from a positive integer to nil value'],
    ['adding a scheduling gate', () => {}, (o) => (o.spec.schedulingGates = [{ name: 'example.com/wait' }]), 'spec.schedulingGates[0].name', "Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/wait'"],
    ['emptying an image', () => {}, (o) => (c0(o).image = ''), 'spec.containers[0].image', 'Required value'],
  ])('refuses %s', (_, before, change, field, message) => {
    const old = running();
    before(old);
    const pod = structuredClone(old);
    change(pod);
    expect(validateObject(pod, old)).toContainEqual(cause(field, message));
  });

  it('names the changed fields', () => {
    const old = running();
    const pod = structuredClone(old);
    pod.spec.restartPolicy = 'Never';
    const spec = validateObject(pod, old).find((c) => c.field === 'spec');
    expect(spec?.message).toContain('changed: spec.restartPolicy');
  });

  it('lets a gated pod gain node selector entries and lose gates', () => {
    const old = defaultObject(objectWith('v1/Pod', (o) => (o.spec.schedulingGates = [{ name: 'example.com/wait' }])));
    const pod = structuredClone(old);
    pod.spec.nodeSelector = { disk: 'ssd' };
    pod.spec.schedulingGates = [];
    expect(validateObject(pod, old)).toEqual([]);
  });

  it('allows terminationGracePeriodSeconds 1 after a negative value', () => {
    const old = running();
    old.spec.terminationGracePeriodSeconds = -1;
    const pod = structuredClone(old);
    pod.spec.terminationGracePeriodSeconds = 1;
    expect(validateObject(pod, old).filter((c) => c.field === 'spec')).toEqual([]);
  });
});
