import { describe, expect, it } from "vitest";
import {
  duplicate,
  fieldErrorMessage,
  forbidden,
  invalid,
  invalidCauses,
  invalidMessage,
  invalidStatus,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
} from "./errors.ts";
import type { FieldError } from "./errors.ts";
import { goQuote, goRepr, goStringMap, goStringSlice } from "./gofmt.ts";

describe("errors: fieldErrorMessage", () => {
  it.each<[FieldError, string]>([
    [
      invalid("spec.ports[0].port", 0, "must be between 1 and 65535, inclusive"),
      "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
    ],
    [
      required("metadata.name", "name or generateName is required"),
      "metadata.name: Required value: name or generateName is required",
    ],
    [required("spec.ports"), "spec.ports: Required value"],
    [
      notSupported("spec.type", "Foo", ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]),
      'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ],
    [duplicate("spec.ports[1].name", "http"), 'spec.ports[1].name: Duplicate value: "http"'],
    [
      forbidden("spec.clusterIPs", "may not be set for ExternalName services"),
      "spec.clusterIPs: Forbidden: may not be set for ExternalName services",
    ],
    [
      tooLong("metadata.annotations", "", 262144),
      "metadata.annotations: Too long: must have at most 262144 bytes",
    ],
    [tooMany("endpoints", 1001, 1000), "endpoints: Too many: 1001: must have at most 1000 items"],
    [
      typeInvalid("spec.replicas", "x", "must be an integer"),
      'spec.replicas: Invalid value: "x": must be an integer',
    ],
    [invalid("a", null, "d"), "a: Invalid value: null: d"],
    [invalid("a", true, "d"), "a: Invalid value: true: d"],
    [invalid("a", ["x", "y"], "d"), 'a: Invalid value: []string{"x", "y"}: d'],
    [invalid("a", { b: "1", a: "2" }, "d"), 'a: Invalid value: map[string]string{"a":"2", "b":"1"}: d'],
    [invalid("a", goRepr("core.Thing{}"), "d"), "a: Invalid value: core.Thing{}: d"],
  ])("%# renders upstream's text", (e, want) => {
    expect(fieldErrorMessage(e)).toBe(want);
  });
});

describe("errors: invalidMessage", () => {
  const a = invalid("spec.ports[0].port", 0, "must be between 1 and 65535, inclusive");
  const b = required("spec.selector");
  it.each<[string, string, FieldError[], string, string]>([
    ["Service", "x", [], "", 'Service "x" is invalid'],
    [
      "Service",
      "x",
      [a],
      "",
      'Service "x" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ],
    [
      "Service",
      "x",
      [a, b],
      "",
      'Service "x" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.selector: Required value]',
    ],
    ["Service", "x", [b, b], "", 'Service "x" is invalid: spec.selector: Required value'],
    ["Deployment", "d", [b], "apps", 'Deployment.apps "d" is invalid: spec.selector: Required value'],
  ])("%s %s with %#", (kind, name, errs, group, want) => {
    expect(invalidMessage(kind, name, errs, group)).toBe(want);
  });

  it("errors: causes carry reason, body and field for every error", () => {
    expect(invalidCauses([a, b, b])).toEqual([
      {
        reason: "FieldValueInvalid",
        message: "Invalid value: 0: must be between 1 and 65535, inclusive",
        field: "spec.ports[0].port",
      },
      { reason: "FieldValueRequired", message: "Required value", field: "spec.selector" },
      { reason: "FieldValueRequired", message: "Required value", field: "spec.selector" },
    ]);
  });

  it("errors: invalidStatus is a 422 Status", () => {
    expect(invalidStatus("apps", "Deployment", "d", [b])).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Deployment.apps "d" is invalid: spec.selector: Required value',
      reason: "Invalid",
      details: {
        name: "d",
        group: "apps",
        kind: "Deployment",
        causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.selector" }],
      },
      code: 422,
    });
    expect(invalidStatus("", "Service", "s", []).details).toEqual({ name: "s", kind: "Service", causes: [] });
  });
});

describe("errors: go formatting", () => {
  it.each([
    ["plain", '"plain"'],
    ['q"uote', '"q\\"uote"'],
    ["back\\slash", '"back\\\\slash"'],
    ["tab\tnl\n", '"tab\\tnl\\n"'],
    ["\x01", '"\\x01"'],
    ["é", '"é"'],
  ])("goQuote(%j)", (s, want) => {
    expect(goQuote(s)).toBe(want);
  });
  it("errors: slices and maps", () => {
    expect(goStringSlice(undefined)).toBe("[]string(nil)");
    expect(goStringSlice([])).toBe("[]string{}");
    expect(goStringMap(null)).toBe("map[string]string(nil)");
    expect(goStringMap({})).toBe("map[string]string{}");
  });
});
