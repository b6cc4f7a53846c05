/**
 * `pnpm bench`: runs every benchmark module in this folder (each exports
 * `run(): Promise<BenchResult[]>`), prints one Markdown table with the date, the
 * machine and the command, and with `--record` appends it to docs/benchmarks.md.
 */
import { appendFileSync } from 'node:fs';
import os from 'node:os';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Target, ratio to a baseline measured in the same run, or method. */
  note?: string;
}

const modules: Record<string, () => Promise<{ run: () => Promise<BenchResult[]> }>> = {
  store: () => import('./store.bench'),
  apiserver: () => import('./apiserver.bench'),
  controllers: () => import('./controllers.bench'),
  scheduler: () => import('./scheduler.bench'),
  node: () => import('./node.bench'),
  runtimes: () => import('./runtimes.bench'),
};

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const record = process.argv.includes('--record');

const rows: string[] = [];
for (const [name, load] of Object.entries(modules)) {
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`bench ${name} …\n`);
  const { run } = await load();
  for (const r of await run()) {
    const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 3 : 1);
    rows.push(`| ${name} | ${r.name} | ${value} ${r.unit} | ${r.note ?? ''} |`);
  }
}

const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
const header = [
  `### ${new Date().toISOString().slice(0, 10)} — ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  '',
  `Command: \`pnpm bench${only.length ? ` ${only.join(' ')}` : ''}\``,
  '',
  '| suite | measure | result | note |',
  '| --- | --- | --- | --- |',
];
const table = [...header, ...rows, ''].join('\n');
console.log(table);
if (record) appendFileSync(new URL('../docs/benchmarks.md', import.meta.url), `\n${table}`);
