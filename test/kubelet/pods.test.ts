/**
 * Pods run by the kubelet on the real path: nats-server, `kemu apiserver` and `kemu
 * controller-manager` processes; kubelets for node-1 and node-2 in this process on real loopback
 * fabrics; observed with real kubectl, the API over NATS and real sockets.
 */
import { createSocket } from "node:dgram";
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { execInPod, fetchLogs, followLogs, NodeServiceError } from "@kemu/kubelet";
import type { DataPlane } from "@kemu/proxy";
import { fixture, TestCluster } from "../harness.ts";
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
  n2 = await startNode(tc, "node-2", 2);
});

afterAll(async () => {
  await stopNode(n1);
  await stopNode(n2);
  await tc?.close();
  await c?.stop();
});

const env = (pairs: Record<string, string>) =>
  Object.entries(pairs).map(([name, value]) => ({ name, value }));

/** Creates a pod and waits until kubectl says it is Ready. */
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

/** Applies a walkthrough manifest in namespace ns instead of default. */
async function applyFixture(ns: string, name: string): Promise<void> {
  const yaml = (await readFile(fixture(name), "utf8")).replace(/namespace: default/g, `namespace: ${ns}`);
  await c.kubectlOk(["apply", "-f", "-"], { input: yaml });
}

async function events(ns: string, pod: string): Promise<string[]> {
  const list = await api.list(R.events, ns, { fieldSelector: `involvedObject.name=${pod}` });
  return (list["items"] as KObject[]).map((e) => `${e["type"]} ${e["reason"]}: ${e["message"]}`);
}

