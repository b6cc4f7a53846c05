import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCriError } from '@bosun/cri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, importImageArchive, LocalImageStore, normalizeImageRef } from './image-store';

const HAS_BUSYBOX = existsSync('/bin/busybox');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosun-images-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Writes files (`path → content`) under a fresh directory and tars it; returns the tar path. */
function layerTar(name: string, files: Record<string, string>, gzip = false): string {
  const src = join(dir, `src-${name}`);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(src, p, '..'), { recursive: true });
    if (p.endsWith('/')) mkdirSync(join(src, p), { recursive: true });
    else writeFileSync(join(src, p), content);
  }
  const out = join(dir, `${name}.tar${gzip ? '.gz' : ''}`);
  execFileSync('tar', [gzip ? '-czf' : '-cf', out, '-C', src, '.']);
  return out;
}

const imageConfig = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/bin/hello'], Cmd: ['--loud'], Env: ['PATH=/bin', 'MODE=test'], WorkingDir: '/work' } });
const lower = { 'bin/hello': '#!/bin/sh\necho hello\n', 'etc/a': 'a', 'etc/b': 'b', 'd/x': 'x' };
const upper = { 'etc/.wh.a': '', 'd/.wh..wh..opq': '', 'd/y': 'y', 'new': 'n' };

function expectLayersApplied(rootfs: string): void {
  expect(existsSync(join(rootfs, 'etc/a'))).toBe(false);
  expect(readFileSync(join(rootfs, 'etc/b'), 'utf8')).toBe('b');
  expect(existsSync(join(rootfs, 'd/x'))).toBe(false);
  expect(readFileSync(join(rootfs, 'd/y'), 'utf8')).toBe('y');
  expect(readFileSync(join(rootfs, 'new'), 'utf8')).toBe('n');
  expect(existsSync(join(rootfs, 'etc/.wh.a'))).toBe(false);
  expect(existsSync(join(rootfs, 'd/.wh..wh..opq'))).toBe(false);
}

describe('normalizeImageRef', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['me/app', 'docker.io/me/app:latest'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['localhost:5000/x', 'localhost:5000/x:latest'],
  ])('%s → %s', (ref, want) => expect(normalizeImageRef(ref)).toBe(want));

  it('rejects a reference with spaces as InvalidArgument', () => {
    expect(() => normalizeImageRef('bad ref')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});

describe('importImageArchive', () => {
  it('imports a docker save tar: layers in order with whiteouts, config, id = config digest', async () => {
    const store = new LocalImageStore({ root: join(dir, 'store-docker'), sources: [] });
    const arc = join(dir, 'docker-arc');
    mkdirSync(arc);
    execFileSync('cp', [layerTar('l1', lower), join(arc, 'l1.tar')]);
    execFileSync('cp', [layerTar('l2', upper), join(arc, 'l2.tar')]);
    writeFileSync(join(arc, 'config.json'), imageConfig);
    writeFileSync(join(arc, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['example.com/hello:1'], Layers: ['l1.tar', 'l2.tar'] }]));
    execFileSync('tar', ['-cf', join(dir, 'docker.tar'), '-C', arc, '.']);

    const img = await importImageArchive(store, join(dir, 'docker.tar'));
    expect(img.id).toBe(`sha256:${sha(imageConfig)}`);
    expect(img.repoTags).toEqual(['example.com/hello:1']);
    expect(img.config).toEqual({ entrypoint: ['/bin/hello'], cmd: ['--loud'], env: ['PATH=/bin', 'MODE=test'], workingDir: '/work', user: '' });
    expectLayersApplied(img.rootfs);
    expect(store.get('example.com/hello:1')?.id).toBe(img.id);
    // A new store on the same directory finds it again.
    expect(new LocalImageStore({ root: join(dir, 'store-docker'), sources: [] }).get(img.id)?.repoTags).toEqual(['example.com/hello:1']);
  });

  it('imports an OCI layout tar with gzip layers, named by the caller', async () => {
    const store = new LocalImageStore({ root: join(dir, 'store-oci'), sources: [] });
    const arc = join(dir, 'oci-arc');
    const blobs = join(arc, 'blobs/sha256');
    mkdirSync(blobs, { recursive: true });
    const blob = (b: Buffer | string) => {
      const h = sha(b);
      writeFileSync(join(blobs, h), b);
      return { digest: `sha256:${h}`, size: Buffer.byteLength(b) };
    };
    const l1 = blob(readFileSync(layerTar('o1', lower, true)));
    const l2 = blob(readFileSync(layerTar('o2', upper, true)));
    const cfg = blob(imageConfig);
    const manifest = blob(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers: [l1, l2].map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })) }));
    writeFileSync(join(arc, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(arc, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
    execFileSync('tar', ['-cf', join(dir, 'oci.tar'), '-C', arc, '.']);

    const img = await importImageArchive(store, join(dir, 'oci.tar'), 'hello:oci');
    expect(img.repoTags).toEqual(['docker.io/library/hello:oci']);
    expect(img.id).toBe(cfg.digest);
    expect(img.config.entrypoint).toEqual(['/bin/hello']);
    expectLayersApplied(img.rootfs);
  });

  it.each<[string, () => string, string]>([
    ['a missing file', () => join(dir, 'nope.tar'), 'NotFound'],
    ['a tar that is no image', () => layerTar('junk', { 'readme': 'hi' }), 'InvalidArgument'],
    ['a file that is no tar', () => (writeFileSync(join(dir, 'x.tar'), 'not a tar'), join(dir, 'x.tar')), 'InvalidArgument'],
  ])('refuses %s clearly', async (_n, path, code) => {
    const store = new LocalImageStore({ root: join(dir, 'store-bad'), sources: [] });
    await expect(importImageArchive(store, path(), 'x')).rejects.toSatisfy((e) => isCriError(e) && e.code === code);
    expect(store.list()).toEqual([]);
  });
});

