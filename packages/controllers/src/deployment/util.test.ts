import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import {
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  REVISION,
  REVISION_HISTORY,
  calculateStatus,
  computeHash,
  deploymentComplete,
  deploymentTimedOut,
  equalIgnoreHash,
  findActiveOrLatest,
  fnv32a,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  planNewReplicaSet,
  planOldReplicaSets,
  planProportionalScale,
  resolveFenceposts,
  safeEncodeString,
  setCondition,
  setNewReplicaSetAnnotations,
} from "./util.ts";

const ALPHABET = /^[bcdfghjklmnpqrstvwxz2456789]+$/;
const NOW = new Date("2025-01-01T12:00:00Z");

/** A RollingUpdate Deployment; mutate shows what differs. */
function makeDeployment(replicas: number, mutate: (d: KObject) => void = () => {}): KObject {
  const d: KObject = {
    metadata: { name: "foo", namespace: "ns1", uid: "d-uid", generation: 1, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: "foo" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: "foo" } },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      },
    },
    status: {},
  };
  mutate(d);
  return d;
}

function rolling(replicas: number, maxSurgeV: number | string, maxUnavailableV: number | string): KObject {
  return makeDeployment(replicas, (d) => {
    d["spec"]["strategy"]["rollingUpdate"] = { maxSurge: maxSurgeV, maxUnavailable: maxUnavailableV };
  });
}

/** A ReplicaSet of size replicas with availableReplicas available, created at minute t. */
function makeRS(
  name: string,
  replicas: number,
  available = replicas,
  t = 0,
  mutate: (rs: KObject) => void = () => {},
) {
  const rs: KObject = {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: new Date(t * 60_000).toISOString(),
      annotations: {},
    },
    spec: { replicas },
    status: { replicas, availableReplicas: available, readyReplicas: available },
  };
  mutate(rs);
  return rs;
}

describe("deployment: pod-template-hash", () => {
  it("deployment: FNV-32a and SafeEncodeString as upstream", () => {
    const enc = (s: string) => fnv32a(new TextEncoder().encode(s));
    expect(enc("")).toBe(0x811c9dc5);
    expect(enc("a")).toBe(0xe40c292c);
    expect(enc("foobar")).toBe(0xbf9cf968);
    // The digits of 2277756189 map to "66ccc9b5df", the shape of a real pod-template-hash.
    expect(safeEncodeString("2277756189")).toBe("66ccc9b5df");
  });

  it("deployment: the hash is stable, in the safe alphabet, and ignores key order and empty fields", () => {
    const t = makeDeployment(1)["spec"]["template"];
    const h = computeHash(t);
    expect(h).toMatch(ALPHABET);
    expect(h.length).toBeGreaterThanOrEqual(1);
    expect(h.length).toBeLessThanOrEqual(10);
    expect(computeHash(structuredClone(t))).toBe(h);
    const reordered = { spec: t["spec"], metadata: { annotations: {}, labels: { app: "foo" } } };
    expect(computeHash(reordered)).toBe(h);
    expect(computeHash(t, 1)).not.toBe(h);
    expect(computeHash(t, 0)).not.toBe(h);
    const changed = structuredClone(t);
    changed["spec"]["containers"][0]["image"] = "nginx:2";
    expect(computeHash(changed)).not.toBe(h);
  });

  it("deployment: the walkthrough's redis template hashes to 9 or 10 characters", () => {
    const redis = {
      metadata: { labels: { app: "redis", role: "Logstorage" } },
      spec: {
        containers: [
          { name: "redis", image: "redis:4.0-alpine", ports: [{ name: "redis", containerPort: 6379 }] },
        ],
      },
    };
    expect(computeHash(redis)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{9,10}$/);
  });

  it("deployment: templates are equal ignoring the hash label", () => {
    const t = makeDeployment(1)["spec"]["template"];
    const withHash = structuredClone(t);
    withHash["metadata"]["labels"]["pod-template-hash"] = "abc";
    expect(equalIgnoreHash(t, withHash)).toBe(true);
    withHash["metadata"]["labels"]["extra"] = "x";
    expect(equalIgnoreHash(t, withHash)).toBe(false);
  });
});

