import { encodeAll, decodeAll } from './src/index';
const pods = Array.from({ length: 3000 }, (_, i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, labels: { app: 'x', i: String(i) } }, spec: { containers: [{ name: 'c', image: 'nginx', env: [{ name: 'A', value: 'b\n"x"' }], ports: [{ containerPort: 80 }] }] } }));
const text = encodeAll(pods, 'json');
for (let k = 0; k < 3; k++) { const t = Date.now(); const o = decodeAll(text); console.log('json', Date.now() - t, o.length, JSON.stringify(o) === JSON.stringify(pods)); }
