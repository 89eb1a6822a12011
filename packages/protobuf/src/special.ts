// apimachinery types with their own protobuf and JSON forms (custom Marshal/MarshalJSON in Go):
// meta/v1 Time, MicroTime, Duration and FieldsV1, resource.Quantity, intstr.IntOrString and
// runtime.RawExtension. Each decodes the message bytes (undefined when the field is absent, which Go
// treats like its zero value) to the JSON Go's MarshalJSON writes, and encodes that JSON back.

import { ProtobufError } from "./errors.ts";
import { LEN, readFields, utf8Decode, utf8Encode, VARINT, Writer, type WireField } from "./wire.ts";

/** A type with a hand-written codec instead of a field table. */
export interface SpecialCodec {
  /** The JSON of the decoded value; `bytes` is undefined when the field is absent. */
  decode(bytes: Uint8Array | undefined, path: string): unknown;
  /** The message bytes for a JSON value (never null/undefined: the caller skips those). */
  encode(json: unknown, path: string): Uint8Array;
  /** The message bytes Go writes for the zero value of a non-pointer field. */
  readonly zero: Uint8Array;
}

// Field values of a small message, last occurrence winning as in Go, with wire types checked.
function lastVarint(fields: WireField[], num: number, path: string): bigint | undefined {
  let v: bigint | undefined;
  for (const f of fields) {
    if (f.num !== num) continue;
    if (f.wireType !== VARINT) throw wrongWireType(path, num, f.wireType);
    v = f.value as bigint;
  }
  return v;
}

function lastBytes(fields: WireField[], num: number, path: string): Uint8Array | undefined {
  let v: Uint8Array | undefined;
  for (const f of fields) {
    if (f.num !== num) continue;
    if (f.wireType !== LEN) throw wrongWireType(path, num, f.wireType);
    v = f.value as Uint8Array;
  }
  return v;
}

/** gogo-protobuf's error for a known field with the wrong wire type. */
export function wrongWireType(path: string, num: number, wireType: number): ProtobufError {
  return new ProtobufError(`proto: wrong wireType = ${wireType} for field ${num} at ${path || "<root>"}`);
}

// ---- time ----

const NS_PER_S = 1_000_000_000n;
// time.Time's zero value (0001-01-01T00:00:00Z) as Unix seconds: Time.MarshalJSON writes null for it.
const ZERO_UNIX = -62135596800n;
// The years RFC 3339 (and Go's Time.MarshalJSON) can write: 0000..9999.
const MIN_UNIX = -62167219200n;
const MAX_UNIX = 253402300799n;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

