import { describe, expect, it } from "vitest";
import { fieldErrorMessage } from "../errors.ts";
import { makePod } from "../fixtures.ts";
import { applyDefaults, validate } from "../registry.ts";
import type { Pod } from "../types.ts";
import { imageTag } from "./podspec.ts";

type P = Pod & { spec: NonNullable<Pod["spec"]> };
const defaulted = (p: Pod, op: "create" | "update" = "create") => applyDefaults("", "v1", "Pod", p, op) as P;
const errors = (p: Pod, old?: Pod) => validate("", "v1", "Pod", p, old).map(fieldErrorMessage);

describe("pod: defaults", () => {
  it("pod: a minimal pod looks like kubectl get -o yaml", () => {
    const p = defaulted(makePod("ns1", "p1"));
    expect(p.spec).toEqual({
      containers: [
        {
          name: "web",
          image: "nginx:1.27",
          ports: [{ containerPort: 80, protocol: "TCP" }],
          imagePullPolicy: "IfNotPresent",
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          resources: {},
        },
      ],
      dnsPolicy: "ClusterFirst",
      restartPolicy: "Always",
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: "default-scheduler",
      enableServiceLinks: true,
      serviceAccountName: "default",
      serviceAccount: "default",
      priority: 0,
      preemptionPolicy: "PreemptLowerPriority",
      tolerations: [
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ],
    });
    expect(p.status).toEqual({ phase: "Pending", qosClass: "BestEffort" });
  });

  it.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.27", "IfNotPresent"],
    ["registry:5000/team/app", "Always"],
    ["registry:5000/team/app:v2", "IfNotPresent"],
    ["nginx@sha256:abc", "IfNotPresent"],
  ])("pod: image %s pulls %s", (image, policy) => {
    const p = defaulted(makePod("ns1", "p1", (p) => (p.spec.containers![0]!.image = image)));
    expect(p.spec.containers?.[0]?.imagePullPolicy).toBe(policy);
  });

  it("pod: imageTag parses references", () => {
    expect(imageTag("localhost:5000/x")).toBe("latest");
    expect(imageTag("x:1@sha256:abc")).toBe("1");
  });

  it("pod: probes get their timings and httpGet its path and scheme", () => {
    const p = defaulted(
      makePod("ns1", "p1", (p) => {
        p.spec.containers![0]!.readinessProbe = { httpGet: { port: 80 } };
        p.spec.containers![0]!.livenessProbe = { tcpSocket: { port: 80 }, periodSeconds: 5 };
      }),
    );
    const c = p.spec.containers?.[0];
    expect(c?.readinessProbe).toEqual({
      httpGet: { port: 80, path: "/", scheme: "HTTP" },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c?.livenessProbe?.periodSeconds).toBe(5);
  });

  it("pod: existing tolerations of the node taints are kept and not duplicated", () => {
    const p = defaulted(makePod("ns1", "p1", (p) => (p.spec.tolerations = [{ operator: "Exists" }])));
    expect(p.spec.tolerations).toEqual([{ operator: "Exists" }]);
  });

  it("pod: requests default to limits and QoS follows", () => {
    const p = defaulted(
      makePod(
        "ns1",
        "p1",
        (p) => (p.spec.containers![0]!.resources = { limits: { cpu: "1", memory: "1Gi" } }),
      ),
    );
    expect(p.spec.containers?.[0]?.resources).toEqual({
      limits: { cpu: "1", memory: "1Gi" },
      requests: { cpu: "1", memory: "1Gi" },
    });
    expect(p.status?.qosClass).toBe("Guaranteed");
    const b = defaulted(
      makePod("ns1", "p1", (p) => (p.spec.containers![0]!.resources = { requests: { cpu: "100m" } })),
    );
    expect(b.status?.qosClass).toBe("Burstable");
  });

  it("pod: hostNetwork pods get hostPort = containerPort", () => {
    const p = defaulted(makePod("ns1", "p1", (p) => (p.spec.hostNetwork = true)));
    expect(p.spec.containers?.[0]?.ports?.[0]?.hostPort).toBe(80);
  });

  it("pod: an update does not add create-time fields", () => {
    const p = defaulted(makePod("ns1", "p1"), "update");
    expect(p.spec.tolerations).toBeUndefined();
    expect(p.status).toBeUndefined();
  });

  it("pod: applyDefaults does not mutate its input", () => {
    const input = makePod("ns1", "p1");
    defaulted(input);
    expect(input.spec.dnsPolicy).toBeUndefined();
  });
});

