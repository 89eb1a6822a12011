import { describe, expect, it } from "vitest";
import { ProtobufError } from "./errors.ts";
import { END_GROUP, LEN, Reader, readFields, START_GROUP, VARINT, Writer } from "./wire.ts";

describe("wire", () => {
  it("wire: varints round-trip up to 64 bits, negative numbers as ten bytes", () => {
    for (const v of [0n, 1n, 127n, 128n, 300n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n]) {
      expect(new Reader(new Writer().varint(v).finish()).varint()).toBe(v);
    }
    const minusOne = new Writer().varint(-1).finish();
    expect(minusOne.length).toBe(10);
    expect(new Reader(minusOne).varint()).toBe(2n ** 64n - 1n);
  });

  it("wire: a varint longer than ten bytes is an integer overflow", () => {
    expect(() => new Reader(new Uint8Array(11).fill(0x80)).varint()).toThrow("proto: integer overflow");
  });

  it("wire: truncated varints, lengths and fixed values are unexpected EOF", () => {
    expect(() => readFields(new Uint8Array([0x08, 0x80]))).toThrow("unexpected EOF");
    expect(() => readFields(new Uint8Array([0x0a, 0x05, 0x61]))).toThrow("unexpected EOF");
    expect(() => readFields(new Uint8Array([0x09, 1, 2, 3]))).toThrow("unexpected EOF");
    expect(() => readFields(new Uint8Array([0x0d, 1, 2]))).toThrow("unexpected EOF");
  });

  it("wire: a length of 2^31 or more is rejected before any read", () => {
    const huge = new Writer()
      .tag(1, LEN)
      .varint(2n ** 40n)
      .finish();
    expect(() => readFields(huge)).toThrow("proto: negative length");
  });

  it("wire: field number 0 and wire types 6 and 7 are illegal", () => {
    expect(() => readFields(new Uint8Array([0x00, 0x00]))).toThrow(/illegal tag 0/);
    expect(() => readFields(new Uint8Array([0x0e]))).toThrow(/illegal wireType 6/);
    expect(() => readFields(new Uint8Array([0x0f]))).toThrow(/illegal wireType 7/);
  });

  it("wire: groups are skipped whole, nested ones too; a stray or mismatched end group is an error", () => {
    const w = new Writer().tag(5, START_GROUP).tag(6, START_GROUP).varintField(1, 9).tag(6, END_GROUP);
    w.tag(5, END_GROUP).varintField(2, 7);
    expect(readFields(w.finish()).map((f) => [f.num, f.wireType])).toEqual([
      [5, START_GROUP],
      [2, VARINT],
    ]);
    expect(() => readFields(new Writer().tag(3, END_GROUP).finish())).toThrow(/end group for non-group/);
    expect(() => readFields(new Writer().tag(3, START_GROUP).tag(4, END_GROUP).finish())).toThrow(
      /mismatched end group/,
    );
  });

  it("wire: deeply nested groups do not overflow the stack", () => {
    const w = new Writer();
    for (let i = 0; i < 200_000; i++) w.tag(1, START_GROUP);
    expect(() => readFields(w.finish())).toThrow(ProtobufError);
  });
});
