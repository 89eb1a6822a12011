import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { ControllerExpectations, slowStartBatch } from "./expectations.ts";
import {
  compareForDeletion,
  deletionCost,
  isPodActive,
  isPodAvailable,
  podFromTemplate,
  podsToDelete,
  type RankedPod,
} from "./pods.ts";
import { calculateStatus, sameStatus } from "./status.ts";

const NOW = new Date("2025-01-01T12:00:00Z");
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** A running, ready pod on node-1 created an hour ago; mutate shows what differs. */
function makePod(name: string, mutate: (p: KObject) => void = () => {}): KObject {
  const p: KObject = {
    metadata: {
      name,
      namespace: "ns1",
      uid: `uid-${name}`,
      creationTimestamp: ago(3600),
      labels: { app: "web" },
    },
    spec: { nodeName: "node-1", containers: [{ name: "c", image: "nginx" }] },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: ago(3000) }],
      containerStatuses: [{ name: "c", restartCount: 0 }],
    },
  };
  mutate(p);
  return p;
}

const unready = (p: KObject) => {
  p["status"]["conditions"] = [{ type: "Ready", status: "False", lastTransitionTime: ago(10) }];
};

/** Sorts pods for deletion with the given ranks (default 0) and returns their names. */
function order(pods: KObject[], ranks: number[] = []): string[] {
  const ranked: RankedPod[] = pods.map((pod, i) => ({ pod, rank: ranks[i] ?? 0 }));
  return ranked.sort((a, b) => compareForDeletion(a, b, NOW)).map((r) => r.pod["metadata"]["name"]);
}

describe("replicaset: pods to delete first (ActivePodsWithRanks)", () => {
  it("replicaset: unscheduled pods go before scheduled ones", () => {
    const a = makePod("scheduled");
    const b = makePod("unscheduled", (p) => {
      delete p["spec"]["nodeName"];
      p["status"] = { phase: "Pending" };
    });
    expect(order([a, b])).toEqual(["unscheduled", "scheduled"]);
  });

  it("replicaset: Pending before Unknown before Running", () => {
    const running = makePod("running");
    const unknown = makePod("unknown", (p) => (p["status"]["phase"] = "Unknown"));
    const pending = makePod("pending", (p) => (p["status"]["phase"] = "Pending"));
    expect(order([running, unknown, pending])).toEqual(["pending", "unknown", "running"]);
  });

  it("replicaset: not ready before ready", () => {
    expect(order([makePod("ready"), makePod("notready", unready)])).toEqual(["notready", "ready"]);
  });

  it("replicaset: lower pod-deletion-cost first, invalid costs count as 0", () => {
    const cost = (v: string) => (p: KObject) => {
      p["metadata"]["annotations"] = { "controller.kubernetes.io/pod-deletion-cost": v };
    };
    const pods = [makePod("high", cost("100")), makePod("low", cost("-5")), makePod("bad", cost("x"))];
    expect(order(pods)).toEqual(["low", "bad", "high"]);
    expect(deletionCost(makePod("big", cost("9999999999")))).toBe(0);
  });

  it("replicaset: doubled-up pods (higher rank) go first", () => {
    expect(order([makePod("alone"), makePod("crowded")], [1, 3])).toEqual(["crowded", "alone"]);
  });

  it("replicaset: ready for less time first, on a log scale with uid as tie-breaker", () => {
    const readyFor = (s: number) => (p: KObject) => {
      p["status"]["conditions"][0]["lastTransitionTime"] = ago(s);
    };
    // 10 s and 3000 s are far apart on a log2 scale.
    expect(order([makePod("old", readyFor(3000)), makePod("new", readyFor(10))])).toEqual(["new", "old"]);
    // 3000 s and 3001 s share a log2 bucket: the uid decides ("uid-a" < "uid-b").
    expect(order([makePod("b", readyFor(3000)), makePod("a", readyFor(3001))])).toEqual(["a", "b"]);
  });

  it("replicaset: more restarts first, then newer first", () => {
    const restarts = makePod("restarts", (p) => (p["status"]["containerStatuses"][0]["restartCount"] = 4));
    expect(order([makePod("calm"), restarts])).toEqual(["restarts", "calm"]);
    const created = (s: number) => (p: KObject) => {
      p["metadata"]["creationTimestamp"] = ago(s);
      p["status"]["conditions"] = [];
    };
    expect(order([makePod("older", created(100_000)), makePod("newer", created(100))])).toEqual([
      "newer",
      "older",
    ]);
  });

  it("replicaset: podsToDelete ranks by active related pods on the same node", () => {
    const on = (node: string) => (p: KObject) => (p["spec"]["nodeName"] = node);
    const mine = [makePod("a", on("node-1")), makePod("b", on("node-2"))];
    // A sibling ReplicaSet's pods crowd node-2: b goes first.
    const related = [...mine, makePod("x", on("node-2")), makePod("y", on("node-2"))];
    expect(podsToDelete(mine, related, 1, NOW).map((p) => p["metadata"]["name"])).toEqual(["b"]);
    // Deleting all of them needs no order.
    expect(podsToDelete(mine, related, 2, NOW)).toHaveLength(2);
  });
});