describe("kubelet: running pods", () => {
  it("kubelet/pods: a pod bound to node-1 becomes 1/1 Running with an IP from 10.244.1.0/24, served through the fabric", async () => {
    const ns = await namespace(api, "run");
    const pod = await runPod(ns, podManifest("web"));
    const ip: string = pod["status"]["podIP"];
    expect(ip).toMatch(/^10\.244\.1\.(\d+)$/);
    expect(ip).not.toBe("10.244.1.1");
    const wide = await c.kubectlOk(["get", "pods", "-n", ns, "-o", "wide"]);
    expect(wide).toMatch(
      new RegExp(
        `^web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${ip.replace(/\./g, "\\.")}\\s+node-1\\s+<none>\\s+<none>$`,
        "m",
      ),
    );
    const s = pod["status"];
    expect(s).toMatchObject({
      phase: "Running",
      hostIP: "127.0.1.1",
      hostIPs: [{ ip: "127.0.1.1" }],
      podIPs: [{ ip }],
      qosClass: "BestEffort",
    });
    expect(s["startTime"]).toMatch(/Z$/);
    expect((s["conditions"] as KObject[]).map((x) => `${x["type"]}=${x["status"]}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
    ]);
    expect(s["containerStatuses"][0]).toMatchObject({
      name: "app",
      ready: true,
      started: true,
      restartCount: 0,
      image: "docker.io/kemu/echo:1",
      lastState: {},
    });
    expect(s["containerStatuses"][0]["containerID"]).toMatch(/^kemu:\/\/[0-9a-f]{64}$/);
    expect(s["containerStatuses"][0]["imageID"]).toMatch(/^docker\.io\/kemu\/echo@sha256:[0-9a-f]{64}$/);
    expect(s["containerStatuses"][0]["state"]["running"]["startedAt"]).toMatch(/Z$/);

    const r = await getViaFabric(n1!.fabric, ip, 8080, "/where");
    expect(r.status).toBe(200);
    expect(r.body).toMatch(
      new RegExp(
        `^pod=web namespace=${ns} node=node-1 podIP=${ip.replace(/\./g, "\\.")} client=\\S+ image=kemu/echo:1 container=app method=GET path=/where\\n$`,
      ),
    );
    // Every kubelet in the cluster sees the record: node-2's fabric resolves node-1's pod.
    expect(n2!.fabric.resolvePodPort(ip, 8080, "TCP")).toEqual(n1!.fabric.resolvePodPort(ip, 8080, "TCP"));
    await eventually(async () => {
      expect(await events(ns, "web")).toEqual(
        expect.arrayContaining([
          'Normal Pulled: Container image "kemu/echo:1" already present on machine',
          "Normal Created: Created container: app",
          "Normal Started: Started container app",
        ]),
      );
    });
  });

  it("kubelet/pods: pods get distinct IPs from their node's CIDR", async () => {
    const ns = await namespace(api, "ips");
    const names = ["a", "b", "c"];
    for (const n of names)
      await api.create(
        R.pods,
        ns,
        podManifest(n, (p) => (p["spec"]["nodeName"] = "node-2")),
      );
    const ips = await eventually(async () => {
      const got = await Promise.all(
        names.map(async (n) => (await api.get(R.pods, ns, n))!["status"]["podIP"] as string),
      );
      for (const ip of got) expect(ip).toMatch(/^10\.244\.2\.\d+$/);
      return got;
    });
    expect(new Set(ips).size).toBe(3);
    expect(ips).not.toContain("10.244.2.1");
  });

  it("kubelet/pods: a readiness probe flips READY when the fail-readiness annotation changes", async () => {
    const ns = await namespace(api, "ready");
    await runPod(
      ns,
      podManifest("flip", (p) => {
        p["spec"]["containers"][0]["readinessProbe"] = {
          httpGet: { path: "/healthz", port: 8080 },
          periodSeconds: 1,
          failureThreshold: 1,
        };
      }),
    );
    await c.kubectlOk(["annotate", "-n", ns, "pod/flip", "kemu.dev/fail-readiness=true"]);
    await eventually(async () => {
      const out = await c.kubectlOk(["get", "pod", "-n", ns, "flip", "--no-headers"]);
      expect(out).toMatch(/^flip\s+0\/1\s+Running\s+0\s/);
    });
    const p = (await api.get(R.pods, ns, "flip"))!;
    expect(condition(p, "Ready")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
      message: "containers with unready status: [app]",
    });
    expect(await events(ns, "flip")).toContain(
      "Warning Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503",
    );
    await c.kubectlOk(["annotate", "-n", ns, "pod/flip", "kemu.dev/fail-readiness=false", "--overwrite"]);
    await c.kubectlOk(["wait", "-n", ns, "--for=condition=Ready", "pod/flip", "--timeout=60s"]);
  });

  it("kubelet/pods: a Ready condition someone else set to False is put right by the kubelet", async () => {
    const ns = await namespace(api, "rewrite");
    const pod = await runPod(ns, podManifest("steady"));
    const conditions = (pod["status"]["conditions"] as KObject[]).map((x) =>
      x["type"] === "Ready" ? { ...x, status: "False", reason: "NodeLost" } : x,
    );
    await api.patch(R.pods, ns, "steady", { status: { conditions } }, { subresource: "status" });
    await c.kubectlOk(["wait", "-n", ns, "--for=condition=Ready", "pod/steady", "--timeout=60s"]);
    expect(condition(await api.get(R.pods, ns, "steady"), "Ready")).toMatchObject({ status: "True" });
    expect(condition(await api.get(R.pods, ns, "steady"), "Ready")?.["reason"]).toBeUndefined();
  });

  it("kubelet/pods: the start-up and readiness delay knobs hold Ready back, with a tcpSocket probe", async () => {
    const ns = await namespace(api, "slow");
    const t0 = Date.now();
    await api.create(
      R.pods,
      ns,
      podManifest("slow", (p) => {
        p["metadata"]["annotations"] = { "kemu.dev/startup-delay": "2s", "kemu.dev/readiness-delay": "1s" };
        p["spec"]["containers"][0]["readinessProbe"] = {
          tcpSocket: { port: 8080 },
          periodSeconds: 1,
          failureThreshold: 1,
        };
      }),
    );
    await c.kubectlOk(["wait", "-n", ns, "--for=condition=Ready", "pod/slow", "--timeout=60s"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
    // Ready came at least start-up delay + readiness delay after the container started.
    const p = (await api.get(R.pods, ns, "slow"))!;
    const startedAt = Date.parse(p["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]);
    expect(Date.parse(condition(p, "Ready")!["lastTransitionTime"]) - startedAt).toBeGreaterThanOrEqual(3000);
    expect(await events(ns, "slow")).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Warning Unhealthy: Readiness probe failed: dial tcp 10\.244\.1\.\d+:8080: /),
      ]),
    );
  });

  it("kubelet/pods: a failing liveness probe restarts the container: RESTARTS goes up, lastState is terminated", async () => {
    const ns = await namespace(api, "live");
    await runPod(
      ns,
      podManifest("sick", (p) => {
        p["spec"]["containers"][0]["env"] = env({
          KEMU_FAIL_LIVENESS_AFTER: "2s",
          KEMU_SHUTDOWN: "immediate",
        });
        p["spec"]["containers"][0]["livenessProbe"] = {
          httpGet: { path: "/healthz", port: 8080 },
          periodSeconds: 1,
          failureThreshold: 2,
        };
      }),
    );
    const p = await eventually(async () => {
      const got = (await api.get(R.pods, ns, "sick"))!;
      expect(got["status"]["containerStatuses"][0]["restartCount"]).toBeGreaterThanOrEqual(2);
      return got;
    }, 60_000);
    expect(p["status"]["containerStatuses"][0]["lastState"]["terminated"]).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    const out = await c.kubectlOk(["get", "pod", "-n", ns, "sick", "--no-headers"]);
    expect(out).toMatch(/^sick\s+\d\/1\s+\S+\s+([2-9]|\d\d+) \(\d+s ago\)\s/);
    const seen = await events(ns, "sick");
    expect(seen).toContain(
      "Warning Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500",
    );
    expect(seen).toContain("Normal Killing: Container app failed liveness probe, will be restarted");
  });

  it("kubelet/pods: a container that keeps crashing goes into CrashLoopBackOff", async () => {
    const ns = await namespace(api, "crash");
    await api.create(
      R.pods,
      ns,
      podManifest(
        "crashy",
        (p) => (p["spec"]["containers"][0]["env"] = env({ KEMU_EXIT_AFTER: "300ms", KEMU_EXIT_CODE: "1" })),
      ),
    );
    await eventually(async () => {
      const out = await c.kubectlOk(["get", "pod", "-n", ns, "crashy", "--no-headers"]);
      expect(out).toMatch(/^crashy\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\d+s ago\)\s/);
    }, 60_000);
    const p = (await api.get(R.pods, ns, "crashy"))!;
    const cs = p["status"]["containerStatuses"][0];
    expect(p["status"]["phase"]).toBe("Running");
    expect(cs["state"]["waiting"]["message"]).toMatch(
      new RegExp(
        `^back-off \\d+s restarting failed container=app pod=crashy_${ns}\\(${p["metadata"]["uid"]}\\)$`,
      ),
    );
    expect(cs["lastState"]["terminated"]).toMatchObject({ exitCode: 1, reason: "Error" });
    expect(await events(ns, "crashy")).toContain(
      `Warning BackOff: Back-off restarting failed container app in pod crashy_${ns}(${p["metadata"]["uid"]})`,
    );
  });

  it("kubelet/pods: restartPolicy Never: a container that exits 0 completes the pod and its ports go", async () => {
    const ns = await namespace(api, "job");
    await api.create(
      R.pods,
      ns,
      podManifest("once", (p) => {
        p["spec"]["restartPolicy"] = "Never";
        p["spec"]["containers"][0]["env"] = env({ KEMU_EXIT_AFTER: "1s" });
      }),
    );
    const ip = await eventually(async () => {
      const p = (await api.get(R.pods, ns, "once"))!;
      expect(p["status"]["podIP"]).toBeDefined();
      return p["status"]["podIP"] as string;
    });
    const done = await eventually(async () => {
      const p = (await api.get(R.pods, ns, "once"))!;
      expect(p["status"]["phase"]).toBe("Succeeded");
      return p;
    });
    expect(done["status"]["containerStatuses"][0]["state"]["terminated"]).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    expect(condition(done, "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
    expect(await c.kubectlOk(["get", "pod", "-n", ns, "once", "--no-headers"])).toMatch(
      /^once\s+0\/1\s+Completed\s+0\s/,
    );
    expect(n1!.fabric.resolvePodPort(ip, 8080, "TCP")).toBeUndefined();
  });

  it("kubelet/pods: an init container completes before the containers start", async () => {
    const ns = await namespace(api, "init");
    const p = await runPod(
      ns,
      podManifest("inited", (p) => {
        p["spec"]["initContainers"] = [
          { name: "setup", image: "busybox:1.36", command: ["sh", "-c", "true"] },
        ];
      }),
    );
    expect(p["status"]["initContainerStatuses"][0]).toMatchObject({
      name: "setup",
      ready: true,
      state: { terminated: { exitCode: 0, reason: "Completed" } },
    });
    const started = (s: KObject) =>
      Date.parse(s["state"]["running"]?.["startedAt"] ?? s["state"]["terminated"]["startedAt"]);
    expect(started(p["status"]["containerStatuses"][0])).toBeGreaterThanOrEqual(
      started(p["status"]["initContainerStatuses"][0]),
    );
  });
});

describe("kubelet: logs over NATS", () => {
  it("kubelet/logs: tail, timestamps, limitBytes, previous and the kubelet's errors", async () => {
    const ns = await namespace(api, "logs");
    const pod = await runPod(ns, podManifest("talker"));
    const ip: string = pod["status"]["podIP"];
    for (const path of ["/one", "/two", "/three"]) await getViaFabric(n1!.fabric, ip, 8080, path);
    const all = await fetchLogs(tc.nc, "node-1", { namespace: ns, pod: "talker" });
    const lines = all.trimEnd().split("\n");
    expect(lines[0]).toBe("kemu echo server listening on 8080/tcp");
    expect(lines.slice(1).map((l) => l.replace(/^\S+ /, ""))).toEqual([
      '"GET /one HTTP/1.1" 200 -',
      '"GET /two HTTP/1.1" 200 -',
      '"GET /three HTTP/1.1" 200 -',
    ]);
    expect(
      await fetchLogs(tc.nc, "node-1", { namespace: ns, pod: "talker", container: "app", tailLines: 1 }),
    ).toMatch(/"GET \/three HTTP\/1\.1" 200 -\n$/);
    const stamped = await fetchLogs(tc.nc, "node-1", {
      namespace: ns,
      pod: "talker",
      tailLines: 2,
      timestamps: true,
    });
    expect(stamped).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \S+ "GET \/two HTTP\/1\.1" 200 -\n\d{4}-\S+Z \S+ "GET \/three/,
    );
    expect(await fetchLogs(tc.nc, "node-1", { namespace: ns, pod: "talker", limitBytes: 4 })).toBe("kemu");
    expect(await fetchLogs(tc.nc, "node-1", { namespace: ns, pod: "talker", sinceSeconds: 3600 })).toBe(all);

    const err = (req: Parameters<typeof fetchLogs>[2]) =>
      fetchLogs(tc.nc, "node-1", req).then(
        () => undefined,
        (e: unknown) => (e instanceof NodeServiceError ? e.status : e),
      );
    expect(await err({ namespace: ns, pod: "talker", previous: true })).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: 'previous terminated container "app" in pod "talker" not found',
    });
    expect(await err({ namespace: ns, pod: "talker", container: "nope" })).toMatchObject({
      code: 400,
      message: "container nope is not valid for pod talker",
    });
    expect(await err({ namespace: ns, pod: "ghost" })).toMatchObject({
      code: 404,
      message: 'pods "ghost" not found',
    });
    const noKubelet = await fetchLogs(tc.nc, "node-9", { namespace: ns, pod: "x" }).then(
      () => undefined,
      (e: unknown) => (e instanceof NodeServiceError ? e.status : e),
    );
    expect(noKubelet).toMatchObject({ code: 503, message: 'no kubelet is serving node "node-9"' });
  });

  it("kubelet/logs: a pod with two containers needs a container name; --previous shows the instance before a restart", async () => {
    const ns = await namespace(api, "logs2");
    await api.create(
      R.pods,
      ns,
      podManifest("pair", (p) => {
        p["spec"]["containers"].push({
          name: "sidecar",
          image: "kemu/echo:1",
          ports: [{ containerPort: 9090 }],
          env: env({ KEMU_EXIT_AFTER: "1s" }),
        });
      }),
    );
    // Ask once the kubelet runs the pod (before that, it rightly answers that it has no such pod).
    await eventually(async () => {
      const p = (await api.get(R.pods, ns, "pair"))!;
      expect(p["status"]?.["containerStatuses"]?.length).toBe(2);
    });
    await expect(fetchLogs(tc.nc, "node-1", { namespace: ns, pod: "pair" })).rejects.toThrow(
      "a container name must be specified for pod pair, choose one of: [app sidecar]",
    );
    await eventually(async () => {
      const p = (await api.get(R.pods, ns, "pair"))!;
      const side = (p["status"]["containerStatuses"] as KObject[]).find((s) => s["name"] === "sidecar")!;
      expect(side["restartCount"]).toBeGreaterThanOrEqual(1);
    });
    const previous = await fetchLogs(tc.nc, "node-1", {
      namespace: ns,
      pod: "pair",
      container: "sidecar",
      previous: true,
    });
    expect(previous).toBe("kemu echo server listening on 9090/tcp\n");
  });

  it("kubelet/logs: follow streams new lines until stopped", async () => {
    const ns = await namespace(api, "follow");
    const pod = await runPod(ns, podManifest("stream"));
    const ip: string = pod["status"]["podIP"];
    let got = "";
    let ended = false;
    const f = await followLogs(
      tc.nc,
      "node-1",
      { namespace: ns, pod: "stream", tailLines: 1 },
      (d) => (got += d),
      () => (ended = true),
    );
    await eventually(async () => expect(got).toBe("kemu echo server listening on 8080/tcp\n"));
    await getViaFabric(n1!.fabric, ip, 8080, "/live");
    await eventually(async () => expect(got).toMatch(/"GET \/live HTTP\/1\.1" 200 -\n$/));
    f.stop();
    expect(ended).toBe(true);
  });
});

describe("kubelet: emulated apps on the real path", () => {
  it("kubelet/apps: redis speaks RESP on 6379 through the fabric", async () => {
    const ns = await namespace(api, "redis");
    await applyFixture(ns, "redis.yaml");
    const p = await eventually(async () => {
      const list = await api.list(R.pods, ns, { labelSelector: "app=redis" });
      const pod = (list["items"] as KObject[])[0];
      expect(condition(pod, "Ready")?.["status"]).toBe("True");
      return pod!;
    }, 60_000);
    const node = p["spec"]["nodeName"] === "node-1" ? n1! : n2!;
    const at = node.fabric.resolvePodPort(p["status"]["podIP"], 6379, "TCP")!;
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(at.port, at.host);
      let got = "";
      s.setEncoding("utf8");
      s.on("data", (d: string) => {
        got += d;
        if (got.endsWith("$2\r\n43\r\n")) {
          s.destroy();
          resolve(got);
        }
      });
      s.on("error", reject);
      s.write(
        "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nn\r\n$2\r\n42\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\nGET n\r\n",
      );
    });
    expect(reply).toBe("+PONG\r\n+OK\r\n:43\r\n$2\r\n43\r\n");
    expect(
      await fetchLogs(tc.nc, p["spec"]["nodeName"], { namespace: ns, pod: p["metadata"]["name"] }),
    ).toContain("Redis version=4.0.0");
  });

  it("kubelet/apps: UDP containerPorts echo datagrams", async () => {
    const ns = await namespace(api, "udp");
    const pod = await runPod(
      ns,
      podManifest("udp", (p) => {
        p["spec"]["containers"][0]["ports"] = [
          { containerPort: 8080 },
          { containerPort: 5353, protocol: "UDP" },
        ];
      }),
    );
    const at = n1!.fabric.resolvePodPort(pod["status"]["podIP"], 5353, "UDP")!;
    const sock = createSocket("udp4");
    const echoed = await new Promise<string>((resolve) => {
      sock.on("message", (m) => resolve(m.toString()));
      sock.send("hello over udp", at.port, at.host);
    });
    sock.close();
    expect(echoed).toBe("hello over udp");
  });

  it("kubelet/apps: the walkthrough's nginx DaemonSet runs a pod per node answering /linuxea.html", async () => {
    const ns = await namespace(api, "linuxea");
    await applyFixture(ns, "nginx.yaml");
    const pods = await eventually(async () => {
      const list = (await api.list(R.pods, ns, { labelSelector: "app=nginx" }))["items"] as KObject[];
      expect(list.map((p) => p["spec"]["nodeName"]).sort()).toEqual(["node-1", "node-2"]);
      for (const p of list) expect(condition(p, "Ready")?.["status"]).toBe("True");
      return list;
    }, 60_000);
    for (const p of pods) {
      const node = p["spec"]["nodeName"] === "node-1" ? n1! : n2!;
      const r = await getViaFabric(node.fabric, p["status"]["podIP"], 80, "/linuxea.html");
      const id = String(p["status"]["containerStatuses"][0]["containerID"]).replace("kemu://", "");
      expect(r.body).toBe(`linuxea-${p["metadata"]["name"]}.com ▍ ${id.slice(0, 13)} ▍version number 1.0\n`);
    }
    const wide = await c.kubectlOk(["get", "pods", "-n", ns, "-o", "wide", "--show-labels"]);
    expect(wide).toMatch(
      /nginx-linuxea-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.1\.\d+\s+node-1\s+<none>\s+<none>\s+app=nginx,controller-revision-hash=\S+,pod-template-generation=1,release=www/,
    );
  });
});

describe("kubelet: exec (an HTTP client inside a pod)", () => {
  it("kubelet/exec: a pod on node-1 reaches a pod on node-2 by IP and the server sees the client pod's IP", async () => {
    const ns = await namespace(api, "exec");
    const client = await runPod(ns, podManifest("client"));
    const server = await runPod(
      ns,
      podManifest("server", (p) => (p["spec"]["nodeName"] = "node-2")),
    );
    const r = await execInPod(tc.nc, "node-1", {
      namespace: ns,
      pod: "client",
      url: `http://${server["status"]["podIP"]}:8080/from-client`,
      headers: { Accept: "application/json" },
    });
    expect(r.exitCode).toBe(0);
    if (r.exitCode !== 0 || !("status" in r)) throw new Error("no response");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({
      pod: "server",
      node: "node-2",
      clientIP: client["status"]["podIP"],
      path: "/from-client",
    });
  });

  it("kubelet/exec: curl's errors for a closed port, an unknown name, and a ClusterIP without a data plane", async () => {
    const ns = await namespace(api, "exec2");
    const pod = await runPod(ns, podManifest("client"));
    const run = (url: string) => execInPod(tc.nc, "node-1", { namespace: ns, pod: "client", url });
    expect(await run(`http://${pod["status"]["podIP"]}:9999/`)).toEqual({
      exitCode: 7,
      error: `curl: (7) Failed to connect to ${pod["status"]["podIP"]} port 9999 after 0 ms: Couldn't connect to server`,
    });
    expect(await run("http://no-such-svc/")).toEqual({
      exitCode: 6,
      error: "curl: (6) Could not resolve host: no-such-svc",
    });
    expect(await run("http://10.96.0.1:443/")).toMatchObject({ exitCode: 7 });
    expect(await run("localhost:8080/self")).toMatchObject({ exitCode: 0, status: 200 });
    await expect(
      execInPod(tc.nc, "node-1", { namespace: ns, pod: "ghost", url: "http://x/" }),
    ).rejects.toThrow('pods "ghost" not found');
  });

  it("kubelet/exec: a Service name resolves through the cluster DNS (ClusterFirst), dialled through the node's data plane", async () => {
    const ns = await namespace(api, "exec3");
    const server = await runPod(
      ns,
      podManifest("backend", (p) => (p["spec"]["nodeName"] = "node-2")),
    );
    // The cluster DNS as a CoreDNS pod; kube-dns's ClusterIP 10.96.0.10:53 leads to it.
    const coredns = await runPod(
      ns,
      podManifest("coredns", (p) => {
        p["spec"]["nodeName"] = "node-2";
        p["spec"]["containers"] = [
          {
            name: "coredns",
            image: "registry.k8s.io/coredns/coredns:v1.11.3",
            ports: [
              { containerPort: 53, protocol: "UDP" },
              { containerPort: 53, protocol: "TCP" },
            ],
          },
        ];
      }),
    );
    const svc = await api.create(R.services, ns, {
      metadata: { name: "web" },
      spec: { selector: { app: "backend" }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const clusterIP: string = svc["spec"]["clusterIP"];
    // A stand-in for the data plane: it sends kube-dns's 53 (UDP, and TCP) to the CoreDNS pod
    // and the ClusterIP's port 80 to the backend pod's 8080, and reports the client pod's IP as
    // the source (no SNAT).
    const connects: string[] = [];
    const dataPlane: DataPlane = {
      async connect(src, dstIP, dstPort, proto) {
        connects.push(`${src.ip}->${dstIP}:${dstPort}/${proto}`);
        if (dstIP === "10.96.0.10" && dstPort === 53) {
          const dns = n3!.fabric.resolvePodPort(coredns["status"]["podIP"], 53, proto);
          if (!dns) throw new Error("connect: connection refused");
          return { ...dns, sourceIP: src.ip };
        }
        if (dstIP !== clusterIP || dstPort !== 80) throw new Error("connect: connection refused");
        const at = n3!.fabric.resolvePodPort(server["status"]["podIP"], 8080, "TCP");
        if (!at) throw new Error("connect: connection refused");
        return { ...at, sourceIP: src.ip };
      },
      apply: async () => {},
      stats: () => ({ connections: {}, rejected: 0, dropped: 0 }),
      close: async () => {},
    };
    const n3 = await startNode(tc, "node-3", 3, {}, dataPlane);
    try {
      const client = await runPod(
        ns,
        podManifest("client", (p) => (p["spec"]["nodeName"] = "node-3")),
      );
      for (const url of [
        `http://${clusterIP}/by-ip`,
        "http://web/short",
        `http://web.${ns}.svc.cluster.local./fqdn`,
      ]) {
        const r = await execInPod(tc.nc, "node-3", {
          namespace: ns,
          pod: "client",
          url,
          headers: { Accept: "application/json" },
        });
        if (r.exitCode !== 0 || !("status" in r)) throw new Error(`${url}: ${JSON.stringify(r)}`);
        expect(JSON.parse(r.body)).toMatchObject({ pod: "backend", clientIP: client["status"]["podIP"] });
      }
      const clientIP: string = client["status"]["podIP"];
      expect(connects.filter((c) => c.endsWith(":80/TCP"))).toEqual(
        Array(3).fill(`${clientIP}->${clusterIP}:80/TCP`),
      );
      // "web" took the search path's first domain; the absolute name was asked as it is: one
      // datagram each, as glibc sends them (no TCP: the answers were not truncated).
      expect(connects.filter((c) => c.includes(":53/"))).toEqual(
        Array(2).fill(`${clientIP}->10.96.0.10:53/UDP`),
      );
    } finally {
      await stopNode(n3);
    }
  });
});