describe("deployment: fenceposts (ResolveFenceposts, MaxSurge, MaxUnavailable)", () => {
  it.each([
    ["0%", "0%", 0, 0, 1],
    ["39%", "39%", 10, 4, 3],
    [undefined, "39%", 10, 0, 3],
    ["39%", undefined, 10, 4, 0],
    [undefined, undefined, 10, 0, 1],
    ["25%", "25%", 10, 3, 2],
    ["25%", "25%", 1, 1, 0],
    [2, 0, 5, 2, 0],
  ] as const)(
    "deployment: maxSurge %s maxUnavailable %s of %i → %i, %i",
    (s, u, desired, surge, unavailable) => {
      expect(resolveFenceposts(s, u, desired)).toEqual({ surge, unavailable });
    },
  );

  it("deployment: bad values are errors", () => {
    expect(() => resolveFenceposts("oops", "39%", 10)).toThrow();
    expect(() => resolveFenceposts("55%", "urg", 10)).toThrow();
  });

  it("deployment: maxUnavailable is capped at replicas and 0 for Recreate or 0 replicas", () => {
    expect(maxUnavailable(rolling(10, 0, 5))).toBe(5);
    expect(maxUnavailable(rolling(10, 0, "50%"))).toBe(5);
    expect(maxUnavailable(rolling(5, 0, 10))).toBe(5);
    expect(maxUnavailable(rolling(0, 0, 10))).toBe(0);
    expect(maxUnavailable(rolling(10, 0, 0))).toBe(1);
    const recreate = makeDeployment(10, (d) => (d["spec"]["strategy"] = { type: "Recreate" }));
    expect(maxUnavailable(recreate)).toBe(0);
    expect(maxSurge(recreate)).toBe(0);
    expect(maxSurge(rolling(10, "25%", 0))).toBe(3);
  });
});

