import type { core } from '@bosun/api';

/**
 * Expands `$(VAR)` references in `text` from `vars`, as the kubelet does: `$$` escapes a
 * `$`, and a reference to an unknown variable stays as written.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const n = text[i + 1];
    if (n === '$') {
      out += '$';
      i++;
    } else if (n === '(') {
      const end = text.indexOf(')', i + 2);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, end);
      out += vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = end;
    } else out += c;
  }
  return out;
}

/**
 * The environment of a container, in order: each plain `value` is expanded against the
 * variables defined before it. `valueFrom` sources are not resolved yet (they are skipped).
 */
export function containerEnv(container: core.Container): Array<{ key: string; value: string }> {
  const vars = new Map<string, string>();
  const out: Array<{ key: string; value: string }> = [];
  for (const e of container.env ?? []) {
    if (e.valueFrom) continue;
    const value = expandVars(e.value ?? '', vars);
    vars.set(e.name, value);
    out.push({ key: e.name, value });
  }
  return out;
}

/** Command and args with `$(VAR)` expanded against the container's environment. */
export function expandCommand(container: core.Container, env: ReadonlyArray<{ key: string; value: string }>): { command: string[]; args: string[] } {
  const vars = new Map(env.map((e) => [e.key, e.value] as const));
  return { command: (container.command ?? []).map((s) => expandVars(s, vars)), args: (container.args ?? []).map((s) => expandVars(s, vars)) };
}
