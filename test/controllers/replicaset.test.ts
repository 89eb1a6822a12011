/**
 * The ReplicaSet controller on the real path: nats-server, `kemu apiserver` and
 * `kemu controller-manager` processes, real kubectl, fake nodes and kubelet. Pods are bound by a
 * tiny binder here (pods with schedulerName kemu-test), so the suite does not depend on the
 * scheduler and can hold pods unscheduled on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { ApiClient, Informer, R, type KObject } from "@kemu/controllers";
import { FakeKubelet, TestClient, createNode, renewLease } from "../fakes.ts";
import { TestCluster, uniqueNamespace } from "../harness.ts";

const SCHEDULER = "kemu-test";
const NODES = ["node-1", "node-2"];

/** Binds pending pods of schedulerName kemu-test to the nodes in turn, unless held. */
class Binder {
  hold = false;
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
    if (this.hold || pod["spec"]["nodeName"] || md["deletionTimestamp"]) return;
    if (pod["spec"]["schedulerName"] !== SCHEDULER) return;
    const node = NODES[this.#next++ % NODES.length]!;
    void this.#api
      .createSubresource(R.pods, md["namespace"], md["name"], "binding", {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: md["name"], uid: md["uid"] },
        target: { apiVersion: "v1", kind: "Node", name: node },
      })
      .catch(() => {}); // bound already, or gone
  }

  /** Stops holding and binds whatever is waiting. */
  release(): void {
    this.hold = false;
    for (const p of this.#informer.list()) this.#bind(p);
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

/** A ReplicaSet of pods app=<name> bound by the test binder; mutate shows what differs. */
function makeReplicaSet(name: string, replicas: number, mutate: (rs: KObject) => void = () => {}): KObject {
  const rs: KObject = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name, tier: "web" },
          annotations: { "example.com/note": "from-template" },
        },
        spec: { schedulerName: SCHEDULER, containers: [{ name: "web", image: "nginx:1.27" }] },
      },
    },
  };
  mutate(rs);
  return rs;
}

async function apply(ns: string, obj: KObject): Promise<void> {
  await c.kubectlOk(["apply", "-n", ns, "-f", "-"], { input: JSON.stringify(obj) });
}

async function pods(ns: string): Promise<KObject[]> {
  return (await api.list(R.pods, ns))["items"] as KObject[];
}

const active = (ps: KObject[]) => ps.filter((p) => !p["metadata"]["deletionTimestamp"]);
const running = (ps: KObject[]) => active(ps).filter((p) => p["status"]?.["phase"] === "Running");
const names = (ps: KObject[]) => ps.map((p) => p["metadata"]["name"] as string).sort();

/** Waits until the namespace has exactly n pods, all running, none terminating; returns them. */
async function settled(ns: string, n: number): Promise<KObject[]> {
  return waitFor(`${n} running pods in ${ns}`, async () => {
    const ps = await pods(ns);
    return ps.length === n && running(ps).length === n ? ps : undefined;
  });
}

async function getRS(ns: string, name: string): Promise<KObject> {
  return (await api.get(R.replicasets, ns, name))!;
}

