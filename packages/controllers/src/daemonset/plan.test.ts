import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { makeNode } from "../scheduler/fixtures.ts";
import { makeDaemonSet } from "./fixtures.ts";
import {
  daemonPodTemplate,
  managePlan,
  newDaemonPod,
  nodeShouldRunDaemonPod,
  podsByNode,
  rollingUpdatePlan,
  statusCounts,
  targetNodeName,
} from "./plan.ts";

const NOW = Date.parse("2025-01-01T00:10:00Z");
let seq = 0;

/** A daemon pod of ds on node, bound and Ready unless told otherwise. */
function daemonPod(
  ds: KObject,
  hash: string,
  node: string,
  mutate: (p: KObject) => void = () => {},
): KObject {
  const p = newDaemonPod(ds, daemonPodTemplate(ds, hash), node);
  p.metadata.name = `${ds.metadata.name}-${++seq}`;
  p.metadata.uid = `pod-${seq}`;
  p.metadata.creationTimestamp = `2025-01-01T00:0${seq % 10}:00Z`;
  p.spec.nodeName = node;
  p.status = {
    phase: "Running",
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2025-01-01T00:00:00Z" }],
  };
  mutate(p);
  return p;
}

/** The same DaemonSet after a template change: generation 2. */
const bumped = (ds: KObject): KObject => ({ ...ds, metadata: { ...ds.metadata, generation: 2 } });
const nodes3 = () => [makeNode("node-1"), makeNode("node-2"), makeNode("node-3")];
const names = (plan: { createOn: string[]; delete: string[] }) => ({
  ...plan,
  createOn: [...plan.createOn].sort(),
});

