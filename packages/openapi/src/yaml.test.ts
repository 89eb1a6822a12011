import { expect, test } from "vitest";
import { toYAML } from "./yaml.ts";

test("toYAML: a GVK list is a block sequence of mappings, the empty group quoted", () => {
  expect(toYAML([{ group: "", version: "v1", kind: "Pod" }])).toBe(
    '- group: ""\n  version: v1\n  kind: Pod\n',
  );
  expect(
    toYAML([
      { group: "", version: "v1", kind: "DeleteOptions" },
      { group: "apps", version: "v1", kind: "DeleteOptions" },
    ]),
  ).toBe(
    '- group: ""\n  version: v1\n  kind: DeleteOptions\n- group: apps\n  version: v1\n  kind: DeleteOptions\n',
  );
});

test("toYAML: scalars stay plain only when YAML reads them back as the same string", () => {
  expect(toYAML("merge,retainKeys")).toBe("merge,retainKeys\n");
  expect(toYAML("coordination.k8s.io")).toBe("coordination.k8s.io\n");
  expect(toYAML(true)).toBe("true\n");
  expect(toYAML("true")).toBe('"true"\n');
  expect(toYAML("on")).toBe('"on"\n');
  expect(toYAML("1")).toBe('"1"\n');
  expect(toYAML("a: b")).toBe('"a: b"\n');
  expect(toYAML("line\nbreak")).toBe('"line\\nbreak"\n');
  expect(toYAML(null)).toBe("null\n");
});

test("toYAML: nested and empty collections", () => {
  expect(toYAML({ a: { b: [1, 2] }, c: [], d: {} })).toBe(
    "a:\n    b:\n        - 1\n        - 2\nc: []\nd: {}\n",
  );
  expect(toYAML([[1, 2], []])).toBe("- - 1\n  - 2\n- []\n");
});
