/** The parts of a container image reference, as the container runtime's reference parser splits it. */
export interface ImageReference {
  /** Registry host (with port), or `''` when the reference names none (Docker Hub). */
  domain: string;
  /** Repository path without the domain: `library/nginx`, `team/app`. */
  path: string;
  /** Tag, or `''` when the reference has none. */
  tag: string;
  /** Digest (`sha256:…`), or `''` when the reference has none. */
  digest: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

/**
 * Splits an image reference (`nginx`, `nginx:1.25`, `registry:5000/team/app@sha256:…`)
 * the way the container runtime's normalized reference parser does; undefined when the
 * reference is malformed (upper-case repository, bad tag, empty).
 */
export function parseImageReference(image: string): ImageReference | undefined {
  if (!image || image !== image.trim()) return undefined;
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag = '';
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  let domain = '';
  const first = rest.indexOf('/');
  if (first >= 0) {
    const head = rest.slice(0, first);
    // Docker's rule: the first component is a registry when it looks like a host.
    if (head.includes('.') || head.includes(':') || head === 'localhost' || head !== head.toLowerCase()) {
      domain = head;
      rest = rest.slice(first + 1);
      if (!DOMAIN.test(domain)) return undefined;
    }
  }
  if (!rest || !rest.split('/').every((c) => PATH_COMPONENT.test(c))) return undefined;
  return { domain, path: rest, tag, digest };
}

/**
 * The pull policy Kubernetes gives a container that names none: `Always` when the image
 * has the tag `latest` or no tag and no digest, `IfNotPresent` otherwise (a malformed
 * reference also gets `IfNotPresent`, as upstream ignores the parse error).
 */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  // Every container of every pod written asks, and workloads repeat a few images.
  let policy = pullPolicies.get(image);
  if (policy === undefined) {
    const ref = parseImageReference(image);
    const tag = ref ? ref.tag || (ref.digest ? '' : 'latest') : '';
    policy = tag === 'latest' ? 'Always' : 'IfNotPresent';
    if (pullPolicies.size >= PULL_POLICY_CACHE_SIZE) pullPolicies.clear();
    pullPolicies.set(image, policy);
  }
  return policy;
}

const pullPolicies = new Map<string, 'Always' | 'IfNotPresent'>();
const PULL_POLICY_CACHE_SIZE = 1024;
