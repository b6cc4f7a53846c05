import { createHash } from 'node:crypto';
import { CriError, type Image } from '@bosun/cri';

/**
 * The canonical form of an image reference, as containerd lists it in repoTags:
 * `busybox` → `docker.io/library/busybox:latest`, `nginx:1.25` →
 * `docker.io/library/nginx:1.25`, `registry.k8s.io/pause:3.9` unchanged. Digest
 * references keep their digest and get no tag. Image ids (`sha256:…`) are returned as is.
 */
export function normalizeImageRef(ref: string): string {
  const r = ref.trim();
  if (/^sha256:[0-9a-f]{64}$/.test(r)) return r;
  if (!r || /\s/.test(r)) throw new CriError('InvalidArgument', `invalid image reference ${JSON.stringify(ref)}`);
  const [name, digest] = r.split('@') as [string, string | undefined];
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  let path = hasDomain ? name : `docker.io/${name.includes('/') ? name : `library/${name}`}`;
  const lastPart = path.slice(path.lastIndexOf('/') + 1);
  if (!digest && !lastPart.includes(':')) path += ':latest';
  return digest ? `${path}@${digest}` : path;
}

/** Options of {@link ImageStore}. */
export interface ImageStoreOptions {
  /** References present from the start. */
  preloaded?: readonly string[];
  /** References PullImage refuses with NotFound (a regexp, or substrings). */
  unpullable?: RegExp | readonly string[];
}

/** An in-memory image store: ids derived from the reference, deterministic sizes. */
export class ImageStore {
  private readonly byId = new Map<string, Image>();
  private readonly byTag = new Map<string, string>();
  private readonly unpullable: (ref: string) => boolean;

  constructor(opts: ImageStoreOptions = {}) {
    const u = opts.unpullable ?? /does-not-exist|\.invalid\//;
    this.unpullable = u instanceof RegExp ? (r) => u.test(r) : (r) => u.some((s) => r.includes(s));
    for (const ref of opts.preloaded ?? []) this.add(ref);
  }

  /** Adds (or returns) the image for a reference. */
  add(ref: string): Image {
    const tag = normalizeImageRef(ref);
    const existing = this.get(tag);
    if (existing) return existing;
    const hash = createHash('sha256').update(tag).digest('hex');
    const [name, digest] = tag.split('@') as [string, string | undefined];
    const image: Image = {
      id: `sha256:${hash}`,
      repoTags: digest ? [] : [tag],
      repoDigests: [`${name.replace(/:[^/:]+$/, '')}@${digest ?? `sha256:${createHash('sha256').update(`digest:${tag}`).digest('hex')}`}`],
      size: 1_000_000 + (parseInt(hash.slice(0, 6), 16) % 50_000_000),
      uid: null,
      username: '',
      spec: { image: tag, annotations: {} },
      pinned: false,
    };
    this.byId.set(image.id, image);
    this.byTag.set(tag, image.id);
    for (const d of image.repoDigests) this.byTag.set(d, image.id);
    return image;
  }

  /** The image for a reference, id or digest, if present. */
  get(ref: string): Image | undefined {
    let key: string;
    try {
      key = normalizeImageRef(ref);
    } catch {
      return undefined;
    }
    const id = this.byId.has(key) ? key : this.byTag.get(key);
    return id ? this.byId.get(id) : undefined;
  }

  /** Simulates a pull: NotFound for unpullable references, else adds the image. */
  pull(ref: string): Image {
    const tag = normalizeImageRef(ref);
    if (this.unpullable(ref) || this.unpullable(tag)) throw new CriError('NotFound', `failed to pull image "${ref}": ${tag}: not found`);
    return this.add(tag);
  }

  /** Removes an image by any of its names; absent images are ignored. */
  remove(ref: string): void {
    const image = this.get(ref);
    if (!image) return;
    this.byId.delete(image.id);
    for (const [k, v] of this.byTag) if (v === image.id) this.byTag.delete(k);
  }

  /** Every image. */
  list(): Image[] {
    return [...this.byId.values()];
  }
}
