import { apiPod } from './apiserver.bench';
import { createScheme } from '@bosun/api';
import { structureCauses as checkStructure } from '../packages/apiserver/src/structure';
import { createMemoryStore } from '@bosun/store';
import { copyIn } from '../packages/apiserver/src/util';
import { validateCreate } from '../packages/apiserver/src/validation';
import { podQOSClass } from '../packages/apiserver/src/strategy';
import { randomUUID } from 'node:crypto';
const scheme = createScheme();
const info = scheme.require('v1', 'Pod');
const n = 20000;
const pods = Array.from({ length: n }, (_, i) => apiPod(i));
function time(name: string, f: (i: number) => unknown) {
  const t = performance.now();
  for (let i = 0; i < n; i++) f(i);
  const us = (performance.now() - t) * 1000 / n;
  console.log(name.padEnd(20), us.toFixed(2), 'µs');
}
for (let r = 0; r < 2; r++) {
  const copies = pods.map((p) => copyIn(p));
  time('copyIn', (i) => copyIn(pods[i]));
  time('checkStructure', (i) => checkStructure(copies[i]));
  time('toServed', (i) => scheme.toServed(copies[i]));
  time('defaulter', (i) => info.defaulter!(copies[i]));
  time('validateCreate', (i) => validateCreate(info, copies[i]));
  time('podQOS', (i) => podQOSClass(copies[i]));
  time('uuid', () => randomUUID());
  time('stringify', (i) => JSON.stringify(copies[i]));
  const store = createMemoryStore();
  const t = performance.now();
  for (let i = 0; i < n; i++) await store.create({ resource: 'pods', namespace: 'default', name: copies[i].metadata!.name! }, copies[i]);
  console.log('store.create'.padEnd(20), ((performance.now() - t) * 1000 / n).toFixed(2), 'µs');
}
