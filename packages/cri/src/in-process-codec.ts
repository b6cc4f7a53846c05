import { createRequire } from 'node:module';
import { CRI_LOADER_OPTIONS, criProtoPath } from './proto';

/**
 * The slice of protobufjs used here. protobufjs is what @grpc/proto-loader builds its
 * (de)serializers from: `serialize(x) = encode(fromObject(x))` and
 * `deserialize(b) = toObject(decode(b), CRI_LOADER_OPTIONS)`.
 */
interface PbType {
  fromObject(object: object): object;
  toObject(message: object, options: object): object;
  readonly fieldsArray: readonly PbField[];
}
interface PbField {
  readonly type: string;
  readonly resolvedType: unknown;
}
interface PbMethod {
  readonly resolvedRequestType: PbType | null;
  readonly resolvedResponseType: PbType | null;
}
interface PbRoot {
  loadSync(filename: string, options: object): PbRoot;
  resolveAll(): PbRoot;
  lookupService(path: string): { readonly methods: Readonly<Record<string, PbMethod>> };
}
interface Protobufjs {
  Root: new () => PbRoot;
  Type: abstract new (...args: never[]) => PbType;
}

/** One message's conversion: what a value looks like after a trip over the wire. */
export type MessageCopy = (value: object) => object;

/** A method's request and response conversions. */
export interface MethodCodec {
  request: MessageCopy;
  response: MessageCopy;
}

/**
 * protobufjs, reached through @grpc/proto-loader (whose dependency it is, so both always
 * agree on the version); @bosun/cri does not depend on it directly.
 */
function loadProtobufjs(): Protobufjs {
  const here = createRequire(import.meta.url);
  return createRequire(here.resolve('@grpc/proto-loader'))('protobufjs') as Protobufjs;
}

/** True when `type` or a message it contains has a `bytes` field (at any depth). */
function hasBytes(pb: Protobufjs, type: PbType, seen = new Set<PbType>()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  return type.fieldsArray.some((f) => f.type === 'bytes' || (f.resolvedType instanceof pb.Type && hasBytes(pb, f.resolvedType, seen)));
}

/**
 * `toObject(fromObject(value))` with the options the wire codec decodes with: the value
 * a gRPC peer would see, built without encoding and decoding bytes. Defaults are filled,
 * unknown fields dropped, enums named, int64 made numbers and scalars coerced exactly as
 * `fromObject` does before encoding, and the result shares no object with the input.
 * `undefined` for a message holding `bytes` (`fromObject` would hand the caller's buffer
 * through where the wire makes a fresh Buffer): those keep the wire codec.
 */
function copier(pb: Protobufjs, type: PbType | null): MessageCopy | undefined {
  if (!type || hasBytes(pb, type)) return undefined;
  return (value) => type.toObject(type.fromObject(value), CRI_LOADER_OPTIONS);
}

let root: PbRoot | undefined;
let protobufjs: Protobufjs | undefined;
const codecs = new Map<string, MethodCodec | null>();

/**
 * The in-process conversions of `service`'s `rpc` (`runtime.v1.RuntimeService`,
 * `ListContainers`), or `undefined` when the method must keep the wire codec (it carries
 * `bytes`, or the proto has no such method). Parses api.proto once, on first use.
 */
export function inProcessMethodCodec(service: string, rpc: string): MethodCodec | undefined {
  const key = `${service}/${rpc}`;
  const known = codecs.get(key);
  if (known !== undefined) return known ?? undefined;
  protobufjs ??= loadProtobufjs();
  // The options proto-loader parses with (keepCase → camelCase names), so the field names agree.
  root ??= new protobufjs.Root().loadSync(criProtoPath(), { keepCase: CRI_LOADER_OPTIONS.keepCase }).resolveAll();
  const method = root.lookupService(service).methods[rpc];
  const request = method && copier(protobufjs, method.resolvedRequestType);
  const response = method && copier(protobufjs, method.resolvedResponseType);
  const codec = request && response ? { request, response } : null;
  codecs.set(key, codec);
  return codec ?? undefined;
}
