// The writing half of the protobuf wire format, as much as the gnostic encoder needs: varints, strings,
// booleans and embedded messages. Messages are encoded bottom-up (a child is finished, then written into
// its parent with its length), which copies each byte once per nesting level; documents are a few
// levels deep, so that costs less than tracking lengths up front would save.

const VARINT = 0;
const LEN = 2;

const utf8 = new TextEncoder();

/** Builds one protobuf message. proto3 defaults (empty string, false) are skipped, as Go's proto.Marshal does. */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private pos = 0;

  /** A string field; skipped when empty. */
  string(num: number, value: string | undefined): this {
    if (value) this.bytes(num, utf8.encode(value));
    return this;
  }

  /** A repeated string field; every element is written, empty ones included. */
  strings(num: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.bytes(num, utf8.encode(v));
    return this;
  }

  /** A bool field; skipped when false unless it is a oneof member (`always`), whose presence is the value. */
  bool(num: number, value: boolean | undefined, always = false): this {
    if (value || (always && value !== undefined)) {
      this.key(num, VARINT);
      this.varint(value ? 1 : 0);
    }
    return this;
  }

  /** An embedded message (or bytes) field; always written, since a present empty message is not an absent one. */
  bytes(num: number, value: Uint8Array): this {
    this.key(num, LEN);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private key(num: number, wireType: number): void {
    this.varint(num * 8 + wireType);
  }

  // Lengths and tags only: non-negative and well below 2^53, so plain arithmetic is exact.
  private varint(n: number): void {
    this.reserve(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }
}
