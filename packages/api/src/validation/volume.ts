// Pod volumes: core/validation's ValidateVolumes and the per-source checks for the
// sources Bosun's plugins serve (hostPath, emptyDir, secret, configMap, downwardAPI,
// projected, persistentVolumeClaim, nfs, csi, ephemeral, image).
import { POD_VOLUME_SOURCES } from '../defaults/volume-sources';
import { validateDns1123Label, validateDns1123Subdomain } from '../selectors/index';
import { validateFileMode, validateLocalDescendingPath, validateObjectFieldSelector, validateResourceFieldSelector, VOLUME_FIELD_PATHS } from './container';
import { validatePersistentVolumeClaimSpec } from './storage';
import { arr, fieldError, has, int, invalidEach, isDns1123LabelMemo, isDns1123SubdomainMemo, obj, quantity, type Causes, type Path } from './util';

/** The hostPath `type` values, as upstream sorts them in messages. */
export const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

/**
 * Validates `spec.volumes`: names required, DNS labels and unique; exactly one source per
 * volume (`must specify a volume type` / `may not specify more than 1 volume type`); and
 * the source's own fields. Returns the causes and the names the containers may mount.
 */
export function validateVolumes(list: unknown, path: Path): { names: Set<string>; causes: Causes } {
  const causes: Causes = [];
  const names = new Set<string>();
  const volumes = arr(list);
  for (let i = 0; i < volumes.length; i++) {
    const v = obj(volumes[i]);
    validateVolumeSource(v, path, i, causes);
    if (typeof v.name !== 'string' || v.name === '') causes.push(fieldError.required(path.index(i).child('name')));
    else {
      if (!isDns1123LabelMemo(v.name)) causes.push(...invalidEach(path.index(i).child('name'), v.name, validateDns1123Label(v.name)));
      if (names.has(v.name)) causes.push(fieldError.duplicate(path.index(i).child('name'), v.name));
      names.add(v.name);
    }
  }
  return { names, causes };
}

/** Position of each source in {@link POD_VOLUME_SOURCES}. */
const SOURCE_INDEX = new Map(POD_VOLUME_SOURCES.map((k, i) => [k, i]));

