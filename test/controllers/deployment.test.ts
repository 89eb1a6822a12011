/**
 * The Deployment controller (with the ReplicaSet controller) on the real path: nats-server,
 * `kemu apiserver` and `kemu controller-manager` processes, real kubectl (apply, scale, set image,
 * rollout status/restart/undo/history/pause/resume), fake nodes and kubelet. Pods are bound by a
 * tiny binder here, so the suite does not depend on the scheduler (if it runs too, whichever
 * binds first wins).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { ApiClient, Informer, R, type KObject } from "@kemu/controllers";
import { FakeKubelet, TestClient, createNode, renewLease } from "../fakes.ts";
import { TestCluster, fixture, uniqueNamespace } from "../harness.ts";

const NODES = ["node-1", "node-2"];
const HASH = "[bcdfghjklmnpqrstvwxz2456789]";

/** Binds pending pods (default scheduler, or kemu-test) to the nodes in turn. */
class Binder {
  readonly #api: ApiClient;
  readonly #informer: Informer;
  #next = 0;

  private constructor(api: ApiClient) {
    this.#api = api;
    this.#informer = new Informer(api, R.pods, new TestLog().logger("binder"));
  }

  static async start(api: ApiClient): Promise<Binder> {
    const b = new Binder(api);
    b.#informer.addHandlers({ add: (p) => b.#bind(p), update: (_o, p) => b.#bind(p) });
    await b.#informer.start();
    return b;
  }

  #bind(pod: KObject): void {
    const md = pod["metadata"];
    if (pod["spec"]["nodeName"] || md["deletionTimestamp"]) return;
    const scheduler = pod["spec"]["schedulerName"] ?? "default-scheduler";
    if (scheduler !== "default-scheduler" && scheduler !== "kemu-test") return;
    const node = NODES[this.#next++ % NODES.length]!;
    void this.#api
      .createSubresource(R.pods, md["namespace"], md["name"], "binding", {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: md["name"], uid: md["uid"] },
        target: { apiVersion: "v1", kind: "Node", name: node },
      })
      .catch(() => {}); // bound already (maybe by the scheduler), or gone
  }

  stop(): void {
    this.#informer.stop();
  }
}

/**
 * Watches a namespace's pods and checks an invariant after every change the watch delivers (a
 * consistent prefix of the store's history); remembers every violation.
 */
class PodWatch {
  readonly violations: string[] = [];
  readonly #informer: Informer;

  private constructor(api: ApiClient, ns: string, check: (pods: KObject[]) => string | undefined) {
    this.#informer = new Informer(api, R.pods, new TestLog().logger("watch"), { namespace: ns });
    const run = () => {
      // The initial list arrives one object at a time: check only complete states.
      if (!this.#informer.hasSynced) return;
      const v = check(this.#informer.list());
      if (v) this.violations.push(v);
    };
    this.#informer.addHandlers({ add: run, update: run, delete: run });
  }

  static async start(api: ApiClient, ns: string, check: (pods: KObject[]) => string | undefined) {
    const w = new PodWatch(api, ns, check);
    await w.#informer.start();
    return w;
  }

  stop(): void {
    this.#informer.stop();
  }
}

let c: TestCluster;
let client: TestClient;
let api: ApiClient;
let kubelet: FakeKubelet;
let binder: Binder;
let heartbeat: NodeJS.Timeout;

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  client = await TestClient.connect(c);
  api = client.api;
  for (const [i, n] of NODES.entries()) await createNode(api, n, { index: i + 1 });
  // Keep the nodes' leases fresh so node lifecycle never marks them (and their pods) not ready.
  heartbeat = setInterval(() => NODES.forEach((n) => void renewLease(api, n).catch(() => {})), 5_000);
  kubelet = await FakeKubelet.start(api, { "node-1": 1, "node-2": 2 });
  binder = await Binder.start(api);
});

afterAll(async () => {
  clearInterval(heartbeat);
  binder?.stop();
  await kubelet?.stop();
  await client?.close();
  await c?.stop();
});

