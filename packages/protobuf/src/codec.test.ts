// Decoding rules checked on hand-built wire bytes, independent of the encoder.

import { describe, expect, it } from "vitest";
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  ProtobufError,
  type UnknownField,
} from "./index.ts";
import { FIXED32, LEN, START_GROUP, END_GROUP, VARINT, Writer } from "./wire.ts";

const MAGIC = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);
const enc = (s: string) => new TextEncoder().encode(s);

// A message from [number, value] pairs: strings and byte arrays are length-delimited, numbers and
// bigints varints, nested arrays sub-messages.
type Part = readonly [number, string | number | bigint | Uint8Array | boolean | readonly Part[]];
function msg(...parts: Part[]): Uint8Array {
  const w = new Writer();
  for (const [num, v] of parts) {
    if (typeof v === "string") w.lenField(num, enc(v));
    else if (v instanceof Uint8Array) w.lenField(num, v);
    else if (typeof v === "number" || typeof v === "bigint") w.varintField(num, v);
    else if (typeof v === "boolean") w.varintField(num, v ? 1 : 0);
    else w.lenField(num, msg(...v));
  }
  return w.finish();
}

function body(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const env = msg(
    [
      1,
      [
        [1, apiVersion],
        [2, kind],
      ],
    ],
    [2, raw],
  );
  return new Uint8Array([...MAGIC, ...env]);
}

function decode(b: Uint8Array): { obj: Record<string, unknown>; unknown: UnknownField[] } {
  const unknown: UnknownField[] = [];
  const obj = decodeKubernetesProtobuf(b, { onUnknownField: (u) => unknown.push(u) });
  return { obj, unknown };
}

const cm = (...parts: Part[]) => decode(body("v1", "ConfigMap", msg(...parts))).obj;

