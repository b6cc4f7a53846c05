import { apiPod } from './apiserver.bench';
import { createMemoryStore } from '@bosun/store';
import { createApiServer, createClient } from '@bosun/apiserver';
const n = 20000;
const pods = Array.from({ length: n }, (_, i) => apiPod(i));
for (let round = 0; round < 4; round++) {
  const server = await createApiServer({ store: createMemoryStore() });
  const client = createClient(server);
  let t = performance.now();
  for (let i = 0; i < n; i++) await client.create(pods[i]);
  const api = Math.round(n / (performance.now() - t) * 1000);
  await server.stop(); await server.store.close();
  const store = createMemoryStore();
  t = performance.now();
  for (let i = 0; i < n; i++) await store.create({ resource: 'pods', namespace: 'default', name: pods[i].metadata!.name! }, pods[i]);
  const st = Math.round(n / (performance.now() - t) * 1000);
  const map = new Map();
  t = performance.now();
  for (let i = 0; i < n; i++) { map.set(pods[i].metadata!.name, JSON.stringify(pods[i])); await undefined; }
  const fl = Math.round(n / (performance.now() - t) * 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) { JSON.parse(JSON.stringify(pods[i])); }
  const rt = Math.round(n / (performance.now() - t) * 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) { structuredClone(pods[i]); }
  const sc = Math.round(n / (performance.now() - t) * 1000);
  console.log({ api, store: st, floor: fl, roundtrip: rt, structuredClone: sc });
}