describe("deployment: rolling update arithmetic", () => {
  it.each([
    // replicas, maxSurge, new RS size, old RS size, expected new size
    ["cannot scale up past the surge", 1, 1, 5, 5, 5],
    ["scales up to spec.replicas", 6, 10, 2, 2, 6],
    ["surge percentage rounds up", 10, "25%", 0, 10, 3],
  ] as const)("deployment: newRSNewReplicas %s", (_n, replicas, surge, newSize, oldSize, expected) => {
    const d = rolling(replicas, surge, 0);
    const newRS = makeRS("new", newSize);
    expect(newRSNewReplicas(d, [newRS, makeRS("old", oldSize)], newRS)).toBe(expected);
  });

  it("deployment: Recreate sizes the new ReplicaSet to spec.replicas", () => {
    const d = makeDeployment(3, (x) => (x["spec"]["strategy"] = { type: "Recreate" }));
    expect(newRSNewReplicas(d, [makeRS("new", 1), makeRS("old", 1)], makeRS("new", 1))).toBe(3);
  });

  it("deployment: pods of an old ReplicaSet not yet scaled down count against the surge", () => {
    const d = rolling(3, 1, 0);
    const newRS = makeRS("new", 1);
    // Old was scaled from 3 to 2 but still has 3 pods: 1 + 3 = 4 = 3 + maxSurge.
    const old = makeRS("old", 2, 3, 0, (rs) => (rs["status"]["replicas"] = 3));
    expect(newRSNewReplicas(d, [newRS, old], newRS)).toBe(1);
  });

  it.each([
    // replicas, maxSurge, old size, new size, expected new size (undefined: no change)
    [10, 0, 10, 0, undefined],
    [10, 2, 10, 0, 2],
    [10, 2, 5, 0, 7],
    [10, 2, 10, 2, undefined],
    [10, 2, 2, 11, 10],
  ] as const)(
    "deployment: reconcileNewReplicaSet %i replicas, surge %i, old %i, new %i → %s",
    (r, s, o, n, want) => {
      const newRS = makeRS("foo-v2", n, 0);
      const oldRS = makeRS("foo-v1", o, 0);
      expect(planNewReplicaSet(rolling(r, s, 0), [newRS, oldRS], newRS)).toBe(want);
    },
  );

  it.each([
    // replicas, maxUnavailable, old size, new size, available old, available new, expected old size (undefined: none)
    [10, 0, 10, 0, 10, 0, 9],
    [10, 2, 10, 0, 10, 0, 8],
    [10, 2, 10, 0, 8, 0, 8],
    [10, 2, 10, 0, 9, 0, 8],
    [10, 2, 8, 2, 8, 0, undefined],
  ] as const)(
    "deployment: reconcileOldReplicaSets %i replicas, maxUnavailable %i, old %i, new %i, ready %i/%i → %s",
    (r, u, o, n, ro, rn, want) => {
      const newRS = makeRS("foo-new", n, rn, 1);
      const oldRS = makeRS("foo-old", o, ro, 0);
      const steps = planOldReplicaSets(rolling(r, 0, u), [oldRS, newRS], [oldRS], newRS);
      expect(steps.at(-1)?.replicas).toBe(want);
    },
  );

  it.each([
    // available old replicas, maxUnavailable (the cleanup budget), expected old sizes in order
    [8, 1, [9]],
    [8, 3, [8, 7]],
    [10, 3, [7]],
  ] as const)(
    "deployment: unhealthy old replicas go first (available %i, budget %i) → %j",
    (avail, budget, want) => {
      // 10 old, none new, maxSurge 0: 10 - maxUnavailable must stay available.
      const d = rolling(10, 0, budget);
      const oldRS = makeRS("foo-v1", 10, avail);
      const newRS = makeRS("foo-v2", 0, 0, 1);
      const steps = planOldReplicaSets(d, [oldRS, newRS], [oldRS], newRS);
      expect(steps.map((s) => s.replicas)).toEqual(want);
    },
  );

  it("deployment: an old ReplicaSet's available pods are capped at its size", () => {
    // Old scaled 3 -> 2 still reports 3 available; new has 2 available. With 3 needed, at most
    // 2 + 2 - 3 = 1 more may go, not 3 + 2 - 3 = 2.
    const d = rolling(3, 1, 0);
    const oldRS = makeRS("old", 2, 3, 0);
    const newRS = makeRS("new", 2, 2, 1);
    expect(planOldReplicaSets(d, [oldRS, newRS], [oldRS], newRS)).toEqual([{ name: "old", replicas: 1 }]);
  });

  it("deployment: scaling during a rollout is proportional (5 -> 10 and 5 -> 3)", () => {
    const sized = (name: string, n: number, t: number) =>
      makeRS(name, n, n, t, (rs) => {
        rs["metadata"]["annotations"] = { [DESIRED_REPLICAS]: "5", [MAX_REPLICAS]: "5" };
      });
    const up = planProportionalScale(rolling(10, 0, 1), [sized("foo-v2", 2, 1), sized("foo-v1", 3, 0)]);
    expect(up).toEqual({
      operation: "up",
      steps: [
        { name: "foo-v1", replicas: 6 },
        { name: "foo-v2", replicas: 4 },
      ],
    });
    const down = planProportionalScale(rolling(3, 0, 1), [sized("foo-v2", 2, 1), sized("foo-v1", 3, 0)]);
    expect(down).toEqual({
      operation: "down",
      steps: [
        { name: "foo-v1", replicas: 2 },
        { name: "foo-v2", replicas: 1 },
      ],
    });
  });

  it("deployment: the only active ReplicaSet, or the newest when none is active", () => {
    const a = makeRS("a", 0, 0, 0);
    const b = makeRS("b", 0, 0, 1);
    expect(findActiveOrLatest(undefined, [a, b])?.["metadata"]["name"]).toBe("b");
    expect(findActiveOrLatest(makeRS("n", 0, 0, 2), [a, b])?.["metadata"]["name"]).toBe("n");
    expect(findActiveOrLatest(makeRS("n", 1, 0, 2), [a, b])?.["metadata"]["name"]).toBe("n");
    expect(findActiveOrLatest(makeRS("n", 1, 0, 2), [makeRS("o", 1)])).toBeUndefined();
  });
});