describe("daemonset plan", () => {
  it("plan: daemon pods get upstream's tolerations, the two labels and a node affinity pinning them", () => {
    const ds = makeDaemonSet("default", "nginx-linuxea", (d) => {
      d.spec.template.spec.tolerations = [
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ];
    });
    const pod = newDaemonPod(ds, daemonPodTemplate(ds, "6b8f5"), "node-2");
    expect(pod.metadata).toEqual({
      generateName: "nginx-linuxea-",
      namespace: "default",
      labels: {
        app: "nginx",
        release: "www",
        "pod-template-generation": "1",
        "controller-revision-hash": "6b8f5",
      },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "DaemonSet",
          name: "nginx-linuxea",
          uid: "uid-nginx-linuxea",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(pod.spec.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
      { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
      { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
      { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(pod.spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: "metadata.name", operator: "In", values: ["node-2"] }] },
          ],
        },
      },
    });
    expect(targetNodeName(pod)).toBe("node-2");
    // The DaemonSet's own template is untouched.
    expect(ds.spec.template.spec.tolerations).toHaveLength(1);
  });

  it("plan: the annotation apps/v1 keeps wins over metadata.generation for pod-template-generation", () => {
    const ds = makeDaemonSet("default", "d", (d) => {
      d.metadata.generation = 5;
      d.metadata.annotations = { "deprecated.daemonset.template.generation": "3" };
    });
    expect(daemonPodTemplate(ds, "h").metadata.labels["pod-template-generation"]).toBe("3");
  });

  it("plan: eligibility follows nodeSelector, affinity and taints; cordoned and not-ready nodes differ", () => {
    const ds = makeDaemonSet("default", "d", (d) => (d.spec.template.spec.nodeSelector = { role: "edge" }));
    const t = daemonPodTemplate(ds, "h");
    const edge = makeNode("n1", (n) => (n.metadata.labels.role = "edge"));
    expect(nodeShouldRunDaemonPod(edge, t)).toEqual({ shouldRun: true, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(makeNode("n2"), t)).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
    });
    const plain = daemonPodTemplate(makeDaemonSet("default", "d"), "h");
    const cordoned = makeNode("n3", (n) => (n.spec.unschedulable = true));
    expect(nodeShouldRunDaemonPod(cordoned, plain).shouldRun).toBe(true);
    // Not Ready: no new pod (not-ready NoSchedule is not tolerated), but running ones stay.
    const notReady = makeNode("n4", (n) => (n.status.conditions = [{ type: "Ready", status: "False" }]));
    expect(nodeShouldRunDaemonPod(notReady, plain)).toEqual({
      shouldRun: false,
      shouldContinueRunning: true,
    });
    const noExec = makeNode(
      "n5",
      (n) => (n.spec.taints = [{ key: "dedicated", value: "db", effect: "NoExecute" }]),
    );
    expect(nodeShouldRunDaemonPod(noExec, plain)).toEqual({ shouldRun: false, shouldContinueRunning: false });
    const noSched = makeNode(
      "n6",
      (n) => (n.spec.taints = [{ key: "dedicated", value: "db", effect: "NoSchedule" }]),
    );
    expect(nodeShouldRunDaemonPod(noSched, plain)).toEqual({ shouldRun: false, shouldContinueRunning: true });
  });

  it("plan: a pod for each eligible node without one; surplus, ineligible and orphaned ones deleted", () => {
    const ds = makeDaemonSet("default", "d");
    const t = daemonPodTemplate(ds, "h");
    const p1 = daemonPod(ds, "h", "node-1");
    const p1dup = daemonPod(ds, "h", "node-1");
    const gone = daemonPod(ds, "h", "node-9");
    const tainted = makeNode("node-3", (n) => (n.spec.taints = [{ key: "x", effect: "NoExecute" }]));
    const p3 = daemonPod(ds, "h", "node-3");
    const terminating = daemonPod(
      ds,
      "h",
      "node-4",
      (p) => (p.metadata.deletionTimestamp = "2025-01-01T00:00:00Z"),
    );
    const nodes = [makeNode("node-1"), makeNode("node-2"), tainted, makeNode("node-4")];
    const plan = managePlan(ds, t, nodes, podsByNode([p1, p1dup, gone, p3, terminating]), "h", NOW);
    // node-4 still has a terminating pod: its replacement waits until it is gone.
    expect(names(plan)).toEqual({
      createOn: ["node-2"],
      delete: [p1dup.metadata.name, p3.metadata.name, gone.metadata.name],
    });
    const failed = daemonPod(ds, "h", "node-2", (p) => (p.status.phase = "Failed"));
    expect(managePlan(ds, t, [makeNode("node-2")], podsByNode([failed]), "h", NOW).delete).toEqual([
      failed.metadata.name,
    ]);
  });

  it("plan: a rolling update replaces at most maxUnavailable available pods at a time", () => {
    const v1 = makeDaemonSet("default", "d");
    const ds = bumped(v1);
    const t = daemonPodTemplate(ds, "new");
    const olds = ["node-1", "node-2", "node-3"].map((n) => daemonPod(v1, "old", n));
    let step = rollingUpdatePlan(ds, t, nodes3(), podsByNode(olds), "new", NOW);
    expect(step.createOn).toEqual([]);
    expect(step.delete).toHaveLength(1);
    // One node is being replaced (new pod not Ready yet): nothing more goes.
    const fresh = daemonPod(ds, "new", "node-1", (p) => (p.status.conditions = []));
    step = rollingUpdatePlan(ds, t, nodes3(), podsByNode([fresh, olds[1]!, olds[2]!]), "new", NOW);
    expect(step.delete).toEqual([]);
    // With maxUnavailable 2, two at once; an old pod that is not available goes regardless.
    const ds2 = bumped(
      makeDaemonSet("default", "d", (d) => (d.spec.updateStrategy.rollingUpdate.maxUnavailable = "66%")),
    );
    const broken = daemonPod(v1, "old", "node-3", (p) => (p.status.conditions = []));
    step = rollingUpdatePlan(ds2, t, nodes3(), podsByNode([olds[0]!, olds[1]!, broken]), "new", NOW);
    expect(new Set(step.delete)).toEqual(
      new Set([broken.metadata.name, olds[0]!.metadata.name, olds[1]!.metadata.name]),
    );
  });

  it("plan: with maxSurge the new pod starts first and the old one goes once the new one is available", () => {
    const v1 = makeDaemonSet("default", "d", (d) => {
      d.spec.updateStrategy.rollingUpdate = { maxUnavailable: 0, maxSurge: 1 };
    });
    const ds = bumped(v1);
    const t = daemonPodTemplate(ds, "new");
    const olds = ["node-1", "node-2", "node-3"].map((n) => daemonPod(v1, "old", n));
    const step = rollingUpdatePlan(ds, t, nodes3(), podsByNode(olds), "new", NOW);
    expect(step).toEqual({ createOn: [expect.any(String)], delete: [] });
    const surged = daemonPod(ds, "new", "node-1");
    const after = rollingUpdatePlan(ds, t, nodes3(), podsByNode([...olds, surged]), "new", NOW);
    expect(after.delete).toEqual([olds[0]!.metadata.name]);
    // The core loop keeps both pods on node-1 while the new one is not Ready.
    const starting = daemonPod(ds, "new", "node-1", (p) => (p.status.conditions = []));
    const keep = managePlan(ds, t, nodes3(), podsByNode([...olds, starting]), "new", NOW);
    expect(keep).toEqual({ createOn: [], delete: [] });
  });

  it("plan: status counts desired, current, ready, updated, available and misscheduled pods", () => {
    const v1 = makeDaemonSet("default", "d", (d) => (d.spec.template.spec.nodeSelector = { role: "edge" }));
    const ds = bumped(v1);
    const t = daemonPodTemplate(ds, "new");
    const edge = (name: string) => makeNode(name, (n) => (n.metadata.labels.role = "edge"));
    const nodes = [edge("node-1"), edge("node-2"), edge("node-3"), makeNode("node-4")];
    const pods = [
      daemonPod(ds, "new", "node-1"),
      daemonPod(v1, "old", "node-2"),
      daemonPod(ds, "new", "node-4"),
      daemonPod(ds, "new", "node-3", (p) => (p.status.conditions = [])),
    ];
    expect(statusCounts(ds, t, nodes, podsByNode(pods), "new", NOW)).toEqual({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberMisscheduled: 1,
      numberReady: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
      numberUnavailable: 1,
    });
    const withMinReady = { ...ds, spec: { ...ds.spec, minReadySeconds: 3600 } };
    expect(statusCounts(withMinReady, t, nodes, podsByNode(pods), "new", NOW).numberAvailable).toBe(0);
    // A pod with the current pod-template-generation counts as updated whatever its hash.
    const sameGen = daemonPod(ds, "other-hash", "node-2");
    expect(
      statusCounts(ds, t, [edge("node-2")], podsByNode([sameGen]), "new", NOW).updatedNumberScheduled,
    ).toBe(1);
  });
});
