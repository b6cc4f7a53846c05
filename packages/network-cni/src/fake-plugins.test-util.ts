import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One run of a fake plugin, as it logged it: its name, its CNI_* environment and its stdin config. */
export interface FakeRun {
  type: string;
  env: Record<string, string>;
  conf: Record<string, any>;
}

/**
 * A CNI plugin written in Node that speaks the exec protocol for the adapter's tests: it
 * logs each run to `conf.log`, and does what `conf.behave[CNI_COMMAND]` says (`fail` with
 * `conf.failCode`, `hang`, `garbage`, `crash`); otherwise ADD passes `prevResult` on and,
 * when `conf.ip` is set, adds an interface and that address. VERSION (whose stdin holds only
 * `cniVersion`) logs to `FAKE_CNI_LOG` and lists `FAKE_CNI_VERSIONS_<type>` (comma-separated).
 */
const SCRIPT = `
const fs = require('fs');
const path = require('path');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const conf = input ? JSON.parse(input) : {};
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_')));
  const type = path.basename(process.argv[1]);
  const log = conf.log || process.env.FAKE_CNI_LOG;
  if (log) fs.appendFileSync(log, JSON.stringify({ type, env, conf }) + '\\n');
  const cmd = env.CNI_COMMAND;
  const behave = (conf.behave || {})[cmd];
  const out = (o) => process.stdout.write(JSON.stringify(o));
  if (behave === 'hang') return void setInterval(() => {}, 1000);
  if (behave === 'fail') {
    out({ cniVersion: conf.cniVersion, code: conf.failCode || 7, msg: 'told to fail', details: 'fake details' });
    process.exit(1);
  }
  if (behave === 'garbage') return void process.stdout.write('not json');
  if (behave === 'crash') {
    process.stderr.write('panic: boom');
    process.exit(2);
  }
  const versions = process.env['FAKE_CNI_VERSIONS_' + type.replace(/-/g, '_')];
  if (cmd === 'VERSION') return out({ cniVersion: '1.0.0', supportedVersions: versions ? versions.split(',') : ['0.4.0', '1.0.0'] });
  if (cmd === 'ADD') {
    const res = JSON.parse(JSON.stringify(conf.prevResult || { cniVersion: conf.cniVersion }));
    res.cniVersion = conf.cniVersion;
    if (conf.ip) {
      res.interfaces = [...(res.interfaces || []), { name: env.CNI_IFNAME, mac: '02:00:00:00:00:01', sandbox: env.CNI_NETNS }];
      res.ips = [...(res.ips || []), { address: conf.ip, gateway: conf.gw, interface: res.interfaces.length - 1 }];
    }
    if (conf.emptyDns) res.dns = {};
    return out(res);
  }
});
`;

/** Writes executable fake plugins named `names` into `dir` (created). */
export function writeFakePlugins(dir: string, names: string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    const file = join(dir, name);
    writeFileSync(file, `#!${process.execPath}\n${SCRIPT}`);
    chmodSync(file, 0o755);
  }
}

/** The runs logged so far. */
export function readRuns(log: string): FakeRun[] {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeRun);
  } catch {
    return [];
  }
}