describe.skipIf(!HAS_BUSYBOX)(`busybox image${HAS_BUSYBOX ? '' : ' (SKIPPED: /bin/busybox not installed)'}`, () => {
  it('is /bin/busybox plus hard-linked applets (no symlinks), and runs sh by default', async () => {
    const store = new LocalImageStore({ root: join(dir, 'store-bb'), sources: [] });
    const img = await buildBusyboxImage(store, { refs: ['busybox:latest', 'busybox:1.36'] });
    const bb = lstatSync(join(img.rootfs, 'bin/busybox'));
    const sh = lstatSync(join(img.rootfs, 'bin/sh'));
    expect(bb.isFile() && !bb.isSymbolicLink()).toBe(true);
    expect(sh.ino).toBe(bb.ino);
    expect(bb.nlink).toBeGreaterThan(100);
    expect(statSync(join(img.rootfs, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(img.config.cmd).toEqual(['sh']);
    expect(execFileSync(join(img.rootfs, 'bin/sh'), ['-c', 'echo ok']).toString()).toBe('ok\n');
    expect(img.repoTags.sort()).toEqual(['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest']);
    // Rebuilding gives the same image.
    expect((await buildBusyboxImage(store)).id).toBe(img.id);
  });

  it('pulls busybox from the builtin source, untags on remove, deletes the last tag, keeps images in use', async () => {
    const store = new LocalImageStore({ root: join(dir, 'store-pull') });
    const a = await store.pull('busybox:1.36');
    await store.pull('busybox');
    expect(store.get('busybox:latest')?.id).toBe(a.id);
    store.remove('busybox:1.36');
    expect(store.get('busybox:1.36')).toBeUndefined();
    expect(store.get('busybox')?.id).toBe(a.id);
    store.remove('busybox', (id) => id === a.id);
    expect(store.listTagged()).toEqual([]);
    expect(existsSync(a.rootfs)).toBe(true); // a container still runs from it
    store.prune();
    expect(existsSync(a.rootfs)).toBe(false);
    await expect(store.pull('registry.invalid/x/does-not-exist:1')).rejects.toSatisfy((e) => isCriError(e, 'NotFound') && e.message.includes('does-not-exist'));
  });
});
