import { describe, expect, it } from "vitest";
import { SelectorError } from "./errors.ts";
import { escapeFieldValue, fieldSelectorFromSet, parseFieldSelector } from "./fields.ts";

describe("fields: parse", () => {
  it.each([
    ["", [], ""],
    ["a=b", [{ field: "a", op: "=", value: "b" }], "a=b"],
    ["a==b", [{ field: "a", op: "=", value: "b" }], "a=b"],
    ["a!=b", [{ field: "a", op: "!=", value: "b" }], "a!=b"],
    ["a=", [{ field: "a", op: "=", value: "" }], "a="],
    [
      "x=1,a=2",
      [
        { field: "a", op: "=", value: "2" },
        { field: "x", op: "=", value: "1" },
      ],
      "a=2,x=1",
    ],
    ["a=b,,", [{ field: "a", op: "=", value: "b" }], "a=b"],
    ["a=x\\,y", [{ field: "a", op: "=", value: "x,y" }], "a=x\\,y"],
    ["a=x\\=y\\\\", [{ field: "a", op: "=", value: "x=y\\" }], "a=x\\=y\\\\"],
    ["a b=c d", [{ field: "a b", op: "=", value: "c d" }], "a b=c d"],
  ])("parses %j", (input, reqs, canonical) => {
    const s = parseFieldSelector(input);
    expect(s.requirements).toEqual(reqs);
    expect(s.toString()).toBe(canonical);
  });

  it.each([
    ["foo", "invalid selector: 'foo'; can't understand 'foo'"],
    ["a=b,foo", "invalid selector: 'a=b,foo'; can't understand 'foo'"],
    ["a=b=c", "invalid field selector: unescaped character in value: 61"],
    ["a==b=c", "invalid field selector: unescaped character in value: 61"],
    ["a=x\\y", "invalid field selector: invalid escape sequence: \\y"],
    ["a=x\\", "invalid field selector: invalid escape sequence: \\"],
  ])("rejects %j", (input, message) => {
    expect(() => parseFieldSelector(input)).toThrow(new SelectorError(message));
  });
});

describe("fields: matches", () => {
  const f = { "metadata.name": "x", "status.phase": "Running", "spec.nodeName": "" };
  it.each([
    ["", true],
    ["metadata.name=x", true],
    ["metadata.name==x", true],
    ["metadata.name=y", false],
    ["metadata.name!=y", true],
    ["status.phase!=Running", false],
    ["spec.nodeName=", true],
    ["spec.nodeName!=", false],
    ["missing=", true],
    ["metadata.name=x,status.phase=Running", true],
    ["metadata.name=x,status.phase=Pending", false],
  ])("%j matches: %s", (sel, want) => {
    expect(parseFieldSelector(sel).matches(f)).toBe(want);
  });

  it("fields: requiresExactMatch reports pinned fields", () => {
    const s = parseFieldSelector("spec.nodeName=n1,status.phase!=Failed");
    expect(s.requiresExactMatch("spec.nodeName")).toBe("n1");
    expect(s.requiresExactMatch("status.phase")).toBeUndefined();
  });

  it("fields: fromSet and escaping round-trip", () => {
    expect(fieldSelectorFromSet({ b: "1", a: "x,y" }).toString()).toBe("a=x\\,y,b=1");
    expect(escapeFieldValue("a\\b=c,d")).toBe("a\\\\b\\=c\\,d");
    expect(parseFieldSelector(fieldSelectorFromSet({ a: "x,=\\" }).toString()).matches({ a: "x,=\\" })).toBe(
      true,
    );
  });
});
