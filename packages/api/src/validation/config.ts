// ConfigMap and Secret, as core/validation checks them.
import type { FieldCause } from '../errors';
import { FieldPath, fieldError, has, invalidEach, isObj, obj, semanticEqual, validateConfigMapKey, type Causes } from './util';

/** Largest total size of a ConfigMap's or Secret's data: 1 MiB. */
export const MAX_DATA_SIZE = 1024 * 1024;
/** The message of the causes for changes to an immutable ConfigMap or Secret. */
export const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodedLength(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}
function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Validates base64 values of a data map; returns their decoded total size. */
function validateBinaryMap(map: unknown, path: FieldPath, causes: Causes): number {
  let size = 0;
  for (const [k, v] of Object.entries(obj(map))) {
    causes.push(...invalidEach(path.key(k), k, validateConfigMapKey(k)));
    const text = typeof v === 'string' ? v.replace(/[\r\n]/g, '') : undefined;
    if (text === undefined || !BASE64.test(text)) causes.push(fieldError.invalid(path.key(k), '<secret contents redacted>', 'illegal base64 data'));
    else size += decodedLength(text);
  }
  return size;
}

function validateImmutable(now: Record<string, any>, old: Record<string, any>, dataKeys: readonly string[]): Causes {
  if (old.immutable !== true) return [];
  const causes: Causes = [];
  if (now.immutable !== true) causes.push(fieldError.forbidden('immutable', IMMUTABLE_WHEN_SET));
  for (const k of dataKeys) if (!semanticEqual(now[k], old[k])) causes.push(fieldError.forbidden(k, IMMUTABLE_WHEN_SET));
  return causes;
}

/**
 * The ConfigMap kind's validation: data and binaryData keys valid config keys
 * (`a valid config key must consist of alphanumeric characters, '-', '_' or '.'`) and
 * not in both maps, data values strings, binaryData values base64, at most 1 MiB in
 * total. Once `immutable: true` is stored, data, binaryData and the flag cannot change.
 */
export function validateConfigMap(cm: unknown, old?: unknown): FieldCause[] {
  const c = obj(cm);
  const causes: Causes = [];
  const data = FieldPath.root('data');
  const binary = isObj(c.binaryData) ? c.binaryData : {};
  let size = 0;
  for (const [k, v] of Object.entries(obj(c.data))) {
    causes.push(...invalidEach(data.key(k), k, validateConfigMapKey(k)));
    if (Object.hasOwn(binary, k)) causes.push(fieldError.invalid(data.key(k), k, 'duplicate of key present in binaryData'));
    if (typeof v !== 'string') causes.push(fieldError.typeInvalid(data.key(k), v, 'must be a string'));
    else size += utf8Length(v);
  }
  size += validateBinaryMap(c.binaryData, FieldPath.root('binaryData'), causes);
  if (size > MAX_DATA_SIZE) causes.push(fieldError.tooLong('', '', MAX_DATA_SIZE));
  if (old !== undefined) causes.push(...validateImmutable(c, obj(old), ['data', 'binaryData']));
  return causes;
}

/**
 * The Secret kind's validation: data keys valid config keys, values base64, at most 1 MiB
 * decoded; the keys each type requires (`kubernetes.io/tls`: tls.crt and tls.key;
 * `kubernetes.io/dockerconfigjson`: .dockerconfigjson; `kubernetes.io/dockercfg`:
 * .dockercfg; `kubernetes.io/basic-auth`: username or password;
 * `kubernetes.io/ssh-auth`: ssh-privatekey; `kubernetes.io/service-account-token`: the
 * service-account.name annotation). On update the type is immutable, and an immutable
 * Secret keeps its data.
 */
export function validateSecret(secret: unknown, old?: unknown): FieldCause[] {
  const s = obj(secret);
  const causes: Causes = [];
  const dataPath = FieldPath.root('data');
  const size = validateBinaryMap(s.data, dataPath, causes);
  if (size > MAX_DATA_SIZE) causes.push(fieldError.tooLong(dataPath, '', MAX_DATA_SIZE));
  const data = obj(s.data);
  const requireKey = (k: string) => {
    if (!has(data[k])) causes.push(fieldError.required(dataPath.key(k)));
  };
  switch (s.type ?? 'Opaque') {
    case 'kubernetes.io/service-account-token':
      if (!obj(obj(s.metadata).annotations)['kubernetes.io/service-account.name']) causes.push(fieldError.required(FieldPath.root('metadata').child('annotations').key('kubernetes.io/service-account.name')));
      break;
    case 'kubernetes.io/dockercfg':
      requireKey('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      requireKey('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!has(data.username) && !has(data.password)) {
        requireKey('username');
        requireKey('password');
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) causes.push(fieldError.required(dataPath.key('ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      requireKey('tls.crt');
      requireKey('tls.key');
      break;
  }
  if (old !== undefined) {
    const o = obj(old);
    if ((s.type ?? 'Opaque') !== (o.type ?? 'Opaque')) causes.push(fieldError.immutable('type', s.type ?? ''));
    causes.push(...validateImmutable(s, o, ['data']));
  }
  return causes;
}
