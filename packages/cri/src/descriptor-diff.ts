import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

/** A field as compared: what goes on the wire and what code generators name. */
export interface FieldShape {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName?: string;
}

/** A message: fields by number, nested messages and enums by name. */
export interface MessageShape {
  fields: FieldShape[];
  nested: Record<string, MessageShape>;
  enums: Record<string, Record<string, number>>;
  mapEntry: boolean;
}

/** A file reduced to what wire compatibility depends on. */
export interface FileShape {
  package: string;
  messages: Record<string, MessageShape>;
  enums: Record<string, Record<string, number>>;
  services: Record<string, Record<string, { input: string; output: string; serverStreaming: boolean; clientStreaming: boolean }>>;
}

interface DescriptorModule {
  FileDescriptorProto: { decode(buf: Uint8Array): any; toObject(m: any, o: object): any };
  FileDescriptorSet: { toObject(m: any, o: object): any };
}

/**
 * protobufjs's descriptor extension, reached through @grpc/proto-loader's own protobufjs
 * (Bosun does not depend on protobufjs directly).
 */
export function loadDescriptorModule(): { descriptor: DescriptorModule; protobuf: any } {
  const req = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'));
  return { descriptor: req('protobufjs/ext/descriptor'), protobuf: req('protobufjs') };
}

const TO_OBJECT = { enums: String, longs: Number, defaults: false };

function shapeMessage(m: any): MessageShape {
  const nested: Record<string, MessageShape> = {};
  for (const n of m.nestedType ?? []) nested[n.name] = shapeMessage(n);
  const enums: Record<string, Record<string, number>> = {};
  for (const e of m.enumType ?? []) enums[e.name] = Object.fromEntries(e.value.map((v: any) => [v.name, v.number ?? 0]));
  return {
    fields: (m.field ?? []).map((f: any) => ({
      name: f.name,
      number: f.number,
      label: f.label ?? 'LABEL_OPTIONAL',
      type: f.type,
      ...(f.typeName ? { typeName: f.typeName.replace(/^\./, '') } : {}),
    })),
    nested,
    enums,
    mapEntry: Boolean(m.options?.mapEntry),
  };
}

/** Reduces a decoded FileDescriptorProto (plain object, enums as names) to a {@link FileShape}. */
export function shapeFile(fd: any): FileShape {
  const messages: Record<string, MessageShape> = {};
  for (const m of fd.messageType ?? []) messages[m.name] = shapeMessage(m);
  const enums: Record<string, Record<string, number>> = {};
  for (const e of fd.enumType ?? []) enums[e.name] = Object.fromEntries(e.value.map((v: any) => [v.name, v.number ?? 0]));
  const services: FileShape['services'] = {};
  for (const s of fd.service ?? []) {
    services[s.name] = Object.fromEntries(
      (s.method ?? []).map((m: any) => [
        m.name,
        { input: m.inputType.replace(/^\./, ''), output: m.outputType.replace(/^\./, ''), serverStreaming: !!m.serverStreaming, clientStreaming: !!m.clientStreaming },
      ]),
    );
  }
  return { package: fd.package ?? '', messages, enums, services };
}

/** Candidate gzip members of a binary: every offset where the gzip magic 1f 8b 08 starts. */
export function* gzipOffsets(buf: Buffer): Generator<number> {
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  for (let i = buf.indexOf(magic); i >= 0; i = buf.indexOf(magic, i + 1)) yield i;
}

/**
 * Finds the gzipped FileDescriptorProto of `package` (whose file name ends with
 * `fileSuffix`) embedded in a Go binary, as registered by golang/protobuf. Returns the
 * decoded descriptor as a plain object, or undefined when the binary holds none.
 */
