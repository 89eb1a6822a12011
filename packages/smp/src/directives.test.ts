// Directives, type changes and malformed patches, on a live Pod. Results and error texts were
// checked against kubectl 1.32's own implementation (`kubectl patch --local --type strategic`).

import { describe, expect, it } from "vitest";
import { makeNode, makePod } from "./fixtures.ts";
import { knownPatchSchema } from "./known.ts";
import { strategicMergePatch } from "./merge.ts";
import { schemaFromSpec } from "./schema.ts";
import { applyCases, catchSmpError, failCases } from "./testing.ts";

const pod = knownPatchSchema("io.k8s.api.core.v1.Pod");

describe("directives", () => {
  applyCases(
    "$patch",
    [
      {
        name: "$patch: delete on a map leaves it empty",
        original: makePod(),
        patch: { metadata: { labels: { $patch: "delete" } } },
        expected: makePod((p) => {
          p.metadata.labels = {};
        }),
      },
      {
        name: "$patch: replace keeps the patch's nulls",
        original: makePod(),
        patch: { metadata: { labels: { $patch: "replace", b: "2", c: null } } },
        expected: makePod((p) => {
          p.metadata.labels = { b: "2", c: null };
        }),
      },
      {
        name: "a map with $patch under a key the original lacks is dropped",
        original: makePod(),
        patch: { spec: { nodeSelector: { $patch: "replace", disk: "ssd" } } },
        expected: makePod(),
      },
      {
        name: "nested $patch maps and nulls in new content are dropped",
        original: makePod(),
        patch: { spec: { nodeSelector: { zone: "a", gone: null, odd: { $patch: "delete" } } } },
        expected: makePod((p) => {
          p.spec.nodeSelector = { zone: "a" };
        }),
      },
      {
        name: "$patch: delete removes a container by name",
        original: makePod((p) => {
          p.spec.containers.push({ name: "sidecar", image: "busybox" });
        }),
        patch: { spec: { containers: [{ name: "web", $patch: "delete" }] } },
        expected: makePod((p) => {
          p.spec.containers = [{ name: "sidecar", image: "busybox" }];
        }),
      },
      {
        name: "$patch: replace in a merge list keeps the replacement items as sent",
        original: makePod(),
        patch: { spec: { containers: [{ $patch: "replace" }, { name: "api", image: null }] } },
        expected: makePod((p) => {
          p.spec.containers = [{ name: "api", image: null }];
        }),
      },
      {
        name: "a new list item is appended as sent, nulls included",
        original: makePod(),
        patch: {
          spec: {
            "$setElementOrder/containers": [{ name: "web" }, { name: "log" }],
            containers: [{ name: "log", image: "fluent-bit", env: [{ name: "A", value: null }] }],
          },
        },
        expected: makePod((p) => {
          p.spec.containers.push({ name: "log", image: "fluent-bit", env: [{ name: "A", value: null }] });
        }),
      },
      {
        name: "a $patch item in a list without merge strategy is kept as data",
        original: makePod(),
        patch: { spec: { tolerations: [{ key: "x", $patch: "delete" }] } },
        expected: makePod((p) => {
          p.spec.tolerations = [{ key: "x", $patch: "delete" }];
        }),
      },
    ],
    pod,
  );

  applyCases(
    "$deleteFromPrimitiveList",
    [
      {
        name: "removes finalizers and ignores missing ones",
        original: makePod((p) => {
          p.metadata.finalizers = ["a", "b", "c"];
        }),
        patch: { metadata: { "$deleteFromPrimitiveList/finalizers": ["b", "zzz"] } },
        expected: makePod((p) => {
          p.metadata.finalizers = ["a", "c"];
        }),
      },
      {
        name: "a value both added and deleted ends up deleted",
        original: makePod((p) => {
          p.metadata.finalizers = ["a"];
        }),
        patch: { metadata: { finalizers: ["b"], "$deleteFromPrimitiveList/finalizers": ["a"] } },
        expected: makePod((p) => {
          p.metadata.finalizers = ["b"];
        }),
      },
      {
        name: "works on a list without merge strategy",
        original: makePod((p) => {
          p.spec.containers[0].args = ["--a", "--b"];
        }),
        patch: { spec: { containers: [{ name: "web", "$deleteFromPrimitiveList/args": ["--a"] }] } },
        expected: makePod((p) => {
          p.spec.containers[0].args = ["--b"];
        }),
      },
      {
        name: "null for the deletion list drops the whole list",
        original: makePod(),
        patch: { metadata: { "$deleteFromPrimitiveList/finalizers": null } },
        expected: makePod((p) => {
          delete p.metadata.finalizers;
        }),
      },
    ],
    pod,
  );

  applyCases(
    "$retainKeys",
    [
      {
        name: "works on any map, whatever the field's strategy",
        original: makePod((p) => {
          p.spec.securityContext = { runAsUser: 1000, fsGroup: 2000 };
        }),
        patch: { spec: { securityContext: { $retainKeys: ["runAsNonRoot"], runAsNonRoot: true } } },
        expected: makePod((p) => {
          p.spec.securityContext = { runAsNonRoot: true };
        }),
      },
      {
        name: "nulls and directives in the patch need not be listed",
        original: makePod((p) => {
          p.metadata.finalizers = ["a", "b"];
        }),
        patch: {
          metadata: {
            $retainKeys: ["name", "finalizers", "namespace"],
            labels: null,
            "$deleteFromPrimitiveList/finalizers": ["a"],
          },
        },
        expected: makePod((p) => {
          p.metadata = { name: p.metadata.name, namespace: p.metadata.namespace, finalizers: ["b"] };
        }),
      },
    ],
    pod,
  );

  applyCases(
    "types",
    [
      {
        name: "a string replaces a map",
        original: makePod(),
        patch: { metadata: { labels: "oops" } },
        expected: makePod((p) => {
          p.metadata.labels = "oops";
        }),
      },
      {
        name: "a map replaces a string, minus its nulls",
        original: makePod((p) => {
          p.spec.nodeSelector = "x";
        }),
        patch: { spec: { nodeSelector: { zone: "a", none: null } } },
        expected: makePod((p) => {
          p.spec.nodeSelector = { zone: "a" };
        }),
      },
      {
        name: "a map replaces a list",
        original: makePod(),
        patch: { spec: { tolerations: { key: "x" } } },
        expected: makePod((p) => {
          p.spec.tolerations = { key: "x" };
        }),
      },
      {
        name: "a value replaces a null in the original",
        original: makePod((p) => {
          p.spec.nodeSelector = null;
        }),
        patch: { spec: { nodeSelector: { zone: "a" } } },
        expected: makePod((p) => {
          p.spec.nodeSelector = { zone: "a" };
        }),
      },
      {
        name: "scalars are replaced",
        original: makePod(),
        patch: { spec: { nodeName: "node-2", priority: 10 }, status: { phase: "Succeeded" } },
        expected: makePod((p) => {
          p.spec.nodeName = "node-2";
          p.spec.priority = 10;
          p.status.phase = "Succeeded";
        }),
      },
      {
        name: "a null patch body changes nothing",
        original: makePod(),
        patch: null,
        expected: makePod(),
      },
    ],
    pod,
  );

  failCases(
    "errors",
    [
      {
        name: "unknown $patch on a map",
        original: makePod(),
        patch: { metadata: { labels: { $patch: "foo" } } },
        message: "unknown patch type: foo in map: map[$patch:foo]",
        code: "Internal",
      },
      {
        name: "$patch: merge on a map is not a directive",
        original: makePod(),
        patch: { metadata: { labels: { $patch: "merge", a: "b" } } },
        message: "unknown patch type: merge in map: map[$patch:merge a:b]",
        code: "Internal",
      },
      {
        name: "unknown $patch in a list item",
        original: makePod(),
        patch: { spec: { containers: [{ name: "web", $patch: "foo" }] } },
        message: "unknown patch type: foo in map: map[$patch:foo name:web]",
        code: "Internal",
      },
      {
        name: "a non-string $patch is printed as Go does",
        original: makePod(),
        patch: { spec: { containers: [{ name: "web", $patch: 1 }] } },
        message: "unknown patch type: %!s(int64=1) in map: map[$patch:1 name:web]",
        code: "Internal",
      },
      {
        name: "$patch: merge in a list item",
        original: makePod(),
        patch: { spec: { containers: [{ name: "web", $patch: "merge" }] } },
        message: "merging lists cannot yet be specified in the patch",
        code: "Internal",
      },
      {
        name: "a merge list item without its merge key",
        original: makePod(),
        patch: { spec: { containers: [{ image: "x" }] } },
        message: "map: map[image:x] does not contain declared merge key: name",
        code: "Internal",
      },
      {
        name: "$patch: delete without the merge key",
        original: makePod(),
        patch: { spec: { containers: [{ $patch: "delete", image: "x" }] } },
        message: "map: map[$patch:delete image:x] does not contain declared merge key: name",
        code: "Internal",
      },
      {
        name: "$setElementOrder out of step with the patch list",
        original: makePod((p) => {
          p.spec.containers.push({ name: "b" });
        }),
        patch: {
          spec: {
            "$setElementOrder/containers": [{ name: "web" }, { name: "b" }],
            containers: [
              { name: "b", image: "y" },
              { name: "web", image: "z" },
            ],
          },
        },
        message:
          "The order in patch list:\n[map[image:y name:b] map[image:z name:web]]\n doesn't match $setElementOrder list:\n[map[name:web] map[name:b]]\n",
        code: "Internal",
      },
      {
        name: "$setElementOrder that is not a list",
        original: makePod(),
        patch: { spec: { "$setElementOrder/containers": "web" } },
        message: "expected a []interface {}, but received a string",
        code: "Internal",
      },
      {
        name: "a $setElementOrder key without a field",
        original: makePod(),
        patch: { spec: { $setElementOrderContainers: [] } },
        message: "invalid patch format of setElementOrder list",
        code: "BadRequest",
      },
      {
        name: "a $deleteFromPrimitiveList key without a field",
        original: makePod(),
        patch: { metadata: { $deleteFromPrimitiveListFinalizers: ["a"] } },
        message: "invalid patch format of primitive list",
        code: "BadRequest",
      },
      {
        name: "$retainKeys that is not a list",
        original: makePod(),
        patch: { spec: { $retainKeys: "containers" } },
        message: "invalid patch format of retainKeys",
        code: "BadRequest",
      },
      {
        name: "$retainKeys that leaves out a patched key",
        original: makePod(),
        patch: { spec: { $retainKeys: ["containers"], hostname: "h" } },
        message: "invalid patch format of retainKeys",
        code: "BadRequest",
      },
      {
        name: "items of another type than the live list's",
        original: makePod(),
        patch: { metadata: { finalizers: [1] } },
        message: "list element types are not identical: [[example.com/cleanup] [1]]",
        code: "Internal",
      },
      {
        name: "$setElementOrder on an empty live list with nothing to merge",
        original: makePod((p) => {
          p.metadata.finalizers = [];
        }),
        patch: { metadata: { "$setElementOrder/finalizers": ["a"] } },
        message: "no elements in any of the given slices",
        code: "Internal",
      },
    ],
    pod,
  );

  failCases(
    "errors",
    [
      {
        name: "a list of lists in a merge list",
        original: makeNode((n) => {
          n.spec.podCIDRs = [["10.244.1.0/24"]];
        }),
        patch: { spec: { podCIDRs: [["fd00:1::/64"]] } },
        message: "lists of lists are not supported",
        code: "Unprocessable",
      },
    ],
    knownPatchSchema("io.k8s.api.core.v1.Node"),
  );
});

