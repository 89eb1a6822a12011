/**
 * Graceful deletion on the real path: nats-server, `kemu apiserver` and `kemu controller-manager`
 * processes (so EndpointSlices follow the pods); a kubelet for node-1 in this process on a real
 * loopback fabric; observed with real kubectl, the API over NATS and real sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { fetchLogs } from "@kemu/kubelet";
import { TestCluster } from "../harness.ts";
import { TestClient } from "../fakes.ts";
import {
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

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  tc = await TestClient.connect(c);
  api = tc.api;
  n1 = await startNode(tc, "node-1", 1);
});

afterAll(async () => {
  await stopNode(n1);
  await tc?.close();
  await c?.stop();
});

const env = (pairs: Record<string, string>) =>
  Object.entries(pairs).map(([name, value]) => ({ name, value }));

async function runPod(ns: string, pod: KObject): Promise<KObject> {
  await api.create(R.pods, ns, pod);
  await c.kubectlOk([
    "wait",
    "-n",
    ns,
    "--for=condition=Ready",
    `pod/${pod["metadata"]["name"]}`,
    "--timeout=60s",
  ]);
  return (await api.get(R.pods, ns, pod["metadata"]["name"]))!;
}

/** The conditions of the endpoint for ip in the Service's slices. */
async function endpointConditions(ns: string, svc: string, ip: string): Promise<KObject | undefined> {
  const list = await api.list(R.endpointslices, ns, { labelSelector: `kubernetes.io/service-name=${svc}` });
  for (const s of list["items"] as KObject[])
    for (const ep of (s["endpoints"] ?? []) as KObject[])
      if (ep["addresses"]?.[0] === ip) return ep["conditions"];
  return undefined;
}

async function gone(ns: string, name: string): Promise<void> {
  expect(await api.get(R.pods, ns, name)).toBeUndefined();
}

describe("kubelet: graceful deletion", () => {
  it("kubelet/termination: a draining pod keeps serving through its grace period, Terminating, its endpoint terminating but serving", async () => {
    const ns = await namespace(api, "drain");
    await api.create(R.services, ns, {
      metadata: { name: "web" },
      spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const pod = await runPod(
      ns,
      podManifest("web", (p) => {
        p["spec"]["terminationGracePeriodSeconds"] = 6;
        p["spec"]["containers"][0]["readinessProbe"] = {
          httpGet: { path: "/", port: 8080 },
          periodSeconds: 1,
        };
      }),
    );
    const ip: string = pod["status"]["podIP"];
    await eventually(async () =>
      expect(await endpointConditions(ns, "web", ip)).toEqual({
        ready: true,
        serving: true,
        terminating: false,
      }),
    );

    const t0 = Date.now();
    await c.kubectlOk(["delete", "pod", "-n", ns, "web", "--wait=false"]);
    await eventually(async () => {
      const out = await c.kubectlOk(["get", "pod", "-n", ns, "web", "--no-headers"]);
      expect(out).toMatch(/^web\s+1\/1\s+Terminating\s+0\s/);
    });
    // Readiness keeps being probed while the container drains: the endpoint is terminating, still serving.
    await eventually(async () =>
      expect(await endpointConditions(ns, "web", ip)).toEqual({
        ready: false,
        serving: true,
        terminating: true,
      }),
    );
    let served = 0;
    while (Date.now() - t0 < 4_000) {
      const r = await getViaFabric(n1!.fabric, ip, 8080, "/during-grace");
      expect(r.status).toBe(200);
      expect(r.body).toContain("pod=web ");
      served++;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(served).toBeGreaterThan(0);
    expect(await api.get(R.pods, ns, "web")).toBeDefined();
    expect(await fetchLogs(tc.nc, "node-1", { namespace: ns, pod: "web" })).toContain(
      "received SIGTERM, still serving for up to 6s",
    );
    await eventually(() => gone(ns, "web"), 60_000);
    // The kubelet waits out the whole grace period from when it saw the deletion, after t0.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(6_000);
    expect(n1!.fabric.resolvePodPort(ip, 8080, "TCP")).toBeUndefined();
    const list = await api.list(R.events, ns, { fieldSelector: "involvedObject.name=web" });
    expect((list["items"] as KObject[]).map((e) => `${e["reason"]}: ${e["message"]}`)).toContain(
      "Killing: Stopping container app",
    );
  });

  it("kubelet/termination: KEMU_SHUTDOWN=immediate stops at once; the pod is gone long before its grace period", async () => {
    const ns = await namespace(api, "immediate");
    const pod = await runPod(
      ns,
      podManifest("quick", (p) => {
        p["spec"]["terminationGracePeriodSeconds"] = 120;
        p["spec"]["containers"][0]["env"] = env({ KEMU_SHUTDOWN: "immediate" });
      }),
    );
    const t0 = Date.now();
    await c.kubectlOk(["delete", "pod", "-n", ns, "quick", "--wait=false"]);
    await eventually(() => gone(ns, "quick"), 60_000);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(n1!.fabric.resolvePodPort(pod["status"]["podIP"], 8080, "TCP")).toBeUndefined();
  });

  it("kubelet/termination: preStop runs before SIGTERM and counts against the grace period", async () => {
    const ns = await namespace(api, "prestop");
    const pod = await runPod(
      ns,
      podManifest("hooked", (p) => {
        p["spec"]["terminationGracePeriodSeconds"] = 120;
        p["spec"]["containers"][0]["env"] = env({ KEMU_SHUTDOWN: "immediate" });
        p["spec"]["containers"][0]["lifecycle"] = { preStop: { exec: { command: ["sh", "-c", "sleep 3"] } } };
      }),
    );
    const ip: string = pod["status"]["podIP"];
    const t0 = Date.now();
    await c.kubectlOk(["delete", "pod", "-n", ns, "hooked", "--wait=false"]);
    // During preStop the app still serves.
    const r = await getViaFabric(n1!.fabric, ip, 8080, "/in-prestop");
    expect(r.status).toBe(200);
    await eventually(() => gone(ns, "hooked"), 60_000);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(3_000);
    expect(took).toBeLessThan(60_000);
  });

  it("kubelet/termination: a force delete stops the containers at once and frees the port", async () => {
    const ns = await namespace(api, "force");
    const pod = await runPod(ns, podManifest("forced"));
    const ip: string = pod["status"]["podIP"];
    await c.kubectlOk(["delete", "pod", "-n", ns, "forced", "--grace-period=0", "--force"]);
    await gone(ns, "forced");
    await eventually(async () => expect(n1!.fabric.resolvePodPort(ip, 8080, "TCP")).toBeUndefined());
  });

  it("kubelet/termination: the IP of a deleted pod goes back to the pool, and a new pod does not get it at once", async () => {
    const ns = await namespace(api, "reuse");
    const first = await runPod(
      ns,
      podManifest("first", (p) => (p["spec"]["containers"][0]["env"] = env({ KEMU_SHUTDOWN: "immediate" }))),
    );
    await c.kubectlOk(["delete", "pod", "-n", ns, "first", "--wait=true", "--timeout=60s"]);
    const second = await runPod(ns, podManifest("second"));
    expect(second["status"]["podIP"]).not.toBe(first["status"]["podIP"]);
    expect(second["status"]["podIP"]).toMatch(/^10\.244\.1\.\d+$/);
  });
});
