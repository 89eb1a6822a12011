/**
 * The scheduler with the real controller manager, API server and kubectl: spreading, node
 * selectors, taints and tolerations, cordoned and NotReady nodes, and a pod no node fits staying
 * Pending with upstream's FailedScheduling message until a node that fits appears.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { createNode, FakeKubelet, renewLease, TestClient } from "../fakes.ts";
import { TestCluster, uniqueNamespace } from "../harness.ts";

let c: TestCluster;
let client: TestClient;
let kubelet: FakeKubelet;
let stopHeartbeat: () => void;

/** Polls fn until it returns something truthy, for at most timeoutMs. */
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Renews the nodes' Leases like kubelets do, so the node lifecycle controller keeps them Ready. */
function heartbeat(api: ApiClient, nodes: string[]): () => void {
  const t = setInterval(() => {
    for (const n of nodes) void renewLease(api, n).catch(() => {});
  }, 5_000);
  return () => clearInterval(t);
}

async function createNamespace(name: string): Promise<void> {
  await c.kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
  });
}

/** Creates a pod through kubectl; mutate adjusts the spec. */
async function createPod(ns: string, name: string, mutate: (p: KObject) => void = () => {}): Promise<void> {
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: { containers: [{ name: "app", image: "nginx" }] },
  };
  mutate(pod);
  await c.kubectlOk(["apply", "-f", "-"], { input: JSON.stringify(pod) });
}

async function pod(ns: string, name: string): Promise<KObject | undefined> {
  return client.api.get(R.pods, ns, name);
}

/** Waits until the pod is bound and returns its node. */
function boundNode(ns: string, name: string, timeoutMs = 20_000): Promise<string> {
  return until(
    `${ns}/${name} to be bound`,
    async () => (await pod(ns, name))?.["spec"]?.["nodeName"],
    timeoutMs,
  );
}

/** Waits until the pod's PodScheduled condition is False, reason Unschedulable, with this message. */
async function unschedulable(ns: string, name: string, message: string): Promise<void> {
  let last = "";
  try {
    await until(`${ns}/${name} to be unschedulable`, async () => {
      const conds: KObject[] = (await pod(ns, name))?.["status"]?.["conditions"] ?? [];
      const cond = conds.find((x) => x["type"] === "PodScheduled");
      last = JSON.stringify(cond);
      return (
        cond?.["status"] === "False" && cond["reason"] === "Unschedulable" && cond["message"] === message
      );
    });
  } catch (err) {
    throw new Error(`${String(err)}; last PodScheduled condition: ${last}`, { cause: err });
  }
}

const NODES = { "node-1": 1, "node-2": 2, "node-3": 3 };

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  client = await TestClient.connect(c);
  for (const [name, index] of Object.entries(NODES)) await createNode(client.api, name, { index });
  stopHeartbeat = heartbeat(client.api, Object.keys(NODES));
  kubelet = await FakeKubelet.start(client.api, NODES);
});

afterAll(async () => {
  stopHeartbeat?.();
  await kubelet?.stop();
  await client?.close();
  await c?.stop();
});

