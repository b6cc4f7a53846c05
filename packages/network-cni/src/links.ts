import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** True when the host (this process's network namespace) has a link named `name`. */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** The ports enslaved to bridge `name`, or undefined when `name` is not a bridge here. */
export function bridgePorts(name: string): string[] | undefined {
  if (!existsSync(`/sys/class/net/${name}/bridge`)) return undefined;
  try {
    return readdirSync(`/sys/class/net/${name}/brif`);
  } catch {
    return undefined;
  }
}

/** Deletes a host link with iproute2 (`ip link delete dev <name>`); rejects with ip's message. */
export function deleteLink(name: string, ipCommand = 'ip', timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(ipCommand, ['link', 'delete', 'dev', name], { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${ipCommand} link delete dev ${name}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}