/** Polls fn every 100 ms until it returns something truthy, for at most timeoutMs. */
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${c.apiserverLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function newNamespace(prefix: string): Promise<string> {
  const name = uniqueNamespace(prefix);
  await c.kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
  });
  return name;
}

/** A Deployment of pods app=<name>; mutate shows what differs. */
function makeDeployment(name: string, replicas: number, mutate: (d: KObject) => void = () => {}): KObject {
  const d: KObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "web", image: "nginx:1" }] },
      },
    },
  };
  mutate(d);
  return d;
}

function strategy(maxSurge: number | string, maxUnavailable: number | string) {
  return (d: KObject) => {
    d["spec"]["strategy"] = { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } };
  };
}

async function apply(ns: string, obj: KObject): Promise<string> {
  return c.kubectlOk(["apply", "-n", ns, "-f", "-"], { input: JSON.stringify(obj) });
}

async function rolloutStatus(ns: string, name: string): Promise<void> {
  const out = await c.kubectlOk(["rollout", "status", `deployment/${name}`, "-n", ns, "--timeout=60s"]);
  expect(out).toMatch(new RegExp(`deployment "${name}" successfully rolled out\\n$`));
}

async function pods(ns: string): Promise<KObject[]> {
  return (await api.list(R.pods, ns))["items"] as KObject[];
}

async function replicaSets(ns: string): Promise<KObject[]> {
  return (await api.list(R.replicasets, ns))["items"] as KObject[];
}

async function deployment(ns: string, name: string): Promise<KObject> {
  return (await api.get(R.deployments, ns, name))!;
}

const isActive = (p: KObject) => !p["metadata"]["deletionTimestamp"];
const isReady = (p: KObject) =>
  isActive(p) &&
  ((p["status"]?.["conditions"] ?? []) as KObject[]).some(
    (x) => x["type"] === "Ready" && x["status"] === "True",
  );
const imageOf = (o: KObject) => (o["spec"]["template"] ?? o)["spec"]["containers"][0]["image"];
const hashOf = (o: KObject) => o["metadata"]["labels"]?.["pod-template-hash"];
const ann = (o: KObject, k: string) => o["metadata"]["annotations"]?.[k];
const condition = (d: KObject, type: string) =>
  ((d["status"]?.["conditions"] ?? []) as KObject[]).find((x) => x["type"] === type);

/** Waits until the namespace holds exactly n pods, all running from one ReplicaSet; returns it and them. */
async function converged(ns: string, name: string, n: number): Promise<{ rs: KObject; pods: KObject[] }> {
  return waitFor(`${n} running pods of one ReplicaSet in ${ns}`, async () => {
    const d = await deployment(ns, name);
    const rss = await replicaSets(ns);
    const live = rss.filter((rs) => rs["spec"]["replicas"] > 0);
    const ps = await pods(ns);
    if (live.length !== 1 || ps.length !== n || !ps.every((p) => p["status"]?.["phase"] === "Running"))
      return;
    const rs = live[0]!;
    const ok =
      rs["spec"]["replicas"] === n &&
      rs["status"]?.["availableReplicas"] === n &&
      d["status"]?.["observedGeneration"] === d["metadata"]["generation"] &&
      d["status"]?.["updatedReplicas"] === n &&
      d["status"]?.["replicas"] === n &&
      rss.every((x) => x["metadata"]["name"] === rs["metadata"]["name"] || !x["status"]?.["replicas"]);
    return ok ? { rs, pods: ps } : undefined;
  });
}

