// Garbage must never crash the decoder: every input either decodes to an object or throws
// ProtobufError, quickly.

import { describe, expect, it } from "vitest";
import { makeKind } from "./fixtures.ts";
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, ProtobufError } from "./index.ts";

// mulberry32: a small deterministic PRNG, so failures reproduce.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

// Decodes and classifies; anything other than an object or a ProtobufError fails the test.
function attempt(input: Uint8Array): "ok" | "error" {
  const started = performance.now();
  try {
    const out = decodeKubernetesProtobuf(input);
    expect(typeof out).toBe("object");
    return "ok";
  } catch (err) {
    if (!(err instanceof ProtobufError)) {
      throw new Error(`non-ProtobufError for input ${Buffer.from(input).toString("hex")}`, { cause: err });
    }
    return "error";
  } finally {
    expect(performance.now() - started).toBeLessThan(1000);
  }
}

const VALID = [
  encodeKubernetesProtobuf(makeKind("v1/Pod")),
  encodeKubernetesProtobuf(makeKind("apps/v1/Deployment")),
  encodeKubernetesProtobuf(makeKind("v1/Node")),
  encodeKubernetesProtobuf(makeKind("v1/Secret")),
];

describe("fuzz", () => {
  it("fuzz: random bytes, with and without the magic, decode or throw ProtobufError", () => {
    const r = rng(1);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * 300);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
      attempt(b);
      attempt(new Uint8Array([...MAGIC, ...b]));
    }
  });

  it("fuzz: every truncation of valid bodies decodes or throws ProtobufError", () => {
    for (const body of VALID.slice(1)) {
      for (let n = 0; n <= body.length; n++) attempt(body.subarray(0, n));
    }
    // The Pod body is large: every 7th prefix.
    const pod = VALID[0]!;
    for (let n = 0; n <= pod.length; n += 7) attempt(pod.subarray(0, n));
  });

  it("fuzz: bit flips and byte overwrites of valid bodies decode or throw ProtobufError", () => {
    const r = rng(2);
    let decoded = 0;
    for (let i = 0; i < 4000; i++) {
      const body = new Uint8Array(VALID[i % VALID.length]!);
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) {
        const at = MAGIC.length + Math.floor(r() * (body.length - MAGIC.length));
        if (r() < 0.5) body[at]! ^= 1 << Math.floor(r() * 8);
        else body[at] = Math.floor(r() * 256);
      }
      if (attempt(body) === "ok") decoded++;
    }
    // Some mutations land in strings and still decode: the harness saw both outcomes.
    expect(decoded).toBeGreaterThan(0);
  });

  it("fuzz: hostile shapes (huge lengths, endless groups, deep nesting) fail fast", () => {
    const env = (raw: number[]) =>
      new Uint8Array([
        ...MAGIC,
        0x0a,
        0x0f,
        0x0a,
        0x02,
        0x76,
        0x31,
        0x12,
        0x09,
        ...Buffer.from("ConfigMap"),
        0x12,
        ...raw,
      ]);
    expect(attempt(env([0xff, 0xff, 0xff, 0xff, 0x07]))).toBe("error");
    expect(attempt(new Uint8Array([...MAGIC, ...new Array<number>(100_000).fill(0x0b)]))).toBe("error");
    // metadata inside metadata inside ...: past the first level field 1 is a plain string, so it decodes.
    let nested: number[] = [];
    for (let i = 0; i < 50; i++) nested = [0x0a, ...varint(nested.length), ...nested];
    expect(attempt(env([...varint(nested.length), ...nested]))).toBe("ok");
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
