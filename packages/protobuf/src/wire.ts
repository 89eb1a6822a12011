// The protobuf wire format: varints, length-delimited bytes, fixed32/64 and (skipped) groups.
//
// Reading is bounds-checked everywhere and fails the way gogo-protobuf's generated Unmarshal does
// (k8s.io/api/*/generated.pb.go): a truncated value is "unexpected EOF", a varint longer than ten
// bytes is an integer overflow, wire types 6 and 7 are illegal. Each read consumes at least one
// byte, so parsing is linear in the input and cannot loop.

import { ProtobufError } from "./errors.ts";

/** Wire type 0: varint. */
export const VARINT = 0;
/** Wire type 1: fixed 64 bits. */
export const FIXED64 = 1;
/** Wire type 2: length-delimited bytes (strings, bytes, messages, packed scalars). */
export const LEN = 2;
/** Wire type 3: start of a (deprecated) group. */
export const START_GROUP = 3;
/** Wire type 4: end of a group. */
export const END_GROUP = 4;
/** Wire type 5: fixed 32 bits. */
export const FIXED32 = 5;

/** One field occurrence as read off the wire; `value` is a bigint for numeric wire types. */
export interface WireField {
  num: number;
  wireType: number;
  value: bigint | Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Sequential reader over a byte range. */
export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Whether every byte has been consumed. */
  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads an unsigned varint of up to 64 bits. */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError("unexpected EOF");
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufError("proto: integer overflow");
  }

  /** Reads a varint that must be a length or tag below 2^31 (gogo rejects larger ones as negative). */
  small(what: string): number {
    const v = this.varint();
    if (v > 0x7fffffffn) throw new ProtobufError(`proto: negative ${what}`);
    return Number(v);
  }

  /** Reads `n` bytes as a view into the buffer. */
  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new ProtobufError("unexpected EOF");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads a little-endian fixed-width integer of 4 or 8 bytes. */
  fixed(width: 4 | 8): bigint {
    const b = this.bytes(width);
    let v = 0n;
    for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }
}

/** Splits a message into its field occurrences, in wire order. Groups are skipped whole. */
export function readFields(buf: Uint8Array): WireField[] {
  const r = new Reader(buf);
  const out: WireField[] = [];
  while (!r.done()) {
    const key = r.varint();
    const wireType = Number(key & 7n);
    const numBig = key >> 3n;
    if (numBig === 0n || numBig > 0x1fffffffn) {
      throw new ProtobufError(`proto: illegal tag ${numBig} (wire type ${wireType})`);
    }
    const num = Number(numBig);
    switch (wireType) {
      case VARINT:
        out.push({ num, wireType, value: r.varint() });
        break;
      case FIXED64:
        out.push({ num, wireType, value: r.fixed(8) });
        break;
      case LEN:
        out.push({ num, wireType, value: r.bytes(r.small("length")) });
        break;
      case FIXED32:
        out.push({ num, wireType, value: r.fixed(4) });
        break;
      case START_GROUP:
        skipGroup(r, num);
        out.push({ num, wireType, value: EMPTY });
        break;
      case END_GROUP:
        throw new ProtobufError("proto: wiretype end group for non-group");
      default:
        throw new ProtobufError(`proto: illegal wireType ${wireType}`);
    }
  }
  return out;
}

// Skips a group's contents up to its matching end-group tag, iteratively so nesting cannot overflow the stack.
function skipGroup(r: Reader, num: number): void {
  const open = [num];
  while (open.length > 0) {
    const key = r.varint();
    const wireType = Number(key & 7n);
    const n = Number(key >> 3n);
    switch (wireType) {
      case VARINT:
        r.varint();
        break;
      case FIXED64:
        r.bytes(8);
        break;
      case LEN:
        r.bytes(r.small("length"));
        break;
      case FIXED32:
        r.bytes(4);
        break;
      case START_GROUP:
        open.push(n);
        break;
      case END_GROUP:
        if (open.pop() !== n) throw new ProtobufError("proto: mismatched end group");
        break;
      default:
        throw new ProtobufError(`proto: illegal wireType ${wireType}`);
    }
  }
}

/** Growable byte buffer for encoding. */
export class Writer {
  #buf = new Uint8Array(256);
  #len = 0;

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Appends an unsigned varint; negative numbers are written as 64-bit two's complement, as Go does. */
  varint(v: bigint | number): this {
    let x = BigInt.asUintN(64, typeof v === "bigint" ? v : BigInt(v));
    this.#ensure(10);
    while (x >= 0x80n) {
      this.#buf[this.#len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.#buf[this.#len++] = Number(x);
    return this;
  }

  /** Appends a field key. */
  tag(num: number, wireType: number): this {
    return this.varint((BigInt(num) << 3n) | BigInt(wireType));
  }

  /** Appends raw bytes with no prefix. */
  raw(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Appends a length-delimited field. */
  lenField(num: number, b: Uint8Array): this {
    return this.tag(num, LEN).varint(b.length).raw(b);
  }

  /** Appends a varint field. */
  varintField(num: number, v: bigint | number): this {
    return this.tag(num, VARINT).varint(v);
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

const utf8 = new TextDecoder("utf-8");
const utf8enc = new TextEncoder();

/** Decodes UTF-8, replacing invalid sequences with U+FFFD as Go's JSON encoder does. */
export function utf8Decode(b: Uint8Array): string {
  return utf8.decode(b);
}

/** Encodes a string as UTF-8. */
export function utf8Encode(s: string): Uint8Array {
  return utf8enc.encode(s);
}
