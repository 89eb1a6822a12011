import { describe, expect, it } from "vitest";
import { fieldErrorMessage } from "../errors.ts";
import {
  makeConfigMap,
  makeEndpointSlice,
  makeEndpoints,
  makeLease,
  makeNamespace,
  makeNode,
  makeSecret,
} from "../fixtures.ts";
import { applyDefaults, supportedKinds, validate } from "../registry.ts";
import type { ConfigMap, EndpointSlice, Endpoints, Event, Lease, Namespace, Node, Secret } from "../types.ts";

const errs = (group: string, kind: string, obj: object, old?: object) =>
  validate(group, "v1", kind, obj, old).map(fieldErrorMessage);

describe("registry: table", () => {
  it("registry: knows every kind the API server serves from here", () => {
    expect(supportedKinds().map((k) => `${k.group}/${k.version}/${k.kind}`)).toEqual([
      "/v1/Pod",
      "/v1/Service",
      "apps/v1/Deployment",
      "apps/v1/ReplicaSet",
      "apps/v1/DaemonSet",
      "/v1/Namespace",
      "/v1/Node",
      "/v1/Endpoints",
      "discovery.k8s.io/v1/EndpointSlice",
      "/v1/Event",
      "/v1/ConfigMap",
      "/v1/Secret",
      "coordination.k8s.io/v1/Lease",
    ]);
  });
  it("registry: unknown kinds pass through", () => {
    const obj = { metadata: { name: "x" } };
    expect(applyDefaults("example.com", "v1", "Thing", obj)).toEqual(obj);
    expect(validate("example.com", "v1", "Thing", obj)).toEqual([]);
  });
});

describe("namespace: defaults and validation", () => {
  it("namespace: create adds the name label, the kubernetes finalizer and phase Active", () => {
    expect(applyDefaults("", "v1", "Namespace", makeNamespace("ns1"))).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "ns1", labels: { "kubernetes.io/metadata.name": "ns1" } },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  });
  it("namespace: update keeps finalizers as they are", () => {
    const ns = applyDefaults<Namespace>(
      "",
      "v1",
      "Namespace",
      makeNamespace("ns1", (n) => (n.spec = { finalizers: [] })),
      "update",
    );
    expect(ns.spec?.finalizers).toEqual([]);
  });
  it.each<[string, Namespace, string[]]>([
    ["valid", makeNamespace("ns1"), []],
    [
      "name must be a DNS label",
      makeNamespace("ns.1"),
      ['metadata.name: Invalid value: "ns.1": must not contain dots'],
    ],
    [
      "namespace is not namespaced",
      makeNamespace("ns1", (n) => (n.metadata!.namespace = "default")),
      ["metadata.namespace: Forbidden: not allowed on this type"],
    ],
    [
      "finalizer names",
      makeNamespace("ns1", (n) => (n.spec = { finalizers: ["custom"] })),
      [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
      ],
    ],
  ])("namespace: %s", (_name, ns, want) => {
    expect(errs("", "Namespace", ns)).toEqual(want);
  });
});

