import { describe, expect, it } from "vitest";
import { SelectorError } from "./errors.ts";
import {
  labelSelectorFromObject,
  labelSelectorFromSet,
  parseLabelSelector,
  type LabelSelectorObject,
} from "./labels.ts";

const labelValueMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const nameMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

function parseError(s: string): string {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(SelectorError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(s)} to fail`);
}

describe("labels: parse", () => {
  it.each([
    ["", ""],
    ["x=a", "x=a"],
    ["x==a", "x==a"],
    ["x!=a", "x!=a"],
    ["x=", "x="],
    ["x", "x"],
    ["!x", "!x"],
    ["x in (a,b)", "x in (a,b)"],
    ["x in (b,a,a)", "x in (a,b)"],
    ["x notin (a)", "x notin (a)"],
    ["x in ()", "x in ()"],
    ["x in (,a)", "x in (,a)"],
    ["x in (a,)", "x in (,a)"],
    ["x in (a,,b)", "x in (,a,b)"],
    ["  x  =  a  ,  y  ", "x=a,y"],
    ["y,x=a", "x=a,y"],
    ["x>1", "x>1"],
    ["x<1", "x<1"],
    ["x in (in,notin)", "x in (in,notin)"],
    ["example.com/x=a", "example.com/x=a"],
    ["x=a,x!=b", "x=a,x!=b"],
    ["x\t=\na", "x=a"],
  ])("parses %j as %j", (input, canonical) => {
    expect(parseLabelSelector(input).toString()).toBe(canonical);
  });

  it.each([
    ["x=a b", "found 'b', expected: ',' or 'end of string'"],
    ["x=a||y=b", `unable to parse requirement: values[0][x]: Invalid value: "a||y": ${labelValueMsg}`],
    ["invalid=label=value", "found '=', expected: ',' or 'end of string'"],
    ["x==a==b", "found '==', expected: ',' or 'end of string'"],
    ["!x=a", "found '=', expected: ',' or 'end of string'"],
    ["x=a,", "found '', expected: identifier after ','"],
    ["x=a,,y", "found ',', expected: identifier after ','"],
    [",x", "found ',', expected: !, identifier, or 'end of string'"],
    ["=a", "found '=', expected: !, identifier, or 'end of string'"],
    ["(", "found '(', expected: !, identifier, or 'end of string'"],
    ["x in a", "unable to parse requirement: found 'a' expected: '('"],
    ["x in (a", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ["x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ["x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier"],
    ["x foo a", "unable to parse requirement: found 'foo', expected: in, notin, =, ==, !=, gt, lt"],
    ["x (a)", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ["x=(a)", "unable to parse requirement: found '(', expected: identifier"],
    ["!=a", "found '!=', expected: !, identifier, or 'end of string'"],
    ["!!a", "unable to parse requirement: found '!', expected: identifier"],
    ["x=a,!", "unable to parse requirement: found '', expected: identifier"],
    ["x=-a", `unable to parse requirement: values[0][x]: Invalid value: "-a": ${labelValueMsg}`],
    ["x in (a,-b)", `unable to parse requirement: values[0][x]: Invalid value: "-b": ${labelValueMsg}`],
    [
      "x>a",
      `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
    [
      "a/b/c=x",
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ${nameMsg} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
    ["-x", `unable to parse requirement: <nil>: Invalid value: "-x": name part ${nameMsg}`],
    ["/x", `unable to parse requirement: <nil>: Invalid value: "/x": prefix part must be non-empty`],
    [
      "x=" + "a".repeat(64),
      `unable to parse requirement: values[0][x]: Invalid value: "${"a".repeat(64)}": must be no more than 63 characters`,
    ],
    ["x=a!", "found '!', expected: ',' or 'end of string'"],
  ])("rejects %j", (input, message) => {
    expect(parseError(input)).toBe(message);
  });
});