// Formats Unix seconds (+ micro digits) as Go formats a UTC time with RFC3339 / RFC3339Micro.
function formatUnix(seconds: bigint, micros: number | undefined, path: string): string {
  if (seconds < MIN_UNIX || seconds > MAX_UNIX) {
    throw new ProtobufError(`Time.MarshalJSON: year outside of range [0,9999] at ${path}`);
  }
  const d = new Date(Number(seconds) * 1000);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return `${date}T${time}${micros === undefined ? "" : "." + pad(micros, 6)}Z`;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

// Parses an RFC 3339 timestamp into Unix seconds and nanoseconds.
function parseTime(json: unknown, path: string): { seconds: bigint; nanos: number } {
  const m = typeof json === "string" ? RFC3339.exec(json) : null;
  if (!m) throw new ProtobufError(`${path}: expected an RFC 3339 time, got ${JSON.stringify(json)}`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [frac, sign, oh, om] = [m[7], m[9], Number(m[10]), Number(m[11])];
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  if (t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new ProtobufError(`${path}: time out of range: ${JSON.stringify(json)}`);
  }
  let seconds = BigInt(Math.floor(t.getTime() / 1000));
  if (sign) seconds -= BigInt((sign === "-" ? -1 : 1) * (oh * 3600 + om * 60));
  const nanos = frac ? Number(frac.padEnd(9, "0")) : 0;
  return { seconds, nanos };
}

function timestampBytes(seconds: bigint, nanos: number): Uint8Array {
  return new Writer().varintField(1, seconds).varintField(2, nanos).finish();
}

// metav1.Time: Unmarshal keeps only the seconds (time_proto.go), MarshalJSON writes RFC 3339 in UTC,
// and the zero time (also what empty bytes decode to) is null.
const time: SpecialCodec = {
  decode(bytes, path) {
    if (!bytes || bytes.length === 0) return null;
    const f = readFields(bytes);
    const seconds = BigInt.asIntN(64, lastVarint(f, 1, path) ?? 0n);
    lastVarint(f, 2, path);
    if (seconds === ZERO_UNIX) return null;
    return formatUnix(seconds, undefined, path);
  },
  encode(json, path) {
    const { seconds, nanos } = parseTime(json, path);
    return timestampBytes(seconds, nanos);
  },
  zero: new Uint8Array(0),
};

// metav1.MicroTime: like Time but keeps the nanoseconds (time.Unix normalizes them) and writes
// six fractional digits.
const microTime: SpecialCodec = {
  decode(bytes, path) {
    if (!bytes || bytes.length === 0) return null;
    const f = readFields(bytes);
    const seconds = BigInt.asIntN(64, lastVarint(f, 1, path) ?? 0n);
    const nanos = BigInt.asIntN(32, lastVarint(f, 2, path) ?? 0n);
    const total = seconds * NS_PER_S + nanos;
    let sec = total / NS_PER_S;
    let ns = total % NS_PER_S;
    if (ns < 0n) {
      ns += NS_PER_S;
      sec -= 1n;
    }
    if (sec === ZERO_UNIX && ns === 0n) return null;
    return formatUnix(sec, Number(ns / 1000n), path);
  },
  encode(json, path) {
    const { seconds, nanos } = parseTime(json, path);
    return timestampBytes(seconds, nanos);
  },
  zero: new Uint8Array(0),
};

// ---- duration ----

/** Go's time.Duration.String for a nanosecond count. */
export function formatDuration(d: bigint): string {
  if (d === 0n) return "0s";
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < NS_PER_S) {
    const [unit, scale] = u < 1000n ? ["ns", 1n] : u < 1_000_000n ? ["µs", 1000n] : ["ms", 1_000_000n];
    out = fraction(u, scale) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = fraction(u, NS_PER_S) + "s";
    if (h > 0n || m > 0n) out = `${m}m` + out;
    if (h > 0n) out = `${h}h` + out;
  }
  return neg ? "-" + out : out;
}

// `v / scale` with the fractional digits Go keeps (trailing zeros dropped).
function fraction(v: bigint, scale: bigint): string {
  const whole = v / scale;
  const rest = v % scale;
  if (rest === 0n) return String(whole);
  const digits = String(scale).length - 1;
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, to nanoseconds. */
export function parseDuration(s: string, path: string): bigint {
  const bad = () => new ProtobufError(`${path}: time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1n;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") throw bad();
  let total = 0;
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m || m[1] === "" || m[1] === ".") throw bad();
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * BigInt(Math.round(total));
}

const duration: SpecialCodec = {
  decode(bytes, path) {
    const f = bytes ? readFields(bytes) : [];
    return formatDuration(BigInt.asIntN(64, lastVarint(f, 1, path) ?? 0n));
  },
  encode(json, path) {
    if (typeof json !== "string") throw new ProtobufError(`${path}: expected a duration string`);
    return new Writer().varintField(1, parseDuration(json, path)).finish();
  },
  zero: new Writer().varintField(1, 0).finish(),
};

// ---- quantity ----

// resource.Quantity's accepted syntax (quantity.go: splitREString), used to reject what
// ParseQuantity would reject.
const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

// resource.Quantity: one string field, always canonical on the wire. Absent means the zero
// quantity, which JSON writes as "0".
const quantity: SpecialCodec = {
  decode(bytes, path) {
    if (!bytes) return "0";
    const s = lastBytes(readFields(bytes), 1, path);
    if (s === undefined) return "0";
    const text = utf8Decode(s);
    if (!QUANTITY.test(text)) {
      throw new ProtobufError(`${path}: quantities must match the regular expression '${QUANTITY.source}'`);
    }
    return text;
  },
  encode(json, path) {
    const text = typeof json === "number" ? String(json) : json;
    if (typeof text !== "string" || !QUANTITY.test(text)) {
      throw new ProtobufError(`${path}: invalid quantity ${JSON.stringify(json)}`);
    }
    return new Writer().lenField(1, utf8Encode(text)).finish();
  },
  zero: new Writer().lenField(1, utf8Encode("0")).finish(),
};

// ---- int-or-string ----

// intstr.IntOrString {type(1), intVal(2), strVal(3)}: JSON is the number or the string.
const intOrString: SpecialCodec = {
  decode(bytes, path) {
    const f = bytes ? readFields(bytes) : [];
    const type = BigInt.asIntN(64, lastVarint(f, 1, path) ?? 0n);
    const intVal = Number(BigInt.asIntN(32, lastVarint(f, 2, path) ?? 0n));
    const strVal = lastBytes(f, 3, path);
    if (type === 0n) return intVal;
    if (type === 1n) return strVal ? utf8Decode(strVal) : "";
    throw new ProtobufError(`${path}: impossible IntOrString.Type`);
  },
  encode(json, path) {
    const w = new Writer();
    if (typeof json === "number" && Number.isInteger(json)) {
      return w.varintField(1, 0).varintField(2, json).lenField(3, new Uint8Array(0)).finish();
    }
    if (typeof json === "string") {
      return w.varintField(1, 1).varintField(2, 0).lenField(3, utf8Encode(json)).finish();
    }
    throw new ProtobufError(`${path}: expected an integer or a string, got ${JSON.stringify(json)}`);
  },
  zero: new Writer().varintField(1, 0).varintField(2, 0).lenField(3, new Uint8Array(0)).finish(),
};

// ---- raw JSON ----

// FieldsV1 and RawExtension carry JSON in their bytes field 1 and MarshalJSON writes it verbatim
// (null when the bytes are absent). Bytes that are not JSON make Go's encoder fail.
function rawJson(name: string): SpecialCodec {
  return {
    decode(bytes, path) {
      const raw = bytes ? lastBytes(readFields(bytes), 1, path) : undefined;
      if (raw === undefined) return null;
      try {
        return JSON.parse(utf8Decode(raw)) as unknown;
      } catch {
        throw new ProtobufError(`${path}: ${name} does not hold JSON`);
      }
    },
    encode(json) {
      return new Writer().lenField(1, utf8Encode(JSON.stringify(json))).finish();
    },
    zero: new Uint8Array(0),
  };
}

/** The hand-coded types, by the name the field tables use. */
export const SPECIAL: Readonly<Record<string, SpecialCodec>> = {
  Time: time,
  MicroTime: microTime,
  Duration: duration,
  Quantity: quantity,
  IntOrString: intOrString,
  FieldsV1: rawJson("FieldsV1"),
  RawExtension: rawJson("RawExtension"),
};
