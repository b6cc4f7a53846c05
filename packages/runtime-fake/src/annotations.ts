import { CriError } from '@bosun/cri';

/** Prefix of every annotation the fake runtime reads. */
export const FAKE_ANNOTATION_PREFIX = 'fake.bosun.dev/';

/**
 * The annotations that script a simulated container. Set on the container config, or on
 * the sandbox config to apply to every container of the pod (the container's win).
 *
 * | annotation | value | effect |
 * | --- | --- | --- |
 * | `fake.bosun.dev/start-delay` | duration (`500ms`, `2s`, `1m`) | StartContainer takes this long (clock time) |
 * | `fake.bosun.dev/start-error` | message | StartContainer fails (Internal) and the container exits with code 128 |
 * | `fake.bosun.dev/exit-after` | duration | the container exits by itself this long after it started |
 * | `fake.bosun.dev/exit-code` | integer | exit code of that exit (default 0) |
 * | `fake.bosun.dev/oom-after` | duration | the container is OOM-killed (137, reason OOMKilled) this long after it started |
 * | `fake.bosun.dev/ignore-sigterm` | `true` | StopContainer waits its full timeout, then kills (137) |
 * | `fake.bosun.dev/exec-<name>` | integer, or JSON `{"stdout","stderr","exitCode"}` | result of ExecSync whose argv[0] basename is `<name>` (probes) |
 * | `fake.bosun.dev/stdout`, `fake.bosun.dev/stderr` | text | lines written to the container log at start (`{{attempt}}` becomes the container's attempt) |
 * | `fake.bosun.dev/cpu-millicores`, `fake.bosun.dev/memory-bytes` | integer | usage reported by ContainerStats (default 10, 8 MiB) |
 *
 * ExecSync without a matching `exec-` annotation: `true` → 0, `false` → 1,
 * `echo a b` → stdout `a b\n`, anything else → exit 0 with no output.
 */
export const FakeAnnotations = {
  startDelay: `${FAKE_ANNOTATION_PREFIX}start-delay`,
  startError: `${FAKE_ANNOTATION_PREFIX}start-error`,
  exitAfter: `${FAKE_ANNOTATION_PREFIX}exit-after`,
  exitCode: `${FAKE_ANNOTATION_PREFIX}exit-code`,
  oomAfter: `${FAKE_ANNOTATION_PREFIX}oom-after`,
  ignoreSigterm: `${FAKE_ANNOTATION_PREFIX}ignore-sigterm`,
  execPrefix: `${FAKE_ANNOTATION_PREFIX}exec-`,
  stdout: `${FAKE_ANNOTATION_PREFIX}stdout`,
  stderr: `${FAKE_ANNOTATION_PREFIX}stderr`,
  cpuMillicores: `${FAKE_ANNOTATION_PREFIX}cpu-millicores`,
  memoryBytes: `${FAKE_ANNOTATION_PREFIX}memory-bytes`,
} as const;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1m30s`, `500ms`, `2s`, `1.5h` → milliseconds; a bare number means seconds. Throws InvalidArgument otherwise. */
export function parseDuration(text: string, what = 'duration'): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (!t || end !== t.length) throw new CriError('InvalidArgument', `${what}: ${JSON.stringify(text)} is not a duration like 500ms, 5s or 1m30s`);
  return total;
}

/** The scripted result of one ExecSync. */
export interface ExecScript {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** What the annotations of a container (over its pod's) ask the fake to do. */
export interface Behaviour {
  startDelayMs: number;
  startError?: string;
  exitAfterMs?: number;
  exitCode: number;
  oomAfterMs?: number;
  ignoreSigterm: boolean;
  exec: Map<string, ExecScript>;
  stdout: string[];
  stderr: string[];
  cpuMillicores: number;
  memoryBytes: number;
}

function int(text: string, key: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new CriError('InvalidArgument', `annotation ${key}: ${JSON.stringify(text)} is not an integer`);
  return Number(text);
}

function execScript(text: string, key: string): ExecScript {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return { stdout: '', stderr: '', exitCode: Number(t) };
  try {
    const v = JSON.parse(t) as Partial<ExecScript>;
    return { stdout: String(v.stdout ?? ''), stderr: String(v.stderr ?? ''), exitCode: Number(v.exitCode ?? 0) };
  } catch {
    throw new CriError('InvalidArgument', `annotation ${key}: expected an exit code or JSON {"stdout","stderr","exitCode"}`);
  }
}

const lines = (t: string | undefined) => (t === undefined || t === '' ? [] : t.replace(/\n$/, '').split('\n'));

/**
 * Reads the behaviour of a container from its pod's and its own annotations (the
 * container's override the pod's). Invalid values throw InvalidArgument, so
 * CreateContainer refuses a badly scripted container instead of ignoring the script.
 */
export function parseBehaviour(pod: Record<string, string> = {}, container: Record<string, string> = {}): Behaviour {
  const a = { ...pod, ...container };
  const get = (k: string) => a[k];
  const exec = new Map<string, ExecScript>();
  for (const [k, v] of Object.entries(a)) if (k.startsWith(FakeAnnotations.execPrefix)) exec.set(k.slice(FakeAnnotations.execPrefix.length), execScript(v, k));
  const dur = (k: string) => (get(k) === undefined ? undefined : parseDuration(get(k)!, `annotation ${k}`));
  return {
    startDelayMs: dur(FakeAnnotations.startDelay) ?? 0,
    startError: get(FakeAnnotations.startError),
    exitAfterMs: dur(FakeAnnotations.exitAfter),
    exitCode: get(FakeAnnotations.exitCode) === undefined ? 0 : int(get(FakeAnnotations.exitCode)!, FakeAnnotations.exitCode),
    oomAfterMs: dur(FakeAnnotations.oomAfter),
    ignoreSigterm: get(FakeAnnotations.ignoreSigterm) === 'true',
    exec,
    stdout: lines(get(FakeAnnotations.stdout)),
    stderr: lines(get(FakeAnnotations.stderr)),
    cpuMillicores: get(FakeAnnotations.cpuMillicores) === undefined ? 10 : int(get(FakeAnnotations.cpuMillicores)!, FakeAnnotations.cpuMillicores),
    memoryBytes: get(FakeAnnotations.memoryBytes) === undefined ? 8 * 1024 * 1024 : int(get(FakeAnnotations.memoryBytes)!, FakeAnnotations.memoryBytes),
  };
}
