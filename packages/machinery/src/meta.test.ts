import { describe, expect, it } from "vitest";
import { fieldErrorMessage } from "./errors.ts";
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from "./meta.ts";
import { nameIsDNSSubdomain } from "./names.ts";
import type { LabelSelectorSpec, ObjectMeta } from "./types.ts";

const msgs = (errs: { field: string }[]) => errs.map((e) => fieldErrorMessage(e as never));
const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function meta(mutate: (m: ObjectMeta) => void): ObjectMeta {
  const m: ObjectMeta = { name: "web", namespace: "ns1" };
  mutate(m);
  return m;
}

describe("meta: validateObjectMeta", () => {
  it.each<[string, ObjectMeta, boolean, string[]]>([
    ["valid", meta(() => {}), true, []],
    [
      "missing name",
      meta((m) => delete m.name),
      true,
      ["metadata.name: Required value: name or generateName is required"],
    ],
    [
      "bad name",
      meta((m) => (m.name = "Web")),
      true,
      [`metadata.name: Invalid value: "Web": ${subdomainMsg}`],
    ],
    [
      "bad generateName",
      meta((m) => (m.generateName = "Web-")),
      true,
      [`metadata.generateName: Invalid value: "Web-": ${subdomainMsg}`],
    ],
    ["missing namespace", meta((m) => delete m.namespace), true, ["metadata.namespace: Required value"]],
    [
      "namespace on cluster kind",
      meta(() => {}),
      false,
      ["metadata.namespace: Forbidden: not allowed on this type"],
    ],
    [
      "bad label",
      meta((m) => (m.labels = { "a b": "x" })),
      true,
      [
        `metadata.labels: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ],
    ],
    [
      "negative generation",
      meta((m) => (m.generation = -1)),
      true,
      ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"],
    ],
    ["uppercase annotation key is fine", meta((m) => (m.annotations = { "Example.com/Key": "v" })), true, []],
    [
      "annotations too large",
      meta((m) => (m.annotations = { big: "x".repeat(256 * 1024) })),
      true,
      ["metadata.annotations: Too long: must have at most 262144 bytes"],
    ],
    [
      "owner reference fields",
      meta((m) => (m.ownerReferences = [{ apiVersion: "", kind: "", name: "", uid: "" }])),
      true,
      [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
      ],
    ],
    [
      "two controllers",
      meta(
        (m) =>
          (m.ownerReferences = [
            { apiVersion: "apps/v1", kind: "ReplicaSet", name: "a", uid: "1", controller: true },
            { apiVersion: "apps/v1", kind: "ReplicaSet", name: "b", uid: "2", controller: true },
          ]),
      ),
      true,
      [
        'metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:"apps/v1", Kind:"ReplicaSet", Name:"a", UID:"1", Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{APIVersion:"apps/v1", Kind:"ReplicaSet", Name:"b", UID:"2", Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}}: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b',
      ],
    ],
    [
      "conflicting finalizers",
      meta((m) => (m.finalizers = ["orphan", "foregroundDeletion"])),
      true,
      [
        'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
      ],
    ],
  ])("%s", (_name, m, namespaced, want) => {
    expect(msgs(validateObjectMeta(m, namespaced, nameIsDNSSubdomain))).toEqual(want);
  });
});

describe("meta: validateObjectMetaUpdate", () => {
  const old = meta((m) => {
    m.resourceVersion = "5";
    m.uid = "u1";
    m.generation = 2;
  });
  it.each<[string, ObjectMeta, string[]]>([
    ["unchanged", { ...old }, []],
    [
      "no resourceVersion",
      { ...old, resourceVersion: "" },
      ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
    ],
    ["renamed", { ...old, name: "other" }, ['metadata.name: Invalid value: "other": field is immutable']],
    ["new uid", { ...old, uid: "u2" }, ['metadata.uid: Invalid value: "u2": field is immutable']],
    [
      "generation decremented",
      { ...old, generation: 1 },
      ["metadata.generation: Invalid value: 1: must not be decremented"],
    ],
  ])("%s", (_name, m, want) => {
    expect(msgs(validateObjectMetaUpdate(m, old))).toEqual(want);
  });
  it("meta: no new finalizers while deleting", () => {
    const deleting = { ...old, deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["a.io/x"] };
    expect(
      msgs(validateObjectMetaUpdate({ ...deleting, finalizers: ["a.io/x", "b.io/y"] }, deleting)),
    ).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
    ]);
  });
});

describe("meta: validateLabelSelector", () => {
  it.each<[LabelSelectorSpec, string[]]>([
    [{ matchLabels: { app: "web" } }, []],
    [
      { matchExpressions: [{ key: "app", operator: "In" }] },
      [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      ],
    ],
    [
      { matchExpressions: [{ key: "app", operator: "Exists", values: ["x"] }] },
      [
        "spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    ],
    [
      { matchExpressions: [{ key: "app", operator: "Has" }] },
      ['spec.selector.matchExpressions[0].operator: Invalid value: "Has": not a valid selector operator'],
    ],
  ])("%j", (sel, want) => {
    expect(msgs(validateLabelSelector(sel, "spec.selector"))).toEqual(want);
  });
});
