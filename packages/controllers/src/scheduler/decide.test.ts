import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { SchedulerCache } from "./cache.ts";
import { makeNode, makePod } from "./fixtures.ts";
import { decide, needsScheduling, podSpecChanged } from "./index.ts";

function cacheOf(nodes: KObject[], pods: KObject[] = []): SchedulerCache {
  const c = new SchedulerCache();
  for (const n of nodes) c.setNode(n);
  for (const p of pods) c.updatePod(p);
  return c;
}

const message = (pod: KObject, cache: SchedulerCache) => {
  const d = decide(pod, cache);
  if (!("message" in d)) throw new Error(`expected a failure, got ${d.node.name}`);
  return d.message;
};

const controlPlane = makeNode(
  "cp",
  (n) => (n.spec.taints = [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]),
);

describe("scheduler decisions", () => {
  it("decide: the failure message is upstream's, reasons counted and sorted, with the preemption part", () => {
    const pod = makePod("ns", "p", (p) => (p.spec.nodeSelector = { disktype: "ssd" }));
    expect(message(pod, cacheOf([controlPlane, makeNode("w1"), makeNode("w2")]))).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, " +
        "2 node(s) didn't match Pod's node affinity/selector. " +
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it("decide: with no nodes at all the message is ErrNoNodesAvailable", () => {
    expect(message(makePod("ns", "p"), cacheOf([]))).toBe("no nodes available to schedule pods");
  });

  it("decide: resource shortages say no preemption victims were found", () => {
    const pod = makePod("ns", "p", (p) => (p.spec.containers[0].resources = { requests: { cpu: "5" } }));
    const cordoned = makeNode("w3", (n) => (n.spec.unschedulable = true));
    expect(message(pod, cacheOf([makeNode("w1"), makeNode("w2"), cordoned]))).toBe(
      "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. " +
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, " +
        "2 No preemption victims found for incoming pod.",
    );
    const never = makePod("ns", "p", (p) => {
      p.spec.containers[0].resources = { requests: { cpu: "5" } };
      p.spec.preemptionPolicy = "Never";
    });
    expect(message(never, cacheOf([makeNode("w1")]))).toBe(
      "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
    );
  });

  it("decide: a pod pinned to one node reports the others as not satisfying NodeAffinity", () => {
    const pod = makePod("ns", "ds-x", (p) => {
      p.spec.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["w2"] }] }],
          },
        },
      };
    });
    const notReady = makeNode("w2", (n) => (n.status.conditions = [{ type: "Ready", status: "False" }]));
    expect(message(pod, cacheOf([makeNode("w1"), notReady, makeNode("w3")]))).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, " +
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    const d = decide(pod, cacheOf([makeNode("w1"), makeNode("w2"), makeNode("w3")]));
    expect("node" in d && d.node.name).toBe("w2");
  });

  it("decide: pods spread evenly, assumed pods counting before the watch sees them bound", () => {
    const cache = cacheOf([makeNode("a"), makeNode("b"), makeNode("c")]);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 30; i++) {
      const pod = makePod("ns", `p${i}`);
      const d = decide(pod, cache);
      if (!("node" in d)) throw new Error(d.message);
      cache.assume(pod, d.node.name);
      counts[d.node.name]!++;
    }
    expect(counts).toEqual({ a: 10, b: 10, c: 10 });
  });

  it("decide: replicas of one owner spread before total pod counts are evened out", () => {
    const owned = (name: string, node?: string) =>
      makePod("ns", name, (p) => {
        p.metadata.ownerReferences = [{ kind: "ReplicaSet", name: "web", uid: "rs-1", controller: true }];
        if (node) p.spec.nodeName = node;
      });
    // Node a is the emptiest, but already has a replica of web; b and c have other pods.
    const others = ["b", "b", "c", "c"].map((n, i) => makePod("ns", `o${i}`, (p) => (p.spec.nodeName = n)));
    const cache = cacheOf([makeNode("a"), makeNode("b"), makeNode("c")], [owned("web-0", "a"), ...others]);
    const d = decide(owned("web-1"), cache);
    expect("node" in d && d.node.name).not.toBe("a");
  });

  it("decide: ties are broken at random", () => {
    const cache = cacheOf([makeNode("a"), makeNode("b")]);
    const first = decide(makePod("ns", "p"), cache, () => 0.99);
    const second = decide(makePod("ns", "p"), cache, () => 0.01);
    expect(["node" in first && first.node.name, "node" in second && second.node.name]).toEqual(["a", "b"]);
  });

  it("decide: PreferNoSchedule taints and preferred affinity steer the choice", () => {
    const soft = makeNode("a", (n) => (n.spec.taints = [{ key: "spot", effect: "PreferNoSchedule" }]));
    const d = decide(
      makePod("ns", "p"),
      cacheOf([soft, makeNode("b")], [makePod("ns", "x", (p) => (p.spec.nodeName = "b"))]),
    );
    expect("node" in d && d.node.name).toBe("b");
    const pref = makePod("ns", "p", (p) => {
      p.spec.affinity = {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 10,
              preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["z1"] }] },
            },
          ],
        },
      };
    });
    const z1 = makeNode("c", (n) => (n.metadata.labels.zone = "z1"));
    const busy = [1, 2, 3].map((i) => makePod("ns", `b${i}`, (p) => (p.spec.nodeName = "c")));
    const d2 = decide(pref, cacheOf([makeNode("b"), z1], busy));
    expect("node" in d2 && d2.node.name).toBe("c");
  });

  it("decide: cpu and memory already assumed on a node are not handed out twice", () => {
    const cache = cacheOf([makeNode("a", (n) => (n.status.allocatable.cpu = "1"))]);
    const big = (name: string) =>
      makePod("ns", name, (p) => (p.spec.containers[0].resources = { requests: { cpu: "600m" } }));
    const d = decide(big("p1"), cache);
    if (!("node" in d)) throw new Error(d.message);
    cache.assume(big("p1"), d.node.name);
    expect(message(big("p2"), cache)).toMatch(/^0\/1 nodes are available: 1 Insufficient cpu\./);
    cache.forget(big("p1"));
    expect("node" in decide(big("p2"), cache)).toBe(true);
  });

  it("decide: only pending pods for default-scheduler are ours; status-only updates are not changes", () => {
    expect(needsScheduling(makePod("ns", "p"))).toBe(true);
    expect(needsScheduling(makePod("ns", "p", (p) => delete p.spec.schedulerName))).toBe(true);
    expect(needsScheduling(makePod("ns", "p", (p) => (p.spec.schedulerName = "other")))).toBe(false);
    expect(needsScheduling(makePod("ns", "p", (p) => (p.spec.nodeName = "a")))).toBe(false);
    expect(needsScheduling(makePod("ns", "p", (p) => (p.metadata.deletionTimestamp = "x")))).toBe(false);
    expect(needsScheduling(makePod("ns", "p", (p) => (p.spec.schedulingGates = [{ name: "g" }])))).toBe(
      false,
    );
    const a = makePod("ns", "p");
    const b = makePod("ns", "p", (p) => {
      p.metadata.resourceVersion = "9";
      p.status.conditions = [{ type: "PodScheduled", status: "False" }];
    });
    expect(podSpecChanged(a, b)).toBe(false);
    expect(
      podSpecChanged(
        a,
        makePod("ns", "p", (p) => (p.spec.tolerations = [{ operator: "Exists" }])),
      ),
    ).toBe(true);
  });
});

describe("scheduler cache", () => {
  it("cache: an assumed pod is confirmed by the watch, kept over stale unbound updates, dropped on delete", () => {
    const cache = cacheOf([makeNode("a")]);
    const pod = makePod("ns", "p");
    cache.assume(pod, "a");
    expect(cache.isAssumed("ns/p")).toBe(true);
    cache.updatePod(pod); // an older, unbound version arriving late
    expect(cache.node("a")?.pods).toBe(1);
    cache.updatePod({ ...pod, spec: { ...pod.spec, nodeName: "a" } });
    expect(cache.isAssumed("ns/p")).toBe(false);
    expect(cache.node("a")?.pods).toBe(1);
    cache.updatePod({ ...pod, spec: { ...pod.spec, nodeName: "a" }, status: { phase: "Succeeded" } });
    expect(cache.node("a")?.pods).toBe(0);
  });

  it("cache: pods on a deleted node stay counted until they go", () => {
    const cache = cacheOf([makeNode("a")], [makePod("ns", "p", (p) => (p.spec.nodeName = "a"))]);
    cache.removeNode("a");
    expect(cache.nodes()).toEqual([]);
    cache.setNode(makeNode("a"));
    expect(cache.node("a")?.pods).toBe(1);
  });
});
