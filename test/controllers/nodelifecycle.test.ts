/**
 * Node lifecycle: a node that stops renewing its Lease goes NotReady (Unknown) and is tainted,
 * its pods stop being Ready and are evicted when their toleration runs out, and pods bound to
 * a node that is gone are removed. Short periods keep the suite fast.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient } from "@kemu/controllers";
import { eventually, TestCluster, uniqueNamespace } from "../harness.ts";
import { createNode, renewLease, TestClient } from "../fakes.ts";

let c: TestCluster;
let client: TestClient;
let api: ApiClient;

beforeAll(async () => {
  c = await TestCluster.start({
    // DefaultTolerationSeconds, as kube-apiserver's flags set it: pods tolerate an unreachable node for 1 s.
    apiserverArgs: ["--default-unreachable-toleration-seconds", "1"],
    controllers: true,
    controllerArgs: [
      "--node-monitor-grace-period",
      "2",
      "--node-monitor-period",
      "0.25",
      "--pod-gc-orphan-seconds",
      "1",
    ],
  });
  client = await TestClient.connect(c);
  api = client.api;
});

afterAll(async () => {
  await client?.close();
  await c?.stop();
});

async function pod(namespace: string, name: string, node: string, tolerations?: object[]): Promise<void> {
  await api.create(R.pods, namespace, {
    metadata: { name },
    spec: {
      nodeName: node,
      containers: [{ name: "c", image: "nginx" }],
      ...(tolerations ? { tolerations } : {}),
    },
  });
  await api.patch(
    R.pods,
    namespace,
    name,
    { status: { phase: "Running", podIP: "10.244.9.9", conditions: [{ type: "Ready", status: "True" }] } },
    { subresource: "status" },
  );
}

describe("node lifecycle", () => {
  it("nodelifecycle: a node that stops heartbeating goes Unknown, is tainted, and its pods are evicted per toleration", async () => {
    const ns = uniqueNamespace("nl");
    await api.create(R.namespaces, undefined, { metadata: { name: ns } });
    await createNode(api, "alive", { index: 1 });
    await createNode(api, "dying", { index: 2 });
    // The live node keeps heartbeating; the other one stops after creation.
    const beat = setInterval(() => void renewLease(api, "alive").catch(() => {}), 300);
    try {
      await pod(ns, "short", "dying", [
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 1,
        },
      ]);
      await pod(ns, "forever", "dying", [
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
      ]);
      await pod(ns, "elsewhere", "alive");
      await pod(ns, "defaulted", "dying");
      const defaulted = JSON.parse(await c.kubectlOk(["get", "pod", "defaulted", "-n", ns, "-o", "json"]));
      expect(defaulted.spec.tolerations).toContainEqual({
        key: "node.kubernetes.io/unreachable",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 1,
      });
      await c.kubectlOk([
        "wait",
        "--for=jsonpath={.status.conditions[?(@.type=='Ready')].status}=Unknown",
        "node/dying",
        "--timeout=20s",
      ]);
      const node = JSON.parse(await c.kubectlOk(["get", "node", "dying", "-o", "json"]));
      const ready = node.status.conditions.find((x: any) => x.type === "Ready");
      expect(ready).toMatchObject({
        status: "Unknown",
        reason: "NodeStatusUnknown",
        message: "Kubelet stopped posting node status.",
      });
      expect((await c.kubectlOk(["get", "node", "dying"])).split("\n")[1]).toMatch(/^dying\s+NotReady\s/);
      await c.kubectlOk([
        "wait",
        "--for=jsonpath={.spec.taints[1].key}=node.kubernetes.io/unreachable",
        "node/dying",
        "--timeout=20s",
      ]);
      const taints = JSON.parse(await c.kubectlOk(["get", "node", "dying", "-o", "jsonpath={.spec.taints}"]));
      expect(taints.map((t: any) => `${t.key}:${t.effect}`).sort()).toEqual([
        "node.kubernetes.io/unreachable:NoExecute",
        "node.kubernetes.io/unreachable:NoSchedule",
      ]);
      // Its pods are no longer Ready, and the one tolerating unreachable for 1 s is evicted.
      await c.kubectlOk(["wait", "--for=condition=Ready=False", "pod/forever", "-n", ns, "--timeout=20s"]);
      await c.kubectlOk([
        "wait",
        "--for=jsonpath={.metadata.deletionTimestamp}",
        "pod/short",
        "-n",
        ns,
        "--timeout=20s",
      ]);
      const events = await c.kubectlOk([
        "get",
        "events",
        "-n",
        ns,
        "--field-selector",
        "reason=TaintManagerEviction",
        "-o",
        "name",
      ]);
      expect(events.trim().split("\n").length).toBeGreaterThanOrEqual(1);
      const forever = JSON.parse(await c.kubectlOk(["get", "pod", "forever", "-n", ns, "-o", "json"]));
      expect(forever.metadata.deletionTimestamp).toBeUndefined();
      const elsewhere = JSON.parse(await c.kubectlOk(["get", "pod", "elsewhere", "-n", ns, "-o", "json"]));
      expect(elsewhere.status.conditions.find((x: any) => x.type === "Ready").status).toBe("True");
      expect((await c.kubectlOk(["get", "node", "alive"])).split("\n")[1]).toMatch(/^alive\s+Ready\s/);

      // The node comes back: Ready again, and the unreachable taints go.
      await renewLease(api, "dying");
      const t = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      await api.patch(
        R.nodes,
        undefined,
        "dying",
        {
          status: {
            conditions: [
              {
                type: "Ready",
                status: "True",
                reason: "KubeletReady",
                message: "kubelet is posting ready status",
                lastHeartbeatTime: t,
                lastTransitionTime: t,
              },
            ],
          },
        },
        { type: "strategic", subresource: "status" },
      );
      const back = setInterval(() => void renewLease(api, "dying").catch(() => {}), 300);
      try {
        await eventually(
          async () => (await api.get(R.nodes, undefined, "dying"))?.["spec"]?.["taints"] === undefined,
          {
            what: "the unreachable taints to be removed",
          },
        );
      } finally {
        clearInterval(back);
      }
    } finally {
      clearInterval(beat);
    }
  });

  it("nodelifecycle: pods bound to a node that does not exist are removed", async () => {
    const ns = uniqueNamespace("pgc");
    await api.create(R.namespaces, undefined, { metadata: { name: ns } });
    await pod(ns, "orphan", "no-such-node");
    await c.kubectlOk(["wait", "--for=delete", "pod/orphan", "-n", ns, "--timeout=20s"]);
  });
});
