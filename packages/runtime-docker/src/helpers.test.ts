import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCriError } from '@bosun/cri';
import { dockerodeOptions } from './connection';
import { criState, dockerTimeToNs, entrypointAndCmd, exitReason, hostResources } from './convert';
import { toCriError } from './errors';
import { containerName, CRI_LABEL_KEYS, dockerLabelFilters, fromDockerLabels, LABELS, MANAGED_BY, sandboxName, toDockerLabels } from './labels';
import { CriLogFile, dockerSince, FrameDemuxer, lastLogTimestamp, lastLogTimestamps, padTimestamp } from './log-pump';

describe('Kubernetes command/args over image ENTRYPOINT/CMD', () => {
  it.each<[string, string[], string[], ReturnType<typeof entrypointAndCmd>]>([
    ['neither keeps the image defaults', [], [], {}],
    ['args only replace CMD and keep ENTRYPOINT', [], ['-v'], { Cmd: ['-v'] }],
    ['command replaces ENTRYPOINT and clears CMD', ['sh'], [], { Entrypoint: ['sh'], Cmd: [] }],
    ['command and args replace both', ['sh'], ['-c', 'true'], { Entrypoint: ['sh'], Cmd: ['-c', 'true'] }],
  ])('%s', (_n, command, args, want) => {
    expect(entrypointAndCmd(command, args)).toEqual(want);
  });
});

describe('container state and reason', () => {
  it.each<[string, Parameters<typeof exitReason>[0], string, string]>([
    ['running', { Status: 'running' }, 'CONTAINER_RUNNING', ''],
    ['created', { Status: 'created' }, 'CONTAINER_CREATED', ''],
    ['exited 0', { Status: 'exited', ExitCode: 0 }, 'CONTAINER_EXITED', 'Completed'],
    ['exited 2', { Status: 'exited', ExitCode: 2 }, 'CONTAINER_EXITED', 'Error'],
    ['OOM-killed', { Status: 'exited', ExitCode: 137, OOMKilled: true }, 'CONTAINER_EXITED', 'OOMKilled'],
    ['being removed', { Status: 'removing' }, 'CONTAINER_UNKNOWN', ''],
  ])('maps a %s container', (_n, state, want, reason) => {
    expect([criState(state.Status), exitReason(state)]).toEqual([want, reason]);
  });

  it.each<[string, number]>([
    ['0001-01-01T00:00:00Z', 0],
    ['2026-01-01T00:00:00.5Z', Date.parse('2026-01-01T00:00:00Z') * 1e6 + 500_000_000],
    ['2026-01-01T00:00:01.000000123Z', Date.parse('2026-01-01T00:00:01Z') * 1e6 + 123],
    ['not a time', 0],
  ])('reads Docker time %s in nanoseconds', (t, ns) => {
    expect(dockerTimeToNs(t)).toBe(ns);
  });
});

describe('resources', () => {
  it('disables swap with a memory limit and takes pids.max over the default', () => {
    expect(hostResources({ cpuPeriod: 0, cpuQuota: 20_000, cpuShares: 2, memoryLimitInBytes: 1024, oomScoreAdj: 0, cpusetCpus: '', cpusetMems: '', hugepageLimits: [], unified: { 'pids.max': '10' }, memorySwapLimitInBytes: 0 }, 99)).toEqual({
      Memory: 1024,
      MemorySwap: 1024,
      CpuQuota: 20_000,
      CpuShares: 2,
      PidsLimit: 10,
    });
  });

  it('applies the default pids limit when resources are absent', () => {
    expect(hostResources(null, 50)).toEqual({ PidsLimit: 50 });
  });
});