describe("replicaset: pod helpers", () => {
  it("replicaset: pods being deleted or finished are not active", () => {
    expect(isPodActive(makePod("p"))).toBe(true);
    expect(isPodActive(makePod("p", (p) => (p["metadata"]["deletionTimestamp"] = ago(1))))).toBe(false);
    expect(isPodActive(makePod("p", (p) => (p["status"]["phase"] = "Succeeded")))).toBe(false);
    expect(isPodActive(makePod("p", (p) => (p["status"]["phase"] = "Failed")))).toBe(false);
  });

  it("replicaset: available once ready for more than minReadySeconds", () => {
    const p = makePod("p", (x) => (x["status"]["conditions"][0]["lastTransitionTime"] = ago(10)));
    expect(isPodAvailable(p, 0, NOW)).toBe(true);
    expect(isPodAvailable(p, 9, NOW)).toBe(true);
    expect(isPodAvailable(p, 10, NOW)).toBe(false);
    expect(isPodAvailable(makePod("u", unready), 0, NOW)).toBe(false);
  });

  it("replicaset: a pod from a template gets generateName, labels, annotations and the controller ref", () => {
    const ref = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "u1", controller: true };
    const pod = podFromTemplate(
      {
        metadata: { labels: { app: "web" }, annotations: { a: "b" } },
        spec: { containers: [{ name: "c" }] },
      },
      "web-abc",
      ref,
    );
    expect(pod).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: "web-abc-",
        labels: { app: "web" },
        annotations: { a: "b" },
        ownerReferences: [ref],
      },
      spec: { containers: [{ name: "c" }] },
    });
  });
});

describe("replicaset: status", () => {
  const rs: KObject = {
    metadata: { name: "web", generation: 2 },
    spec: {
      replicas: 3,
      minReadySeconds: 30,
      template: { metadata: { labels: { app: "web", tier: "fe" } } },
    },
    status: { replicas: 0, observedGeneration: 1 },
  };

  it("replicaset: counts fully labeled, ready and available pods", () => {
    const pods = [
      makePod("a", (p) => (p["metadata"]["labels"] = { app: "web", tier: "fe" })),
      makePod("b", (p) => (p["status"]["conditions"][0]["lastTransitionTime"] = ago(5))),
      makePod("c", unready),
    ];
    expect(calculateStatus(rs, pods, undefined, NOW)).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 1,
      readyReplicas: 2,
      availableReplicas: 1,
      observedGeneration: 1,
    });
  });

  it("replicaset: a failed create sets ReplicaFailure FailedCreate, success clears it", () => {
    const failed = calculateStatus(rs, [], "pods is forbidden: quota", NOW);
    expect(failed["conditions"]).toEqual([
      {
        type: "ReplicaFailure",
        status: "True",
        lastTransitionTime: "2025-01-01T12:00:00Z",
        reason: "FailedCreate",
        message: "pods is forbidden: quota",
      },
    ]);
    const cleared = calculateStatus({ ...rs, status: failed }, [], undefined, NOW);
    expect(cleared["conditions"]).toBeUndefined();
    expect(sameStatus({ replicas: 0, readyReplicas: 0 }, { replicas: 0 })).toBe(true);
  });
});

describe("replicaset: expectations", () => {
  it("replicaset: a sync waits until its creations and deletions are observed", () => {
    let now = 0;
    const e = new ControllerExpectations(() => now, 1000);
    expect(e.satisfied("ns/rs")).toBe(true);
    e.expectCreations("ns/rs", 2);
    expect(e.satisfied("ns/rs")).toBe(false);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(false);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(true);
    e.expectDeletions("ns/rs", ["ns/a", "ns/b"]);
    e.deletionObserved("ns/rs", "ns/a");
    e.deletionObserved("ns/rs", "ns/a");
    expect(e.satisfied("ns/rs")).toBe(false);
    now = 1001;
    expect(e.satisfied("ns/rs")).toBe(true);
  });

  it("replicaset: slow start creates in batches of 1, 2, 4 and stops at the first failing batch", async () => {
    let calls = 0;
    const ok = await slowStartBatch(7, 1, async () => {
      calls++;
    });
    expect(ok).toEqual({ successes: 7, error: undefined });
    expect(calls).toBe(7);
    calls = 0;
    const failing = await slowStartBatch(10, 1, async () => {
      calls++;
      if (calls > 2) throw new Error("quota");
    });
    // Batches 1 and 2 run (3 calls); the second batch has one failure, so the batch of 4 never runs.
    expect(calls).toBe(3);
    expect(failing.successes).toBe(2);
    expect(String(failing.error)).toBe("Error: quota");
  });
});