describe("node: defaults and validation", () => {
  it("node: allocatable defaults to capacity", () => {
    expect(applyDefaults<Node>("", "v1", "Node", makeNode("node-1")).status?.allocatable).toEqual({
      cpu: "2",
      memory: "4Gi",
      pods: "110",
    });
  });
  it.each<[string, Node, Node | undefined, string[]]>([
    ["valid", makeNode("node-1"), undefined, []],
    [
      "name required",
      makeNode(""),
      undefined,
      ["metadata.name: Required value: name or generateName is required"],
    ],
    [
      "bad taint effect",
      makeNode("node-1", (n) => (n.spec = { taints: [{ key: "k", effect: "Never" }] })),
      undefined,
      [
        'metadata.taints[0].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    ],
    [
      "podCIDRs may not change",
      makeNode("node-1", (n) => {
        n.metadata!.resourceVersion = "2";
        n.spec = { podCIDRs: ["10.244.2.0/24"] };
      }),
      makeNode("node-1", (n) => (n.spec = { podCIDRs: ["10.244.1.0/24"] })),
      ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'],
    ],
  ])("node: %s", (_name, node, old, want) => {
    expect(errs("", "Node", node, old)).toEqual(want);
  });
});

describe("endpoints: defaults and validation", () => {
  it("endpoints: ports default to TCP", () => {
    const ep = applyDefaults<Endpoints>("", "v1", "Endpoints", makeEndpoints("ns1", "redis"));
    expect(ep.subsets?.[0]?.ports).toEqual([{ port: 8080, protocol: "TCP" }]);
  });
  it.each<[string, (e: Endpoints) => void, string[]]>([
    ["valid", () => {}, []],
    [
      "subset needs addresses",
      (e) => (e.subsets = [{ ports: [{ port: 80, protocol: "TCP" }] }]),
      ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"],
    ],
    [
      "address must be an IP",
      (e) => (e.subsets![0]!.addresses = [{ ip: "nope" }]),
      [
        'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address',
      ],
    ],
    [
      "no loopback",
      (e) => (e.subsets![0]!.addresses = [{ ip: "127.0.0.1" }]),
      [
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    ],
    [
      "names required with several ports",
      (e) =>
        (e.subsets![0]!.ports = [
          { port: 80, protocol: "TCP" },
          { name: "b", port: 81, protocol: "TCP" },
        ]),
      ["subsets[0].ports[0].name: Required value"],
    ],
  ])("endpoints: %s", (_name, mutate, want) => {
    expect(
      errs("", "Endpoints", applyDefaults("", "v1", "Endpoints", makeEndpoints("ns1", "redis", mutate))),
    ).toEqual(want);
  });
});

describe("endpointslice: defaults and validation", () => {
  it("endpointslice: ports default to TCP and an empty name", () => {
    const s = applyDefaults<EndpointSlice>(
      "discovery.k8s.io",
      "v1",
      "EndpointSlice",
      makeEndpointSlice("ns1", "s", (s) => (s.ports = [{ port: 80 }])),
    );
    expect(s.ports).toEqual([{ port: 80, name: "", protocol: "TCP" }]);
  });
  it.each<[string, (s: EndpointSlice) => void, string[]]>([
    ["valid", () => {}, []],
    ["addressType required", (s) => (s.addressType = ""), ["addressType: Required value"]],
    [
      "addressType values",
      (s) => (s.addressType = "IP"),
      ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"'],
    ],
    [
      "addresses required",
      (s) => (s.endpoints = [{ addresses: [] }]),
      ["endpoints[0].addresses: Required value: must contain at least 1 address"],
    ],
    [
      "IPv4 addresses",
      (s) => (s.endpoints = [{ addresses: ["::1"] }]),
      ['endpoints[0].addresses[0]: Invalid value: "::1": must be a valid IPv4 address'],
    ],
    [
      "duplicate port names",
      (s) =>
        (s.ports = [
          { name: "a", port: 1 },
          { name: "a", port: 2 },
        ]),
      ['ports[1].name: Duplicate value: (*string)("a")'],
    ],
  ])("endpointslice: %s", (_name, mutate, want) => {
    const s = applyDefaults("discovery.k8s.io", "v1", "EndpointSlice", makeEndpointSlice("ns1", "s", mutate));
    expect(errs("discovery.k8s.io", "EndpointSlice", s)).toEqual(want);
  });
  it("endpointslice: addressType is immutable", () => {
    const old = applyDefaults<EndpointSlice>(
      "discovery.k8s.io",
      "v1",
      "EndpointSlice",
      makeEndpointSlice("ns1", "s", (s) => (s.metadata!.resourceVersion = "1")),
    );
    const next = {
      ...structuredClone(old),
      addressType: "FQDN",
      endpoints: [{ addresses: ["a.example.com"] }],
    };
    expect(errs("discovery.k8s.io", "EndpointSlice", next, old)).toEqual([
      'addressType: Invalid value: "FQDN": field is immutable',
    ]);
  });
});

describe("event: defaults and validation", () => {
  const ev = (mutate?: (e: Event) => void): Event => {
    const e: Event = {
      metadata: { name: "web.1", namespace: "ns1" },
      involvedObject: { kind: "Pod", namespace: "ns1", name: "web" },
      reason: "Started",
      message: "Started container",
      type: "Normal",
    };
    mutate?.(e);
    return e;
  };
  it("event: serialised zero fields appear", () => {
    expect(applyDefaults<Event>("", "v1", "Event", ev())).toMatchObject({
      eventTime: null,
      firstTimestamp: null,
      lastTimestamp: null,
      reportingComponent: "",
      reportingInstance: "",
      source: {},
    });
  });
  it.each<[string, Event, string[]]>([
    ["valid", ev(), []],
    [
      "namespace mismatch",
      ev((e) => (e.involvedObject!.namespace = "other")),
      ['involvedObject.namespace: Invalid value: "other": does not match event.namespace'],
    ],
    [
      "new-style events need reporting fields",
      ev((e) => (e.eventTime = "2024-01-01T00:00:00.000000Z")),
      [
        "reportingComponent: Required value",
        `reportingComponent: Invalid value: "": name part must be non-empty`,
        `reportingComponent: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        "reportingInstance: Required value",
        "action: Required value",
      ],
    ],
  ])("event: %s", (_name, e, want) => {
    expect(errs("", "Event", e)).toEqual(want);
  });
});

describe("configmap and secret: validation", () => {
  it.each<[string, ConfigMap, string[]]>([
    ["valid", makeConfigMap("ns1", "cm"), []],
    [
      "bad key",
      makeConfigMap("ns1", "cm", (c) => (c.data = { "a/b": "x" })),
      [
        "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [
      "key in data and binaryData",
      makeConfigMap("ns1", "cm", (c) => (c.binaryData = { key: "AA==" })),
      ['data[key]: Invalid value: "key": duplicate of key present in binaryData'],
    ],
    [
      "too large",
      makeConfigMap("ns1", "cm", (c) => (c.data = { big: "x".repeat(1024 * 1024 + 1) })),
      [": Too long: must have at most 1048576 bytes"],
    ],
  ])("configmap: %s", (_name, cm, want) => {
    expect(errs("", "ConfigMap", cm)).toEqual(want);
  });
  it("configmap: immutable data may not change", () => {
    const old = makeConfigMap("ns1", "cm", (c) => {
      c.immutable = true;
      c.metadata!.resourceVersion = "1";
    });
    const next = { ...structuredClone(old), data: { key: "w" } };
    expect(errs("", "ConfigMap", next, old)).toEqual([
      "data: Forbidden: field is immutable when `immutable` is set",
    ]);
  });
  it("secret: type defaults to Opaque and stringData folds into data", () => {
    const s = applyDefaults<Secret>(
      "",
      "v1",
      "Secret",
      makeSecret("ns1", "s", (s) => (s.stringData = { pw: "hunter2" })),
    );
    expect(s.type).toBe("Opaque");
    expect(s.data).toEqual({ key: "dg==", pw: "aHVudGVyMg==" });
    expect(s.stringData).toBeUndefined();
  });
  it.each<[string, Secret, string[]]>([
    ["valid", applyDefaults("", "v1", "Secret", makeSecret("ns1", "s")), []],
    [
      "tls needs cert and key",
      makeSecret("ns1", "s", (s) => (s.type = "kubernetes.io/tls")),
      ["data[tls.crt]: Required value", "data[tls.key]: Required value"],
    ],
  ])("secret: %s", (_name, s, want) => {
    expect(errs("", "Secret", s)).toEqual(want);
  });
  it("secret: type is immutable", () => {
    const old = applyDefaults<Secret>(
      "",
      "v1",
      "Secret",
      makeSecret("ns1", "s", (s) => (s.metadata!.resourceVersion = "1")),
    );
    const next = { ...structuredClone(old), type: "kubernetes.io/basic-auth", data: { username: "dQ==" } };
    expect(errs("", "Secret", next, old)).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
    ]);
  });
});

describe("lease: validation", () => {
  it.each<[string, Lease, string[]]>([
    ["valid", makeLease("kube-node-lease", "node-1"), []],
    [
      "duration must be positive",
      makeLease("kube-node-lease", "node-1", (l) => (l.spec!.leaseDurationSeconds = 0)),
      ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"],
    ],
    [
      "transitions not negative",
      makeLease("kube-node-lease", "node-1", (l) => (l.spec!.leaseTransitions = -1)),
      ["spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"],
    ],
  ])("lease: %s", (_name, l, want) => {
    expect(errs("coordination.k8s.io", "Lease", l)).toEqual(want);
  });
});
