import { apiPod } from './apiserver.bench';
import { createMemoryStore } from '@bosun/store';
import { createApiServer, createClient } from '@bosun/apiserver';
const n = 20000;
const pods = Array.from({ length: n }, (_, i) => apiPod(i));
for (let round = 0; round < 3; round++) {
  const server = await createApiServer({ store: createMemoryStore() });
  const client = createClient(server);
  const t = performance.now();
  for (let i = 0; i < n; i++) await client.create(pods[i]);
  console.log(Math.round(n / (performance.now() - t) * 1000), 'ops/s');
  await server.stop(); await server.store.close();
}
