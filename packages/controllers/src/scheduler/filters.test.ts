import { describe, expect, it } from "vitest";
import {
  effectiveTaints,
  filterNode,
  matchesNodeSelectorAndAffinity,
  nodeView,
  podView,
  prefilterNodeNames,
  toleratesTaint,
  type NodeUsage,
} from "./filters.ts";
import { makeNode, makePod } from "./fixtures.ts";
import { bytes, milliCPU, parseQuantity, podRequests } from "./resources.ts";

const empty = (): NodeUsage => ({ pods: 0, requested: { milliCPU: 0, memory: 0 }, hostPorts: new Map() });
const filter = (pod = makePod("ns", "p"), node = makeNode("n1"), usage = empty()) =>
  filterNode(podView(pod), nodeView(node), usage);
const affinity = (terms: object[]) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});

describe("scheduler filters", () => {
  it("filters: a Ready node without taints fits a plain pod", () => {
    expect(filter()).toBeUndefined();
  });

  it("filters: a cordoned node is unschedulable unless the pod tolerates the unschedulable taint", () => {
    const node = makeNode("n1", (n) => (n.spec.unschedulable = true));
    expect(filter(makePod("ns", "p"), node)).toEqual({
      code: "unresolvable",
      reasons: ["node(s) were unschedulable"],
    });
    const tolerant = makePod("ns", "p", (p) => {
      p.spec.tolerations = [
        { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
      ];
    });
    expect(filter(tolerant, node)).toBeUndefined();
  });

  it("filters: NoSchedule and NoExecute taints must be tolerated, PreferNoSchedule need not be", () => {
    const tainted = (effect: string) =>
      makeNode("n1", (n) => (n.spec.taints = [{ key: "node-role.kubernetes.io/control-plane", effect }]));
    expect(filter(makePod("ns", "p"), tainted("NoSchedule"))?.reasons).toEqual([
      "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
    ]);
    expect(filter(makePod("ns", "p"), tainted("NoExecute"))?.code).toBe("unresolvable");
    expect(filter(makePod("ns", "p"), tainted("PreferNoSchedule"))).toBeUndefined();
    const tolerant = makePod("ns", "p", (p) => {
      p.spec.tolerations = [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }];
    });
    expect(filter(tolerant, tainted("NoSchedule"))).toBeUndefined();
  });

  it("filters: the first untolerated taint is named with its value", () => {
    const node = makeNode("n1", (n) => {
      n.spec.taints = [
        { key: "a", value: "1", effect: "NoSchedule" },
        { key: "gpu", value: "true", effect: "NoSchedule" },
      ];
    });
    const pod = makePod(
      "ns",
      "p",
      (p) => (p.spec.tolerations = [{ key: "a", value: "1", effect: "NoSchedule" }]),
    );
    expect(filter(pod, node)?.reasons).toEqual(["node(s) had untolerated taint {gpu: true}"]);
  });

  it("filters: toleration matching follows v1 ToleratesTaint", () => {
    const taint = { key: "k", value: "v", effect: "NoSchedule" };
    expect(toleratesTaint({ key: "k", operator: "Equal", value: "v" }, taint)).toBe(true);
    expect(toleratesTaint({ key: "k", value: "v" }, taint)).toBe(true);
    expect(toleratesTaint({ key: "k", value: "w" }, taint)).toBe(false);
    expect(toleratesTaint({ operator: "Exists" }, taint)).toBe(true);
    expect(toleratesTaint({ key: "k", operator: "Exists", effect: "NoExecute" }, taint)).toBe(false);
    expect(toleratesTaint({ key: "other", operator: "Exists" }, taint)).toBe(false);
  });

  it("filters: a node that is not Ready counts as tainted not-ready, or unreachable when Unknown", () => {
    const notReady = makeNode("n1", (n) => (n.status.conditions = [{ type: "Ready", status: "False" }]));
    expect(effectiveTaints(notReady)).toEqual([
      { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" },
    ]);
    expect(filter(makePod("ns", "p"), notReady)?.reasons).toEqual([
      "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
    ]);
    const unknown = makeNode("n1", (n) => (n.status.conditions = [{ type: "Ready", status: "Unknown" }]));
    expect(effectiveTaints(unknown)[0]?.key).toBe("node.kubernetes.io/unreachable");
    // Already tainted by the node lifecycle controller: not added twice.
    const tainted = makeNode("n1", (n) => {
      n.status.conditions = [{ type: "Ready", status: "False" }];
      n.spec.taints = [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule", timeAdded: "x" }];
    });
    expect(effectiveTaints(tainted)).toHaveLength(1);
  });

  it("filters: nodeSelector must match every label", () => {
    const pod = makePod("ns", "p", (p) => (p.spec.nodeSelector = { disktype: "ssd", zone: "a" }));
    const ssd = makeNode("n1", (n) => Object.assign(n.metadata.labels, { disktype: "ssd", zone: "a" }));
    expect(filter(pod, ssd)).toBeUndefined();
    expect(filter(pod, makeNode("n2"))?.reasons).toEqual([
      "node(s) didn't match Pod's node affinity/selector",
    ]);
  });

  it("filters: required node affinity terms are ORed, their expressions ANDed", () => {
    const node = { name: "n1", labels: { zone: "a", cores: "8" } };
    const spec = (terms: object[]) => ({ affinity: affinity(terms) });
    const expr = (key: string, operator: string, values?: string[]) => ({ key, operator, values });
    expect(
      matchesNodeSelectorAndAffinity(spec([{ matchExpressions: [expr("zone", "In", ["a", "b"])] }]), node),
    ).toBe(true);
    expect(
      matchesNodeSelectorAndAffinity(spec([{ matchExpressions: [expr("zone", "NotIn", ["a"])] }]), node),
    ).toBe(false);
    expect(
      matchesNodeSelectorAndAffinity(
        spec([
          { matchExpressions: [expr("zone", "In", ["b"])] },
          { matchExpressions: [expr("cores", "Gt", ["4"])] },
        ]),
        node,
      ),
    ).toBe(true);
    expect(
      matchesNodeSelectorAndAffinity(
        spec([{ matchExpressions: [expr("zone", "Exists"), expr("cores", "Lt", ["4"])] }]),
        node,
      ),
    ).toBe(false);
    expect(
      matchesNodeSelectorAndAffinity(spec([{ matchExpressions: [expr("gpu", "DoesNotExist")] }]), node),
    ).toBe(true);
    // An empty term matches nothing; an invalid one (In without values) neither.
    expect(matchesNodeSelectorAndAffinity(spec([{}]), node)).toBe(false);
    expect(matchesNodeSelectorAndAffinity(spec([{ matchExpressions: [expr("zone", "In", [])] }]), node)).toBe(
      false,
    );
  });

  it("filters: matchFields pins a pod to a node by metadata.name, as DaemonSet pods are", () => {
    const spec = {
      affinity: affinity([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n2"] }] }]),
    };
    expect(matchesNodeSelectorAndAffinity(spec, { name: "n2", labels: {} })).toBe(true);
    expect(matchesNodeSelectorAndAffinity(spec, { name: "n1", labels: {} })).toBe(false);
    expect(prefilterNodeNames(spec)).toEqual(new Set(["n2"]));
    expect(prefilterNodeNames({})).toBeUndefined();
    // A term without matchFields means any node may do.
    expect(
      prefilterNodeNames({
        affinity: affinity([
          { matchFields: [{ key: "metadata.name", operator: "In", values: ["n2"] }] },
          { matchExpressions: [{ key: "zone", operator: "Exists" }] },
        ]),
      }),
    ).toBeUndefined();
  });

  it("filters: requests must fit allocatable minus what is placed, and the pod count its capacity", () => {
    const pod = makePod(
      "ns",
      "p",
      (p) => (p.spec.containers[0].resources = { requests: { cpu: "1500m", memory: "1Gi" } }),
    );
    const usage = { ...empty(), requested: { milliCPU: 3000, memory: 7.5 * 2 ** 30 } };
    expect(filter(pod, makeNode("n1"), usage)).toEqual({
      code: "unschedulable",
      reasons: ["Insufficient cpu", "Insufficient memory"],
    });
    const full = { ...empty(), pods: 110 };
    expect(filter(makePod("ns", "p"), makeNode("n1"), full)?.reasons).toEqual(["Too many pods"]);
  });

  it("filters: host ports may not clash", () => {
    const pod = makePod(
      "ns",
      "p",
      (p) => (p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }]),
    );
    const used = { ...empty(), hostPorts: new Map([["TCP/0.0.0.0/8080", 1]]) };
    expect(filter(pod, makeNode("n1"), used)?.reasons).toEqual([
      "node(s) didn't have free ports for the requested pod ports",
    ]);
    const other = { ...empty(), hostPorts: new Map([["UDP/0.0.0.0/8080", 1]]) };
    expect(filter(pod, makeNode("n1"), other)).toBeUndefined();
  });
});

describe("scheduler resources", () => {
  it("resources: quantities parse as upstream rounds them", () => {
    expect(milliCPU("100m")).toBe(100);
    expect(milliCPU("1.5")).toBe(1500);
    expect(milliCPU(2)).toBe(2000);
    expect(milliCPU("0.0001")).toBe(1);
    expect(bytes("128Mi")).toBe(128 * 2 ** 20);
    expect(bytes("1G")).toBe(1e9);
    expect(bytes("1e3")).toBe(1000);
    expect(parseQuantity("abc")).toBeUndefined();
  });

  it("resources: pod requests sum containers and take the largest init container if bigger", () => {
    const pod = makePod("ns", "p", (p) => {
      p.spec.containers = [
        { name: "a", resources: { requests: { cpu: "100m", memory: "64Mi" } } },
        { name: "b", resources: { requests: { cpu: "200m" } } },
      ];
      p.spec.initContainers = [{ name: "i", resources: { requests: { cpu: "1", memory: "32Mi" } } }];
      p.spec.overhead = { cpu: "10m" };
    });
    expect(podRequests(pod)).toEqual({ milliCPU: 1010, memory: 64 * 2 ** 20 });
  });
});