/** The source of the volume at `list[i]`; the common sources are checked without building paths unless they fail. */
function validateVolumeSource(v: Record<string, any>, list: Path, i: number, causes: Causes): void {
  // A volume names one source among ~30: find it among the volume's few keys instead of
  // probing every source name. Anything unusual takes the full loop below.
  let only: string | undefined;
  let found = 0;
  for (const k in v) {
    if (SOURCE_INDEX.has(k) && has(v[k])) {
      only = k;
      found++;
    }
  }
  if (found === 1 && sourceValid(only!, obj(v[only!]))) return;
  let count = 0;
  for (const k of POD_VOLUME_SOURCES) {
    if (!has(v[k])) continue;
    if (count > 0) {
      causes.push(fieldError.forbidden(list.index(i).child(k), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const src = obj(v[k]);
    if (!sourceValid(k, src)) causes.push(...validateSource(k, src, list.index(i).child(k)));
  }
  if (count === 0) causes.push(fieldError.required(list.index(i), 'must specify a volume type'));
}

/**
 * True only when {@link validateSource} would find nothing; covers the sources pods use
 * most (the others always take the full check).
 */
function sourceValid(kind: string, s: Record<string, any>): boolean {
  switch (kind) {
    case 'emptyDir':
      return !has(s.sizeLimit);
    case 'configMap':
      return typeof s.name === 'string' && isDns1123SubdomainMemo(s.name) && fileModeValid(s.defaultMode) && !nonEmpty(s.items);
    case 'secret':
      return typeof s.secretName === 'string' && isDns1123SubdomainMemo(s.secretName) && fileModeValid(s.defaultMode) && !nonEmpty(s.items);
    case 'persistentVolumeClaim':
      return typeof s.claimName === 'string' && s.claimName !== '';
    default:
      return false;
  }
}

/** Absent, or a file mode {@link validateFileMode} accepts. */
const fileModeValid = (v: unknown): boolean => !has(v) || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0o777);
const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/** An absolute path (`must be an absolute path`) with no `..` element. */
export function validateAbsolutePath(p: unknown, path: Path): Causes {
  if (typeof p !== 'string' || p === '') return [fieldError.required(path)];
  const causes: Causes = [];
  if (!p.startsWith('/')) causes.push(fieldError.invalid(path, p, 'must be an absolute path'));
  if (p.split('/').includes('..')) causes.push(fieldError.invalid(path, p, "must not contain '..'"));
  return causes;
}

/** The hostPath source of pod volumes and PersistentVolumes: path required without `..`, type supported. */
export function validateHostPathSource(s: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  if (typeof s.path !== 'string' || s.path === '') causes.push(fieldError.required(path.child('path')));
  else if (s.path.split('/').includes('..')) causes.push(fieldError.invalid(path.child('path'), s.path, "must not contain '..'"));
  if (has(s.type) && !HOST_PATH_TYPES.includes(s.type)) causes.push(fieldError.notSupported(path.child('type'), s.type, HOST_PATH_TYPES));
  return causes;
}

/** The nfs source: server required, path absolute. */
export function validateNfsSource(s: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  if (typeof s.server !== 'string' || s.server === '') causes.push(fieldError.required(path.child('server')));
  causes.push(...validateAbsolutePath(s.path, path.child('path')));
  return causes;
}

function validateKeyToPaths(items: unknown, path: Path): Causes {
  const causes: Causes = [];
  arr(items).forEach((raw, i) => {
    const p = path.index(i);
    const kp = obj(raw);
    if (typeof kp.key !== 'string' || kp.key === '') causes.push(fieldError.required(p.child('key')));
    causes.push(...validateItemPath(kp.path, p.child('path')));
    if (has(kp.mode)) validateFileMode(kp.mode, p.child('mode'), causes);
  });
  return causes;
}

function validateItemPath(v: unknown, path: Path): Causes {
  if (typeof v !== 'string' || v === '') return [fieldError.required(path)];
  const causes = validateLocalDescendingPath(v, path);
  if (v.startsWith('..') && !v.startsWith('../')) causes.push(fieldError.invalid(path, v, "must not start with '..'"));
  return causes;
}

function validateDownwardAPIItems(items: unknown, path: Path): Causes {
  const causes: Causes = [];
  arr(items).forEach((raw, i) => {
    const p = path.index(i);
    const f = obj(raw);
    causes.push(...validateItemPath(f.path, p.child('path')));
    if (has(f.fieldRef)) {
      causes.push(...validateObjectFieldSelector(f.fieldRef, VOLUME_FIELD_PATHS, p.child('fieldRef')));
      if (has(f.resourceFieldRef)) causes.push(fieldError.invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    } else if (has(f.resourceFieldRef)) {
      causes.push(...validateResourceFieldSelector(f.resourceFieldRef, true, p.child('resourceFieldRef')));
    } else {
      causes.push(fieldError.required(p, 'one of fieldRef and resourceFieldRef is required'));
    }
    if (has(f.mode)) validateFileMode(f.mode, p.child('mode'), causes);
  });
  return causes;
}

function requireName(v: unknown, path: Path): Causes {
  if (typeof v !== 'string' || v === '') return [fieldError.required(path)];
  return invalidEach(path, v, validateDns1123Subdomain(v));
}

function validateSource(kind: string, s: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  switch (kind) {
    case 'hostPath':
      return validateHostPathSource(s, path);
    case 'emptyDir':
      if (has(s.sizeLimit)) {
        const q = quantity(s.sizeLimit, path.child('sizeLimit'), causes);
        if (q && q.sign() < 0) causes.push(fieldError.forbidden(path.child('sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      }
      return causes;
    case 'secret':
      causes.push(...requireName(s.secretName, path.child('secretName')));
      if (has(s.defaultMode)) validateFileMode(s.defaultMode, path.child('defaultMode'), causes);
      causes.push(...validateKeyToPaths(s.items, path.child('items')));
      return causes;
    case 'configMap':
      causes.push(...requireName(s.name, path.child('name')));
      if (has(s.defaultMode)) validateFileMode(s.defaultMode, path.child('defaultMode'), causes);
      causes.push(...validateKeyToPaths(s.items, path.child('items')));
      return causes;
    case 'downwardAPI':
      if (has(s.defaultMode)) validateFileMode(s.defaultMode, path.child('defaultMode'), causes);
      causes.push(...validateDownwardAPIItems(s.items, path.child('items')));
      return causes;
    case 'projected':
      if (has(s.defaultMode)) validateFileMode(s.defaultMode, path.child('defaultMode'), causes);
      arr(s.sources).forEach((raw, i) => causes.push(...validateProjection(obj(raw), path.child('sources').index(i))));
      return causes;
    case 'persistentVolumeClaim':
      if (typeof s.claimName !== 'string' || s.claimName === '') causes.push(fieldError.required(path.child('claimName')));
      return causes;
    case 'nfs':
      return validateNfsSource(s, path);
    case 'csi':
      if (typeof s.driver !== 'string' || s.driver === '') causes.push(fieldError.required(path.child('driver')));
      else causes.push(...invalidEach(path.child('driver'), s.driver, validateDns1123Subdomain(s.driver.toLowerCase())));
      return causes;
    case 'ephemeral':
      if (!has(s.volumeClaimTemplate)) causes.push(fieldError.required(path.child('volumeClaimTemplate')));
      else causes.push(...validatePersistentVolumeClaimSpec(obj(s.volumeClaimTemplate).spec, path.child('volumeClaimTemplate', 'spec')));
      return causes;
    case 'image':
      if (typeof s.reference !== 'string' || s.reference === '') causes.push(fieldError.required(path.child('reference')));
      if (has(s.pullPolicy) && !['Always', 'IfNotPresent', 'Never'].includes(s.pullPolicy)) causes.push(fieldError.notSupported(path.child('pullPolicy'), s.pullPolicy, ['Always', 'IfNotPresent', 'Never']));
      return causes;
    case 'gitRepo':
      if (typeof s.repository !== 'string' || s.repository === '') causes.push(fieldError.required(path.child('repository')));
      if (typeof s.directory === 'string' && s.directory !== '') causes.push(...validateLocalDescendingPath(s.directory, path.child('directory')));
      return causes;
    default:
      return causes;
  }
}

function validateProjection(src: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  let count = 0;
  for (const k of ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle']) {
    if (!has(src[k])) continue;
    count++;
    if (count > 1) {
      causes.push(fieldError.forbidden(path, 'may not specify more than 1 volume type per source'));
      continue;
    }
    const s = obj(src[k]);
    const p = path.child(k);
    if (k === 'secret' || k === 'configMap') {
      if (typeof s.name !== 'string' || s.name === '') causes.push(fieldError.required(p.child('name')));
      causes.push(...validateKeyToPaths(s.items, p.child('items')));
    } else if (k === 'downwardAPI') {
      causes.push(...validateDownwardAPIItems(s.items, p.child('items')));
    } else if (k === 'serviceAccountToken') {
      if (typeof s.path !== 'string' || s.path === '') causes.push(fieldError.required(p.child('path')));
      const e = int(s.expirationSeconds, p.child('expirationSeconds'), causes);
      if (e !== undefined && e < 600) causes.push(fieldError.invalid(p.child('expirationSeconds'), e, 'may not specify a duration less than 10 minutes'));
      if (e !== undefined && e > 2 ** 32) causes.push(fieldError.invalid(p.child('expirationSeconds'), e, 'may not specify a duration larger than 2^32 seconds'));
    } else if (typeof s.path !== 'string' || s.path === '') {
      causes.push(fieldError.required(p.child('path')));
    }
  }
  return causes;
}