describe("pod: validate create", () => {
  it.each<[string, (p: P) => void, string[]]>([
    ["valid", () => {}, []],
    ["containers required", (p) => (p.spec.containers = []), ["spec.containers: Required value"]],
    [
      "container name and image required",
      (p) => (p.spec.containers = [{ ports: [] }]),
      ["spec.containers[0].name: Required value", "spec.containers[0].image: Required value"],
    ],
    [
      "unique container names",
      (p) => p.spec.containers!.push({ name: "web", image: "redis" }),
      ['spec.containers[1].name: Duplicate value: "web"'],
    ],
    [
      "bad container name",
      (p) => (p.spec.containers![0]!.name = "Web"),
      [
        `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
    [
      "duplicate port names",
      (p) =>
        (p.spec.containers![0]!.ports = [
          { name: "http", containerPort: 80 },
          { name: "http", containerPort: 81 },
        ]),
      ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
    ],
    [
      "containerPort required",
      (p) => (p.spec.containers![0]!.ports = [{ name: "http" }]),
      ["spec.containers[0].ports[0].containerPort: Required value"],
    ],
    [
      "containerPort range",
      (p) => (p.spec.containers![0]!.ports = [{ containerPort: 70000 }]),
      [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
      ],
    ],
    [
      "hostPort clash across containers",
      (p) => {
        p.spec.containers![0]!.ports = [{ containerPort: 80, hostPort: 8080 }];
        p.spec.containers!.push({ name: "b", image: "x", ports: [{ containerPort: 81, hostPort: 8080 }] });
      },
      ['spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"'],
    ],
    [
      "restartPolicy values",
      (p) => (p.spec.restartPolicy = "Sometimes"),
      [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ],
    ],
    [
      "dnsPolicy values",
      (p) => (p.spec.dnsPolicy = "Cluster"),
      [
        'spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      ],
    ],
    [
      "liveness successThreshold must be 1",
      (p) => (p.spec.containers![0]!.livenessProbe = { exec: { command: ["true"] }, successThreshold: 2 }),
      ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"],
    ],
    [
      "probe needs a handler",
      (p) => (p.spec.containers![0]!.readinessProbe = {}),
      ["spec.containers[0].readinessProbe: Required value: must specify a handler type"],
    ],
    [
      "probe has one handler",
      (p) =>
        (p.spec.containers![0]!.readinessProbe = { exec: { command: ["true"] }, tcpSocket: { port: 80 } }),
      ["spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"],
    ],
    [
      "image whitespace",
      (p) => (p.spec.containers![0]!.image = " nginx"),
      ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace'],
    ],
    [
      "toleration with seconds must be NoExecute",
      (p) =>
        (p.spec.tolerations = [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }]),
      [
        "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
      ],
    ],
    [
      "ephemeral containers on create",
      (p) => (p.spec.ephemeralContainers = [{}]),
      ["spec.ephemeralContainers: Forbidden: cannot be set on create"],
    ],
  ])("pod: %s", (_name, mutate, want) => {
    expect(errors(defaulted(makePod("ns1", "p1", mutate)))).toEqual(want);
  });

  it("pod: an undefaulted pod misses the defaulted fields", () => {
    expect(errors(makePod("ns1", "p1", (p) => (p.spec.containers![0]!.ports = [])))).toEqual([
      "spec.terminationGracePeriodSeconds: Required value",
      "spec.containers[0].terminationMessagePolicy: Required value",
      "spec.containers[0].imagePullPolicy: Required value",
      "spec.restartPolicy: Required value",
      "spec.dnsPolicy: Required value",
    ]);
  });
});

describe("pod: validate update", () => {
  const old = defaulted(makePod("ns1", "p1", (p) => (p.metadata!.resourceVersion = "7")));
  const prefix =
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n";
  const update = (mutate: (p: P) => void) => {
    const p = structuredClone(old);
    mutate(p);
    return p;
  };
  it.each<[string, (p: P) => void, string[]]>([
    ["image may change", (p) => (p.spec.containers![0]!.image = "nginx:1.28"), []],
    ["labels may change", (p) => (p.metadata!.labels = { app: "other" }), []],
    ["tolerations may be added", (p) => p.spec.tolerations!.push({ key: "x", operator: "Exists" }), []],
    ["activeDeadlineSeconds may be set", (p) => (p.spec.activeDeadlineSeconds = 30), []],
    [
      "containers may not be added",
      (p) =>
        p.spec.containers!.push({
          name: "b",
          image: "x",
          terminationMessagePolicy: "File",
          imagePullPolicy: "Always",
        }),
      ["spec.containers: Forbidden: pod updates may not add or remove containers"],
    ],
    [
      "tolerations may not be removed",
      (p) => p.spec.tolerations!.pop(),
      ["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"],
    ],
  ])("pod: %s", (_name, mutate, want) => {
    expect(errors(update(mutate), old)).toEqual(want);
  });

  it("pod: other spec changes are forbidden with upstream's message", () => {
    const errs = errors(
      update((p) => (p.spec.restartPolicy = "Never")),
      old,
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]?.startsWith(prefix)).toBe(true);
    expect(errs[0]).toContain('restartPolicy: "Never"');
  });
});
