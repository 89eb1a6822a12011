// Table-driven conversion between a protobuf message and the JSON object Go's encoding/json
// writes for the same Go struct. The rules per field kind are in schema.ts.
//
// Decoding follows gogo-protobuf's generated Unmarshal: the last occurrence of a scalar wins,
// repeated occurrences of a message field merge (which is what concatenating them means on the
// wire), repeated varint fields may come packed or not, and a known field with the wrong wire type
// is an error. Fields not in the table are skipped and reported.

import { ProtobufError } from "./errors.ts";
import { MESSAGES } from "./kinds.ts";
import type { Field, Message, ScalarType } from "./schema.ts";
import { SPECIAL, wrongWireType } from "./special.ts";
import { LEN, Reader, readFields, utf8Decode, utf8Encode, VARINT, Writer, type WireField } from "./wire.ts";

/** A field the tables do not know, as reported after a successful decode. */
export interface UnknownField {
  /** JSON path of the enclosing object, e.g. "spec.template.spec.containers[0]" ("" for the root). */
  path: string;
  /** The protobuf field number. */
  field: number;
  /** The wire type it was sent with. */
  wireType: number;
}

/** Where decoding collects what it skipped. */
export interface DecodeContext {
  unknown: UnknownField[];
}

const EMPTY = new Uint8Array(0);
const quantity = SPECIAL["Quantity"]!;