describe("scheduler", () => {
  it("scheduler: pods of one app spread evenly over 3 nodes and a Scheduled event names each node", async () => {
    const ns = uniqueNamespace("spread");
    await createNamespace(ns);
    const manifests = Array.from({ length: 9 }, (_, i) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `web-${i}`, namespace: ns, labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "nginx" }] },
    }));
    // A stream of JSON documents: one apply for all nine.
    await c.kubectlOk(["apply", "-f", "-"], { input: manifests.map((m) => JSON.stringify(m)).join("\n") });
    await c.kubectlOk(["wait", "--for=condition=Ready", "pod", "-l", "app=web", "-n", ns, "--timeout=30s"]);
    const out = await c.kubectlOk(["get", "pods", "-n", ns, "-o", "wide", "--no-headers"]);
    const perNode: Record<string, number> = {};
    for (const line of out.trim().split("\n")) {
      const cols = line.split(/\s+/);
      expect(cols.slice(1, 3)).toEqual(["1/1", "Running"]);
      perNode[cols[6]!] = (perNode[cols[6]!] ?? 0) + 1;
    }
    expect(perNode).toEqual({ "node-1": 3, "node-2": 3, "node-3": 3 });
    // The event is recorded once the binding is acknowledged: wait for it.
    const node = (await pod(ns, "web-0"))!["spec"]["nodeName"];
    await until("the Scheduled event of web-0", async () => {
      const out = await c.kubectlOk([
        "get",
        "events",
        "-n",
        ns,
        "--field-selector",
        "reason=Scheduled,involvedObject.name=web-0",
        "-o",
        "jsonpath={.items[*].message}|{.items[*].source.component}|{.items[*].type}",
      ]);
      return out === `Successfully assigned ${ns}/web-0 to ${node}|default-scheduler|Normal`;
    });
  });

  it("scheduler: SIGKILLed with bindings in flight, it binds every pod after a restart, those created while down too", async () => {
    const ns = uniqueNamespace("kill");
    await createNamespace(ns);
    const make = (i: number) =>
      client.api.create(R.pods, ns, {
        metadata: { name: `batch-${i}`, labels: { app: "batch" } },
        spec: { containers: [{ name: "app", image: "nginx" }] },
      });
    const list = async (): Promise<KObject[]> => (await client.api.list(R.pods, ns))["items"];
    // 60 pods at once, and the controller manager killed as soon as they exist: decisions and
    // bindings are under way.
    await Promise.all(Array.from({ length: 60 }, (_, i) => make(i)));
    await c.stopControllers("SIGKILL");
    for (let i = 60; i < 70; i++) await make(i);
    await c.startControllers();
    await until("all 70 pods to be bound and running", async () => {
      const pods = await list();
      return (
        pods.length === 70 && pods.every((p) => p["spec"]["nodeName"] && p["status"]["phase"] === "Running")
      );
    });
    expect(new Set((await list()).map((p) => p["spec"]["nodeName"]))).toEqual(
      new Set(["node-1", "node-2", "node-3"]),
    );
  });

  it("scheduler: nodeSelector places a pod on the node with the label", async () => {
    const ns = uniqueNamespace("selector");
    await createNamespace(ns);
    await c.kubectlOk(["label", "node", "node-2", "disktype=ssd"]);
    try {
      for (const name of ["ssd-a", "ssd-b", "ssd-c"]) {
        await createPod(ns, name, (p) => (p.spec.nodeSelector = { disktype: "ssd" }));
      }
      for (const name of ["ssd-a", "ssd-b", "ssd-c"]) expect(await boundNode(ns, name)).toBe("node-2");
    } finally {
      await c.kubectlOk(["label", "node", "node-2", "disktype-"]);
    }
  });

  it("scheduler: a NoSchedule taint keeps pods off a node unless they tolerate it", async () => {
    const ns = uniqueNamespace("taint");
    await createNamespace(ns);
    await c.kubectlOk(["taint", "nodes", "node-1", "dedicated=db:NoSchedule"]);
    try {
      for (let i = 0; i < 6; i++) await createPod(ns, `plain-${i}`);
      for (let i = 0; i < 6; i++) expect(await boundNode(ns, `plain-${i}`)).not.toBe("node-1");
      await createPod(ns, "db", (p) => {
        p.spec.nodeSelector = { "kubernetes.io/hostname": "node-1" };
        p.spec.tolerations = [{ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }];
      });
      expect(await boundNode(ns, "db")).toBe("node-1");
      await createPod(
        ns,
        "intolerant",
        (p) => (p.spec.nodeSelector = { "kubernetes.io/hostname": "node-1" }),
      );
      await unschedulable(
        ns,
        "intolerant",
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, " +
          "2 node(s) didn't match Pod's node affinity/selector. " +
          "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
      );
    } finally {
      await c.kubectlOk(["taint", "nodes", "node-1", "dedicated=db:NoSchedule-"]);
    }
    // The taint is gone: the waiting pod is retried and placed.
    expect(await boundNode(ns, "intolerant")).toBe("node-1");
  });

  it("scheduler: a cordoned node takes no new pods until it is uncordoned", async () => {
    const ns = uniqueNamespace("cordon");
    await createNamespace(ns);
    await c.kubectlOk(["cordon", "node-3"]);
    try {
      for (let i = 0; i < 6; i++) await createPod(ns, `p-${i}`);
      for (let i = 0; i < 6; i++) expect(await boundNode(ns, `p-${i}`)).not.toBe("node-3");
      await createPod(ns, "pinned", (p) => (p.spec.nodeSelector = { "kubernetes.io/hostname": "node-3" }));
      await unschedulable(
        ns,
        "pinned",
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. " +
          "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
      );
    } finally {
      await c.kubectlOk(["uncordon", "node-3"]);
    }
    expect(await boundNode(ns, "pinned")).toBe("node-3");
  });

  it("scheduler: a NotReady node takes no pods that do not tolerate it", async () => {
    const ns = uniqueNamespace("notready");
    await createNamespace(ns);
    await createNode(client.api, "node-9", { index: 9, ready: false });
    try {
      for (let i = 0; i < 6; i++) await createPod(ns, `p-${i}`);
      for (let i = 0; i < 6; i++) expect(await boundNode(ns, `p-${i}`)).not.toBe("node-9");
      await createPod(ns, "pinned", (p) => (p.spec.nodeSelector = { "kubernetes.io/hostname": "node-9" }));
      await unschedulable(
        ns,
        "pinned",
        "0/4 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, " +
          "3 node(s) didn't match Pod's node affinity/selector. " +
          "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
      );
      // Tolerating not-ready is enough to be placed there.
      await createPod(ns, "tolerant", (p) => {
        p.spec.nodeSelector = { "kubernetes.io/hostname": "node-9" };
        p.spec.tolerations = [{ key: "node.kubernetes.io/not-ready", operator: "Exists" }];
      });
      expect(await boundNode(ns, "tolerant")).toBe("node-9");
    } finally {
      await c.kubectlOk(["delete", "node", "node-9"]);
    }
  });

  it("scheduler: a pod no node fits stays Pending with FailedScheduling in describe and events, then is placed when a node fits", async () => {
    const ns = uniqueNamespace("pending");
    await createNamespace(ns);
    await createPod(ns, "needs-nvme", (p) => (p.spec.nodeSelector = { disktype: "nvme" }));
    const message =
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. " +
      "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    await unschedulable(ns, "needs-nvme", message);
    const got = await pod(ns, "needs-nvme");
    expect(got!["status"]["phase"]).toBe("Pending");
    expect(got!["spec"]["nodeName"]).toBeUndefined();

    const wide = await c.kubectlOk(["get", "pod", "needs-nvme", "-n", ns, "-o", "wide", "--no-headers"]);
    expect(wide.split(/\s+/).slice(0, 3)).toEqual(["needs-nvme", "0/1", "Pending"]);
    expect(wide.split(/\s+/)[6]).toBe("<none>");

    const describe = await until("the FailedScheduling event in kubectl describe", async () => {
      const out = await c.kubectlOk(["describe", "pod", "needs-nvme", "-n", ns]);
      return out.includes("FailedScheduling") && out;
    });
    expect(describe).toMatch(/Status:\s+Pending/);
    expect(describe).toMatch(/PodScheduled\s+False/);
    expect(describe).toMatch(
      new RegExp(`Warning\\s+FailedScheduling\\s+\\S+\\s+default-scheduler\\s+${escape(message)}`),
    );

    const events = await c.kubectlOk([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      "reason=FailedScheduling",
    ]);
    expect(events).toMatch(new RegExp(`Warning\\s+FailedScheduling\\s+pod/needs-nvme\\s+${escape(message)}`));

    await c.kubectlOk(["label", "node", "node-1", "disktype=nvme"]);
    try {
      expect(await boundNode(ns, "needs-nvme")).toBe("node-1");
      await c.kubectlOk([
        "wait",
        "--for=condition=PodScheduled",
        "pod/needs-nvme",
        "-n",
        ns,
        "--timeout=20s",
      ]);
    } finally {
      await c.kubectlOk(["label", "node", "node-1", "disktype-"]);
    }
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