describe("deployment: annotations, conditions, status", () => {
  it("deployment: a new ReplicaSet gets the revision, the replica annotations and the Deployment's annotations", () => {
    const d = rolling(3, 1, 0);
    d["metadata"]["annotations"] = {
      "kubernetes.io/change-cause": "v2",
      "kubectl.kubernetes.io/last-applied-configuration": "{}",
      [REVISION]: "1",
    };
    const rs: KObject = { metadata: {} };
    expect(setNewReplicaSetAnnotations(d, rs, 2, false)).toBe(true);
    expect(rs["metadata"]["annotations"]).toEqual({
      "kubernetes.io/change-cause": "v2",
      [REVISION]: "2",
      [DESIRED_REPLICAS]: "3",
      [MAX_REPLICAS]: "4",
    });
    expect(setNewReplicaSetAnnotations(d, rs, 2, true)).toBe(false);
  });

  it("deployment: a ReplicaSet rolled back to keeps its old revisions in revision-history", () => {
    const d = rolling(3, 1, 0);
    const rs: KObject = { metadata: { annotations: { [REVISION]: "1" } } };
    setNewReplicaSetAnnotations(d, rs, 3, true);
    setNewReplicaSetAnnotations(d, rs, 5, true);
    expect(rs["metadata"]["annotations"][REVISION]).toBe("5");
    expect(rs["metadata"]["annotations"][REVISION_HISTORY]).toBe("1,3");
  });

  it("deployment: setCondition keeps lastTransitionTime when only the reason changes", () => {
    const status: KObject = {};
    const at = (s: string) => ({ lastUpdateTime: s, lastTransitionTime: s });
    setCondition(status, { type: "Progressing", status: "True", reason: "A", ...at("t1") });
    setCondition(status, { type: "Available", status: "True", reason: "X", ...at("t1") });
    setCondition(status, { type: "Progressing", status: "True", reason: "A", ...at("t2") });
    expect(status["conditions"][0]["lastUpdateTime"]).toBe("t1");
    setCondition(status, { type: "Progressing", status: "True", reason: "B", ...at("t3") });
    expect(status["conditions"].map((c: KObject) => c["type"])).toEqual(["Available", "Progressing"]);
    expect(status["conditions"][1]).toMatchObject({
      reason: "B",
      lastUpdateTime: "t3",
      lastTransitionTime: "t1",
    });
  });

  it("deployment: status sums the ReplicaSets and reports minimum availability", () => {
    const d = rolling(3, 1, 1);
    const newRS = makeRS("new", 2, 1, 1);
    const oldRS = makeRS("old", 2, 2, 0);
    const status = calculateStatus([oldRS, newRS], newRS, d, NOW);
    expect(status).toMatchObject({
      observedGeneration: 1,
      replicas: 4,
      updatedReplicas: 2,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 1,
    });
    expect(status["conditions"]).toEqual([
      {
        type: "Available",
        status: "True",
        reason: "MinimumReplicasAvailable",
        message: "Deployment has minimum availability.",
        lastUpdateTime: "2025-01-01T12:00:00Z",
        lastTransitionTime: "2025-01-01T12:00:00Z",
      },
    ]);
    expect(deploymentComplete(d, status)).toBe(false);
    const done = calculateStatus([makeRS("new", 3, 3)], makeRS("new", 3, 3), d, NOW);
    expect(deploymentComplete(d, done)).toBe(true);
  });

  it("deployment: a rollout times out progressDeadlineSeconds after its last progress", () => {
    const d = rolling(3, 1, 0);
    d["spec"]["progressDeadlineSeconds"] = 10;
    const cond = (reason: string, t: string) => ({
      conditions: [{ type: "Progressing", status: "True", reason, lastUpdateTime: t, lastTransitionTime: t }],
    });
    expect(deploymentTimedOut(d, cond("ReplicaSetUpdated", "2025-01-01T11:59:55Z"), NOW)).toBe(false);
    expect(deploymentTimedOut(d, cond("ReplicaSetUpdated", "2025-01-01T11:59:49Z"), NOW)).toBe(true);
    expect(deploymentTimedOut(d, cond("NewReplicaSetAvailable", "2025-01-01T10:00:00Z"), NOW)).toBe(false);
  });
});
