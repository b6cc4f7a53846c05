import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkStructure, createScheme, decode, decodeAll, defaultObject, deepCopy, encode, isApiError, validateObject, type FieldCause, type KubeObject } from '@bosun/api';

// The seed fixtures (test/fixtures/seeds/README.md): every example from the study notes
// decodes, converts when legacy, passes the structural check, and after defaulting has
// no validation causes — or, for the three that are invalid as written, fails with
// exactly the error Kubernetes gives.

const dir = fileURLToPath(new URL('../fixtures/seeds/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const read = (f: string) => readFileSync(`${dir}${f}`, 'utf8');
const scheme = createScheme();

/**
 * Admission as `kubectl create -f` then the API server run it: a namespaced object
 * without a namespace lands in `default` (the request's namespace), then defaulting,
 * then validation.
 */
function defaultAndValidate(obj: KubeObject): FieldCause[] {
  const o = deepCopy(obj);
  if (scheme.lookup(o.apiVersion!, o.kind!)?.namespaced && !o.metadata?.namespace) o.metadata = { ...o.metadata, namespace: 'default' };
  return validateObject(defaultObject(o));
}

/** Seeds that Kubernetes refuses as written: why is in the README. */
const decodeErrors: Record<string, { message: string; causes: FieldCause[] }> = {
  '003_bea7a2b1a17eec52-21-pod.yaml': {
    message: 'document 1: apiVersion: Required value',
    causes: [{ reason: 'FieldValueRequired', field: 'apiVersion', message: 'Required value' }],
  },
  '004_933d4accde4b7d3e-03-pod.yaml': {
    message:
      'document 1: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: true: must be a string (cannot unmarshal bool into Go value of type string)',
    causes: [
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]',
        message: 'Invalid value: true: must be a string (cannot unmarshal bool into Go value of type string)',
      },
    ],
  },
};

const invalidName: FieldCause = {
  reason: 'FieldValueInvalid',
  field: 'metadata.name',
  message:
    "Invalid value: \"process-item-$ITEM\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
};

const legacy: Record<string, { from: string; to: string }> = {
  '003_bea7a2b1a17eec52-08-cronjob.yaml': { from: 'batch/v1beta1', to: 'batch/v1' },
  '003_bea7a2b1a17eec52-16-ingress.yaml': { from: 'networking.k8s.io/v1beta1', to: 'networking.k8s.io/v1' },
};

const decodable = fixtures.filter((f) => !(f in decodeErrors));

describe('seed fixtures', () => {
  it('are all there: 43 examples from four seed files', () => {
    expect(fixtures).toHaveLength(43);
  });

  it.each(decodable)('%s decodes to one object of the kind its name says, with a served version', (f) => {
    const objs = decodeAll(read(f), { scheme });
    expect(objs).toHaveLength(1);
    const [obj] = objs;
    expect(obj.kind?.toLowerCase()).toBe(/-\d\d-([a-z]+)\.yaml$/.exec(f)![1]);
    expect(scheme.lookup(obj.apiVersion!, obj.kind!)).toBeDefined();
    expect(obj.apiVersion).toBe(legacy[f]?.to ?? obj.apiVersion);
  });

  it.each(Object.entries(legacy))('%s is written in a legacy version and converted', (f, { from, to }) => {
    expect(read(f)).toContain(`apiVersion: ${from}`);
    expect(decode(read(f), { scheme }).apiVersion).toBe(to);
    expect(() => decode(read(f), { scheme, convert: false })).toThrow(`is no longer served; use apiVersion: ${to}`);
  });

  it('the v1beta1 Ingress seed converts its backends and path types', () => {
    const ing = decode(read('003_bea7a2b1a17eec52-16-ingress.yaml'), { scheme }) as KubeObject & { spec: { rules: { host: string; http: { paths: unknown[] } }[] } };
    expect(ing.spec.rules[0].http.paths[0]).toEqual({ path: '/kubia', pathType: 'ImplementationSpecific', backend: { service: { name: 'kubia-nodeport', port: { number: 80 } } } });
    expect(ing.spec.rules[1]).toEqual({
      host: 'new.example.com',
      http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'gooele', port: { number: 8080 } } } }] },
    });
  });

  it('the ConfigMap volume seed reads defaultMode 0666 as octal, as kubectl does', () => {
    const pod = decode(read('003_bea7a2b1a17eec52-25-pod.yaml'), { scheme }) as KubeObject & { spec: { volumes: { configMap?: { defaultMode: number } }[] } };
    expect(pod.spec.volumes[1].configMap?.defaultMode).toBe(0o666);
  });

  it.each(decodable)('%s passes the structural check', (f) => {
    expect(checkStructure(decode(read(f), { scheme }))).toEqual([]);
  });

  it.each(decodable)('%s round-trips through encode, as YAML and as JSON', (f) => {
    const obj = decode(read(f), { scheme });
    expect(decode(encode(obj), { scheme })).toEqual(obj);
    expect(decode(encode(obj, 'json'), { scheme })).toEqual(obj);
  });

  it.each(Object.entries(decodeErrors))('%s is refused while decoding, as Kubernetes refuses it', (f, want) => {
    let err: unknown;
    try {
      decodeAll(read(f), { scheme });
    } catch (e) {
      err = e;
    }
    expect(isApiError(err)).toBe(true);
    const e = err as import('@bosun/api').ApiError;
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe(want.message);
    expect(e.details).toMatchObject({ document: 1 });
    expect(e.causes).toEqual(want.causes);
  });

  describe('after defaulting, validation', () => {
    const valid = decodable.filter((f) => f !== '000_6def2a58bcfc55b9-01-job.yaml');

    it.each(valid)('%s has no causes', (f) => {
      expect(defaultAndValidate(decode(read(f), { scheme }))).toEqual([]);
    });

    it('000_6def2a58bcfc55b9-01-job.yaml is refused for its unexpanded $ITEM name', () => {
      const causes = defaultAndValidate(decode(read('000_6def2a58bcfc55b9-01-job.yaml'), { scheme }));
      expect(causes).toContainEqual(invalidName);
      // Defaulting may copy the name into the pod template's job-name labels; nothing else may fail.
      for (const c of causes) expect(c.message).toContain('"process-item-$ITEM"');
    });
  });
});
