import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { IMMUTABLE_WHEN_SET } from './config';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const CM = 'v1/ConfigMap';
const SECRET = 'v1/Secret';

describe('ConfigMap and Secret validation', () => {
  it.each<[string, string, (o: any) => void, string, string]>([
    [
      'ConfigMap keys are config keys',
      CM,
      (o) => (o.data = { 'bad key': 'v' }),
      'data[bad key]',
      "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    ],
    ['ConfigMap keys are not ..', CM, (o) => (o.data = { '..': 'v' }), 'data[..]', "Invalid value: \"..\": must not be '..'"],
    ['data and binaryData do not share keys', CM, (o) => (o.binaryData = { 'app.properties': 'YQ==' }), 'data[app.properties]', 'Invalid value: "app.properties": duplicate of key present in binaryData'],
    ['binaryData is base64', CM, (o) => (o.binaryData = { blob: 'not base64!' }), 'binaryData[blob]', 'Invalid value: "<secret contents redacted>": illegal base64 data'],
    ['a ConfigMap holds at most 1 MiB', CM, (o) => (o.data = { big: 'x'.repeat(1024 * 1024 + 1) }), '', 'Too long: may not be more than 1048576 bytes'],
    ['Secret keys are config keys', SECRET, (o) => (o.data = { 'a/b': 'YQ==' }), 'data[a/b]', 'Invalid value: "a/b": a valid config key'],
    ['Secret values are base64', SECRET, (o) => (o.data = { password: 'hunter2!' }), 'data[password]', 'Invalid value: "<secret contents redacted>": illegal base64 data'],
    ['a TLS secret has a certificate', SECRET, (o) => Object.assign(o, { type: 'kubernetes.io/tls', data: { 'tls.key': 'YQ==' } }), 'data[tls.crt]', 'Required value'],
    ['a TLS secret has a key', SECRET, (o) => Object.assign(o, { type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==' } }), 'data[tls.key]', 'Required value'],
    ['a docker config secret has .dockerconfigjson', SECRET, (o) => Object.assign(o, { type: 'kubernetes.io/dockerconfigjson', data: {} }), 'data[.dockerconfigjson]', 'Required value'],
    ['a basic-auth secret has a username or password', SECRET, (o) => Object.assign(o, { type: 'kubernetes.io/basic-auth', data: {} }), 'data[username]', 'Required value'],
    ['an ssh-auth secret has a private key', SECRET, (o) => Object.assign(o, { type: 'kubernetes.io/ssh-auth', data: {} }), 'data[ssh-privatekey]', 'Required value'],
    [
      'a service account token names its account',
      SECRET,
      (o) => Object.assign(o, { type: 'kubernetes.io/service-account-token' }),
      'metadata.annotations[kubernetes.io/service-account.name]',
      'Required value',
    ],
  ])('%s', (_, key, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, string, (o: any) => void]>([
    ['a ConfigMap with binary data', CM, (o) => (o.binaryData = { 'logo.png': 'iVBORw0KGgo=' })],
    ['an empty ConfigMap', CM, (o) => delete o.data],
    ['a TLS secret', SECRET, (o) => Object.assign(o, { type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } })],
    ['a Secret written with stringData', SECRET, (o) => Object.assign(o, { data: undefined, stringData: { password: 'hunter2' } })],
    ['a custom secret type', SECRET, (o) => (o.type = 'example.com/token')],
  ])('accepts %s', (_, key, change) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toEqual([]);
  });

  it.each<[string, string, (o: any) => void, string, string]>([
    ['an immutable ConfigMap keeps its data', CM, (o) => (o.data = { a: 'changed' }), 'data', `Forbidden: ${IMMUTABLE_WHEN_SET}`],
    ['an immutable ConfigMap stays immutable', CM, (o) => (o.immutable = false), 'immutable', `Forbidden: ${IMMUTABLE_WHEN_SET}`],
    ['an immutable Secret keeps its data', SECRET, (o) => (o.data = { password: 'YQ==' }), 'data', `Forbidden: ${IMMUTABLE_WHEN_SET}`],
  ])('%s', (_, key, change, field, message) => {
    const old = defaultObject(objectWith(key, (o) => (o.immutable = true)));
    const obj = structuredClone(old);
    change(obj);
    expect(validateObject(obj, old)).toContainEqual(cause(field, message));
  });

  it('keeps the type of a Secret', () => {
    const old = defaultObject(objectWith(SECRET));
    const s = { ...structuredClone(old), type: 'kubernetes.io/basic-auth', data: { username: 'YQ==' } };
    expect(validateObject(s, old)).toEqual([cause('type', 'Invalid value: "kubernetes.io/basic-auth": field is immutable')]);
  });

  it('lets a mutable ConfigMap change and become immutable', () => {
    const old = defaultObject(objectWith(CM));
    const cm = structuredClone(old);
    cm.data = { other: 'x' };
    cm.immutable = true;
    expect(validateObject(cm, old)).toEqual([]);
  });
});
