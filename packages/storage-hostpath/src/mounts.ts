import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** True when `path` is a mount point of this process's mount namespace (from /proc/self/mountinfo). */
export function isMountPoint(path: string): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return false;
  }
  return text.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === path);
}

/** `mount --bind source target`, then `mount -o remount,ro,bind target` when readonly. Rejects with mount's stderr. */
export async function bindMount(source: string, target: string, readonly: boolean): Promise<void> {
  await run('mount', ['--bind', source, target]);
  if (readonly) {
    try {
      await run('mount', ['-o', 'remount,ro,bind', target]);
    } catch (err) {
      await run('umount', [target]).catch(() => undefined);
      throw err;
    }
  }
}

/** `umount target`. */
export async function unmount(target: string): Promise<void> {
  await run('umount', [target]);
}
