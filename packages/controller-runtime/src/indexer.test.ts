import { parseLabelSelector, type KubeObject } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { isControllerRuntimeError } from './errors';
import { addOrphanIndex, createIndexer, LABEL_INDEX, NAMESPACE_INDEX, NODE_NAME_INDEX, ORPHAN_INDEX, OWNER_UID_INDEX, type CacheListOptions } from './indexer';

const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid: 'rs-uid' } };

function pod(ns: string, name: string, o: { labels?: Record<string, string>; node?: string; owner?: string; controller?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: o.labels,
      ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: o.owner, controller: o.controller ?? true }] : undefined,
    },
    spec: o.node ? { nodeName: o.node, containers: [] } : { containers: [] },
  };
}

function fixture() {
  const idx = createIndexer();
  for (const p of [
    pod('default', 'web-1', { labels: { app: 'web', tier: 'fe' }, node: 'n1', owner: 'rs-uid' }),
    pod('default', 'web-2', { labels: { app: 'web', tier: 'fe' }, node: 'n2', owner: 'rs-uid' }),
    pod('default', 'adopted', { labels: { app: 'web' }, owner: 'rs-uid', controller: false }),
    pod('default', 'db-1', { labels: { app: 'db' }, node: 'n1' }),
    pod('kube-system', 'dns', { labels: { app: 'dns' }, node: 'n1' }),
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { zone: 'a' } } },
  ])
    idx.upsert(p);
  return idx;
}

const names = (objs: KubeObject[]) => objs.map((o) => o.metadata!.name).sort();

describe('createIndexer: built-in indexes', () => {
  it.each([
    ['by namespace', NAMESPACE_INDEX, 'default', ['adopted', 'db-1', 'web-1', 'web-2']],
    ['cluster-scoped objects under the empty namespace', NAMESPACE_INDEX, '', ['n1']],
    ['by owner uid', OWNER_UID_INDEX, 'rs-uid', ['adopted', 'web-1', 'web-2']],
    ['by node name', NODE_NAME_INDEX, 'n1', ['db-1', 'dns', 'web-1']],
    ['by label pair', LABEL_INDEX, 'tier=fe', ['web-1', 'web-2']],
    ['nothing for an unknown value', LABEL_INDEX, 'app=nope', []],
  ])('finds objects %s', (_name, index, value, expected) => {
    expect(names(fixture().byIndex(index, value))).toEqual(expected);
  });

  it('keys objects namespace/name, and name alone when cluster-scoped', () => {
    const idx = fixture();
    expect(idx.keys()).toContain('default/web-1');
    expect(idx.keys()).toContain('n1');
    expect(idx.get('kube-system/dns')?.metadata?.name).toBe('dns');
    expect(idx.size).toBe(6);
  });

  it('moves an object between index values when it changes', () => {
    const idx = fixture();
    idx.upsert(pod('default', 'web-1', { labels: { app: 'api' }, node: 'n3' }));
    expect(names(idx.byIndex(LABEL_INDEX, 'app=web'))).toEqual(['adopted', 'web-2']);
    expect(names(idx.byIndex(LABEL_INDEX, 'app=api'))).toEqual(['web-1']);
    expect(idx.indexKeys(NODE_NAME_INDEX, 'n3')).toEqual(['default/web-1']);
    expect(idx.indexKeys(OWNER_UID_INDEX, 'rs-uid')).not.toContain('default/web-1');
  });

  it('forgets every index entry of a deleted object', () => {
    const idx = fixture();
    expect(idx.delete('default/db-1')?.metadata?.name).toBe('db-1');
    expect(idx.delete('default/db-1')).toBeUndefined();
    expect(idx.indexValues(LABEL_INDEX)).not.toContain('app=db');
    expect(names(idx.byIndex(NODE_NAME_INDEX, 'n1'))).toEqual(['dns', 'web-1']);
  });

  it('rebuilds every index on replace', () => {
    const idx = fixture();
    idx.replace([pod('other', 'solo', { labels: { app: 'solo' } })]);
    expect(idx.keys()).toEqual(['other/solo']);
    expect(idx.indexValues(NAMESPACE_INDEX)).toEqual(['other']);
    expect(idx.byIndex(NODE_NAME_INDEX, 'n1')).toEqual([]);
  });
});