describe("replicaset controller", () => {
  it("replicaset: creates spec.replicas pods from the template, owned by the ReplicaSet", async () => {
    const ns = await newNamespace("rs-create");
    await apply(ns, makeReplicaSet("web", 3));
    const ps = await settled(ns, 3);
    const rs = await getRS(ns, "web");
    for (const p of ps) {
      expect(p["metadata"]["name"]).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p["metadata"]["generateName"]).toBe("web-");
      expect(p["metadata"]["labels"]).toEqual({ app: "web", tier: "web" });
      expect(p["metadata"]["annotations"]).toEqual({ "example.com/note": "from-template" });
      expect(p["metadata"]["ownerReferences"]).toEqual([
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web",
          uid: rs["metadata"]["uid"],
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const status = await waitFor("status of 3 available", async () => {
      const s = (await getRS(ns, "web"))["status"];
      return s?.["availableReplicas"] === 3 ? s : undefined;
    });
    expect(status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    const table = await c.kubectlOk(["get", "rs", "web", "-n", ns]);
    expect(table).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nweb\s+3\s+3\s+3\s+\S+\n$/);
    // Events are recorded asynchronously: wait for all three.
    const created = await waitFor("3 SuccessfulCreate events", async () => {
      const evs = (await api.list(R.events, ns, { fieldSelector: "reason=SuccessfulCreate" }))[
        "items"
      ] as KObject[];
      return evs.length === 3 ? evs : undefined;
    });
    expect(
      created.map((e) => [e["message"], e["source"]["component"], e["involvedObject"]["kind"]]).sort(),
    ).toEqual(names(ps).map((n) => [`Created pod: ${n}`, "replicaset-controller", "ReplicaSet"]));
    const described = await c.kubectlOk(["describe", "rs", "web", "-n", ns]);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+\S+\s+replicaset-controller\s+Created pod: web-/);
  });

  it("replicaset: kubectl scale up and down; unscheduled pods are deleted first", async () => {
    const ns = await newNamespace("rs-scale");
    await apply(ns, makeReplicaSet("web", 2));
    const first = names(await settled(ns, 2));
    expect(await c.kubectlOk(["scale", "rs/web", "-n", ns, "--replicas=4"])).toBe(
      "replicaset.apps/web scaled\n",
    );
    const four = names(await settled(ns, 4));
    expect(four).toEqual(expect.arrayContaining(first));

    // Two more that never get a node: scaling back down removes exactly those.
    binder.hold = true;
    try {
      await c.kubectlOk(["scale", "rs/web", "-n", ns, "--replicas=6"]);
      await waitFor("6 pods, 2 unscheduled", async () => {
        const ps = await pods(ns);
        return ps.length === 6 && ps.filter((p) => !p["spec"]["nodeName"]).length === 2;
      });
      await c.kubectlOk(["scale", "rs/web", "-n", ns, "--replicas=4"]);
      expect(names(await settled(ns, 4))).toEqual(four);
    } finally {
      binder.release();
    }
    await c.kubectlOk(["scale", "rs/web", "-n", ns, "--replicas=1"]);
    const one = await settled(ns, 1);
    expect(four).toContain(one[0]!["metadata"]["name"]);
    const deleted = await waitFor("5 SuccessfulDelete events", async () => {
      const evs = (await api.list(R.events, ns, { fieldSelector: "reason=SuccessfulDelete" }))[
        "items"
      ] as KObject[];
      return evs.length === 5 ? evs : undefined;
    });
    for (const e of deleted) expect(e["message"]).toMatch(/^Deleted pod: web-[a-z0-9]{5}$/);
  });

  it("replicaset: a deleted pod is replaced", async () => {
    const ns = await newNamespace("rs-replace");
    await apply(ns, makeReplicaSet("web", 3));
    const before = names(await settled(ns, 3));
    const victim = before[0]!;
    expect(await c.kubectlOk(["delete", "pod", victim, "-n", ns])).toBe(`pod "${victim}" deleted\n`);
    const after = names(await settled(ns, 3));
    expect(after).not.toContain(victim);
    expect(after.filter((n) => before.includes(n))).toHaveLength(2);
  });

  it("replicaset: adopts a matching orphan and releases a pod that stops matching", async () => {
    const ns = await newNamespace("rs-adopt");
    const template = makeReplicaSet("web", 2)["spec"]["template"];
    await apply(ns, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "orphan", ...template.metadata },
      spec: template.spec,
    });
    await waitFor("orphan running", async () => (await pods(ns))[0]?.["status"]?.["phase"] === "Running");
    await apply(ns, makeReplicaSet("web", 2));
    const ps = await settled(ns, 2);
    const rs = await getRS(ns, "web");
    const orphan = ps.find((p) => p["metadata"]["name"] === "orphan")!;
    expect(orphan["metadata"]["ownerReferences"]).toEqual([
      expect.objectContaining({
        kind: "ReplicaSet",
        name: "web",
        uid: rs["metadata"]["uid"],
        controller: true,
      }),
    ]);

    // Relabelled out of the selector: released, and replaced.
    await c.kubectlOk(["label", "pod", "orphan", "-n", ns, "app=elsewhere", "--overwrite"]);
    const released = await waitFor("orphan released", async () => {
      const p = await api.get(R.pods, ns, "orphan");
      return p && !p["metadata"]["ownerReferences"] ? p : undefined;
    });
    expect(released["metadata"]["labels"]["app"]).toBe("elsewhere");
    const owned = await waitFor("2 owned pods again", async () => {
      const mine = running(await pods(ns)).filter((p) => p["metadata"]["ownerReferences"]);
      return mine.length === 2 ? mine : undefined;
    });
    expect(names(owned)).not.toContain("orphan");
    expect((await pods(ns)).length).toBe(3);
  });

  it("replicaset: availableReplicas counts pods only after minReadySeconds", async () => {
    const ns = await newNamespace("rs-minready");
    await apply(
      ns,
      makeReplicaSet("web", 2, (rs) => (rs["spec"]["minReadySeconds"] = 4)),
    );
    const ready = await waitFor("2 ready replicas", async () => {
      const rs = await getRS(ns, "web");
      return rs["status"]?.["readyReplicas"] === 2 ? rs : undefined;
    });
    const readySince = Math.max(
      ...(await pods(ns)).map((p) =>
        Date.parse(
          p["status"]["conditions"].find((x: KObject) => x["type"] === "Ready")["lastTransitionTime"],
        ),
      ),
    );
    const available = await waitFor("2 available replicas", async () => {
      const rs = await getRS(ns, "web");
      return rs["status"]?.["availableReplicas"] === 2 ? Date.now() : undefined;
    });
    // Not available before minReadySeconds have passed since the last pod became ready.
    expect(available).toBeGreaterThan(readySince + 4_000);
    expect(ready["status"]["observedGeneration"]).toBe(1);
  });

  it("replicaset: killed while scaling up, the restarted controller ends with exactly spec.replicas pods", async () => {
    const ns = await newNamespace("rs-restart");
    await apply(ns, makeReplicaSet("web", 1));
    await settled(ns, 1);
    await c.kubectlOk(["scale", "rs/web", "-n", ns, "--replicas=30"]);
    await waitFor("scale-up under way", async () => (await pods(ns)).length > 1, 20_000);
    await c.stopControllers("SIGKILL");
    await c.startControllers();
    const ps = await settled(ns, 30);
    expect(new Set(names(ps)).size).toBe(30);
    const rs = await waitFor("status of 30", async () => {
      const r = await getRS(ns, "web");
      return r["status"]?.["availableReplicas"] === 30 ? r : undefined;
    });
    expect(rs["status"]["replicas"]).toBe(30);
    for (const p of ps) expect(p["metadata"]["ownerReferences"][0]["uid"]).toBe(rs["metadata"]["uid"]);
  });
});
