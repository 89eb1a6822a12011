/**
 * The DaemonSet controller (with the scheduler) on the real path: kubectl, the API server, the
 * controller manager, and fake nodes and kubelets. Covers walkthrough step 4, nodes joining and
 * leaving, a rolling update, and SIGKILL of the controller manager in the middle of things.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { createNode, FakeKubelet, renewLease, TestClient } from "../fakes.ts";
import { fixture, TestCluster, uniqueNamespace } from "../harness.ts";

let c: TestCluster;
let client: TestClient;
let kubelet: FakeKubelet;
let stopHeartbeat: () => void;
/** Nodes whose Leases the heartbeat renews. */
const live = new Set(["node-1", "node-2", "node-3"]);

/** Polls fn until it returns something truthy, for at most timeoutMs. */
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Renews the nodes' Leases like kubelets do, so the node lifecycle controller keeps them Ready. */
function heartbeat(api: ApiClient): () => void {
  const t = setInterval(() => {
    for (const n of live) void renewLease(api, n).catch(() => {});
  }, 5_000);
  return () => clearInterval(t);
}

async function pods(ns: string): Promise<KObject[]> {
  return (await client.api.list(R.pods, ns))["items"];
}

async function daemonSet(ns: string, name: string): Promise<KObject> {
  return (await client.api.get(R.daemonsets, ns, name))!;
}

/** `kubectl rollout status` until the DaemonSet has rolled out. */
async function rolledOut(ns: string, name: string): Promise<void> {
  const out = await c.kubectlOk(["rollout", "status", `ds/${name}`, "-n", ns, "--timeout=45s"]);
  expect(out.trim().split("\n").at(-1)).toBe(`daemon set "${name}" successfully rolled out`);
}

/** The pods, checking there is exactly one live pod per node; returns node -> pod. */
function onePerNode(list: KObject[]): Map<string, KObject> {
  const byNode = new Map<string, KObject>();
  for (const p of list) {
    const node = p["spec"]["nodeName"];
    expect(node, `pod ${p["metadata"]["name"]} is bound`).toBeTruthy();
    expect(byNode.has(node), `a second pod on ${node}: ${p["metadata"]["name"]}`).toBe(false);
    byNode.set(node, p);
  }
  return byNode;
}

function agent(ns: string, name: string, image = "kemu/agent:1"): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "agent", image }] },
      },
    },
  });
}

/** Whether the messages of nginx-linuxea's events with this reason are exactly these (sorted). */
async function eventsMatch(reason: string, messages: string[]): Promise<boolean> {
  const out = await c.kubectlOk([
    "get",
    "events",
    "--field-selector",
    `involvedObject.kind=DaemonSet,involvedObject.name=nginx-linuxea,reason=${reason}`,
    "-o",
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  return JSON.stringify(out.trim().split("\n").sort()) === JSON.stringify(messages);
}

async function createNamespace(name: string): Promise<void> {
  await c.kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
  });
}

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  client = await TestClient.connect(c);
  for (const [i, name] of [...live].entries()) await createNode(client.api, name, { index: i + 1 });
  stopHeartbeat = heartbeat(client.api);
  kubelet = await FakeKubelet.start(client.api, { "node-1": 1, "node-2": 2, "node-3": 3, "node-4": 4 });
});

afterAll(async () => {
  stopHeartbeat?.();
  await kubelet?.stop();
  await client?.close();
  await c?.stop();
});

