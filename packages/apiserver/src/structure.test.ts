import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkStructure } from '@bosun/api';
import { structureCauses, typeStateFor } from './structure';
import { copyIn, copyInTyped } from './util';

const base = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a/b'] },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }], resources: { limits: { cpu: '1' } } }] },
    },
  },
});

/** Paths into `base()` to overwrite with a value of any type. */
const paths = [
  ['spec', 'replicas'],
  ['metadata', 'labels'],
  ['metadata', 'labels', 'app'],
  ['metadata', 'finalizers'],
  ['spec', 'template', 'spec', 'containers'],
  ['spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort'],
  ['spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'],
  ['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'cpu'],
  ['spec', 'selector'],
  ['kind'],
  ['metadata'],
] as const;

function setAt(obj: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let cur: any = obj;
  for (const p of path.slice(0, -1)) cur = cur[p];
  cur[path[path.length - 1]] = value;
}

describe('structureCauses', () => {
  it('agrees with checkStructure on whether an object is well typed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }), fc.constantFrom('Deployment', 'Pod', 'ConfigMap', 'Widget'), (edits, kind) => {
        const obj = base() as Record<string, unknown>;
        for (const [path, value] of edits) {
          try {
            setAt(obj, path, value);
          } catch {
            // an earlier edit removed the parent
          }
        }
        if (typeof obj.kind === 'string') obj.kind = kind;
        expect(structureCauses(obj)).toEqual(checkStructure(obj));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the type check copyInTyped makes while copying', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.constant(Number.NaN), fc.constant(() => 1), fc.date({ noInvalidDate: true }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), value), { maxLength: 3 }), fc.constantFrom('Deployment', 'Pod', 'ConfigMap', 'Widget'), (edits, kind) => {
        const obj = base() as Record<string, unknown>;
        obj.kind = kind;
        for (const [path, v] of edits) {
          try {
            setAt(obj, path, v);
          } catch {
            // an earlier edit removed the parent
          }
        }
        const stated = typeof obj.kind === 'string' ? obj.kind : '';
        const { copy, wellTyped } = copyInTyped(obj, typeStateFor(stated));
        expect(copy).toEqual(copyIn(obj));
        expect(wellTyped).toBe(structureCauses(copyIn(obj)).length === 0);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['replicas as a string', ['spec', 'replicas'], '3', 'spec.replicas'],
    ['a label value as a number', ['metadata', 'labels', 'app'], 1, 'metadata.labels.app'],
    ['an env value as a number', ['spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'], 8080, 'spec.template.spec.containers[0].env[0].value'],
  ] as const)('finds %s', (_n, path, value, field) => {
    const obj = base() as Record<string, unknown>;
    setAt(obj, path, value);
    expect(structureCauses(obj).map((c) => c.field)).toEqual([field]);
  });
});