function message(name: string): Message {
  const m = MESSAGES.get(name);
  if (!m) throw new Error(`no message ${name}`); // compile() rules this out
  return m;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

// ---------------------------------------------------------------- decode

/** Decodes message bytes into the JSON object Go would write for it. */
export function decodeMessage(
  msg: Message,
  bytes: Uint8Array,
  ctx: DecodeContext,
  path: string,
): Record<string, unknown> {
  const byNum = new Map<number, WireField[]>();
  for (const wf of readFields(bytes)) {
    if (!msg.lookup.has(wf.num)) {
      ctx.unknown.push({ path, field: wf.num, wireType: wf.wireType });
      continue;
    }
    const list = byNum.get(wf.num);
    if (list) list.push(wf);
    else byNum.set(wf.num, [wf]);
  }
  const out: Record<string, unknown> = {};
  for (const f of msg.fields) decodeField(f, byNum.get(f.num), out, ctx, path);
  return out;
}

function decodeField(
  f: Field,
  occ: WireField[] | undefined,
  out: Record<string, unknown>,
  ctx: DecodeContext,
  path: string,
): void {
  const at = join(path, f.json);
  if (f.inline) {
    Object.assign(out, decodeMessage(message(f.message!), concat(f, occ, path), ctx, path));
    return;
  }
  if (f.repeated) {
    const items: unknown[] = [];
    for (const wf of occ ?? []) decodeElements(f, wf, items, ctx, at);
    if (items.length > 0) out[f.json] = items;
    else if (!f.omitempty) out[f.json] = null;
    return;
  }
  if (occ === undefined) {
    // Absent: a nil pointer, slice, map or []byte is left out (omitempty) or null; a struct or
    // scalar value is its zero value.
    if (f.pointer || f.kind === "map" || f.kind === "bytes") {
      if (!f.omitempty) out[f.json] = null;
      return;
    }
    if (f.kind === "scalar") {
      if (!f.omitempty) out[f.json] = zero(f.scalar!);
      return;
    }
    out[f.json] =
      f.kind === "special"
        ? f.special!.decode(undefined, at)
        : decodeMessage(message(f.message!), EMPTY, ctx, at);
    return;
  }
  switch (f.kind) {
    case "scalar": {
      const v = scalar(f.scalar!, occ[occ.length - 1]!, at);
      if (f.pointer || !f.omitempty || v !== zero(f.scalar!)) out[f.json] = v;
      return;
    }
    case "bytes": {
      const b = lenValue(occ[occ.length - 1]!, at);
      if (b.length > 0 || !f.omitempty) out[f.json] = base64(b);
      return;
    }
    case "map":
      out[f.json] = decodeMap(f, occ, at);
      return;
    case "special":
      out[f.json] = f.special!.decode(concat(f, occ, path), at);
      return;
    case "message":
      out[f.json] = decodeMessage(message(f.message!), concat(f, occ, path), ctx, at);
  }
}

function decodeElements(f: Field, wf: WireField, items: unknown[], ctx: DecodeContext, at: string): void {
  const where = `${at}[${items.length}]`;
  if (f.kind === "scalar") {
    if (f.scalar !== "string" && wf.wireType === LEN) {
      // A packed run of varints.
      const r = new Reader(wf.value as Uint8Array);
      while (!r.done())
        items.push(scalar(f.scalar!, { num: wf.num, wireType: VARINT, value: r.varint() }, at));
      return;
    }
    items.push(scalar(f.scalar!, wf, at));
  } else if (f.kind === "bytes") {
    items.push(base64(lenValue(wf, at)));
  } else if (f.kind === "special") {
    items.push(f.special!.decode(lenValue(wf, at), where));
  } else {
    items.push(decodeMessage(message(f.message!), lenValue(wf, at), ctx, where));
  }
}

// Map entries are messages {key = 1, value = 2}; Go writes the map with its keys sorted.
function decodeMap(f: Field, occ: WireField[], at: string): Record<string, unknown> {
  const entries = new Map<string, unknown>();
  for (const wf of occ) {
    let key = "";
    let value: Uint8Array | undefined;
    for (const e of readFields(lenValue(wf, at))) {
      if (e.num === 1) key = utf8Decode(lenValue(e, at));
      else if (e.num === 2) value = lenValue(e, at);
    }
    const where = `${at}[${JSON.stringify(key)}]`;
    if (f.mapValue === "string") entries.set(key, value ? utf8Decode(value) : "");
    else if (f.mapValue === "bytes") entries.set(key, base64(value ?? EMPTY));
    else entries.set(key, quantity.decode(value, where));
  }
  const out: Record<string, unknown> = {};
  // defineProperty, so a key like "__proto__" becomes a property as JSON.parse makes it.
  for (const k of [...entries.keys()].sort(byBytes)) {
    Object.defineProperty(out, k, {
      value: entries.get(k),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

// Go sorts map keys as byte strings; for UTF-16 strings that is code point order.
function byBytes(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

// All occurrences of a message field, merged the protobuf way (concatenated).
function concat(f: Field, occ: WireField[] | undefined, path: string): Uint8Array {
  if (occ === undefined) return EMPTY;
  if (occ.length === 1) return lenValue(occ[0]!, join(path, f.json));
  const parts = occ.map((wf) => lenValue(wf, join(path, f.json)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function lenValue(wf: WireField, at: string): Uint8Array {
  if (wf.wireType !== LEN) throw wrongWireType(at, wf.num, wf.wireType);
  return wf.value as Uint8Array;
}

function scalar(type: ScalarType, wf: WireField, at: string): unknown {
  if (type === "string") return utf8Decode(lenValue(wf, at));
  if (wf.wireType !== VARINT) throw wrongWireType(at, wf.num, wf.wireType);
  const v = wf.value as bigint;
  if (type === "bool") return v !== 0n;
  return Number(BigInt.asIntN(type === "int32" ? 32 : 64, v));
}

function zero(type: ScalarType): unknown {
  return type === "string" ? "" : type === "bool" ? false : 0;
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

// ---------------------------------------------------------------- encode

/** Encodes a JSON object as the message's bytes, fields in number order as Go writes them. */
export function encodeMessage(msg: Message, obj: Record<string, unknown>, path: string): Uint8Array {
  const w = new Writer();
  for (const f of msg.byNumber) encodeField(w, f, obj, path);
  return w.finish();
}

function encodeField(w: Writer, f: Field, obj: Record<string, unknown>, path: string): void {
  if (f.inline) {
    w.lenField(f.num, encodeMessage(message(f.message!), obj, path));
    return;
  }
  const v = obj[f.json];
  const at = join(path, f.json);
  if (v === undefined || v === null) {
    // Go writes every non-pointer scalar and struct, zero or not; nil pointers, slices and maps not.
    if (f.pointer || f.repeated || f.kind === "map" || f.kind === "bytes") return;
    if (f.kind === "scalar") writeScalar(w, f.num, f.scalar!, undefined, at);
    else if (f.kind === "message") w.lenField(f.num, encodeMessage(message(f.message!), {}, at));
    else w.lenField(f.num, f.special!.zero);
    return;
  }
  if (f.repeated) {
    if (!Array.isArray(v)) throw new ProtobufError(`${at}: expected a list`);
    v.forEach((item, i) => encodeValue(w, f, item, `${at}[${i}]`));
    return;
  }
  if (f.kind === "map") {
    const m = object(v, at);
    for (const key of Object.keys(m).sort(byBytes)) {
      const entry = new Writer().lenField(1, utf8Encode(key));
      const val = m[key];
      const where = `${at}[${JSON.stringify(key)}]`;
      if (f.mapValue === "string") entry.lenField(2, utf8Encode(val == null ? "" : str(val, where)));
      else if (f.mapValue === "bytes") entry.lenField(2, val == null ? EMPTY : unbase64(val, where));
      else if (val != null) entry.lenField(2, quantity.encode(val, where));
      w.lenField(f.num, entry.finish());
    }
    return;
  }
  encodeValue(w, f, v, at);
}

// One value (or list element) of a field; a null list element is its type's zero value, as Go reads it.
function encodeValue(w: Writer, f: Field, v: unknown, at: string): void {
  switch (f.kind) {
    case "scalar":
      writeScalar(w, f.num, f.scalar!, v, at);
      return;
    case "bytes":
      w.lenField(f.num, v == null ? EMPTY : unbase64(v, at));
      return;
    case "special":
      w.lenField(f.num, v == null ? EMPTY : f.special!.encode(v, at));
      return;
    case "message":
      w.lenField(f.num, v == null ? EMPTY : encodeMessage(message(f.message!), object(v, at), at));
      return;
    default:
      throw new ProtobufError(`${at}: cannot encode a list of maps`);
  }
}

function writeScalar(w: Writer, num: number, type: ScalarType, v: unknown, at: string): void {
  if (type === "string") {
    w.lenField(num, utf8Encode(v == null ? "" : str(v, at)));
    return;
  }
  if (type === "bool") {
    if (v != null && typeof v !== "boolean") throw new ProtobufError(`${at}: expected a boolean`);
    w.varintField(num, v ? 1 : 0);
    return;
  }
  const n = v ?? 0;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new ProtobufError(`${at}: expected an integer`);
  if (type === "int32" && (n < -2147483648 || n > 2147483647)) {
    throw new ProtobufError(`${at}: ${n} overflows int32`);
  }
  w.varintField(num, BigInt(n));
}

function str(v: unknown, at: string): string {
  if (typeof v !== "string") throw new ProtobufError(`${at}: expected a string`);
  return v;
}

function object(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ProtobufError(`${at}: expected an object`);
  }
  return v as Record<string, unknown>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function unbase64(v: unknown, at: string): Uint8Array {
  if (typeof v !== "string" || !BASE64.test(v)) throw new ProtobufError(`${at}: illegal base64 data`);
  return new Uint8Array(Buffer.from(v, "base64"));
}