describe("API", () => {
  it("API: a patch that is not an object is a 400 with the decoder's text", () => {
    const cases: [unknown, string][] = [
      [[1], "array"],
      ["x", "string"],
      [3, "number"],
      [true, "bool"],
    ];
    for (const [patch, kind] of cases) {
      const err = catchSmpError(() => strategicMergePatch(makePod(), patch, pod));
      expect(err.message).toBe(
        `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
      );
      expect(err.code).toBe("BadRequest");
      expect(err.status).toBe(400);
    }
  });

  it("API: error codes carry kube-apiserver's HTTP status", () => {
    const unprocessable = catchSmpError(() =>
      strategicMergePatch(
        { finalizers: [["a"]] },
        { finalizers: [["b"]] },
        schemaFromSpec({ fields: { finalizers: { patchStrategy: "merge" } } }),
      ),
    );
    expect(unprocessable.status).toBe(422);
    const internal = catchSmpError(() => strategicMergePatch({}, { $patch: "bogus" }, undefined));
    expect(internal.status).toBe(500);
    expect(internal.name).toBe("SmpError");
    expect(internal).toBeInstanceOf(Error);
  });

  it("API: the result shares nothing with the inputs", () => {
    const original = makePod();
    const patch = { spec: { containers: [{ name: "new", ports: [{ containerPort: 1 }] }] } };
    const result = strategicMergePatch(original, patch, pod) as ReturnType<typeof makePod>;
    result.spec.containers[0].ports[0].containerPort = 2;
    result.metadata.labels.app = "changed";
    expect(patch.spec.containers[0]?.ports[0]?.containerPort).toBe(1);
    expect(original.metadata.labels.app).toBe("web");
  });

  it("API: without a schema, maps merge and lists are replaced", () => {
    const result = strategicMergePatch(
      { a: { b: 1, c: 2 }, list: [{ name: "x" }], keep: true },
      { a: { c: null, d: 3 }, list: [{ name: "y" }] },
      undefined,
    );
    expect(result).toEqual({ a: { b: 1, d: 3 }, list: [{ name: "y" }], keep: true });
  });

  it("API: a __proto__ key is data, not a prototype", () => {
    const original = JSON.parse('{"m":{"__proto__":{"a":1}}}') as object;
    const patch = JSON.parse('{"m":{"__proto__":{"b":2}},"n":{"__proto__":"x"}}') as unknown;
    const result = strategicMergePatch(original, patch, undefined);
    expect(JSON.stringify(result)).toBe('{"m":{"__proto__":{"a":1,"b":2}},"n":{"__proto__":"x"}}');
    expect(Object.getPrototypeOf((result as { m: object }).m)).toBe(Object.prototype);
  });

  it("API: undefined values count as absent keys", () => {
    const result = strategicMergePatch({ a: 1, b: 2 }, { a: undefined, c: 3 }, undefined);
    expect(result).toEqual({ a: 1, b: 2, c: 3 });
  });

  it("API: an original that is not an object is a caller bug", () => {
    expect(() => strategicMergePatch([] as object, {}, undefined)).toThrow(TypeError);
  });

  it("API: an unknown combination of patch strategies is reported", () => {
    const schema = schemaFromSpec({ fields: { list: { patchStrategy: "merge,replace" } } });
    const err = catchSmpError(() => strategicMergePatch({ list: [1] }, { list: [2] }, schema));
    expect(err.message).toBe("unexpected patch strategy: [merge replace]");
  });

  it("API: a merge list of objects needs a merge key", () => {
    const schema = schemaFromSpec({ fields: { list: { patchStrategy: "merge" } } });
    const err = catchSmpError(() => strategicMergePatch({ list: [{ a: 1 }] }, { list: [{ a: 2 }] }, schema));
    expect(err.message).toBe("cannot merge lists without merge key for struct");
  });

  it("API: $setElementOrder on a list of objects without a merge key fails instead of panicking", () => {
    const err = catchSmpError(() =>
      strategicMergePatch(
        { list: [{ a: 1 }] },
        { "$setElementOrder/list": [{ a: 1 }], list: [{ a: 1 }] },
        undefined,
      ),
    );
    expect(err.message).toBe("runtime error: comparing uncomparable type map[string]interface {}");
    expect(err.code).toBe("Internal");
  });
});
