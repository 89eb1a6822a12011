/**
 * The kubelet's node duties on the real path: nats-server, `kemu apiserver` and `kemu
 * controller-manager` processes; two kubelets in this process on real loopback fabrics; observed
 * with real kubectl and the API over NATS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { TestCluster } from "../harness.ts";
import { TestClient } from "../fakes.ts";
import {
  condition,
  eventually,
  getViaFabric,
  namespace,
  podManifest,
  startNode,
  stopNode,
  type Node,
} from "./helpers.ts";

let c: TestCluster;
let tc: TestClient;
let api: ApiClient;
let n1: Node | undefined;
let n2: Node | undefined;

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  tc = await TestClient.connect(c);
  api = tc.api;
  n1 = await startNode(tc, "node-1", 1);
  n2 = await startNode(tc, "node-2", 2, { nodeLabels: { "topology.kubernetes.io/zone": "zone-b" } });
});

afterAll(async () => {
  await stopNode(n1);
  await stopNode(n2);
  await tc?.close();
  await c?.stop();
});

describe("kubelet: node registration and heartbeats", () => {
  it("kubelet/node: nodes are Ready in kubectl get nodes -o wide with InternalIP, VERSION and CONTAINER-RUNTIME", async () => {
    const out = await c.kubectlOk(["get", "nodes", "-o", "wide"]);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/,
    );
    for (const [name, ip] of [
      ["node-1", "127.0.1.1"],
      ["node-2", "127.0.1.2"],
    ] as const) {
      expect(out).toMatch(
        new RegExp(
          `^${name}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\.0-kemu\\s+${ip.replace(/\./g, "\\.")}\\s+<none>\\s+kemu emulated node\\s+\\S+\\s+kemu://0\\.1\\.0$`,
          "m",
        ),
      );
    }
  });

  it("kubelet/node: the Node carries its labels, pod CIDR, addresses, capacity and conditions", async () => {
    const node = (await api.get(R.nodes, undefined, "node-2"))!;
    expect(node["metadata"]["labels"]).toMatchObject({
      "kubernetes.io/hostname": "node-2",
      "kubernetes.io/os": "linux",
      "topology.kubernetes.io/zone": "zone-b",
    });
    expect(node["metadata"]["labels"]["kubernetes.io/arch"]).toMatch(/^(amd64|arm64)$/);
    expect(node["spec"]).toMatchObject({ podCIDR: "10.244.2.0/24", podCIDRs: ["10.244.2.0/24"] });
    expect(node["status"]["addresses"]).toEqual([
      { type: "InternalIP", address: "127.0.1.2" },
      { type: "Hostname", address: "node-2" },
    ]);
    expect(node["status"]["capacity"]).toMatchObject({ cpu: "4", memory: "8Gi", pods: "110" });
    expect(node["status"]["nodeInfo"]).toMatchObject({
      kubeletVersion: "v1.32.0-kemu",
      containerRuntimeVersion: "kemu://0.1.0",
      osImage: "kemu emulated node",
      operatingSystem: "linux",
    });
    expect(condition(node, "Ready")).toMatchObject({
      status: "True",
      reason: "KubeletReady",
      message: "kubelet is posting ready status",
    });
    expect(condition(node, "MemoryPressure")).toMatchObject({
      status: "False",
      reason: "KubeletHasSufficientMemory",
    });
  });

  it("kubelet/node: the Lease in kube-node-lease is renewed, and owned by the Node", async () => {
    const node = (await api.get(R.nodes, undefined, "node-1"))!;
    const first = (await api.get(R.leases, "kube-node-lease", "node-1"))!;
    expect(first["spec"]).toMatchObject({ holderIdentity: "node-1", leaseDurationSeconds: 40 });
    expect(first["spec"]["renewTime"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(first["metadata"]["ownerReferences"]).toEqual([
      { apiVersion: "v1", kind: "Node", name: "node-1", uid: node["metadata"]["uid"] },
    ]);
    await eventually(async () => {
      const later = (await api.get(R.leases, "kube-node-lease", "node-1"))!;
      expect(Date.parse(later["spec"]["renewTime"])).toBeGreaterThan(Date.parse(first["spec"]["renewTime"]));
    });
  });

  it("kubelet/node: lastHeartbeatTime advances, and a Ready condition someone else changed is put right", async () => {
    const before = condition(await api.get(R.nodes, undefined, "node-1"), "Ready")!;
    await eventually(async () => {
      const now = condition(await api.get(R.nodes, undefined, "node-1"), "Ready")!;
      expect(Date.parse(now["lastHeartbeatTime"])).toBeGreaterThan(Date.parse(before["lastHeartbeatTime"]));
    });
    const node = (await api.get(R.nodes, undefined, "node-1"))!;
    const conditions = (node["status"]["conditions"] as KObject[]).map((x) =>
      x["type"] === "Ready" ? { ...x, status: "Unknown", reason: "NodeStatusUnknown", message: "test" } : x,
    );
    await api.patch(R.nodes, undefined, "node-1", { status: { conditions } }, { subresource: "status" });
    await eventually(async () => {
      expect(condition(await api.get(R.nodes, undefined, "node-1"), "Ready")).toMatchObject({
        status: "True",
        reason: "KubeletReady",
      });
    });
  });

  it("kubelet/node: the kubelet records Starting and NodeReady events for its node", async () => {
    await eventually(async () => {
      const list = await api.list(R.events, "default", { fieldSelector: "involvedObject.name=node-1" });
      const seen = (list["items"] as KObject[]).map((e) => `${e["reason"]}: ${e["message"]}`);
      expect(seen).toContain("Starting: Starting kubelet.");
      expect(seen).toContain("NodeReady: Node node-1 status is now: NodeReady");
      expect(seen).toContain("NodeHasSufficientMemory: Node node-1 status is now: NodeHasSufficientMemory");
      const e = (list["items"] as KObject[]).find((x) => x["reason"] === "Starting")!;
      expect(e["source"]).toEqual({ component: "kubelet", host: "node-1" });
    });
  });

  it("kubelet/node: a restarted kubelet takes over its Node; its pods keep their IPs and get new containers", async () => {
    const ns = await namespace(api, "takeover");
    await api.create(
      R.pods,
      ns,
      podManifest("survivor", (p) => (p["spec"]["nodeName"] = "node-2")),
    );
    const running = await eventually(async () => {
      const p = (await api.get(R.pods, ns, "survivor"))!;
      expect(condition(p, "Ready")?.["status"]).toBe("True");
      return p;
    });
    const ip: string = running["status"]["podIP"];
    expect(ip).toMatch(/^10\.244\.2\.\d+$/);
    const nodeUID = (await api.get(R.nodes, undefined, "node-2"))!["metadata"]["uid"];

    await stopNode(n2);
    expect(n2!.fabric.resolvePodPort(ip, 8080, "TCP")).toBeUndefined();
    n2 = await startNode(tc, "node-2", 2, { nodeLabels: { "topology.kubernetes.io/zone": "zone-b" } });

    expect((await api.get(R.nodes, undefined, "node-2"))!["metadata"]["uid"]).toBe(nodeUID);
    const after = await eventually(async () => {
      const p = (await api.get(R.pods, ns, "survivor"))!;
      const cs = p["status"]["containerStatuses"][0];
      expect(cs["restartCount"]).toBe(1);
      expect(cs["state"]["running"]).toBeDefined();
      expect(condition(p, "Ready")?.["status"]).toBe("True");
      return p;
    });
    expect(after["status"]["podIP"]).toBe(ip);
    expect(after["status"]["startTime"]).toBe(running["status"]["startTime"]);
    expect(after["status"]["containerStatuses"][0]["lastState"]["terminated"]).toMatchObject({
      exitCode: 255,
      reason: "Unknown",
      containerID: running["status"]["containerStatuses"][0]["containerID"],
    });
    const r = await eventually(() => getViaFabric(n2!.fabric, ip, 8080, "/again"));
    expect(r.body).toContain(`pod=survivor namespace=${ns} node=node-2 podIP=${ip}`);
  });
});
