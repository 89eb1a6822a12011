import { describe, expect, it } from "vitest";
import { fieldErrorMessage } from "../errors.ts";
import { makeService } from "../fixtures.ts";
import { applyDefaults, validate } from "../registry.ts";
import type { Service } from "../types.ts";
import { clusterIPAllocated, nodePortNotInRange, prepareServiceUpdate } from "./service.ts";

const defaulted = (s: Service) => applyDefaults("", "v1", "Service", s);
const errors = (s: Service, old?: Service) => validate("", "v1", "Service", s, old).map(fieldErrorMessage);

describe("service: defaults", () => {
  it("service: a bare ClusterIP service gets upstream's defaults", () => {
    const s = defaulted(makeService("ns1", "svc1"));
    expect(s.spec).toEqual({
      selector: { app: "web" },
      ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ipFamilyPolicy: "SingleStack",
      ipFamilies: ["IPv4"],
    });
    expect(s.status).toEqual({ loadBalancer: {} });
  });

  it.each<[string, (s: Service & { spec: NonNullable<Service["spec"]> }) => void, Record<string, unknown>]>([
    [
      "targetPort defaults to port",
      (s) => (s.spec.ports = [{ port: 6379 }]),
      { ports: [{ port: 6379, targetPort: 6379, protocol: "TCP" }] },
    ],
    [
      "NodePort gets externalTrafficPolicy",
      (s) => (s.spec.type = "NodePort"),
      { externalTrafficPolicy: "Cluster" },
    ],
    [
      "LoadBalancer allocates node ports by default",
      (s) => (s.spec.type = "LoadBalancer"),
      { externalTrafficPolicy: "Cluster", allocateLoadBalancerNodePorts: true },
    ],
    [
      "ClientIP affinity gets a 3 h timeout",
      (s) => (s.spec.sessionAffinity = "ClientIP"),
      { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } },
    ],
    [
      "clusterIPs mirrors clusterIP",
      (s) => (s.spec.clusterIP = "10.96.65.65"),
      { clusterIPs: ["10.96.65.65"] },
    ],
    [
      "headless keeps None",
      (s) => (s.spec.clusterIP = "None"),
      { clusterIPs: ["None"], ipFamilyPolicy: "SingleStack" },
    ],
    [
      "headless without selector requires dual stack",
      (s) => {
        s.spec.clusterIP = "None";
        delete s.spec.selector;
      },
      { ipFamilyPolicy: "RequireDualStack" },
    ],
    [
      "ClusterIP with externalIPs is externally accessible",
      (s) => (s.spec.externalIPs = ["192.0.2.1"]),
      { externalTrafficPolicy: "Cluster" },
    ],
  ])("service: %s", (_name, mutate, want) => {
    expect(defaulted(makeService("ns1", "svc1", mutate)).spec).toMatchObject(want);
  });

  it("service: ExternalName gets neither families nor traffic policies", () => {
    const s = defaulted(
      makeService("ns1", "ext", (s) => {
        s.spec.type = "ExternalName";
        s.spec.externalName = "example.com";
        delete s.spec.ports;
      }),
    );
    expect(s.spec).toEqual({
      selector: { app: "web" },
      type: "ExternalName",
      externalName: "example.com",
      sessionAffinity: "None",
    });
  });

  it("service: None affinity drops a sessionAffinityConfig", () => {
    const s = defaulted(
      makeService("ns1", "s", (s) => (s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 5 } })),
    );
    expect(s.spec?.sessionAffinityConfig).toBeUndefined();
  });
});