describe("daemonset controller", () => {
  let firstHash = "";
  /** The pod node-4 had: deleted when the node left. */
  let node4Pod = "";

  it("daemonset: walkthrough step 4 runs one nginx-linuxea pod per node, with the revision and generation labels", async () => {
    const applied = await c.kubectlOk(["apply", "-f", fixture("nginx.yaml")]);
    expect(applied).toBe("daemonset.apps/nginx-linuxea created\n");
    await rolledOut("default", "nginx-linuxea");

    const out = await c.kubectlOk(["get", "pods", "-o", "wide", "--show-labels"]);
    const [header, ...lines] = out.trim().split("\n");
    expect(header!.split(/\s{2,}/)).toEqual([
      "NAME",
      "READY",
      "STATUS",
      "RESTARTS",
      "AGE",
      "IP",
      "NODE",
      "NOMINATED NODE",
      "READINESS GATES",
      "LABELS",
    ]);
    expect(lines).toHaveLength(3);
    const nodes: string[] = [];
    for (const line of lines) {
      const [name, ready, status, restarts, , ip, node, nominated, gates, labels] = line.split(/\s+/);
      expect(name).toMatch(/^nginx-linuxea-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect([ready, status, restarts, nominated, gates]).toEqual([
        "1/1",
        "Running",
        "0",
        "<none>",
        "<none>",
      ]);
      expect(node).toMatch(/^node-[123]$/);
      expect(ip).toMatch(new RegExp(`^10\\.244\\.${node!.slice(5)}\\.\\d+$`));
      const m = /^app=nginx,controller-revision-hash=([a-z0-9]+),pod-template-generation=1,release=www$/.exec(
        labels!,
      );
      expect(m, labels).not.toBeNull();
      firstHash ||= m![1]!;
      expect(m![1]).toBe(firstHash);
      nodes.push(node!);
    }
    expect(nodes.sort()).toEqual(["node-1", "node-2", "node-3"]);

    const ds = await c.kubectlOk(["get", "ds", "nginx-linuxea", "--no-headers"]);
    expect(ds.split(/\s+/).slice(0, 7)).toEqual(["nginx-linuxea", "3", "3", "3", "3", "3", "<none>"]);
    const revs = await c.kubectlOk([
      "get",
      "controllerrevisions",
      "-o",
      'jsonpath={range .items[*]}{.metadata.name} {.revision}{"\\n"}{end}',
    ]);
    expect(revs).toBe(`nginx-linuxea-${firstHash} 1\n`);

    // The pods carry the DaemonSet's tolerations and are pinned to their node for the scheduler.
    const p = (await pods("default"))[0]!;
    expect(p["metadata"]["ownerReferences"]).toEqual([
      expect.objectContaining({
        kind: "DaemonSet",
        name: "nginx-linuxea",
        controller: true,
        blockOwnerDeletion: true,
      }),
    ]);
    expect(p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]).toEqual({
      nodeSelectorTerms: [
        { matchFields: [{ key: "metadata.name", operator: "In", values: [p["spec"]["nodeName"]] }] },
      ],
    });
    expect(p["spec"]["tolerations"].map((t: KObject) => `${t["key"]}:${t["effect"]}`)).toEqual([
      "node.kubernetes.io/not-ready:NoExecute",
      "node.kubernetes.io/unreachable:NoExecute",
      "node.kubernetes.io/disk-pressure:NoSchedule",
      "node.kubernetes.io/memory-pressure:NoSchedule",
      "node.kubernetes.io/pid-pressure:NoSchedule",
      "node.kubernetes.io/unschedulable:NoSchedule",
    ]);
    // Events are recorded after each create returns: wait for all three.
    const created = (await pods("default")).map((x) => `Created pod: ${x["metadata"]["name"]}`).sort();
    await until("a SuccessfulCreate event per pod", async () => eventsMatch("SuccessfulCreate", created));
  });

  it("daemonset: a fourth node gets a pod when it joins, and loses it when it leaves", async () => {
    await createNode(client.api, "node-4", { index: 4 });
    live.add("node-4");
    await until("4 available daemon pods", async () => {
      const s = (await daemonSet("default", "nginx-linuxea"))["status"];
      return (
        s["desiredNumberScheduled"] === 4 && s["numberAvailable"] === 4 && s["currentNumberScheduled"] === 4
      );
    });
    const byNode = onePerNode(await pods("default"));
    expect([...byNode.keys()].sort()).toEqual(["node-1", "node-2", "node-3", "node-4"]);
    expect(byNode.get("node-4")!["status"]["phase"]).toBe("Running");
    node4Pod = byNode.get("node-4")!["metadata"]["name"];

    live.delete("node-4");
    await c.kubectlOk(["delete", "node", "node-4"]);
    await until("the pod of node-4 to go", async () => {
      const list = await pods("default");
      return list.length === 3 && !list.some((p) => p["spec"]["nodeName"] === "node-4");
    });
    await until("the status to count 3 nodes", async () => {
      const s = (await daemonSet("default", "nginx-linuxea"))["status"];
      return (
        s["desiredNumberScheduled"] === 3 && s["currentNumberScheduled"] === 3 && s["numberAvailable"] === 3
      );
    });
    expect([...onePerNode(await pods("default")).keys()].sort()).toEqual(["node-1", "node-2", "node-3"]);
  });

  it("daemonset: a template change rolls every pod to the new revision", async () => {
    const before = new Set((await pods("default")).map((p) => p["metadata"]["name"]));
    await c.kubectlOk(["set", "image", "ds/nginx-linuxea", "linuxea=marksugar/nginx:1.15.a"]);
    await rolledOut("default", "nginx-linuxea");
    const after = await pods("default");
    expect(after).toHaveLength(3);
    const byNode = onePerNode(after);
    expect([...byNode.keys()].sort()).toEqual(["node-1", "node-2", "node-3"]);
    const hashes = new Set<string>();
    for (const p of after) {
      expect(before.has(p["metadata"]["name"])).toBe(false);
      expect(p["spec"]["containers"][0]["image"]).toBe("marksugar/nginx:1.15.a");
      expect(p["metadata"]["labels"]["pod-template-generation"]).toBe("2");
      hashes.add(p["metadata"]["labels"]["controller-revision-hash"]);
    }
    expect(hashes.size).toBe(1);
    expect(hashes.has(firstHash)).toBe(false);
    const ds = await c.kubectlOk(["get", "ds", "nginx-linuxea", "--no-headers"]);
    expect(ds.split(/\s+/).slice(0, 6)).toEqual(["nginx-linuxea", "3", "3", "3", "3", "3"]);
    const history = await c.kubectlOk(["rollout", "history", "ds/nginx-linuxea"]);
    expect(history.trim().split("\n").slice(1)).toEqual([
      expect.stringMatching(/^REVISION\s+CHANGE-CAUSE$/),
      expect.stringMatching(/^1\s+<none>$/),
      expect.stringMatching(/^2\s+<none>$/),
    ]);
    const deletedPods = [...before, node4Pod].map((n) => `Deleted pod: ${n}`).sort();
    await until("a SuccessfulDelete event per replaced pod", async () =>
      eventsMatch("SuccessfulDelete", deletedPods),
    );
  });

  it("daemonset: kubectl rollout undo goes back to the first revision, renumbered", async () => {
    const undo = await c.kubectlOk(["rollout", "undo", "ds/nginx-linuxea"]);
    expect(undo).toBe("daemonset.apps/nginx-linuxea rolled back\n");
    await rolledOut("default", "nginx-linuxea");
    const after = await pods("default");
    expect(after).toHaveLength(3);
    expect([...onePerNode(after).keys()].sort()).toEqual(["node-1", "node-2", "node-3"]);
    for (const p of after) {
      expect(p["spec"]["containers"][0]["image"]).toBe("marksugar/nginx:1.14.a");
      expect(p["metadata"]["labels"]["controller-revision-hash"]).toBe(firstHash);
      expect(p["metadata"]["labels"]["pod-template-generation"]).toBe("3");
    }
    const history = await c.kubectlOk(["rollout", "history", "ds/nginx-linuxea"]);
    expect(history.trim().split("\n").slice(2)).toEqual([
      expect.stringMatching(/^2\s+<none>$/),
      expect.stringMatching(/^3\s+<none>$/),
    ]);
  });

  it("daemonset: SIGKILL of the controller manager while creating pods converges without duplicates", async () => {
    const ns = uniqueNamespace("kill");
    await createNamespace(ns);
    await c.kubectlOk(["apply", "-f", "-"], { input: agent(ns, "agent") });
    // Kill as soon as the first pod exists: the others are not created yet, or just.
    const early = await until("a first agent pod", async () => {
      const list = await pods(ns);
      return list.length > 0 && list;
    });
    await c.stopControllers("SIGKILL");
    const atKill = await pods(ns);
    expect(atKill.length).toBeGreaterThanOrEqual(early.length);
    await c.startControllers();
    await rolledOut(ns, "agent");
    const after = await pods(ns);
    expect(after).toHaveLength(3);
    expect([...onePerNode(after).keys()].sort()).toEqual(["node-1", "node-2", "node-3"]);
    // Nothing created before the crash was thrown away.
    const names = new Set(after.map((p) => p["metadata"]["name"]));
    for (const p of atKill) expect(names.has(p["metadata"]["name"])).toBe(true);
  });

  it("daemonset: SIGKILL of the controller manager during a rolling update converges on the new revision", async () => {
    const ns = uniqueNamespace("killroll");
    await createNamespace(ns);
    await c.kubectlOk(["apply", "-f", "-"], { input: agent(ns, "agent") });
    await rolledOut(ns, "agent");
    const oldHash = (await pods(ns))[0]!["metadata"]["labels"]["controller-revision-hash"];
    await c.kubectlOk(["apply", "-f", "-"], { input: agent(ns, "agent", "kemu/agent:2") });
    await until("the rolling update to start", async () =>
      (await pods(ns)).some(
        (p) =>
          p["metadata"]["deletionTimestamp"] ||
          p["metadata"]["labels"]["controller-revision-hash"] !== oldHash,
      ),
    );
    await c.stopControllers("SIGKILL");
    await c.startControllers();
    await rolledOut(ns, "agent");
    const after = await pods(ns);
    expect(after).toHaveLength(3);
    expect([...onePerNode(after).keys()].sort()).toEqual(["node-1", "node-2", "node-3"]);
    for (const p of after) {
      expect(p["spec"]["containers"][0]["image"]).toBe("kemu/agent:2");
      expect(p["metadata"]["labels"]["controller-revision-hash"]).not.toBe(oldHash);
      expect(p["status"]["phase"]).toBe("Running");
    }
  });
});