describe("decode: envelope", () => {
  it("decode: a body without the k8s\\0 magic is a ProtobufError", () => {
    expect(() => decodeKubernetesProtobuf(enc('{"kind":"ConfigMap"}'))).toThrow(ProtobufError);
    expect(() => decodeKubernetesProtobuf(new Uint8Array([0x6b, 0x38]))).toThrow(
      /expected prefix \[107 56 115 0\]/,
    );
  });

  it("decode: an envelope without a kind is a ProtobufError", () => {
    expect(() => decodeKubernetesProtobuf(MAGIC)).toThrow(/Kind' is missing/);
  });

  it("decode: an unknown kind names its apiVersion and kind", () => {
    expect(() => decodeKubernetesProtobuf(body("batch/v1", "Job", msg()))).toThrow(
      'no kind "Job" is registered for version "batch/v1"',
    );
  });

  it("decode: apiVersion and kind come from the envelope, kind first as Go writes TypeMeta", () => {
    const { obj } = decode(body("v1", "Namespace", msg([1, [[1, "foo"]]])));
    expect(Object.keys(obj).slice(0, 2)).toEqual(["kind", "apiVersion"]);
    expect(obj).toEqual({
      kind: "Namespace",
      apiVersion: "v1",
      metadata: { name: "foo", creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  it("decode: a contentEncoding is refused", () => {
    const env = msg(
      [
        1,
        [
          [1, "v1"],
          [2, "ConfigMap"],
        ],
      ],
      [2, msg()],
      [3, "gzip"],
    );
    expect(() => decodeKubernetesProtobuf(new Uint8Array([...MAGIC, ...env]))).toThrow(/contentEncoding/);
  });
});

describe("decode: Go's wire rules", () => {
  it("decode: the last occurrence of a scalar wins", () => {
    expect(
      cm([
        1,
        [
          [1, "a"],
          [1, "b"],
        ],
      ]),
    ).toMatchObject({ metadata: { name: "b" } });
  });

  it("decode: occurrences of a message field merge", () => {
    expect(cm([1, [[1, "a"]]], [1, [[3, "ns"]]])).toMatchObject({ metadata: { name: "a", namespace: "ns" } });
  });

  it("decode: repeated varints may come packed or one by one", () => {
    const packed = new Writer().varint(1).varint(2).finish();
    const psc = (...parts: Part[]) =>
      decode(body("v1", "Pod", msg([2, [[14, parts]]]))).obj as { spec: { securityContext: unknown } };
    expect(psc([4, packed], [4, 3]).spec.securityContext).toEqual({ supplementalGroups: [1, 2, 3] });
  });

  it("decode: a known field with the wrong wire type is a ProtobufError", () => {
    expect(() => cm([1, 5])).toThrow(/wrong wireType = 0 for field 1 at metadata/);
    expect(() => cm([4, "yes"])).toThrow(/wrong wireType = 2 for field 4 at immutable/);
  });

  it("decode: unknown fields are skipped and reported with the path of their object", () => {
    const group = new Writer().tag(99, START_GROUP).varintField(1, 5).tag(99, END_GROUP).finish();
    const w = new Writer().lenField(1, msg([1, "c"], [500, "future"])).raw(group);
    w.tag(77, FIXED32).raw(new Uint8Array(4));
    const { obj, unknown } = decode(body("v1", "ConfigMap", w.finish()));
    expect(obj).toEqual({
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "c", creationTimestamp: null },
    });
    // An object's own unknown fields are reported before those of the objects inside it.
    expect(unknown).toEqual([
      { path: "", field: 99, wireType: START_GROUP },
      { path: "", field: 77, wireType: FIXED32 },
      { path: "metadata", field: 500, wireType: LEN },
    ]);
  });

  it("decode: unknown fields deep in a Deployment carry their JSON path", () => {
    const container = msg([1, "app"], [1000, 1]);
    const raw = msg([2, [[3, [[2, [[2, container]]]]]]]);
    const { unknown } = decode(body("apps/v1", "Deployment", raw));
    expect(unknown).toEqual([{ path: "spec.template.spec.containers[0]", field: 1000, wireType: VARINT }]);
  });

  it("decode: onUnknownField is not called when the body turns out malformed", () => {
    const calls: UnknownField[] = [];
    const bad = body("v1", "ConfigMap", new Uint8Array([...msg([900, 1]), 0x0a, 0x05]));
    expect(() => decodeKubernetesProtobuf(bad, { onUnknownField: (u) => calls.push(u) })).toThrow(
      ProtobufError,
    );
    expect(calls).toEqual([]);
  });

  it("decode: int32 keeps the low 32 bits and negative numbers come as ten-byte varints", () => {
    const port = (n: number | bigint) =>
      (
        decode(body("v1", "Service", msg([2, [[1, [[3, n]]]]]))).obj as {
          spec: { ports: [{ port: number }] };
        }
      ).spec.ports[0].port;
    expect(port(-1)).toBe(-1);
    expect(port(0x1_0000_0050n)).toBe(80);
  });

  it("decode: invalid UTF-8 becomes U+FFFD, as Go's JSON encoder writes it", () => {
    expect(cm([1, [[1, new Uint8Array([0x61, 0xff, 0x62])]]])).toMatchObject({
      metadata: { name: "a\ufffdb" },
    });
  });
});

describe("decode: Go's JSON rules", () => {
  it("decode: omitempty leaves out empty strings, zero numbers and false; other fields keep zero values", () => {
    const raw = msg([
      2,
      [
        [
          1,
          [
            [1, ""],
            [2, ""],
            [3, 0],
            [5, 0],
          ],
        ],
      ],
    ]);
    const { obj } = decode(body("v1", "Service", raw));
    expect(obj["spec"]).toEqual({ ports: [{ port: 0, targetPort: 0 }] });
  });

  it("decode: a pointer sent with a zero value stays, with its value", () => {
    const { obj } = decode(
      body(
        "apps/v1",
        "Deployment",
        msg([
          2,
          [
            [1, 0],
            [7, false],
          ],
        ]),
      ),
    );
    expect(obj["spec"]).toMatchObject({ replicas: 0, selector: null });
    expect(obj["spec"]).not.toHaveProperty("paused");
  });

  it("decode: map entries without key or value decode to zero values, keys sorted as Go sorts them", () => {
    const { obj } = decode(
      body(
        "v1",
        "ConfigMap",
        msg(
          [
            2,
            [
              [1, "b"],
              [2, "2"],
            ],
          ],
          [2, [[1, "a"]]],
          [2, [[2, "v"]]],
        ),
      ),
    );
    expect(obj["data"]).toEqual({ "": "v", a: "", b: "2" });
    expect(Object.keys(obj["data"] as object)).toEqual(["", "a", "b"]);
  });

  it("decode: a map key named __proto__ is an ordinary key, as JSON.parse reads it", () => {
    const { obj } = decode(
      body(
        "v1",
        "ConfigMap",
        msg([
          2,
          [
            [1, "__proto__"],
            [2, "x"],
          ],
        ]),
      ),
    );
    expect(obj["data"]).toEqual(JSON.parse('{"__proto__":"x"}'));
    expect(Object.keys(obj["data"] as object)).toEqual(["__proto__"]);
  });

  it("decode: Secret data values are base64 and an empty value is an empty string", () => {
    const { obj } = decode(
      body(
        "v1",
        "Secret",
        msg(
          [
            2,
            [
              [1, "k"],
              [2, new Uint8Array([0, 255])],
            ],
          ],
          [
            2,
            [
              [1, "e"],
              [2, ""],
            ],
          ],
        ),
      ),
    );
    expect(obj["data"]).toEqual({ e: "", k: "AP8=" });
  });

  it("decode: Time keeps whole seconds in RFC 3339 UTC; empty bytes and the zero time are null", () => {
    const ts = (seconds: bigint | number, nanos = 0) =>
      (
        decode(
          body(
            "v1",
            "ConfigMap",
            msg([
              1,
              [
                [
                  8,
                  [
                    [1, seconds],
                    [2, nanos],
                  ],
                ],
              ],
            ]),
          ),
        ).obj as {
          metadata: { creationTimestamp: unknown };
        }
      ).metadata.creationTimestamp;
    expect(ts(1714979289, 999_999_999)).toBe("2024-05-06T07:08:09Z");
    expect(ts(0)).toBe("1970-01-01T00:00:00Z");
    expect(ts(-62135596800n)).toBeNull();
    expect(ts(-1)).toBe("1969-12-31T23:59:59Z");
    expect(() => ts(253402300800n)).toThrow(/year outside of range/);
    expect(cm([1, [[8, new Uint8Array(0)]]])).toMatchObject({ metadata: { creationTimestamp: null } });
  });

  it("decode: MicroTime keeps microseconds and normalizes out-of-range nanoseconds as time.Unix does", () => {
    const renew = (seconds: number, nanos: number) =>
      (
        decode(
          body(
            "coordination.k8s.io/v1",
            "Lease",
            msg([
              2,
              [
                [
                  4,
                  [
                    [1, seconds],
                    [2, nanos],
                  ],
                ],
              ],
            ]),
          ),
        ).obj as {
          spec: { renewTime: string };
        }
      ).spec.renewTime;
    expect(renew(1714979289, 123_456_789)).toBe("2024-05-06T07:08:09.123456Z");
    expect(renew(1714979289, -1_000)).toBe("2024-05-06T07:08:08.999999Z");
    expect(renew(1714979289, 1_500_000_000)).toBe("2024-05-06T07:08:10.500000Z");
  });

  it("decode: IntOrString is a number for type 0, a string for type 1, an error otherwise", () => {
    const target = (...parts: Part[]) =>
      (
        decode(
          body(
            "v1",
            "Service",
            msg([
              2,
              [
                [
                  1,
                  [
                    [3, 80],
                    [4, parts],
                  ],
                ],
              ],
            ]),
          ),
        ).obj as {
          spec: { ports: [{ targetPort: unknown }] };
        }
      ).spec.ports[0].targetPort;
    expect(target([1, 0], [2, 8080], [3, ""])).toBe(8080);
    expect(target([1, 1], [2, 0], [3, "http"])).toBe("http");
    expect(target()).toBe(0);
    expect(() => target([1, 2])).toThrow(/impossible IntOrString.Type/);
  });

  it("decode: quantities pass through; a malformed one is a ProtobufError", () => {
    const limits = (q: string) =>
      decode(
        body(
          "v1",
          "Pod",
          msg([
            2,
            [
              [
                2,
                [
                  [1, "c"],
                  [
                    8,
                    [
                      [
                        1,
                        [
                          [1, "cpu"],
                          [2, [[1, q]]],
                        ],
                      ],
                    ],
                  ],
                ],
              ],
            ],
          ]),
        ),
      ).obj as { spec: { containers: [{ resources: unknown }] } };
    expect(limits("500m").spec.containers[0].resources).toEqual({ limits: { cpu: "500m" } });
    expect(() => limits("five")).toThrow(ProtobufError);
  });

  it("decode: FieldsV1 is embedded JSON; bytes that are not JSON are a ProtobufError", () => {
    const mf = (raw: string) =>
      cm([
        1,
        [
          [
            17,
            [
              [1, "kubectl"],
              [7, [[1, raw]]],
            ],
          ],
        ],
      ]) as { metadata: { managedFields: unknown[] } };
    expect(mf('{"f:data":{}}').metadata.managedFields).toEqual([
      { manager: "kubectl", fieldsV1: { "f:data": {} } },
    ]);
    expect(() => mf("{nope")).toThrow(ProtobufError);
  });
});

describe("encode", () => {
  it("encode: a value of the wrong JSON type is a ProtobufError naming its path", () => {
    const svc = (spec: unknown) => () =>
      encodeKubernetesProtobuf({ kind: "Service", apiVersion: "v1", metadata: { name: "s" }, spec });
    expect(svc({ ports: [{ port: "80" }] })).toThrow("spec.ports[0].port: expected an integer");
    expect(svc({ ports: {} })).toThrow("spec.ports: expected a list");
    expect(svc({ selector: { a: 1 } })).toThrow('spec.selector["a"]: expected a string');
    expect(svc({ ports: [{ port: 2 ** 31 }] })).toThrow(/overflows int32/);
  });

  it("encode: an object without apiVersion and kind, or of an unknown kind, is a ProtobufError", () => {
    expect(() => encodeKubernetesProtobuf({ kind: "ConfigMap" })).toThrow(ProtobufError);
    expect(() => encodeKubernetesProtobuf({ kind: "Job", apiVersion: "batch/v1" })).toThrow(/"Job"/);
  });

  it("encode: Secret data must be base64", () => {
    expect(() =>
      encodeKubernetesProtobuf({
        kind: "Secret",
        apiVersion: "v1",
        metadata: {},
        data: { k: "not base64!" },
      }),
    ).toThrow('data["k"]: illegal base64 data');
  });

  it("encode: times with offsets and fractions are written as UTC seconds", () => {
    const obj = {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { creationTimestamp: "2024-05-06T09:08:09.5+02:00" },
    };
    const out = decodeKubernetesProtobuf(encodeKubernetesProtobuf(obj));
    expect(out["metadata"]).toEqual({ creationTimestamp: "2024-05-06T07:08:09Z" });
  });
});