export function findEmbeddedDescriptor(binary: Buffer, pkg: string, fileSuffix = 'api.proto'): any | undefined {
  const { descriptor } = loadDescriptorModule();
  for (const offset of gzipOffsets(binary)) {
    let raw: Buffer;
    try {
      // Go embeds each descriptor as a complete gzip stream followed by unrelated data.
      raw = gunzipSync(binary.subarray(offset, offset + 4 * 1024 * 1024), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    } catch {
      continue;
    }
    try {
      const fd = descriptor.FileDescriptorProto.decode(raw);
      if (fd.package === pkg && String(fd.name).endsWith(fileSuffix)) return descriptor.FileDescriptorProto.toObject(fd, TO_OBJECT);
    } catch {
      // not a descriptor
    }
  }
  return undefined;
}

const SCALARS: Record<string, string> = {
  double: 'TYPE_DOUBLE', float: 'TYPE_FLOAT', int64: 'TYPE_INT64', uint64: 'TYPE_UINT64', int32: 'TYPE_INT32',
  fixed64: 'TYPE_FIXED64', fixed32: 'TYPE_FIXED32', bool: 'TYPE_BOOL', string: 'TYPE_STRING', bytes: 'TYPE_BYTES',
  uint32: 'TYPE_UINT32', sfixed32: 'TYPE_SFIXED32', sfixed64: 'TYPE_SFIXED64', sint32: 'TYPE_SINT32', sint64: 'TYPE_SINT64',
};

/** protoc's name for the synthetic entry message of a map field: `label_selector` → `LabelSelectorEntry`. */
export function mapEntryName(field: string): string {
  return field.split('_').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('') + 'Entry';
}

function fieldShape(f: any): FieldShape {
  const rt = f.resolvedType;
  if (rt) return { name: f.name, number: f.id, label: f.repeated ? 'LABEL_REPEATED' : 'LABEL_OPTIONAL', type: rt.values ? 'TYPE_ENUM' : 'TYPE_MESSAGE', typeName: rt.fullName.replace(/^\./, '') };
  return { name: f.name, number: f.id, label: f.repeated ? 'LABEL_REPEATED' : 'LABEL_OPTIONAL', type: SCALARS[f.type] ?? `?${f.type}` };
}

function shapeType(t: any): MessageShape {
  const nested: Record<string, MessageShape> = {};
  const enums: Record<string, Record<string, number>> = {};
  const fields: FieldShape[] = [];
  for (const f of t.fieldsArray) {
    if (f.map) {
      // protoc represents map<K, V> as a repeated synthetic entry message (key = 1, value = 2).
      const entry = mapEntryName(f.name);
      const key = { name: 'key', number: 1, label: 'LABEL_OPTIONAL', type: SCALARS[f.keyType]! };
      const value = fieldShape({ name: 'value', id: 2, repeated: false, type: f.type, resolvedType: f.resolvedType });
      nested[entry] = { fields: [key, value], nested: {}, enums: {}, mapEntry: true };
      fields.push({ name: f.name, number: f.id, label: 'LABEL_REPEATED', type: 'TYPE_MESSAGE', typeName: `${t.fullName.replace(/^\./, '')}.${entry}` });
    } else fields.push(fieldShape(f));
  }
  for (const n of t.nestedArray) {
    if (n.fieldsArray) nested[n.name] = shapeType(n);
    else if (n.values && !n.methods) enums[n.name] = { ...n.values };
  }
  return { fields, nested, enums, mapEntry: false };
}

/**
 * Parses a .proto file with protobufjs (field names kept as written) and reduces package
 * `pkg` to a {@link FileShape} the way protoc would describe it (fully qualified type
 * names, map fields as synthetic `XxxEntry` messages).
 */
export function shapeOfProtoFile(path: string, pkg: string): FileShape {
  const { protobuf } = loadDescriptorModule();
  const root = new protobuf.Root();
  root.loadSync(path, { keepCase: true });
  root.resolveAll();
  const ns = root.lookup(pkg);
  if (!ns) throw new Error(`no package ${pkg} in ${path}`);
  const shape: FileShape = { package: pkg, messages: {}, enums: {}, services: {} };
  for (const n of ns.nestedArray) {
    if (n.methods) {
      shape.services[n.name] = Object.fromEntries(
        n.methodsArray.map((m: any) => [
          m.name,
          {
            input: m.resolvedRequestType.fullName.replace(/^\./, ''),
            output: m.resolvedResponseType.fullName.replace(/^\./, ''),
            serverStreaming: !!m.responseStream,
            clientStreaming: !!m.requestStream,
          },
        ]),
      );
    } else if (n.fieldsArray) shape.messages[n.name] = shapeType(n);
    else if (n.values) shape.enums[n.name] = { ...n.values };
  }
  return shape;
}

function diffMessage(path: string, ours: MessageShape, theirs: MessageShape, out: string[], allowMissing: Set<string>): void {
  const theirByNumber = new Map(theirs.fields.map((f) => [f.number, f]));
  const ourNumbers = new Set(ours.fields.map((f) => f.number));
  for (const f of ours.fields) {
    const t = theirByNumber.get(f.number);
    const where = `${path}.${f.name} (#${f.number})`;
    if (!t) {
      out.push(`${where}: field number ${f.number} not in reference`);
      continue;
    }
    if (t.name !== f.name) out.push(`${where}: name differs, reference calls #${f.number} "${t.name}"`);
    if (t.type !== f.type) out.push(`${where}: type ${f.type} ≠ reference ${t.type}`);
    if ((t.typeName ?? '') !== (f.typeName ?? '')) out.push(`${where}: type name ${f.typeName} ≠ reference ${t.typeName}`);
    if (t.label !== f.label) out.push(`${where}: label ${f.label} ≠ reference ${t.label}`);
  }
  for (const t of theirs.fields) {
    if (!ourNumbers.has(t.number) && !allowMissing.has(`${path}.${t.name}`)) out.push(`${path}.${t.name} (#${t.number}): in reference, missing here`);
  }
  if (ours.mapEntry !== theirs.mapEntry) out.push(`${path}: map entry ${ours.mapEntry} ≠ reference ${theirs.mapEntry}`);
  for (const [name, n] of Object.entries(ours.nested)) {
    const t = theirs.nested[name];
    if (!t) out.push(`${path}.${name}: nested message not in reference`);
    else diffMessage(`${path}.${name}`, n, t, out, allowMissing);
  }
  diffEnums(path, ours.enums, theirs.enums, out);
}

function diffEnums(path: string, ours: Record<string, Record<string, number>>, theirs: Record<string, Record<string, number>>, out: string[]): void {
  for (const [name, values] of Object.entries(ours)) {
    const t = theirs[name];
    const where = path ? `${path}.${name}` : name;
    if (!t) {
      out.push(`${where}: enum not in reference`);
      continue;
    }
    for (const [v, n] of Object.entries(values)) {
      if (!(v in t)) out.push(`${where}.${v}: enum value not in reference`);
      else if (t[v] !== n) out.push(`${where}.${v}: value ${n} ≠ reference ${t[v]}`);
    }
    for (const v of Object.keys(t)) if (!(v in values)) out.push(`${where}.${v}: in reference, missing here`);
  }
}

/** What {@link diffFileShapes} compared. */
export interface ShapeDiff {
  differences: string[];
  comparedMessages: string[];
  comparedRpcs: string[];
}

/**
 * Compares every message, enum and RPC that `ours` declares against `reference`, field by
 * field (number, name, type, type name, label; enum names and values; RPC input, output
 * and streaming). Fields the reference has and `ours` lacks are differences too, except
 * those listed in `allowMissing` (`Message.field`). Returns one sentence per difference.
 */
export function diffFileShapes(ours: FileShape, reference: FileShape, allowMissing: Iterable<string> = []): ShapeDiff {
  const out: string[] = [];
  const allow = new Set(allowMissing);
  if (ours.package !== reference.package) out.push(`package ${ours.package} ≠ reference ${reference.package}`);
  for (const [name, m] of Object.entries(ours.messages)) {
    const t = reference.messages[name];
    if (!t) out.push(`${name}: message not in reference`);
    else diffMessage(name, m, t, out, allow);
  }
  diffEnums('', ours.enums, reference.enums, out);
  const comparedRpcs: string[] = [];
  for (const [svc, methods] of Object.entries(ours.services)) {
    const t = reference.services[svc];
    if (!t) {
      out.push(`service ${svc}: not in reference`);
      continue;
    }
    for (const [rpc, m] of Object.entries(methods)) {
      comparedRpcs.push(`${svc}/${rpc}`);
      const r = t[rpc];
      if (!r) out.push(`${svc}/${rpc}: rpc not in reference`);
      else {
        if (r.input !== m.input) out.push(`${svc}/${rpc}: input ${m.input} ≠ reference ${r.input}`);
        if (r.output !== m.output) out.push(`${svc}/${rpc}: output ${m.output} ≠ reference ${r.output}`);
        if (r.serverStreaming !== m.serverStreaming || r.clientStreaming !== m.clientStreaming) out.push(`${svc}/${rpc}: streaming differs`);
      }
    }
  }
  return { differences: out, comparedMessages: Object.keys(ours.messages), comparedRpcs };
}
