/**
 * Helpers for the kubelet suites: kubelets run in this process against a real cluster (nats-server,
 * `kemu apiserver`, `kemu controller-manager` child processes), each with a real LoopbackFabric.
 */
import { request } from "node:http";
import { TestLog } from "@kemu/common";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { LoopbackFabric } from "@kemu/fabric";
import { Kubelet, type KubeletSettingsInput } from "@kemu/kubelet";
import type { DataPlane } from "@kemu/proxy";
import type { TestClient } from "../fakes.ts";
import { retrying, uniqueNamespace } from "../harness.ts";

/** A kubelet and the fabric it publishes to. */
export interface Node {
  kubelet: Kubelet;
  fabric: LoopbackFabric;
  log: TestLog;
}

/** Settings that keep the suites short: 1 s heartbeats (status at least every 2 s), back-off 1 s doubling to 4 s. */
export const FAST: Partial<KubeletSettingsInput> = {
  nodeLeaseRenewIntervalSeconds: 1,
  nodeStatusUpdateFrequencySeconds: 1,
  nodeStatusReportFrequencySeconds: 2,
  crashLoopBackOffInitialSeconds: 1,
  crashLoopBackOffMaxSeconds: 4,
  cpu: "4",
  memory: "8Gi",
};

/** Starts a kubelet for node `name` (127.0.1.index, 10.244.index.0/24) in this process. */
export async function startNode(
  tc: TestClient,
  name: string,
  index: number,
  settings: Partial<KubeletSettingsInput> = {},
  dataPlane?: DataPlane,
): Promise<Node> {
  const log = new TestLog();
  const fabric = await LoopbackFabric.open(tc.nc, log.logger(`${name}/fabric`));
  const kubelet = new Kubelet({
    settings: { ...FAST, ...settings, nodeName: name, nodeIndex: index },
    api: tc.api,
    fabric,
    log: log.logger(`${name}/kubelet`, "info"),
    ...(dataPlane ? { dataPlane } : {}),
  });
  await kubelet.start();
  return { kubelet, fabric, log };
}

/** Stops a node's kubelet and closes its fabric. */
export async function stopNode(n: Node | undefined): Promise<void> {
  if (!n) return;
  await n.kubelet.stop();
  await n.fabric.close();
}

/** Creates a namespace unique to a test. */
export async function namespace(api: ApiClient, prefix: string): Promise<string> {
  const ns = uniqueNamespace(prefix);
  await api.create(R.namespaces, undefined, { metadata: { name: ns } });
  return ns;
}

/** A pod bound to node-1 with one container "app" (kemu/echo:1 on port 8080), changed by mutate. */
export function podManifest(name: string, mutate?: (p: KObject) => void): KObject {
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name } },
    spec: {
      nodeName: "node-1",
      terminationGracePeriodSeconds: 30,
      containers: [{ name: "app", image: "kemu/echo:1", ports: [{ containerPort: 8080 }] }],
    },
  };
  mutate?.(pod);
  return pod;
}

/** Retries fn (assertions included) every 100 ms until it passes or timeoutMs runs out. */
export const eventually = <T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> =>
  retrying(fn, timeoutMs, 100);

/** GETs path from podIP:port through the fabric (where the pod's port really listens). */
export function getViaFabric(
  fabric: LoopbackFabric,
  podIP: string,
  port: number,
  path = "/",
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const at = fabric.resolvePodPort(podIP, port, "TCP");
  if (!at) return Promise.reject(new Error(`nothing serves ${podIP}:${port}`));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: at.host, port: at.port, path, headers: { Connection: "close", ...headers } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

/** The pod's condition of type. */
export function condition(pod: KObject | undefined, type: string): KObject | undefined {
  return ((pod?.["status"]?.["conditions"] ?? []) as KObject[]).find((c) => c["type"] === type);
}