describe('labels', () => {
  const sandboxOwn = { [LABELS.type]: 'podsandbox', [LABELS.podName]: 'web', [LABELS.podNamespace]: 'default', [LABELS.podUid]: 'u-1', [LABELS.attempt]: '0', [LABELS.createdAt]: '1', [LABELS.network]: 'POD' };
  const containerOwn = { [LABELS.type]: 'container', [LABELS.podName]: 'web', [LABELS.podNamespace]: 'default', [LABELS.podUid]: 'u-1', [LABELS.containerName]: 'nginx', [LABELS.attempt]: '0', [LABELS.sandboxId]: 'sb-1', [LABELS.logPath]: '/l/0.log' };
  const kubelet = { 'io.kubernetes.pod.uid': 'u-1', 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default' };

  it.each<[string, Record<string, string>, Record<string, string>, Record<string, string>]>([
    ['plain labels and annotations', { app: 'web' }, { 'kubernetes.io/config': 'x' }, sandboxOwn],
    ['no labels at all (the runtime keys stay hidden)', {}, {}, containerOwn],
    ['the kubelet pod keys on a sandbox', { ...kubelet, app: 'web' }, {}, sandboxOwn],
    ['the kubelet pod and container keys on a container', { ...kubelet, 'io.kubernetes.container.name': 'nginx' }, { 'io.kubernetes.container.restartCount': '0' }, containerOwn],
    ['a runtime-only key repeated with its value', { [LABELS.type]: 'container', [LABELS.sandboxId]: 'sb-1' }, {}, containerOwn],
    ['a runtime key the runtime does not write on this object', { [LABELS.containerName]: 'POD', [LABELS.image]: 'x' }, {}, sandboxOwn],
    ['a label that looks like an annotation', { 'annotation.kind': 'label' }, { other: 'y' }, sandboxOwn],
    ['empty values', { empty: '', 'io.kubernetes.pod.uid': 'u-1' }, { blank: '' }, containerOwn],
  ])('gives back exactly what the caller set: %s', (_n, labels, annotations, own) => {
    const docker = toDockerLabels(labels, annotations, own);
    expect(docker[LABELS.managedBy]).toBe(MANAGED_BY);
    for (const [k, v] of Object.entries(own)) expect(docker[k]).toBe(v);
    expect(fromDockerLabels(docker)).toEqual({ labels, annotations });
  });

  it.each<[string, Record<string, string>, Record<string, string>, Record<string, string>, RegExp]>([
    ['a pod uid that is not the sandbox uid', { 'io.kubernetes.pod.uid': 'u-2' }, {}, sandboxOwn, /labels\["io\.kubernetes\.pod\.uid"\]: Invalid value: "u-2": .*writes this key itself, as "u-1"/],
    ['another object type', { [LABELS.type]: 'podsandbox' }, {}, containerOwn, /labels\["io\.kubernetes\.docker\.type"\]: Invalid value: "podsandbox"/],
    ['another owner', { [LABELS.managedBy]: 'someone-else' }, {}, containerOwn, /labels\["dev\.bosun\.managed-by"\]/],
    ['another sandbox id', { [LABELS.sandboxId]: 'sb-2' }, {}, containerOwn, /labels\["io\.kubernetes\.sandbox\.id"\]: Invalid value: "sb-2"/],
    ['the record of shared keys', { [CRI_LABEL_KEYS]: '[]' }, {}, containerOwn, /labels\["dev\.bosun\.cri-label-keys"\]: .*reserved/],
    ['a label sharing its Docker key with an annotation', { 'annotation.a': '1' }, { a: '1' }, sandboxOwn, /labels\["annotation\.a"\]: .*annotation "a"/],
  ])('refuses %s with InvalidArgument naming the key', (_n, labels, annotations, own, message) => {
    let err: unknown;
    try {
      toDockerLabels(labels, annotations, own);
    } catch (e) {
      err = e;
    }
    expect(isCriError(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it.each<[string, Record<string, string>]>([
    ['objects made before the record existed', { [LABELS.podUid]: 'u-1', app: 'x' }],
    ['a record Docker holds but that is not JSON', { [LABELS.podUid]: 'u-1', [CRI_LABEL_KEYS]: 'not json', app: 'x' }],
    ['a record that is not a list of strings', { [LABELS.podUid]: 'u-1', [CRI_LABEL_KEYS]: '{"a":1}', app: 'x' }],
  ])('reads %s as plain labels without the runtime keys', (_n, docker) => {
    expect(fromDockerLabels(docker)).toEqual({ labels: { app: 'x' }, annotations: {} });
  });

  it.each<[string, Record<string, string> | undefined, string[]]>([
    ['no selector', undefined, []],
    ['the pod uid', { 'io.kubernetes.pod.uid': 'u-1' }, ['io.kubernetes.pod.uid=u-1']],
    ['a value holding =', { a: 'b=c' }, ['a=b=c']],
    ['a key holding = (left to the post-filter)', { 'a=b': 'c', d: '' }, ['d=']],
  ])('turns %s into Docker label filters', (_n, selector, want) => {
    expect(dockerLabelFilters(selector)).toEqual(want);
  });

  it('names Docker objects as cri-dockerd does', () => {
    const m = { name: 'web', namespace: 'default', uid: 'u-1', attempt: 2 };
    expect([sandboxName(m), containerName('nginx', m, 3)]).toEqual(['k8s_POD_web_default_u-1_2', 'k8s_nginx_web_default_u-1_3']);
  });
});

describe('endpoints', () => {
  it.each<[string, Parameters<typeof dockerodeOptions>[0], NodeJS.ProcessEnv, string]>([
    ['a socket path', { socketPath: '/x/docker.sock' }, {}, 'unix:///x/docker.sock'],
    ['DOCKER_HOST', {}, { DOCKER_HOST: 'unix:///run/d.sock' }, 'unix:///run/d.sock'],
    ['the default socket', {}, {}, 'unix:///var/run/docker.sock'],
    ['a tcp host', { dockerHost: 'tcp://10.0.0.1:2375' }, {}, 'tcp://10.0.0.1:2375'],
  ])('connects to %s', (_n, o, env, address) => {
    expect(dockerodeOptions(o, env).address).toBe(address);
  });

  it('rejects a malformed DOCKER_HOST with InvalidArgument', () => {
    expect(() => dockerodeOptions({ dockerHost: 'ftp://nope' }, {})).toThrow(/invalid Docker host/);
  });
});

describe('Docker errors as CRI errors', () => {
  it.each<[string, unknown, string]>([
    ['404', Object.assign(new Error('x'), { statusCode: 404, json: { message: 'No such container: abc' } }), 'NotFound'],
    ['409 name taken', Object.assign(new Error('x'), { statusCode: 409, json: { message: 'Conflict. The container name "/k8s_x" is already in use' } }), 'AlreadyExists'],
    ['409 not running', Object.assign(new Error('x'), { statusCode: 409, json: { message: 'container abc is not running' } }), 'FailedPrecondition'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'Unavailable'],
    ['a 500', Object.assign(new Error('x'), { statusCode: 500, json: { message: 'boom' } }), 'Internal'],
  ])('maps %s', (_n, err, code) => {
    const e = toCriError(err, 'op');
    expect(isCriError(e, code as 'NotFound')).toBe(true);
    expect(e.message.startsWith('op: ')).toBe(true);
  });
});

describe('CRI log files from docker logs', () => {
  const frame = (type: number, text: string) => {
    const payload = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };

  it('demultiplexes frames split across chunks', () => {
    const got: string[] = [];
    const d = new FrameDemuxer((s, p) => got.push(`${s}:${p.toString()}`));
    const all = Buffer.concat([frame(1, 'a\n'), frame(2, 'bb\n')]);
    for (let i = 0; i < all.length; i += 3) d.push(all.subarray(i, i + 3));
    expect(got).toEqual(['stdout:a\n', 'stderr:bb\n']);
  });

  it('pads timestamps to nanoseconds and turns them into docker since values', () => {
    expect(padTimestamp('2026-01-01T00:00:00.12Z')).toBe('2026-01-01T00:00:00.120000000Z');
    expect(padTimestamp('2026-01-01T00:00:00Z')).toBe('2026-01-01T00:00:00.000000000Z');
    expect(dockerSince('2026-01-01T00:00:01.000000005Z')).toBe(`${Date.parse('2026-01-01T00:00:01Z') / 1000}.000000005`);
  });

  it('writes F lines, P pieces before a continuation, a last unterminated line as F, and skips replays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-docker-log-'));
    try {
      const path = join(dir, 'c', '0.log');
      const f = new CriLogFile(path);
      f.write('stdout', '2026-01-01T00:00:00.1Z hello\n');
      f.write('stdout', '2026-01-01T00:00:00.2Z part-');
      f.write('stdout', '2026-01-01T00:00:00.3Z end\n');
      f.write('stdout', '2026-01-01T00:00:00.3Z end\n'); // replay of the last line
      f.write('stderr', '2026-01-01T00:00:00.4Z no newline');
      f.close();
      expect(readFileSync(path, 'utf8')).toBe(
        [
          '2026-01-01T00:00:00.100000000Z stdout F hello',
          '2026-01-01T00:00:00.200000000Z stdout P part-',
          '2026-01-01T00:00:00.300000000Z stdout F end',
          '2026-01-01T00:00:00.400000000Z stderr F no newline',
          '',
        ].join('\n'),
      );
      expect(lastLogTimestamp(path)).toBe('2026-01-01T00:00:00.400000000Z');
      const resumed = new CriLogFile(path, lastLogTimestamp(path));
      resumed.write('stdout', '2026-01-01T00:00:00.4Z old\n');
      resumed.write('stdout', '2026-01-01T00:00:00.5Z new\n');
      resumed.close();
      expect(readFileSync(path, 'utf8').trim().split('\n').slice(-1)).toEqual(['2026-01-01T00:00:00.500000000Z stdout F new']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a stderr line delivered after a later stdout line (one watermark per stream), and resumes from the older stream', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-docker-log-'));
    try {
      const path = join(dir, 'c', '0.log');
      const f = new CriLogFile(path);
      // Docker's follow stream: stdout "one" and "three" arrive before stderr "two".
      f.write('stdout', '2026-01-01T00:00:00.1Z one\n');
      f.write('stdout', '2026-01-01T00:00:00.3Z three\n');
      f.write('stderr', '2026-01-01T00:00:00.2Z two\n');
      f.write('stderr', '2026-01-01T00:00:00.2Z two\n'); // a replay of stderr's last line
      expect(f.resumeFrom).toBe('2026-01-01T00:00:00.200000000Z');
      expect(f.accepted).toBe(3); // the replay is not counted
      f.close();
      const contents = readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(1).join(' '));
      expect(contents).toEqual(['stdout F one', 'stdout F three', 'stderr F two']);
      expect(lastLogTimestamps(path)).toEqual({ stdout: '2026-01-01T00:00:00.300000000Z', stderr: '2026-01-01T00:00:00.200000000Z' });
      // A follower resumed from the file replays from the older stream's line and writes only what is new.
      const resumed = new CriLogFile(path, lastLogTimestamps(path));
      resumed.write('stderr', '2026-01-01T00:00:00.2Z two\n');
      resumed.write('stdout', '2026-01-01T00:00:00.3Z three\n');
      resumed.write('stderr', '2026-01-01T00:00:00.25Z late\n');
      resumed.close();
      expect(readFileSync(path, 'utf8').trim().split('\n').slice(3).map((l) => l.split(' ').slice(1).join(' '))).toEqual(['stderr F late']);
      const empty = new CriLogFile(join(dir, 'other.log'));
      expect(empty.resumeFrom).toBe('');
      empty.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