describe('createIndexer: user-defined indexes', () => {
  it('indexes the objects already cached when an index is added', () => {
    const idx = fixture();
    idx.addIndexers({ byApp: (o) => (o.metadata?.labels?.app ? [o.metadata.labels.app] : []) });
    expect(names(idx.byIndex('byApp', 'web'))).toEqual(['adopted', 'web-1', 'web-2']);
    idx.upsert(pod('default', 'web-3', { labels: { app: 'web' } }));
    expect(idx.indexKeys('byApp', 'web')).toHaveLength(4);
    expect(idx.indexNames()).toEqual([NAMESPACE_INDEX, OWNER_UID_INDEX, NODE_NAME_INDEX, LABEL_INDEX, 'byApp']);
  });

  it.each([
    ['adding an index whose name is taken', 'IndexExists', (idx: ReturnType<typeof fixture>) => idx.addIndexers({ [LABEL_INDEX]: () => [] })],
    ['reading an index that does not exist', 'IndexNotFound', (idx: ReturnType<typeof fixture>) => idx.byIndex('nope', 'x')],
  ])('fails %s with %s', (_name, code, act) => {
    let err: unknown;
    try {
      act(fixture());
    } catch (e) {
      err = e;
    }
    expect(isControllerRuntimeError(err, code as never)).toBe(true);
  });

  it('leaves an object out of an index whose function throws, and reports it', () => {
    const errors: string[] = [];
    const idx = createIndexer({
      indexers: { picky: (o) => (o.metadata?.name === 'bad' ? (() => { throw new Error('boom'); })() : ['ok']) },
      onIndexError: (index, key) => errors.push(`${index} ${key}`),
    });
    idx.upsert(pod('default', 'bad'));
    idx.upsert(pod('default', 'good'));
    expect(idx.indexKeys('picky', 'ok')).toEqual(['default/good']);
    expect(idx.get('default/bad')).toBeDefined();
    expect(errors).toEqual(['picky default/bad']);
  });
});

describe('createIndexer: list', () => {
  it.each<[string, CacheListOptions | undefined, string[]]>([
    ['everything without options', undefined, ['adopted', 'db-1', 'dns', 'n1', 'web-1', 'web-2']],
    ['one namespace', { namespace: 'kube-system' }, ['dns']],
    ['all namespaces for an empty namespace', { namespace: '' }, ['adopted', 'db-1', 'dns', 'n1', 'web-1', 'web-2']],
    ['a selector string', { labelSelector: 'app=web,tier=fe' }, ['web-1', 'web-2']],
    ['a set-based selector string', { labelSelector: 'app in (db,dns)' }, ['db-1', 'dns']],
    ['a negative selector', { namespace: 'default', labelSelector: 'app!=web' }, ['db-1']],
    ['a LabelSelector object', { labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } }, ['adopted']],
    ['a compiled selector', { labelSelector: parseLabelSelector('zone') }, ['n1']],
    ['objects owned by an owner object', { ownedBy: rs }, ['adopted', 'web-1', 'web-2']],
    ['objects owned by a uid', { ownedBy: 'rs-uid', labelSelector: 'tier=fe' }, ['web-1', 'web-2']],
    ['objects whose controller is the owner', { controlledBy: rs }, ['web-1', 'web-2']],
    ['nothing for an owner without objects', { ownedBy: 'other' }, []],
    ['nothing when the namespace and owner disagree', { namespace: 'kube-system', ownedBy: rs }, []],
  ])('lists %s', (_name, opts, expected) => {
    expect(names(fixture().list(opts))).toEqual(expected);
  });
});

describe('createIndexer: readonly view', () => {
  it('shares the data but has no mutators', () => {
    const idx = fixture();
    const view = idx.readonly();
    expect('upsert' in view || 'delete' in view || 'replace' in view).toBe(false);
    idx.delete('default/web-1');
    expect(view.size).toBe(5);
    expect(view.get('default/web-1')).toBeUndefined();
    expect(names(view.list({ ownedBy: rs }))).toEqual(['adopted', 'web-2']);
  });
});

describe('createIndexer: orphans', () => {
  it.each<[string, boolean, CacheListOptions, string[]]>([
    ['orphans of a namespace, from the orphan index', true, { namespace: 'default', orphan: true }, ['adopted', 'db-1']],
    ['orphans of a namespace, filtered without it', false, { namespace: 'default', orphan: true }, ['adopted', 'db-1']],
    ['orphans matching a selector', true, { namespace: 'default', orphan: true, labelSelector: 'app=web' }, ['adopted']],
    ['orphans of every namespace', true, { orphan: true }, ['adopted', 'db-1', 'dns', 'n1']],
    ['orphan: false adds no condition', true, { namespace: 'default', orphan: false }, ['adopted', 'db-1', 'web-1', 'web-2']],
  ])('lists %s', (_name, indexed, opts, want) => {
    const idx = fixture();
    if (indexed) addOrphanIndex(idx);
    expect(names(idx.list(opts))).toEqual(want);
  });

  it('keeps the orphan index current, and addOrphanIndex is idempotent', () => {
    const idx = fixture();
    addOrphanIndex(idx);
    addOrphanIndex(idx.readonly());
    expect(idx.indexKeys(ORPHAN_INDEX, 'default').sort()).toEqual(['default/adopted', 'default/db-1']);
    idx.upsert(pod('default', 'db-1', { labels: { app: 'db' }, owner: 'rs-uid' })); // adopted
    expect(idx.indexKeys(ORPHAN_INDEX, 'default')).toEqual(['default/adopted']);
  });
});
