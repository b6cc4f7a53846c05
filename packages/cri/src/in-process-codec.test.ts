import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createInProcessCriClient } from './client';
import { CriError, isCriError } from './errors';
import { inProcessMethodCodec } from './in-process-codec';
import { criProtoPath, criServiceDefinition, IMAGE_SERVICE, RUNTIME_SERVICE } from './proto';

/** Just enough of protobufjs to walk the CRI messages and make values for them. */
interface Field {
  name: string;
  type: string;
  repeated: boolean;
  map: boolean;
  keyType?: string;
  resolvedType: Message | EnumType | null;
}
interface Message {
  fieldsArray: Field[];
}
interface EnumType {
  values: Record<string, number>;
}
const pb = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'))('protobufjs') as {
  Root: new () => { loadSync(f: string, o: object): { resolveAll(): { lookupService(n: string): { methods: Record<string, { resolvedRequestType: Message; resolvedResponseType: Message }> } } } };
  Type: new (...a: never[]) => Message;
};
const root = new pb.Root().loadSync(criProtoPath(), { keepCase: false }).resolveAll();

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

/**
 * A random value for a field of `type`: sometimes the default, sometimes an edge (negative,
 * fractional, above 2^32 or 2^53, a numeric string, a number where a string goes, an
 * unknown enum number), so the two codecs are compared where they could differ.
 */
function scalar(type: string, r: () => number, enumType?: EnumType): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  if (enumType) return pick([...Object.keys(enumType.values), 0, 1, 99]);
  if (type === 'string') return pick(['', 'a', 'x'.repeat(40), 'ünï €', '0', 7, true]);
  if (type === 'bool') return pick([true, false, 0, 1, '']);
  if (INT64.has(type)) return pick([0, 1, -1, 42.9, 2 ** 40, 1_732_000_000_123_456_789, Number.MAX_SAFE_INTEGER, '123', -(2 ** 33)]);
  if (INT32.has(type)) return pick([0, 1, -1, 3.7, 2 ** 31, 2 ** 32 + 5, '12']);
  if (type === 'double' || type === 'float') return pick([0, 1.5, -2]);
  return undefined;
}

function value(msg: Message, r: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of msg.fieldsArray) {
    const roll = r();
    if (roll < 0.25) continue; // absent
    if (roll < 0.32) {
      out[f.name] = null;
      continue;
    }
    const nested = f.resolvedType instanceof pb.Type ? (f.resolvedType as Message) : undefined;
    const enumType = f.resolvedType && !nested ? (f.resolvedType as EnumType) : undefined;
    const one = () => (nested ? (depth > 3 ? {} : value(nested, r, depth + 1)) : scalar(f.type, r, enumType));
    if (f.map) {
      const m: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 3); i > 0; i--) m[`k${Math.floor(r() * 5)}`] = one();
      out[f.name] = m;
    } else if (f.repeated) {
      out[f.name] = Array.from({ length: Math.floor(r() * 3) }, one);
    } else {
      out[f.name] = one();
    }
  }
  if (r() < 0.3) out.notAField = { deep: [1, 2] }; // unknown fields are dropped by both
  return out;
}

/** Every object (not primitive) reachable from `v`. */
function objectsOf(v: unknown, into = new Set<object>()): Set<object> {
  if (v && typeof v === 'object' && !into.has(v)) {
    into.add(v);
    for (const x of Object.values(v)) objectsOf(x, into);
  }
  return into;
}

const services = [RUNTIME_SERVICE, IMAGE_SERVICE] as const;
const methods = services.flatMap((service) => Object.keys(criServiceDefinition(service)).map((rpc) => [service, rpc] as const));

describe('inProcessMethodCodec', () => {
  it.each(methods)('%s/%s: requests and responses come out as the wire codec yields them', (service, rpc) => {
    const codec = inProcessMethodCodec(service, rpc);
    const wire = criServiceDefinition(service)[rpc]!;
    const m = root.lookupService(service).methods[rpc]!;
    if (rpc === 'ExecSync') {
      expect(codec).toBeUndefined(); // bytes: the wire codec keeps them
      return;
    }
    expect(codec).toBeDefined();
    const r = rng(rpc.length * 7919 + service.length);
    for (let i = 0; i < 150; i++) {
      const req = value(m.resolvedRequestType, r, 0);
      const res = value(m.resolvedResponseType, r, 0);
      const fastReq = codec!.request(req);
      const fastRes = codec!.response(res);
      expect(fastReq).toStrictEqual(wire.requestDeserialize(wire.requestSerialize(req)));
      expect(fastRes).toStrictEqual(wire.responseDeserialize(wire.responseSerialize(res)));
      // Like the wire, the copy shares nothing with what the caller (or the impl) holds.
      const inputs = objectsOf([req, res]);
      expect([...objectsOf([fastReq, fastRes])].filter((o) => inputs.has(o))).toEqual([]);
    }
  });

  it('rejects a value of the wrong shape as the wire codec does', () => {
    const codec = inProcessMethodCodec(RUNTIME_SERVICE, 'RunPodSandbox')!;
    const wire = criServiceDefinition(RUNTIME_SERVICE).RunPodSandbox!;
    const bad = { config: 'not a message' };
    expect(() => wire.requestSerialize(bad)).toThrow(TypeError);
    expect(() => codec.request(bad)).toThrow(TypeError);
  });

  it('answers undefined for a method the proto does not have', () => {
    expect(inProcessMethodCodec(RUNTIME_SERVICE, 'NoSuchMethod')).toBeUndefined();
  });
});

describe('createInProcessCriClient codecs', () => {
  const impl = {
    listContainers: async () => ({ containers: [{ id: 'c1', state: 'CONTAINER_RUNNING' as const, createdAt: 5, labels: { a: 'b' } }] }),
    podSandboxStatus: async () => {
      throw new CriError('NotFound', 'no sandbox');
    },
  };

  it.each(['object', 'wire'] as const)('codec %s: same results and errors', async (codec) => {
    const client = createInProcessCriClient(impl, { codec });
    expect(await client.runtime.listContainers()).toStrictEqual([
      { id: 'c1', podSandboxId: '', metadata: null, image: null, imageRef: '', state: 'CONTAINER_RUNNING', createdAt: 5, labels: { a: 'b' }, annotations: {} },
    ]);
    await expect(client.runtime.podSandboxStatus('x')).rejects.toSatisfy((e) => isCriError(e, 'NotFound'));
  });

  it('hands the impl a request it cannot share with the caller', async () => {
    let seen: unknown;
    const client = createInProcessCriClient({ listPodSandbox: async (req: unknown) => ((seen = req), { items: [] }) });
    const filter = { labelSelector: { app: 'x' } };
    await client.runtime.listPodSandbox(filter);
    expect(seen).toStrictEqual({ filter: { id: '', state: null, labelSelector: { app: 'x' } } });
    expect((seen as { filter: unknown }).filter).not.toBe(filter);
  });
});
