// The field tables' format, and their compiled form.
//
// A table lists each message's fields as [protobuf number, JSON name, type, flags], in the order
// of the Go struct (which is the JSON key order). The numbers and names are the protobuf tags of
// the k8s.io/api and k8s.io/apimachinery types; the flags say how Go's encoding/json writes the
// field, which is what a decoded object must look like to equal the JSON kubectl sends:
//
//   o  `json:",omitempty"`: a zero scalar, an empty list or map, or a nil pointer is left out.
//      (omitempty never leaves out a struct value: Go writes it, possibly as {}.)
//   p  a Go pointer (*int32, *bool, *string, *Struct): present on the wire means present in
//      JSON, even with a zero value; absent means left out (with o) or null (without).
//   r  a Go slice: each wire occurrence is one element; absent is left out (o) or null.
//   i  an embedded struct with `json:",inline"`: its fields join the parent object.
//
// Types: string, bool, int32, int64, bytes (JSON base64), map<string,V> with V one of string,
// bytes or Quantity (JSON object with sorted keys), one of the hand-coded types in special.ts
// (Time, MicroTime, Duration, Quantity, IntOrString, FieldsV1, RawExtension), or the name of
// another message in the tables.

import { SPECIAL, type SpecialCodec } from "./special.ts";

/** One field as written in a table: [number, JSON name, type, flags]. */
export type FieldDef = readonly [num: number, json: string, type: string, flags?: string];

/** Messages by name, each with its fields in Go struct order. */
export type MessageTable = Readonly<Record<string, readonly FieldDef[]>>;

/** A scalar protobuf type. */
export type ScalarType = "string" | "bool" | "int32" | "int64";

/** A field ready for the codec. */
export interface Field {
  readonly num: number;
  readonly json: string;
  readonly kind: "scalar" | "bytes" | "map" | "message" | "special";
  readonly scalar?: ScalarType;
  readonly message?: string;
  readonly special?: SpecialCodec;
  readonly mapValue?: "string" | "bytes" | "Quantity";
  readonly omitempty: boolean;
  readonly pointer: boolean;
  readonly repeated: boolean;
  readonly inline: boolean;
}

/** A message ready for the codec. */
export interface Message {
  readonly name: string;
  /** Fields in JSON order. */
  readonly fields: readonly Field[];
  /** Fields in field-number order, as Go marshals them. */
  readonly byNumber: readonly Field[];
  readonly lookup: ReadonlyMap<number, Field>;
}

const SCALARS = new Set(["string", "bool", "int32", "int64"]);
const MAP = /^map<string,(string|bytes|Quantity)>$/;

function compileField(owner: string, [num, json, type, flags = ""]: FieldDef, known: Set<string>): Field {
  for (const c of flags) {
    if (!"opri".includes(c)) throw new Error(`${owner}.${json}: unknown flag ${c}`);
  }
  const base = {
    num,
    json,
    omitempty: flags.includes("o"),
    pointer: flags.includes("p"),
    repeated: flags.includes("r"),
    inline: flags.includes("i"),
  };
  if (SCALARS.has(type)) return { ...base, kind: "scalar", scalar: type as ScalarType };
  if (type === "bytes") return { ...base, kind: "bytes" };
  const map = MAP.exec(type);
  if (map) return { ...base, kind: "map", mapValue: map[1] as Field["mapValue"] };
  const special = SPECIAL[type];
  if (special) return { ...base, kind: "special", special };
  if (!known.has(type)) throw new Error(`${owner}.${json}: unknown type ${type}`);
  return { ...base, kind: "message", message: type };
}

/** Checks and compiles tables; throws on a dangling type name, a bad flag or a duplicate number. */
export function compile(tables: readonly MessageTable[]): ReadonlyMap<string, Message> {
  const defs = new Map<string, readonly FieldDef[]>();
  for (const t of tables) {
    for (const [name, fields] of Object.entries(t)) {
      if (defs.has(name)) throw new Error(`message ${name} defined twice`);
      defs.set(name, fields);
    }
  }
  const known = new Set(defs.keys());
  const out = new Map<string, Message>();
  for (const [name, defsOf] of defs) {
    const fields = defsOf.map((d) => compileField(name, d, known));
    const lookup = new Map<number, Field>();
    for (const f of fields) {
      if (lookup.has(f.num)) throw new Error(`${name}: field number ${f.num} used twice`);
      if (f.inline && f.kind !== "message") throw new Error(`${name}.${f.json}: only messages inline`);
      lookup.set(f.num, f);
    }
    const byNumber = [...fields].sort((a, b) => a.num - b.num);
    out.set(name, { name, fields, byNumber, lookup });
  }
  return out;
}