describe("labels: matches", () => {
  const lbls = { app: "web", tier: "front", n: "5" };
  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["app in (db,web)", true],
    ["app notin (db,web)", false],
    ["missing notin (a)", true],
    ["missing in (a)", false],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["app=web,tier=front", true],
    ["app=web,tier=back", false],
    ["n>4", true],
    ["n>5", false],
    ["n<6", true],
    ["app>1", false],
    ["missing=", false],
    ["missing!=", true],
  ])("%j matches: %s", (sel, want) => {
    expect(parseLabelSelector(sel).matches(lbls)).toBe(want);
  });

  it("labels: undefined labels behave as empty", () => {
    expect(parseLabelSelector("!a").matches(undefined)).toBe(true);
    expect(parseLabelSelector("a").matches(undefined)).toBe(false);
  });

  it("labels: requiresExactMatch finds pinned keys", () => {
    const s = parseLabelSelector("a=1,b in (2),c in (3,4),d!=5");
    expect(s.requiresExactMatch("a")).toBe("1");
    expect(s.requiresExactMatch("b")).toBe("2");
    expect(s.requiresExactMatch("c")).toBeUndefined();
    expect(s.requiresExactMatch("d")).toBeUndefined();
  });
});

describe("labels: selectorFromSet", () => {
  it("labels: empty set matches everything", () => {
    expect(labelSelectorFromSet({}).empty()).toBe(true);
    expect(labelSelectorFromSet(undefined).matches({ a: "b" })).toBe(true);
  });
  it("labels: set requires every label", () => {
    const s = labelSelectorFromSet({ b: "2", a: "1" });
    expect(s.toString()).toBe("a=1,b=2");
    expect(s.matches({ a: "1", b: "2", c: "3" })).toBe(true);
    expect(s.matches({ a: "1" })).toBe(false);
  });
});

describe("labels: labelSelectorFromObject", () => {
  it("labels: null selects nothing, empty selects everything", () => {
    expect(labelSelectorFromObject(null).matches({})).toBe(false);
    expect(labelSelectorFromObject(undefined).matches({ a: "b" })).toBe(false);
    expect(labelSelectorFromObject({}).matches({ a: "b" })).toBe(true);
    expect(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }).empty()).toBe(true);
  });

  it.each<[LabelSelectorObject, Record<string, string>, boolean]>([
    [{ matchLabels: { app: "web" } }, { app: "web" }, true],
    [{ matchLabels: { app: "web" } }, { app: "db" }, false],
    [{ matchExpressions: [{ key: "app", operator: "In", values: ["web", "db"] }] }, { app: "db" }, true],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }, { app: "db" }, true],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }, {}, true],
    [{ matchExpressions: [{ key: "app", operator: "Exists" }] }, { app: "" }, true],
    [{ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, { app: "" }, false],
    [
      { matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "Exists" }] },
      { a: "1", b: "x" },
      true,
    ],
  ])("%j on %j: %s", (sel, lbls, want) => {
    expect(labelSelectorFromObject(sel).matches(lbls)).toBe(want);
  });

  it("labels: requirements are sorted by key", () => {
    const s = labelSelectorFromObject({
      matchLabels: { z: "1", a: "2" },
      matchExpressions: [{ key: "m", operator: "In", values: ["b", "a"] }],
    });
    expect(s.toString()).toBe("a=2,m in (a,b),z=1");
  });

  it.each<[LabelSelectorObject, string]>([
    [{ matchExpressions: [{ key: "a", operator: "Foo" }] }, `"Foo" is not a valid pod selector operator`],
    [
      { matchExpressions: [{ key: "a", operator: "In", values: [] }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: "a", operator: "NotIn" }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: "a", operator: "Exists", values: ["x", "y"] }] },
      `values: Invalid value: []string{"x", "y"}: values set must be empty for exists and does not exist`,
    ],
    [{ matchLabels: { "-a": "x" } }, `key: Invalid value: "-a": name part ${nameMsg}`],
    [{ matchLabels: { a: "x y" } }, `values[0][a]: Invalid value: "x y": ${labelValueMsg}`],
    [
      { matchLabels: { "-a": "-x" } },
      `[key: Invalid value: "-a": name part ${nameMsg}, values[0][-a]: Invalid value: "-x": ${labelValueMsg}]`,
    ],
  ])("rejects %j", (sel, message) => {
    expect(() => labelSelectorFromObject(sel)).toThrow(new SelectorError(message));
  });
});
