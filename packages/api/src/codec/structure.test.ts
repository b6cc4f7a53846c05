import { describe, expect, it } from 'vitest';
import { checkStructure, structureRules, type StructureRule } from './structure';

const str = (v: string, go = 'string') => `(cannot unmarshal ${v} into Go value of type ${go})`;

describe('checkStructure', () => {
  it.each([
    [
      'a number as a label value (kubectl refuses `version: 1`)',
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', labels: { version: 1 } } },
      [['metadata.labels.version', `Invalid value: 1: must be a string ${str('number')}`]],
    ],
    ['a boolean as an annotation value', { kind: 'Service', metadata: { annotations: { enabled: true } } }, [['metadata.annotations.enabled', `Invalid value: true: must be a string ${str('bool')}`]]],
    ['metadata that is a list', { kind: 'Pod', metadata: ['a'] }, [['metadata', 'Invalid value: ["a"]: must be a mapping']]],
    ['a name that is a number', { kind: 'ConfigMap', metadata: { name: 42 } }, [['metadata.name', `Invalid value: 42: must be a string ${str('number')}`]]],
    ['labels that are a list', { kind: 'Pod', metadata: { labels: ['a=b'] } }, [['metadata.labels', 'Invalid value: ["a=b"]: must be a mapping']]],
    ['replicas as a string', { kind: 'Deployment', spec: { replicas: '3' } }, [['spec.replicas', `Invalid value: "3": must be an integer ${str('string', 'int32')}`]]],
    ['replicas as a fraction', { kind: 'ReplicaSet', spec: { replicas: 1.5 } }, [['spec.replicas', `Invalid value: 1.5: must be an integer ${str('number', 'int32')}`]]],
    ['containers as a mapping', { kind: 'Pod', spec: { containers: { name: 'a' } } }, [['spec.containers', 'Invalid value: {"name":"a"}: must be a list']]],
    ['a template that is a string', { kind: 'Deployment', spec: { template: 'nginx' } }, [['spec.template', 'Invalid value: "nginx": must be a mapping']]],
    [
      'a containerPort as a string, in a Deployment',
      { kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: '80' }] }] } } } },
      [['spec.template.spec.containers[0].ports[0].containerPort', `Invalid value: "80": must be an integer ${str('string', 'int32')}`]],
    ],
    [
      'an env value that is a number, in a CronJob',
      { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { containers: [{ env: [{ name: 'PORT', value: 8080 }] }] } } } } } },
      [['spec.jobTemplate.spec.template.spec.containers[0].env[0].value', `Invalid value: 8080: must be a string ${str('number')}`]],
    ],
    [
      'an init container env value that is a boolean',
      { kind: 'Pod', spec: { initContainers: [{ env: [{ name: 'DEBUG', value: true }] }] } },
      [['spec.initContainers[0].env[0].value', `Invalid value: true: must be a string ${str('bool')}`]],
    ],
    [
      'a resource limit that is a list',
      { kind: 'Pod', spec: { containers: [{ resources: { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: [1] } } }] } },
      [['spec.containers[0].resources.requests.cpu', 'Invalid value: [1]: must be a string or a number (a quantity such as "500m", "1Gi" or 2)']],
    ],
    ['a nodeSelector value that is a boolean (`ssd: true`)', { kind: 'DaemonSet', spec: { template: { spec: { nodeSelector: { ssd: true } } } } }, [['spec.template.spec.nodeSelector.ssd', `Invalid value: true: must be a string ${str('bool')}`]]],
    ['a selector label that is a number', { kind: 'Service', spec: { selector: { tier: 1 } } }, [['spec.selector.tier', `Invalid value: 1: must be a string ${str('number')}`]]],
    ['matchLabels with a number', { kind: 'Deployment', spec: { selector: { matchLabels: { v: 2 } } } }, [['spec.selector.matchLabels.v', `Invalid value: 2: must be a string ${str('number')}`]]],
    ['ConfigMap data that is a number', { kind: 'ConfigMap', data: { retries: 3 } }, [['data.retries', `Invalid value: 3: must be a string ${str('number')}`]]],
    ['a Service port as a string', { kind: 'Service', spec: { ports: [{ port: '80', targetPort: 'http' }] } }, [['spec.ports[0].port', `Invalid value: "80": must be an integer ${str('string', 'int32')}`]]],
    ['a targetPort that is a fraction', { kind: 'Service', spec: { ports: [{ port: 80, targetPort: 80.5 }] } }, [['spec.ports[0].targetPort', 'Invalid value: 80.5: must be an integer or a string']]],
    ['a spec that is a string', { kind: 'Pod', spec: 'none' }, [['spec', 'Invalid value: "none": must be a mapping']]],
    ['the whole object not a mapping', 'Pod', [['', 'Invalid value: "Pod": must be a mapping']]],
  ])('reports %s', (_, obj, want) => {
    expect(checkStructure(obj).map((c) => [c.field, c.message])).toEqual(want);
    for (const c of checkStructure(obj)) expect(c.reason).toBe('FieldValueTypeInvalid');
  });

  it.each([
    ['numbers as resource quantities (Kubernetes accepts them)', { kind: 'Pod', spec: { containers: [{ resources: { limits: { cpu: 2, memory: 1024 } } }] } }],
    ['null fields (Go leaves them at their zero value)', { kind: 'Pod', metadata: { labels: null }, spec: { containers: [null] } }],
    ['fields of kinds the table does not cover', { kind: 'Widget', spec: { replicas: 'many' } }],
    ['replicas in a kind without replicas', { kind: 'DaemonSet', spec: { replicas: 'x' } }],
    ['a named targetPort', { kind: 'Service', spec: { ports: [{ port: 80, targetPort: 'http' }] } }],
  ])('accepts %s', (_, obj) => {
    expect(checkStructure(obj)).toEqual([]);
  });

  it('does not repeat a problem under a parent of the wrong type', () => {
    expect(checkStructure({ kind: 'Pod', spec: { containers: 'nginx' } })).toHaveLength(1);
  });

  it('shortens long values', () => {
    const [c] = checkStructure({ kind: 'Pod', spec: { containers: { a: 'x'.repeat(100) } } });
    expect(c.message).toMatch(/^Invalid value: \{"a":"x+\.\.\.: must be a list$/);
  });

  it('takes more rules for custom kinds', () => {
    const rules: StructureRule[] = [...structureRules, { kinds: ['Widget'], path: 'spec.sizes[]', type: 'integer' }];
    expect(checkStructure({ kind: 'Widget', spec: { sizes: [1, 'big'] } }, rules)).toEqual([
      { reason: 'FieldValueTypeInvalid', field: 'spec.sizes[1]', message: `Invalid value: "big": must be an integer ${str('string', 'int32')}` },
    ]);
  });

  it('has no placeholders left in the expanded table', () => {
    for (const r of structureRules) expect(r.path).not.toMatch(/[{}]/);
  });
});