describe("deployment controller", () => {
  it("deployment: walkthrough step 1, redis runs as redis-<hash>-<id>, 1/1 Running with an IP and a node", async () => {
    const out = await c.kubectlOk(["apply", "-f", fixture("redis.yaml")]);
    expect(out).toBe("deployment.apps/redis created\n");
    await rolloutStatus("default", "redis");
    const wide = await c.kubectlOk(["get", "pods", "-o", "wide"]);
    expect(wide).toMatch(
      new RegExp(
        `^NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\s+IP\\s+NODE\\s+NOMINATED NODE\\s+READINESS GATES\\n` +
          `redis-${HASH}{9,10}-${HASH}{5}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+10\\.244\\.[12]\\.\\d+\\s+node-[12]\\s+<none>\\s+<none>\\n$`,
      ),
    );
    const [rs] = await replicaSets("default");
    const hash = hashOf(rs!);
    expect(rs!["metadata"]["name"]).toBe(`redis-${hash}`);
    expect(rs!["spec"]["selector"]["matchLabels"]).toEqual({
      app: "redis",
      role: "Logstorage",
      "pod-template-hash": hash,
    });
    expect(rs!["metadata"]["annotations"]).toEqual({
      "deployment.kubernetes.io/desired-replicas": "1",
      "deployment.kubernetes.io/max-replicas": "2",
      "deployment.kubernetes.io/revision": "1",
    });
    const d = await deployment("default", "redis");
    expect(rs!["metadata"]["ownerReferences"]).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "redis",
        uid: d["metadata"]["uid"],
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(ann(d, "deployment.kubernetes.io/revision")).toBe("1");
    const [pod] = await pods("default");
    expect(hashOf(pod!)).toBe(hash);
    expect(await c.kubectlOk(["get", "deployment", "redis"])).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nredis\s+1\/1\s+1\s+1\s+\S+\n$/,
    );
    expect(d["metadata"]["generation"]).toBe(1);
    expect(d["status"]).toMatchObject({
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    expect(condition(d, "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(condition(d, "Progressing")).toMatchObject({
      status: "True",
      reason: "NewReplicaSetAvailable",
      message: `ReplicaSet "redis-${hash}" has successfully progressed.`,
    });
    const events = await waitFor("ScalingReplicaSet event", async () => {
      const evs = (await api.list(R.events, "default", { fieldSelector: "reason=ScalingReplicaSet" }))[
        "items"
      ];
      return evs.length > 0 ? (evs as KObject[]) : undefined;
    });
    expect(events.map((e) => [e["message"], e["source"]["component"], e["involvedObject"]["name"]])).toEqual([
      [`Scaled up replica set redis-${hash} from 0 to 1`, "deployment-controller", "redis"],
    ]);
  });

  it("deployment: kubectl scale resizes the ReplicaSet through the scale subresource", async () => {
    const ns = await newNamespace("dep-scale");
    await apply(ns, makeDeployment("web", 2));
    await rolloutStatus(ns, "web");
    expect(await c.kubectlOk(["scale", "deployment/web", "-n", ns, "--replicas=5"])).toBe(
      "deployment.apps/web scaled\n",
    );
    await rolloutStatus(ns, "web");
    const { rs } = await converged(ns, "web", 5);
    expect(ann(rs, "deployment.kubernetes.io/desired-replicas")).toBe("5");
    expect(ann(rs, "deployment.kubernetes.io/max-replicas")).toBe("7");
    await c.kubectlOk(["scale", "deployment/web", "-n", ns, "--replicas=1"]);
    await converged(ns, "web", 1);
    const name = rs["metadata"]["name"];
    await waitFor("scaling events", async () => {
      const evs = (await api.list(R.events, ns, { fieldSelector: "reason=ScalingReplicaSet" }))[
        "items"
      ] as KObject[];
      const msgs = evs.map((e) => e["message"]).sort();
      const want = [
        `Scaled down replica set ${name} from 5 to 1`,
        `Scaled up replica set ${name} from 0 to 2`,
        `Scaled up replica set ${name} from 2 to 5`,
      ];
      return JSON.stringify(msgs) === JSON.stringify(want);
    });
  });

  it.each([
    ["maxSurge 1, maxUnavailable 1", 4, 1, 1, 5, 3],
    ["maxSurge 2, maxUnavailable 0", 4, 2, 0, 6, 4],
    ["maxSurge 0, maxUnavailable 40%", 5, 0, "40%", 5, 3],
    ["maxSurge 25%, maxUnavailable 25%", 6, "25%", "25%", 8, 5],
  ] as const)(
    "deployment: a rolling update with %s never exceeds its bounds",
    async (_name, replicas, surge, unavailable, maxPods, minReady) => {
      const ns = await newNamespace("dep-rolling");
      await apply(ns, makeDeployment("web", replicas, strategy(surge, unavailable)));
      await rolloutStatus(ns, "web");
      let peak = 0;
      let low = Infinity;
      const watch = await PodWatch.start(api, ns, (ps) => {
        const active = ps.filter(isActive).length;
        const ready = ps.filter(isReady).length;
        peak = Math.max(peak, active);
        low = Math.min(low, ready);
        if (active > maxPods) return `${active} pods > ${maxPods}`;
        if (ready < minReady) return `${ready} ready pods < ${minReady}`;
        return undefined;
      });
      try {
        const set = await c.kubectlOk(["set", "image", "deployment/web", "web=nginx:2", "-n", ns]);
        expect(set).toBe("deployment.apps/web image updated\n");
        await rolloutStatus(ns, "web");
        const { rs, pods: ps } = await converged(ns, "web", replicas);
        expect(imageOf(rs)).toBe("nginx:2");
        expect(ps.every((p) => hashOf(p) === hashOf(rs))).toBe(true);
      } finally {
        watch.stop();
      }
      expect(watch.violations).toEqual([]);
      // The rollout used its room: it surged or went below full strength.
      expect(peak > replicas || low < replicas).toBe(true);
      const d = await deployment(ns, "web");
      expect(ann(d, "deployment.kubernetes.io/revision")).toBe("2");
      const revisions = (await replicaSets(ns)).map((x) => [
        imageOf(x),
        ann(x, "deployment.kubernetes.io/revision"),
      ]);
      expect(revisions.sort()).toEqual([
        ["nginx:1", "1"],
        ["nginx:2", "2"],
      ]);
    },
  );

  it("deployment: Recreate removes every old pod before the first new one", async () => {
    const ns = await newNamespace("dep-recreate");
    await apply(
      ns,
      makeDeployment("web", 3, (d) => (d["spec"]["strategy"] = { type: "Recreate" })),
    );
    await rolloutStatus(ns, "web");
    const watch = await PodWatch.start(api, ns, (ps) => {
      const images = new Set(ps.map((p) => p["spec"]["containers"][0]["image"]));
      return images.size > 1
        ? `old and new pods together: ${ps.map((p) => p["metadata"]["name"])}`
        : undefined;
    });
    try {
      await c.kubectlOk(["set", "image", "deployment/web", "web=nginx:2", "-n", ns]);
      await rolloutStatus(ns, "web");
      const { rs } = await converged(ns, "web", 3);
      expect(imageOf(rs)).toBe("nginx:2");
    } finally {
      watch.stop();
    }
    expect(watch.violations).toEqual([]);
  });

  it("deployment: kubectl rollout restart, history and undo", async () => {
    const ns = await newNamespace("dep-undo");
    await apply(ns, makeDeployment("web", 2));
    await rolloutStatus(ns, "web");
    const first = (await converged(ns, "web", 2)).rs;

    expect(await c.kubectlOk(["rollout", "restart", "deployment/web", "-n", ns])).toBe(
      "deployment.apps/web restarted\n",
    );
    await rolloutStatus(ns, "web");
    const second = (await converged(ns, "web", 2)).rs;
    expect(second["metadata"]["name"]).not.toBe(first["metadata"]["name"]);
    expect(
      second["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
    ).toBeTruthy();
    expect(ann(second, "deployment.kubernetes.io/revision")).toBe("2");

    const history = await c.kubectlOk(["rollout", "history", "deployment/web", "-n", ns]);
    expect(history).toMatch(/^deployment\.apps\/web \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n\n$/);

    expect(await c.kubectlOk(["rollout", "undo", "deployment/web", "-n", ns])).toBe(
      "deployment.apps/web rolled back\n",
    );
    await rolloutStatus(ns, "web");
    const { rs: back, pods: ps } = await converged(ns, "web", 2);
    expect(back["metadata"]["name"]).toBe(first["metadata"]["name"]);
    expect(ann(back, "deployment.kubernetes.io/revision")).toBe("3");
    expect(ann(back, "deployment.kubernetes.io/revision-history")).toBe("1");
    expect(ps.every((p) => hashOf(p) === hashOf(first))).toBe(true);
    const d = await deployment(ns, "web");
    expect(ann(d, "deployment.kubernetes.io/revision")).toBe("3");
    expect(
      d["spec"]["template"]["metadata"]["annotations"]?.["kubectl.kubernetes.io/restartedAt"],
    ).toBeUndefined();
    // Undo again goes back to the restarted template.
    await c.kubectlOk(["rollout", "undo", "deployment/web", "-n", ns]);
    await rolloutStatus(ns, "web");
    expect((await converged(ns, "web", 2)).rs["metadata"]["name"]).toBe(second["metadata"]["name"]);
  });

  it("deployment: old ReplicaSets beyond revisionHistoryLimit are deleted", async () => {
    const ns = await newNamespace("dep-history");
    await apply(
      ns,
      makeDeployment("web", 1, (d) => (d["spec"]["revisionHistoryLimit"] = 2)),
    );
    await rolloutStatus(ns, "web");
    for (let v = 2; v <= 5; v++) {
      await c.kubectlOk(["set", "image", "deployment/web", `web=nginx:${v}`, "-n", ns]);
      await rolloutStatus(ns, "web");
    }
    const kept = await waitFor("3 ReplicaSets left", async () => {
      const rss = await replicaSets(ns);
      return rss.length === 3 ? rss : undefined;
    });
    expect(kept.map((rs) => [ann(rs, "deployment.kubernetes.io/revision"), imageOf(rs)]).sort()).toEqual([
      ["3", "nginx:3"],
      ["4", "nginx:4"],
      ["5", "nginx:5"],
    ]);
  });

  it("deployment: a paused Deployment makes no new ReplicaSet until resumed", async () => {
    const ns = await newNamespace("dep-pause");
    await apply(ns, makeDeployment("web", 2));
    await rolloutStatus(ns, "web");
    expect(await c.kubectlOk(["rollout", "pause", "deployment/web", "-n", ns])).toBe(
      "deployment.apps/web paused\n",
    );
    await c.kubectlOk(["set", "image", "deployment/web", "web=nginx:2", "-n", ns]);
    // Once the controller has observed the new generation, it has decided: nothing rolls.
    const d = await waitFor("paused generation observed", async () => {
      const x = await deployment(ns, "web");
      return x["status"]?.["observedGeneration"] === x["metadata"]["generation"] &&
        condition(x, "Progressing")?.["reason"] === "DeploymentPaused"
        ? x
        : undefined;
    });
    expect(condition(d, "Progressing")).toMatchObject({ status: "Unknown", message: "Deployment is paused" });
    expect((await replicaSets(ns)).map(imageOf)).toEqual(["nginx:1"]);
    // A paused Deployment still scales.
    await c.kubectlOk(["scale", "deployment/web", "-n", ns, "--replicas=3"]);
    await waitFor("3 pods", async () => (await pods(ns)).filter(isReady).length === 3);
    expect(await c.kubectlOk(["rollout", "resume", "deployment/web", "-n", ns])).toBe(
      "deployment.apps/web resumed\n",
    );
    await rolloutStatus(ns, "web");
    expect(imageOf((await converged(ns, "web", 3)).rs)).toBe("nginx:2");
  });

  it("deployment: no progress for progressDeadlineSeconds is ProgressDeadlineExceeded", async () => {
    const ns = await newNamespace("dep-stuck");
    // Nobody schedules these pods: they stay Pending.
    await apply(
      ns,
      makeDeployment("stuck", 2, (d) => {
        d["spec"]["progressDeadlineSeconds"] = 2;
        d["spec"]["template"]["spec"]["schedulerName"] = "nobody";
      }),
    );
    const r = await c.kubectl(["rollout", "status", "deployment/stuck", "-n", ns, "--timeout=30s"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: deployment "stuck" exceeded its progress deadline\n');
    const d = await deployment(ns, "stuck");
    const [rs] = await replicaSets(ns);
    expect(condition(d, "Progressing")).toMatchObject({
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: `ReplicaSet "${rs!["metadata"]["name"]}" has timed out progressing.`,
    });
    expect(condition(d, "Available")).toMatchObject({
      status: "False",
      reason: "MinimumReplicasUnavailable",
      message: "Deployment does not have minimum availability.",
    });
    expect(d["status"]).toMatchObject({ replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    expect(d["status"]["availableReplicas"]).toBeUndefined();
  });

  it("deployment: an orphaned ReplicaSet is adopted back without new pods", async () => {
    const ns = await newNamespace("dep-adopt");
    await apply(ns, makeDeployment("web", 2));
    await rolloutStatus(ns, "web");
    const before = await converged(ns, "web", 2);
    const rsName = before.rs["metadata"]["name"];
    await c.kubectlOk([
      "patch",
      "rs",
      rsName,
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"ownerReferences":null}}',
    ]);
    const d = await deployment(ns, "web");
    await waitFor("ReplicaSet adopted", async () => {
      const rs = await api.get(R.replicasets, ns, rsName);
      return rs?.["metadata"]["ownerReferences"]?.[0]?.["uid"] === d["metadata"]["uid"];
    });
    const after = await converged(ns, "web", 2);
    expect(after.pods.map((p) => p["metadata"]["name"]).sort()).toEqual(
      before.pods.map((p) => p["metadata"]["name"]).sort(),
    );
    expect(await replicaSets(ns)).toHaveLength(1);
  });

  it("deployment: SIGKILLed during rolling updates, the controller manager converges with no duplicates or orphans", async () => {
    const ns = await newNamespace("dep-restart");
    const replicas = 8;
    await apply(ns, makeDeployment("web", replicas, strategy(2, 1)));
    await rolloutStatus(ns, "web");
    const kill = async () => {
      await c.stopControllers("SIGKILL");
      await c.startControllers();
    };
    for (const image of ["nginx:2", "nginx:3"]) {
      await c.kubectlOk(["set", "image", "deployment/web", `web=${image}`, "-n", ns]);
      await waitFor("the new ReplicaSet", async () =>
        (await replicaSets(ns)).some((rs) => imageOf(rs) === image),
      );
      await kill();
      await waitFor("new pods", async () => (await pods(ns)).filter((p) => imageOf(p) === image).length >= 2);
      await kill();
      await waitFor("old pods going", async () => {
        const old = (await pods(ns)).filter((p) => imageOf(p) !== image && isActive(p));
        return old.length < replicas - 2;
      });
      await kill();
      await rolloutStatus(ns, "web");
      const d = await deployment(ns, "web");
      const { rs, pods: ps } = await converged(ns, "web", replicas);
      expect(imageOf(rs)).toBe(image);
      expect(new Set(ps.map((p) => p["metadata"]["name"])).size).toBe(replicas);
      for (const p of ps) {
        expect(imageOf(p)).toBe(image);
        expect(hashOf(p)).toBe(hashOf(rs));
        expect(p["metadata"]["ownerReferences"]).toEqual([
          expect.objectContaining({ kind: "ReplicaSet", uid: rs["metadata"]["uid"], controller: true }),
        ]);
      }
      const rss = await replicaSets(ns);
      // One ReplicaSet per template, every one owned by the Deployment, only the new one with pods.
      expect(new Set(rss.map(imageOf)).size).toBe(rss.length);
      for (const x of rss) {
        expect(x["metadata"]["ownerReferences"]).toEqual([
          expect.objectContaining({ kind: "Deployment", uid: d["metadata"]["uid"], controller: true }),
        ]);
        if (x["metadata"]["name"] !== rs["metadata"]["name"]) expect(x["spec"]["replicas"]).toBe(0);
      }
    }
  });
});