describe("service: validate create", () => {
  it.each<[string, (s: Service & { spec: NonNullable<Service["spec"]> }) => void, string[]]>([
    ["valid ClusterIP", () => {}, []],
    [
      "valid NodePort from the walkthrough",
      (s) => {
        s.spec.type = "NodePort";
        s.spec.clusterIP = "10.96.66.66";
        s.spec.ports = [{ port: 80, targetPort: 80, nodePort: 31180 }];
      },
      [],
    ],
    ["valid headless", (s) => (s.spec.clusterIP = "None"), []],
    [
      "name must be a DNS-1035 label",
      (s) => (s.metadata!.name = "1svc"),
      [
        `metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
    ["ports required", (s) => (s.spec.ports = []), ["spec.ports: Required value"]],
    [
      "port out of range",
      (s) => (s.spec.ports = [{ port: 70000, targetPort: 80 }]),
      ["spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"],
    ],
    [
      "names required with several ports",
      (s) => (s.spec.ports = [{ port: 80 }, { port: 443, name: "https" }]),
      ["spec.ports[0].name: Required value"],
    ],
    [
      "duplicate port names",
      (s) =>
        (s.spec.ports = [
          { port: 80, name: "web" },
          { port: 443, name: "web" },
        ]),
      ['spec.ports[1].name: Duplicate value: "web"'],
    ],
    [
      "bad port name",
      (s) => (s.spec.ports = [{ port: 80, name: "Web" }]),
      [
        `spec.ports[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
    [
      "bad protocol",
      (s) => (s.spec.ports = [{ port: 80, protocol: "HTTP" }]),
      ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    [
      "named targetPort must be a port name",
      (s) => (s.spec.ports = [{ port: 80, targetPort: "HTTP" }]),
      [
        'spec.ports[0].targetPort: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.ports[0].targetPort: Invalid value: "HTTP": must contain at least one letter (a-z)',
      ],
    ],
    [
      "duplicate port and protocol",
      (s) =>
        (s.spec.ports = [
          { port: 80, name: "a" },
          { port: 80, name: "b" },
        ]),
      [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      ],
    ],
    [
      "same port on TCP and UDP is fine",
      (s) =>
        (s.spec.ports = [
          { port: 53, name: "dns", protocol: "UDP" },
          { port: 53, name: "dns-tcp" },
        ]),
      [],
    ],
    [
      "duplicate nodePort",
      (s) => {
        s.spec.type = "NodePort";
        s.spec.ports = [
          { port: 80, name: "a", nodePort: 30080 },
          { port: 81, name: "b", nodePort: 30080 },
        ];
      },
      ["spec.ports[1].nodePort: Duplicate value: 30080"],
    ],
    [
      "nodePort on ClusterIP",
      (s) => (s.spec.ports = [{ port: 80, nodePort: 30080 }]),
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ],
    [
      "unknown type",
      (s) => (s.spec.type = "Foo"),
      [
        'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    ],
    [
      "unknown session affinity",
      (s) => (s.spec.sessionAffinity = "Cookie"),
      ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
    ],
    [
      "affinity timeout too large",
      (s) => {
        s.spec.sessionAffinity = "ClientIP";
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 86401 } };
      },
      [
        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400",
      ],
    ],
    [
      "affinity timeout zero",
      (s) => {
        s.spec.sessionAffinity = "ClientIP";
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 0 } };
      },
      [
        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400",
      ],
    ],
    [
      "externalTrafficPolicy on ClusterIP",
      (s) => (s.spec.externalTrafficPolicy = "Local"),
      [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
      ],
    ],
    [
      "bad externalTrafficPolicy",
      (s) => {
        s.spec.type = "NodePort";
        s.spec.externalTrafficPolicy = "Global";
      },
      ['spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"'],
    ],
    [
      "bad internalTrafficPolicy",
      (s) => (s.spec.internalTrafficPolicy = "Node"),
      ['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"'],
    ],
    [
      "headless NodePort",
      (s) => {
        s.spec.type = "NodePort";
        s.spec.clusterIP = "None";
      },
      ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
    ],
    [
      "bad clusterIP",
      (s) => (s.spec.clusterIP = "10.96.0.300"),
      [
        'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ],
    ],
    [
      "loopback externalIP",
      (s) => (s.spec.externalIPs = ["127.0.0.1"]),
      [
        'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    ],
    [
      "source ranges only on LoadBalancer",
      (s) => (s.spec.loadBalancerSourceRanges = ["10.0.0.0/8"]),
      ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"],
    ],
    [
      "selector labels are validated",
      (s) => (s.spec.selector = { app: "a b" }),
      [
        `spec.selector: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ],
  ])("service: %s", (_name, mutate, want) => {
    expect(errors(defaulted(makeService("ns1", "svc1", mutate)))).toEqual(want);
  });

  it.each<[string, (s: Service & { spec: NonNullable<Service["spec"]> }) => void, string[]]>([
    ["valid ExternalName", () => {}, []],
    ["trailing dot allowed", (s) => (s.spec.externalName = "example.com."), []],
    ["externalName required", (s) => (s.spec.externalName = ""), ["spec.externalName: Required value"]],
    [
      "externalName must be a subdomain",
      (s) => (s.spec.externalName = "Example_com"),
      [
        `spec.externalName: Invalid value: "Example_com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    ],
    [
      "no clusterIP for ExternalName",
      (s) => (s.spec.clusterIP = "10.96.0.9"),
      ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"],
    ],
  ])("service: ExternalName %s", (_name, mutate, want) => {
    const s = defaulted(
      makeService("ns1", "ext", (s) => {
        s.spec.type = "ExternalName";
        s.spec.externalName = "example.com";
        delete s.spec.ports;
        mutate(s);
      }),
    );
    expect(errors(s)).toEqual(want);
  });

  it("service: an undefaulted spec reports the required fields", () => {
    expect(
      errors(
        makeService("ns1", "svc1", (s) => (s.spec.ports = [{ port: 80, targetPort: 80, protocol: "TCP" }])),
      ),
    ).toEqual(["spec.sessionAffinity: Required value", "spec.type: Required value"]);
  });
});

describe("service: validate update", () => {
  const base = defaulted(
    makeService("ns1", "svc1", (s) => {
      s.metadata!.resourceVersion = "1";
      s.spec.clusterIP = "10.96.65.65";
    }),
  );
  const update = (mutate: (s: Service & { spec: NonNullable<Service["spec"]> }) => void) => {
    const s = structuredClone(base) as Service & { spec: NonNullable<Service["spec"]> };
    mutate(s);
    return s;
  };
  it.each<[string, (s: Service & { spec: NonNullable<Service["spec"]> }) => void, string[]]>([
    ["unchanged", () => {}, []],
    [
      "affinity may change",
      (s) => {
        s.spec.sessionAffinity = "ClientIP";
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10 } };
      },
      [],
    ],
    [
      "clusterIP is immutable",
      (s) => {
        s.spec.clusterIP = "10.96.65.66";
        s.spec.clusterIPs = ["10.96.65.66"];
      },
      ['spec.clusterIPs[0]: Invalid value: []string{"10.96.65.66"}: may not change once set'],
    ],
    [
      "clusterIP cannot be unset",
      (s) => {
        s.spec.clusterIP = "";
        s.spec.clusterIPs = [];
      },
      ["spec.clusterIPs[0]: Invalid value: []string{}: primary clusterIP can not be unset"],
    ],
    [
      "to ExternalName the clusterIP may go",
      (s) => {
        s.spec.type = "ExternalName";
        s.spec.externalName = "example.com";
        delete s.spec.clusterIP;
        delete s.spec.clusterIPs;
        delete s.spec.ipFamilies;
        delete s.spec.ipFamilyPolicy;
        delete s.spec.internalTrafficPolicy;
      },
      [],
    ],
    [
      "resourceVersion required",
      (s) => (s.metadata!.resourceVersion = ""),
      ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
    ],
  ])("service: %s", (_name, mutate, want) => {
    expect(errors(update(mutate), base)).toEqual(want);
  });

  it("service: prepareServiceUpdate keeps allocated values an apply leaves out", () => {
    const old = structuredClone(base);
    old.spec!.type = "NodePort";
    old.spec!.ports = [{ port: 80, targetPort: 80, protocol: "TCP", nodePort: 31180 }];
    const next = makeService("ns1", "svc1", (s) => {
      s.spec.type = "NodePort";
      s.spec.ports = [{ port: 80, targetPort: 80, protocol: "TCP" }];
    });
    prepareServiceUpdate(next, old);
    expect(next.spec.clusterIP).toBe("10.96.65.65");
    expect(next.spec.clusterIPs).toEqual(["10.96.65.65"]);
    expect(next.spec.ports?.[0]?.nodePort).toBe(31180);
  });

  it("service: prepareServiceUpdate drops node ports when leaving NodePort", () => {
    const old = structuredClone(base);
    old.spec!.type = "NodePort";
    old.spec!.ports = [{ port: 80, targetPort: 80, protocol: "TCP", nodePort: 31180 }];
    const next = structuredClone(old);
    next.spec!.type = "ClusterIP";
    prepareServiceUpdate(next, old);
    expect(next.spec?.ports?.[0]?.nodePort).toBeUndefined();
  });
});

describe("service: allocator messages", () => {
  it("service: clusterIP and nodePort allocation errors", () => {
    expect(fieldErrorMessage(clusterIPAllocated(["10.96.65.65"], "10.96.65.65"))).toBe(
      'spec.clusterIPs: Invalid value: []string{"10.96.65.65"}: failed to allocate IP 10.96.65.65: provided IP is already allocated',
    );
    expect(fieldErrorMessage(nodePortNotInRange(0, 80, "30000-32767"))).toBe(
      "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
    );
  });
});
