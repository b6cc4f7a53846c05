import { describe, expect, it } from 'vitest';
import { defaultPod, defaultPodSpec, defaultPodTemplate } from './pod';

const pod = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): any => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec, ...extra });
const c = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'nginx:1.25', ...extra });

describe('defaultPod', () => {
  it.each<[string, any, any]>([
    [
      'fills the pod spec defaults',
      pod({ containers: [c()] }),
      {
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          securityContext: {},
          enableServiceLinks: true,
          preemptionPolicy: 'PreemptLowerPriority',
          priority: 0,
        },
        status: { phase: 'Pending' },
      },
    ],
    [
      'fills container defaults',
      pod({ containers: [c({ ports: [{ containerPort: 80 }] })] }),
      { spec: { containers: [{ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
    ],
    [
      'fills init container defaults too',
      pod({ containers: [c()], initContainers: [{ name: 'init', image: 'busybox' }] }),
      { spec: { initContainers: [{ imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }] } },
    ],
    [
      'fills probe timings and the HTTP path and scheme',
      pod({ containers: [c({ livenessProbe: { httpGet: { port: 8080 }, initialDelaySeconds: 11 }, readinessProbe: { exec: { command: ['ls'] } } })] }),
      {
        spec: {
          containers: [
            {
              livenessProbe: { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, initialDelaySeconds: 11, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
              readinessProbe: { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
            },
          ],
        },
      },
    ],
    [
      'keeps probe values that are set',
      pod({ containers: [c({ readinessProbe: { httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 1 } })] }),
      { spec: { containers: [{ readinessProbe: { periodSeconds: 1, httpGet: { path: '/healthz' } } }] } },
    ],
    [
      'gives env field references apiVersion v1',
      pod({ containers: [c({ env: [{ name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }] })] }),
      { spec: { containers: [{ env: [{ valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } }] }] } },
    ],
    [
      'copies limits to missing requests',
      pod({ containers: [c({ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } })] }),
      { spec: { containers: [{ resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }] } },
    ],
    [
      'creates requests from limits when there are none',
      pod({ containers: [c({ resources: { limits: { cpu: '2' } } })] }),
      { spec: { containers: [{ resources: { requests: { cpu: '2' } } }] } },
    ],
    [
      'defaults host ports to container ports with hostNetwork',
      pod({ hostNetwork: true, containers: [c({ ports: [{ containerPort: 8080 }] })] }),
      { spec: { containers: [{ ports: [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }] }] } },
    ],
    [
      'gives a volume without a source an emptyDir',
      pod({ containers: [c()], volumes: [{ name: 'scratch' }] }),
      { spec: { volumes: [{ name: 'scratch', emptyDir: {} }] } },
    ],
    [
      'gives secret, configMap, downwardAPI and projected volumes mode 0644',
      pod({
        containers: [c()],
        volumes: [
          { name: 'a', secret: { secretName: 's' } },
          { name: 'b', configMap: { name: 'c' } },
          { name: 'c', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'd', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
          { name: 'e', hostPath: { path: '/tmp' } },
        ],
      }),
      {
        spec: {
          volumes: [
            { secret: { defaultMode: 420 } },
            { configMap: { defaultMode: 420 } },
            { downwardAPI: { defaultMode: 420, items: [{ fieldRef: { apiVersion: 'v1' } }] } },
            { projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3600 } }] } },
            { hostPath: { path: '/tmp', type: '' } },
          ],
        },
      },
    ],
    ['keeps an existing phase', pod({ containers: [c()] }, { status: { phase: 'Running' } }), { status: { phase: 'Running' } }],
  ])('%s', (_, input, expected) => {
    defaultPod(input);
    expect(input).toMatchObject(expected);
  });

  it('leaves priority to admission when a priorityClassName is set', () => {
    const p = pod({ priorityClassName: 'high', containers: [c()] });
    defaultPod(p);
    expect(p.spec.priority).toBeUndefined();
    expect(p.spec.preemptionPolicy).toBeUndefined();
  });

  it.each([
    ['a missing spec', { kind: 'Pod' }],
    ['a spec that is a string', { kind: 'Pod', spec: 'nope' }],
    ['containers that are not a list', { kind: 'Pod', spec: { containers: 7 } }],
    ['containers that are not objects', { kind: 'Pod', spec: { containers: ['x', null, 3] } }],
    ['a non-object', 42],
  ])('does not throw on %s', (_, input) => {
    expect(() => defaultPod(input)).not.toThrow();
  });
});

describe('defaultPodSpec and defaultPodTemplate', () => {
  it('does not give templates the pod-only defaults', () => {
    const tpl: any = { spec: { containers: [c({ resources: { limits: { cpu: '1' } } })] } };
    defaultPodTemplate(tpl);
    expect(tpl.spec.restartPolicy).toBe('Always');
    expect(tpl.spec.enableServiceLinks).toBeUndefined();
    expect(tpl.spec.priority).toBeUndefined();
    expect(tpl.spec.containers[0].resources.requests).toBeUndefined();
  });

  it('can leave restartPolicy unset, as Job templates need', () => {
    const spec: any = { containers: [c()] };
    defaultPodSpec(spec, { restartPolicy: false });
    expect(spec.restartPolicy).toBeUndefined();
    expect(spec.dnsPolicy).toBe('ClusterFirst');
  });

  it('creates a missing template spec', () => {
    const tpl: any = { metadata: {} };
    defaultPodTemplate(tpl);
    expect(tpl.spec).toMatchObject({ restartPolicy: 'Always', schedulerName: 'default-scheduler' });
  });
});
