import { apiPod } from './apiserver.bench';
const n = 20000;
const pods = Array.from({ length: n }, (_, i) => apiPod(i));
function cloneJson(v: unknown, depth = 0): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') throw new Error('bad');
    return v;
  }
  if (depth > 100) throw new Error('deep');
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) { const x = v[i]; out[i] = x === undefined || typeof x === 'function' ? null : cloneJson(x, depth + 1); }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    out[k] = cloneJson(x, depth + 1);
  }
  return out;
}
for (let r = 0; r < 5; r++) {
  let t = performance.now();
  for (let i = 0; i < n; i++) JSON.parse(JSON.stringify(pods[i]));
  const rt = n / (performance.now() - t) * 1000;
  t = performance.now();
  for (let i = 0; i < n; i++) cloneJson(pods[i]);
  const cj = n / (performance.now() - t) * 1000;
  t = performance.now();
  for (let i = 0; i < n; i++) JSON.stringify(pods[i]);
  const st = n / (performance.now() - t) * 1000;
  console.log({ roundtrip: Math.round(rt), cloneJson: Math.round(cj), stringify: Math.round(st) });
}
