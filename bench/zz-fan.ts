import { apiPod } from './apiserver.bench';
import { createMemoryStore } from '@bosun/store';
import { createApiServer, createClient } from '@bosun/apiserver';
async function fan(direct: boolean) {
  const watchers = 100, rate = 1000, seconds = 3, total = rate * seconds;
  const server = await createApiServer({ store: createMemoryStore() });
  const client = createClient(server);
  const pods = Array.from({ length: total }, (_, i) => apiPod(i));
  const sentAt = new Float64Array(total);
  const lat = new Float64Array(watchers * total);
  let samples = 0;
  const ac = new AbortController();
  const consumers = Array.from({ length: watchers }, async () => {
    const it = direct ? server.store.watch({ resource: 'pods', namespace: 'default' }, { signal: ac.signal }) : client.watch('v1', 'Pod', { namespace: 'default', signal: ac.signal });
    for await (const ev of it as AsyncIterable<any>) {
      const name = ev.object.metadata.name!;
      lat[samples++] = performance.now() - sentAt[Number(name.slice(name.lastIndexOf('-') + 1))];
    }
  });
  await new Promise((r) => setTimeout(r, 50));
  const start = performance.now();
  let written = 0;
  let maxBurst = 0;
  while (written < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    maxBurst = Math.max(maxBurst, due - written);
    while (written < due) { sentAt[written] = performance.now(); await client.create(pods[written]); written++; }
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 2000 && samples < watchers * total; i++) await new Promise((r) => setTimeout(r, 1));
  ac.abort(); await Promise.all(consumers); await server.stop(); await server.store.close();
  const s = lat.subarray(0, samples).sort();
  const p = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(3);
  console.log(direct ? 'store watch ' : 'client watch', 'p50', p(0.5), 'p99', p(0.99), 'max', s[s.length - 1].toFixed(1), 'maxBurst', maxBurst);
}
for (let i = 0; i < 2; i++) { await fan(false); await fan(true); }
