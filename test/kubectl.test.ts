/**
 * Real kubectl 1.32 against kemu: every command a user of the walkthrough would type, asserting
 * the output a real cluster gives. There are no controllers, kubelets or nodes: Node objects are
 * created here, Deployment status is written through the status subresource to stand for a
 * finished rollout, and pods are either unscheduled (deleted at once) or force-deleted.
 *
 * Namespaces are made from a manifest (`kubectl create -f`), so that one missing feature
 * (`kubectl create namespace` sends protobuf; see "generators") does not fail every test.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, TestCluster, uniqueNamespace } from "./harness.ts";
import {
  asInput,
  asList,
  makeConfigMap,
  makeDaemonSet,
  makeDeployment,
  makeEvent,
  makeNamespace,
  makeNode,
  makePod,
  makeReplicaSet,
  makeService,
  type Obj,
} from "./fixtures/compat/objects.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start();
});

afterAll(async () => {
  await c?.stop();
});

/** A fresh namespace, created from a manifest. */
async function mkns(prefix: string): Promise<string> {
  const ns = uniqueNamespace(prefix);
  expect(await c.kubectlOk(["create", "-f", "-"], { input: asInput(makeNamespace(ns)) })).toBe(
    `namespace/${ns} created\n`,
  );
  return ns;
}

/** `kubectl create -f -` of objects; returns stdout. */
function create(...objs: Obj[]): Promise<string> {
  return c.kubectlOk(["create", "-f", "-"], { input: asInput(...objs) });
}

/** `kubectl apply -f -` of objects or raw manifest text; returns stdout. */
function apply(input: string | Obj): Promise<string> {
  return c.kubectlOk(["apply", "-f", "-"], { input: typeof input === "string" ? input : asInput(input) });
}

/** `kubectl get ... -o json`, parsed. */
async function getJSON(...args: string[]): Promise<Obj> {
  return JSON.parse(await c.kubectlOk(["get", ...args, "-o", "json"]));
}

/** A walkthrough manifest moved into namespace ns. */
function walkthrough(name: string, ns: string): string {
  return readFileSync(fixture(name), "utf8").replace(/namespace: default/g, `namespace: ${ns}`);
}

/**
 * Parses kubectl's column output into records keyed by header. Columns are cut at the header's
 * offsets (kubectl pads every cell to its column), so empty cells stay empty.
 */
function parseTable(out: string): Record<string, string>[] {
  const lines = out.split("\n").filter((l) => l.length > 0);
  const header = lines[0] ?? "";
  const cols: { name: string; start: number }[] = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) cols.push({ name: m[0], start: m.index });
  return lines.slice(1).map((line) => {
    const rec: Record<string, string> = {};
    cols.forEach((col, i) => {
      const end = i + 1 < cols.length ? cols[i + 1]!.start : undefined;
      rec[col.name] = line.slice(col.start, end).trim();
    });
    return rec;
  });
}

/** The header row of kubectl's column output. */
function headerOf(out: string): string[] {
  return (out.split("\n")[0] ?? "").trim().split(/\s{2,}/);
}

/** A record without its age column(s), after checking they read as a fresh age. */
function withoutAge(rec: Record<string, string> | undefined): Record<string, string> {
  expect(rec).toBeDefined();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec!)) {
    if (k === "AGE" || k === "LAST SEEN") expect(v).toMatch(/^\d+s$/);
    else out[k] = v;
  }
  return out;
}

/** Polls fn until it returns a value other than undefined, for at most timeoutMs. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A long-running kubectl (get -w) whose output is read as it arrives. */
function startKubectl(args: string[]) {
  const p = spawn("kubectl", ["--kubeconfig", c.kubeconfigPath, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  return {
    get stdout() {
      return stdout;
    },
    /** Resolves once stdout has n non-empty lines. */
    lines(n: number): Promise<string[]> {
      return until(
        `${n} lines from kubectl ${args.join(" ")} (got ${JSON.stringify(stdout)} ${stderr})`,
        () => {
          const ls = stdout.split("\n").filter(Boolean);
          return Promise.resolve(ls.length >= n ? ls : undefined);
        },
      );
    },
    async stop(): Promise<void> {
      if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
      await exited;
    },
  };
}

describe("kubectl get", () => {
  it("get: pods table, -o wide and --show-labels", async () => {
    const ns = await mkns("get-pods");
    await create(
      makePod(ns, "bound", (p) => {
        p.metadata.labels.tier = "fe";
        p.spec.nodeName = "node-x";
      }),
      makePod(ns, "pending", (p) => {
        p.spec.containers.push({ name: "side", image: "busybox" });
      }),
    );
    const out = await c.kubectlOk(["get", "pods", "-n", ns]);
    expect(headerOf(out)).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(parseTable(out).map(withoutAge)).toEqual([
      { NAME: "bound", READY: "0/1", STATUS: "Pending", RESTARTS: "0" },
      { NAME: "pending", READY: "0/2", STATUS: "Pending", RESTARTS: "0" },
    ]);
    const wide = await c.kubectlOk(["get", "pods", "-n", ns, "-o", "wide"]);
    expect(headerOf(wide)).toEqual([
      "NAME",
      "READY",
      "STATUS",
      "RESTARTS",
      "AGE",
      "IP",
      "NODE",
      "NOMINATED NODE",
      "READINESS GATES",
    ]);
    expect(parseTable(wide).map(withoutAge)).toEqual([
      {
        NAME: "bound",
        READY: "0/1",
        STATUS: "Pending",
        RESTARTS: "0",
        IP: "<none>",
        NODE: "node-x",
        "NOMINATED NODE": "<none>",
        "READINESS GATES": "<none>",
      },
      {
        NAME: "pending",
        READY: "0/2",
        STATUS: "Pending",
        RESTARTS: "0",
        IP: "<none>",
        NODE: "<none>",
        "NOMINATED NODE": "<none>",
        "READINESS GATES": "<none>",
      },
    ]);
    const labels = parseTable(await c.kubectlOk(["get", "pods", "-n", ns, "--show-labels"]));
    expect(labels.map((r) => [r["NAME"], r["LABELS"]])).toEqual([
      ["bound", "app=bound,tier=fe"],
      ["pending", "app=pending"],
    ]);
  });

  it("get: a pod status written with podIP reads back with podIPs and shows in -o wide", async () => {
    const ns = await mkns("get-podip");
    await create(makePod(ns, "web", (p) => (p.spec.nodeName = "node-x")));
    await c.kubectlOk([
      "patch",
      "pod",
      "web",
      "-n",
      ns,
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"phase":"Running","podIP":"10.244.1.7"}}',
    ]);
    const row = parseTable(await c.kubectlOk(["get", "pod", "web", "-n", ns, "-o", "wide"]))[0];
    expect(row?.["STATUS"]).toBe("Running");
    expect(row?.["IP"]).toBe("10.244.1.7");
    const pod = await getJSON("pod", "web", "-n", ns);
    // v1 PodStatus conversion fills podIPs from podIP (pkg/apis/core/v1/conversion.go).
    expect(pod.status.podIPs).toEqual([{ ip: "10.244.1.7" }]);
  });

  it("get: services table and -o wide with the selector", async () => {
    const ns = await mkns("get-svc");
    await create(
      makeService(ns, "web"),
      makeService(ns, "np", (s) => {
        s.spec.type = "NodePort";
        s.spec.ports = [{ port: 80, targetPort: 80, nodePort: 30080 }];
      }),
      makeService(ns, "headless", (s) => {
        s.spec.clusterIP = "None";
        delete s.spec.selector;
      }),
    );
    const ip = (await getJSON("svc", "web", "-n", ns)).spec.clusterIP;
    expect(ip).toMatch(/^10\.(9[6-9]|1[01]\d)\.\d+\.\d+$/);
    const npIP = (await getJSON("svc", "np", "-n", ns)).spec.clusterIP;
    const out = await c.kubectlOk(["get", "svc", "-n", ns, "-o", "wide"]);
    expect(headerOf(out)).toEqual([
      "NAME",
      "TYPE",
      "CLUSTER-IP",
      "EXTERNAL-IP",
      "PORT(S)",
      "AGE",
      "SELECTOR",
    ]);
    expect(parseTable(out).map(withoutAge)).toEqual([
      {
        NAME: "headless",
        TYPE: "ClusterIP",
        "CLUSTER-IP": "None",
        "EXTERNAL-IP": "<none>",
        "PORT(S)": "80/TCP",
        SELECTOR: "<none>",
      },
      {
        NAME: "np",
        TYPE: "NodePort",
        "CLUSTER-IP": npIP,
        "EXTERNAL-IP": "<none>",
        "PORT(S)": "80:30080/TCP",
        SELECTOR: "app=np",
      },
      {
        NAME: "web",
        TYPE: "ClusterIP",
        "CLUSTER-IP": ip,
        "EXTERNAL-IP": "<none>",
        "PORT(S)": "80/TCP",
        SELECTOR: "app=web",
      },
    ]);
  });

  it("get: nodes table and -o wide", async () => {
    const name = uniqueNamespace("node");
    await create(makeNode(name));
    const row = parseTable(await c.kubectlOk(["get", "nodes"])).find((r) => r["NAME"] === name);
    expect(withoutAge(row)).toEqual({ NAME: name, STATUS: "Ready", ROLES: "<none>", VERSION: "v1.32.0" });
    const wide = await c.kubectlOk(["get", "node", name, "-o", "wide"]);
    expect(headerOf(wide)).toEqual([
      "NAME",
      "STATUS",
      "ROLES",
      "AGE",
      "VERSION",
      "INTERNAL-IP",
      "EXTERNAL-IP",
      "OS-IMAGE",
      "KERNEL-VERSION",
      "CONTAINER-RUNTIME",
    ]);
    expect(withoutAge(parseTable(wide)[0])).toEqual({
      NAME: name,
      STATUS: "Ready",
      ROLES: "<none>",
      VERSION: "v1.32.0",
      "INTERNAL-IP": "172.18.0.2",
      "EXTERNAL-IP": "<none>",
      "OS-IMAGE": "Debian GNU/Linux 12 (bookworm)",
      "KERNEL-VERSION": "6.1.0",
      "CONTAINER-RUNTIME": "containerd://1.7.0",
    });
    await c.kubectlOk(["cordon", name]);
    const cordoned = parseTable(await c.kubectlOk(["get", "node", name]))[0];
    expect(cordoned?.["STATUS"]).toBe("Ready,SchedulingDisabled");
    expect(await c.kubectlOk(["delete", "node", name])).toBe(`node "${name}" deleted\n`);
  });

  it("get: namespaces table, --show-labels and the bootstrap namespaces", async () => {
    const ns = await mkns("get-ns");
    const out = await c.kubectlOk(["get", "namespaces", "--show-labels"]);
    expect(headerOf(out)).toEqual(["NAME", "STATUS", "AGE", "LABELS"]);
    const rows = parseTable(out);
    for (const n of ["default", "kube-node-lease", "kube-public", "kube-system", ns]) {
      const r = rows.find((x) => x["NAME"] === n);
      expect(r?.["STATUS"]).toBe("Active");
      expect(r?.["LABELS"]).toBe(`kubernetes.io/metadata.name=${n}`);
    }
  });

  it("get: deployments, replicasets and daemonsets tables and -o wide", async () => {
    const ns = await mkns("get-apps");
    await create(makeDeployment(ns, "web"), makeReplicaSet(ns, "rs"), makeDaemonSet(ns, "ds"));
    const deploy = await c.kubectlOk(["get", "deployments", "-n", ns, "-o", "wide"]);
    expect(headerOf(deploy)).toEqual([
      "NAME",
      "READY",
      "UP-TO-DATE",
      "AVAILABLE",
      "AGE",
      "CONTAINERS",
      "IMAGES",
      "SELECTOR",
    ]);
    expect(parseTable(deploy).map(withoutAge)).toEqual([
      {
        NAME: "web",
        READY: "0/2",
        "UP-TO-DATE": "0",
        AVAILABLE: "0",
        CONTAINERS: "web",
        IMAGES: "nginx:1.25",
        SELECTOR: "app=web",
      },
    ]);
    const rs = await c.kubectlOk(["get", "rs", "-n", ns, "-o", "wide"]);
    expect(headerOf(rs)).toEqual([
      "NAME",
      "DESIRED",
      "CURRENT",
      "READY",
      "AGE",
      "CONTAINERS",
      "IMAGES",
      "SELECTOR",
    ]);
    expect(parseTable(rs).map(withoutAge)).toEqual([
      {
        NAME: "rs",
        DESIRED: "2",
        CURRENT: "0",
        READY: "0",
        CONTAINERS: "web",
        IMAGES: "nginx:1.25",
        SELECTOR: "app=rs",
      },
    ]);
    const ds = await c.kubectlOk(["get", "ds", "-n", ns]);
    expect(headerOf(ds)).toEqual([
      "NAME",
      "DESIRED",
      "CURRENT",
      "READY",
      "UP-TO-DATE",
      "AVAILABLE",
      "NODE SELECTOR",
      "AGE",
    ]);
    expect(parseTable(ds).map(withoutAge)).toEqual([
      {
        NAME: "ds",
        DESIRED: "0",
        CURRENT: "0",
        READY: "0",
        "UP-TO-DATE": "0",
        AVAILABLE: "0",
        "NODE SELECTOR": "<none>",
      },
    ]);
  });

  it("get: configmaps, secrets and serviceaccounts tables", async () => {
    const ns = await mkns("get-cfg");
    await create(
      makeConfigMap(ns, "cfg", (cm) => (cm.data = { a: "1", b: "2" })),
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "creds", namespace: ns },
        type: "Opaque",
        data: { user: Buffer.from("admin").toString("base64") },
      },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "robot", namespace: ns } },
    );
    const cms = await c.kubectlOk(["get", "cm", "-n", ns]);
    expect(headerOf(cms)).toEqual(["NAME", "DATA", "AGE"]);
    expect(parseTable(cms).map(withoutAge)).toEqual([{ NAME: "cfg", DATA: "2" }]);
    const secrets = await c.kubectlOk(["get", "secrets", "-n", ns]);
    expect(headerOf(secrets)).toEqual(["NAME", "TYPE", "DATA", "AGE"]);
    expect(parseTable(secrets).map(withoutAge)).toEqual([{ NAME: "creds", TYPE: "Opaque", DATA: "1" }]);
    const sa = await c.kubectlOk(["get", "sa", "-n", ns]);
    expect(headerOf(sa)).toEqual(["NAME", "SECRETS", "AGE"]);
    expect(parseTable(sa).map(withoutAge)).toEqual([{ NAME: "robot", SECRETS: "0" }]);
  });

  it("get: endpoints, endpointslices, events and leases tables", async () => {
    const ns = await mkns("get-net");
    await create(
      {
        apiVersion: "v1",
        kind: "Endpoints",
        metadata: { name: "web", namespace: ns },
        subsets: [
          { addresses: [{ ip: "10.244.1.5" }, { ip: "10.244.1.6" }], ports: [{ name: "http", port: 8080 }] },
        ],
      },
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "web-abc12", namespace: ns, labels: { "kubernetes.io/service-name": "web" } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.244.1.5"] }, { addresses: ["10.244.1.6"] }],
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "leader", namespace: ns },
        spec: { holderIdentity: "node-a", leaseDurationSeconds: 40 },
      },
      makeEvent(ns, "web-0.1"),
    );
    const ep = await c.kubectlOk(["get", "endpoints", "-n", ns]);
    expect(headerOf(ep)).toEqual(["NAME", "ENDPOINTS", "AGE"]);
    expect(parseTable(ep).map(withoutAge)).toEqual([
      { NAME: "web", ENDPOINTS: "10.244.1.5:8080,10.244.1.6:8080" },
    ]);
    const eps = await c.kubectlOk(["get", "endpointslices", "-n", ns]);
    expect(headerOf(eps)).toEqual(["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]);
    expect(parseTable(eps).map(withoutAge)).toEqual([
      { NAME: "web-abc12", ADDRESSTYPE: "IPv4", PORTS: "8080", ENDPOINTS: "10.244.1.5,10.244.1.6" },
    ]);
    const leases = await c.kubectlOk(["get", "leases", "-n", ns]);
    expect(headerOf(leases)).toEqual(["NAME", "HOLDER", "AGE"]);
    expect(parseTable(leases).map(withoutAge)).toEqual([{ NAME: "leader", HOLDER: "node-a" }]);
    const ev = await c.kubectl(["get", "events", "-n", ns]);
    expect(ev.code).toBe(0);
    expect(headerOf(ev.stdout)).toEqual(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    expect(parseTable(ev.stdout).map(withoutAge)).toEqual([
      {
        TYPE: "Normal",
        REASON: "Scheduled",
        OBJECT: "pod/web-0",
        MESSAGE: `Successfully assigned ${ns}/web-0 to node-a`,
      },
    ]);
  });

  it("get: -A lists every namespace with a NAMESPACE column", async () => {
    const a = await mkns("get-all-a");
    const b = await mkns("get-all-b");
    await create(makeConfigMap(a, "shared"), makeConfigMap(b, "shared"));
    const out = await c.kubectlOk(["get", "cm", "-A", "--field-selector", "metadata.name=shared"]);
    expect(headerOf(out)).toEqual(["NAMESPACE", "NAME", "DATA", "AGE"]);
    expect(parseTable(out).map(withoutAge)).toEqual([
      { NAMESPACE: a, NAME: "shared", DATA: "1" },
      { NAMESPACE: b, NAME: "shared", DATA: "1" },
    ]);
    const svc = parseTable(await c.kubectlOk(["get", "svc", "-A"]));
    expect(svc.find((r) => r["NAME"] === "kubernetes")?.["NAMESPACE"]).toBe("default");
    expect(svc.find((r) => r["NAME"] === "kube-dns")?.["PORT(S)"]).toBe("53/UDP,53/TCP,9153/TCP");
  });

  it("get: -l with equality and set-based selectors", async () => {
    const ns = await mkns("get-sel");
    await create(
      makeConfigMap(ns, "fe", (o) => (o.metadata.labels = { app: "web", tier: "fe" })),
      makeConfigMap(ns, "be", (o) => (o.metadata.labels = { app: "web", tier: "be" })),
      makeConfigMap(ns, "db", (o) => (o.metadata.labels = { app: "db" })),
      makeConfigMap(ns, "bare"),
    );
    const names = async (sel: string) =>
      (await c.kubectlOk(["get", "cm", "-n", ns, "-l", sel, "-o", "name"]))
        .trim()
        .split("\n")
        .filter(Boolean);
    expect(await names("app=web")).toEqual(["configmap/be", "configmap/fe"]);
    expect(await names("app==web,tier!=be")).toEqual(["configmap/fe"]);
    expect(await names("app in (web,db)")).toEqual(["configmap/be", "configmap/db", "configmap/fe"]);
    expect(await names("app notin (web)")).toEqual(["configmap/bare", "configmap/db"]);
    expect(await names("tier")).toEqual(["configmap/be", "configmap/fe"]);
    expect(await names("!tier,app")).toEqual(["configmap/db"]);
    const none = await c.kubectl(["get", "cm", "-n", ns, "-l", "app=nothing"]);
    expect(none).toMatchObject({ code: 0, stdout: "", stderr: `No resources found in ${ns} namespace.\n` });
    const bad = await c.kubectl(["get", "cm", "-n", ns, "-l", "app in web"]);
    expect(bad.code).toBe(1);
  });

  it("get: --field-selector on metadata.name, spec.nodeName and status.phase", async () => {
    const ns = await mkns("get-fs");
    await create(
      makePod(ns, "on-a", (p) => (p.spec.nodeName = "node-a")),
      makePod(ns, "on-b", (p) => (p.spec.nodeName = "node-b")),
      makePod(ns, "nowhere"),
    );
    await c.kubectlOk([
      "patch",
      "pod",
      "on-b",
      "-n",
      ns,
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"phase":"Running"}}',
    ]);
    const names = async (sel: string) =>
      (await c.kubectlOk(["get", "pods", "-n", ns, "--field-selector", sel, "-o", "name"]))
        .trim()
        .split("\n")
        .filter(Boolean);
    expect(await names("metadata.name=on-a")).toEqual(["pod/on-a"]);
    expect(await names("spec.nodeName=node-a")).toEqual(["pod/on-a"]);
    expect(await names("spec.nodeName=")).toEqual(["pod/nowhere"]);
    expect(await names("status.phase=Running")).toEqual(["pod/on-b"]);
    expect(await names("status.phase!=Running,spec.nodeName!=")).toEqual(["pod/on-a"]);
    const all = parseTable(
      await c.kubectlOk(["get", "pods", "-A", "--field-selector", "spec.nodeName=node-b"]),
    );
    expect(all.map((r) => [r["NAMESPACE"], r["NAME"], r["STATUS"]])).toEqual([[ns, "on-b", "Running"]]);
  });

  it("get: --field-selector on an unsupported field is a BadRequest", async () => {
    const ns = await mkns("get-fs-bad");
    const r = await c.kubectl(["get", "pods", "-n", ns, "--field-selector", "spec.foo=bar"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=bar": field label not supported: spec.foo\n',
    );
  });

  it("get: services by --field-selector on spec.type and spec.clusterIP", async () => {
    // Service field selectors spec.clusterIP and spec.type exist since 1.31 (kubernetes#122541,
    // #123905); kube-proxy and kubelet watch with spec.clusterIP!=None.
    const ns = await mkns("get-fs-svc");
    await create(
      makeService(ns, "web"),
      makeService(ns, "np", (s) => (s.spec.type = "NodePort")),
      makeService(ns, "headless", (s) => (s.spec.clusterIP = "None")),
    );
    const names = async (sel: string) =>
      (await c.kubectlOk(["get", "svc", "-n", ns, "--field-selector", sel, "-o", "name"]))
        .trim()
        .split("\n")
        .filter(Boolean);
    expect(await names("spec.type=NodePort")).toEqual(["service/np"]);
    expect(await names("spec.type=ClusterIP,spec.clusterIP!=None")).toEqual(["service/web"]);
    expect(await names("spec.clusterIP=None")).toEqual(["service/headless"]);
  });

  it("get: -o yaml, json, jsonpath and name", async () => {
    const ns = await mkns("get-out");
    await create(makeConfigMap(ns, "cfg", (o) => (o.data = { greeting: "hello" })));
    const json = await getJSON("cm", "cfg", "-n", ns);
    expect(json).toMatchObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cfg", namespace: ns },
      data: { greeting: "hello" },
    });
    expect(json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(json.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const yaml = await c.kubectlOk(["get", "cm", "cfg", "-n", ns, "-o", "yaml"]);
    expect(yaml).toBe(
      [
        "apiVersion: v1",
        "data:",
        "  greeting: hello",
        "kind: ConfigMap",
        "metadata:",
        `  creationTimestamp: "${json.metadata.creationTimestamp}"`,
        "  name: cfg",
        `  namespace: ${ns}`,
        `  resourceVersion: "${json.metadata.resourceVersion}"`,
        `  uid: ${json.metadata.uid}`,
        "",
      ].join("\n"),
    );
    const list = await getJSON("cm", "-n", ns);
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List", items: [{ metadata: { name: "cfg" } }] });
    expect(
      await c.kubectlOk([
        "get",
        "cm",
        "-n",
        ns,
        "-o",
        "jsonpath={.items[*].metadata.name}={.items[0].data.greeting}",
      ]),
    ).toBe("cfg=hello");
    expect(await c.kubectlOk(["get", "cm", "cfg", "-n", ns, "-o", "name"])).toBe("configmap/cfg\n");
  });

  it("get: --chunk-size=7 pages through 25 objects with limit and continue", async () => {
    const ns = await mkns("get-chunk");
    const objs = Array.from({ length: 25 }, (_, i) => makeConfigMap(ns, `cm-${String(i).padStart(2, "0")}`));
    await create(...objs);
    const r = await c.kubectl(["get", "cm", "-n", ns, "--chunk-size=7", "-v=6"]);
    expect(r.code).toBe(0);
    const gets = r.stderr.split("\n").filter((l) => l.includes(`/namespaces/${ns}/configmaps?`));
    expect(gets.filter((l) => l.includes("limit=7") && / 200 OK /.test(l))).toHaveLength(4);
    expect(gets.filter((l) => l.includes("continue="))).toHaveLength(3);
    expect(headerOf(r.stdout)).toEqual(["NAME", "DATA", "AGE"]);
    const rows = parseTable(r.stdout);
    expect(rows.map((x) => x["NAME"])).toEqual(objs.map((o) => o.metadata.name));
    expect(r.stdout.match(/^NAME /gm)).toHaveLength(1);
    const names = await c.kubectlOk(["get", "cm", "-n", ns, "--chunk-size=7", "-o", "name"]);
    expect(names.trim().split("\n")).toHaveLength(25);
  });

  it("get: -w prints a new row when an object changes, and stops", async () => {
    const ns = await mkns("get-watch");
    await create(makeConfigMap(ns, "watched"));
    const w = startKubectl(["get", "cm", "-n", ns, "-w"]);
    try {
      const first = await w.lines(2);
      expect(headerOf(first.join("\n"))).toEqual(["NAME", "DATA", "AGE"]);
      expect(first[1]).toMatch(/^watched\s+1\s+\d+s$/);
      await c.kubectlOk(["patch", "cm", "watched", "-n", ns, "--type=merge", "-p", '{"data":{"more":"x"}}']);
      const after = await w.lines(3);
      expect(after[2]).toMatch(/^watched\s+2\s+\d+s$/);
      await create(makeConfigMap(ns, "another"));
      const added = await w.lines(4);
      expect(added[3]).toMatch(/^another\s+1\s+\d+s$/);
    } finally {
      await w.stop();
    }
    const events = startKubectl(["get", "cm", "-n", ns, "-w", "--output-watch-events"]);
    try {
      await events.lines(3);
      await c.kubectlOk(["delete", "cm", "another", "-n", ns]);
      const ls = await events.lines(4);
      expect(headerOf(ls.join("\n"))).toEqual(["EVENT", "NAME", "DATA", "AGE"]);
      expect(ls.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
        ["ADDED", "another"],
        ["ADDED", "watched"],
        ["DELETED", "another"],
      ]);
    } finally {
      await events.stop();
    }
  });

  it("get: all lists pods, services, daemonsets, deployments and replicasets in discovery order", async () => {
    const ns = await mkns("get-every");
    await create(
      makePod(ns, "web"),
      makeService(ns, "web"),
      makeDeployment(ns, "web"),
      makeReplicaSet(ns, "web-5d4f"),
      makeDaemonSet(ns, "agent"),
      makeConfigMap(ns, "not-in-all"),
    );
    const out = await c.kubectlOk(["get", "all", "-n", ns]);
    const sections = out.trim().split("\n\n");
    expect(sections.map((s) => s.split("\n")[1]!.split(/\s+/)[0])).toEqual([
      "pod/web",
      "service/web",
      "daemonset.apps/agent",
      "deployment.apps/web",
      "replicaset.apps/web-5d4f",
    ]);
    expect(out).not.toContain("not-in-all");
    const empty = await mkns("get-every-empty");
    const none = await c.kubectl(["get", "all", "-n", empty]);
    expect(none).toMatchObject({
      code: 0,
      stdout: "",
      stderr: `No resources found in ${empty} namespace.\n`,
    });
  });
});

describe("kubectl describe", () => {
  it("describe: service from the walkthrough, with endpoints from an EndpointSlice", async () => {
    const ns = await mkns("desc-svc");
    expect(await apply(walkthrough("svc-redis.yaml", ns))).toBe("service/redis created\n");
    await create({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "redis-x1", namespace: ns, labels: { "kubernetes.io/service-name": "redis" } },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.244.1.5"], conditions: { ready: true } },
        { addresses: ["10.244.2.5"], conditions: { ready: true } },
      ],
      ports: [{ name: "", port: 6379, protocol: "TCP" }],
    });
    const out = await c.kubectlOk(["describe", "svc", "redis", "-n", ns]);
    const lines = out.split("\n").map((l) => l.replace(/\s+$/, ""));
    const field = (k: string) =>
      lines
        .find((l) => l.startsWith(`${k}:`))
        ?.slice(k.length + 1)
        .trim();
    expect(field("Name")).toBe("redis");
    expect(field("Namespace")).toBe(ns);
    expect(field("Labels")).toBe("<none>");
    expect(field("Annotations")).toBe("<none>");
    expect(field("Selector")).toBe("app=redis,role=Logstorage");
    expect(field("Type")).toBe("ClusterIP");
    expect(field("IP Family Policy")).toBe("SingleStack");
    expect(field("IP Families")).toBe("IPv4");
    expect(field("IP")).toBe("10.96.65.65");
    expect(field("IPs")).toBe("10.96.65.65");
    expect(field("Port")).toBe("<unset>  6379/TCP");
    expect(field("TargetPort")).toBe("6379/TCP");
    expect(field("Endpoints")).toBe("10.244.1.5:6379,10.244.2.5:6379");
    expect(field("Session Affinity")).toBe("None");
    expect(field("Internal Traffic Policy")).toBe("Cluster");
    expect(field("Events")).toBe("<none>");
  });

  it("describe: pod shows its node, defaults and the events about it", async () => {
    const ns = await mkns("desc-pod");
    await create(
      makePod(ns, "web-0", (p) => {
        p.spec.nodeName = "node-a";
        p.spec.containers[0].ports = [{ containerPort: 80, name: "http" }];
      }),
    );
    const pod = await getJSON("pod", "web-0", "-n", ns);
    await create(makeEvent(ns, "web-0.1", (e) => (e.involvedObject.uid = pod.metadata.uid)));
    const out = await c.kubectlOk(["describe", "pod", "web-0", "-n", ns]);
    const field = (k: string) =>
      out
        .split("\n")
        .find((l) => l.startsWith(`${k}:`))
        ?.slice(k.length + 1)
        .trim();
    expect(field("Name")).toBe("web-0");
    expect(field("Namespace")).toBe(ns);
    expect(field("Priority")).toBe("0");
    expect(field("Service Account")).toBe("default");
    expect(field("Node")).toBe("node-a/");
    expect(field("Labels")).toBe("app=web-0");
    expect(field("Status")).toBe("Pending");
    expect(field("QoS Class")).toBe("BestEffort");
    expect(out).toMatch(/^Containers:\n {2}main:\n {4}Image:\s+nginx:1\.25\n {4}Port:\s+80\/TCP\n/m);
    expect(out).toMatch(
      /^Tolerations:\s+node\.kubernetes\.io\/not-ready:NoExecute op=Exists for 300s\n\s+node\.kubernetes\.io\/unreachable:NoExecute op=Exists for 300s$/m,
    );
    expect(out).toMatch(/^Events:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n/m);
    expect(out).toMatch(
      new RegExp(
        `^ {2}Normal\\s+Scheduled\\s+\\d+s\\s+default-scheduler\\s+Successfully assigned ${ns}/web-0 to node-a$`,
        "m",
      ),
    );
  });

  it("describe: node shows conditions, addresses, pod CIDRs, its lease and the pods bound to it", async () => {
    const node = uniqueNamespace("desc-node");
    const ns = await mkns("desc-node");
    await create(makeNode(node));
    await create(
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: node, namespace: "kube-node-lease" },
        spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: "2026-01-01T00:00:10.000000Z" },
      },
      makePod(ns, "bound", (p) => (p.spec.nodeName = node)),
      makePod(ns, "elsewhere", (p) => (p.spec.nodeName = "other-node")),
    );
    const out = await c.kubectlOk(["describe", "node", node]);
    expect(out).toMatch(new RegExp(`^Name:\\s+${node}$`, "m"));
    expect(out).toMatch(/^Roles:\s+<none>$/m);
    expect(out).toMatch(
      new RegExp(`^Labels:\\s+kubernetes\\.io/hostname=${node}\\n\\s+kubernetes\\.io/os=linux$`, "m"),
    );
    expect(out).toMatch(/^Unschedulable:\s+false$/m);
    expect(out).toMatch(
      new RegExp(
        `^Lease:\\n {2}HolderIdentity:\\s+${node}\\n {2}AcquireTime:\\s+<unset>\\n {2}RenewTime:\\s+Thu, 01 Jan 2026 00:00:10 \\+0000$`,
        "m",
      ),
    );
    expect(out).toMatch(
      /^ {2}Ready\s+True\s+Thu, 01 Jan 2026 00:00:00 \+0000\s+Thu, 01 Jan 2026 00:00:00 \+0000\s+KubeletReady\s+kubelet is posting ready status$/m,
    );
    expect(out).toMatch(/^Addresses:\n {2}InternalIP:\s+172\.18\.0\.2\n {2}Hostname:\s+\S+$/m);
    expect(out).toMatch(/^ {2}Kubelet Version:\s+v1\.32\.0$/m);
    expect(out).toMatch(/^PodCIDR:\s+10\.244\.1\.0\/24$/m);
    expect(out).toMatch(/^Non-terminated Pods:\s+\(1 in total\)$/m);
    expect(out).toMatch(new RegExp(`^ {2}${ns}\\s+bound\\s+0 \\(0%\\)`, "m"));
    expect(out).not.toContain("elsewhere");
    // v1 NodeSpec conversion fills podCIDRs from podCIDR, and describe prints it.
    expect(out).toMatch(/^PodCIDRs:\s+10\.244\.1\.0\/24$/m);
    const n = await getJSON("node", node);
    expect(n.spec).toEqual({ podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"] });
  });

  it("describe: deployment shows replicas, strategy defaults and the pod template", async () => {
    const ns = await mkns("desc-deploy");
    await create(makeDeployment(ns, "web"));
    const out = await c.kubectlOk(["describe", "deployment", "web", "-n", ns]);
    expect(out).toMatch(/^Name:\s+web$/m);
    expect(out).toMatch(new RegExp(`^Namespace:\\s+${ns}$`, "m"));
    expect(out).toMatch(/^Labels:\s+app=web$/m);
    expect(out).toMatch(/^Annotations:\s+<none>$/m);
    expect(out).toMatch(/^Selector:\s+app=web$/m);
    expect(out).toMatch(/^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
    expect(out).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(out).toMatch(/^MinReadySeconds:\s+0$/m);
    expect(out).toMatch(/^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    expect(out).toMatch(
      /^Pod Template:\n {2}Labels:\s+app=web\n {2}Containers:\n {3}web:\n {4}Image:\s+nginx:1\.25\n {4}Port:\s+80\/TCP\n {4}Host Port:\s+0\/TCP\n/m,
    );
    expect(out).toMatch(/^Events:\s+<none>$/m);
  });
});

describe("kubectl apply, create, replace", () => {
  it("apply: the walkthrough manifests are created, then unchanged", async () => {
    const ns = await mkns("apply-wt");
    expect(await apply(walkthrough("redis.yaml", ns))).toBe("deployment.apps/redis created\n");
    expect(await apply(walkthrough("redis.yaml", ns))).toBe("deployment.apps/redis unchanged\n");
    expect(await apply(walkthrough("none-linuxea.yaml", ns))).toBe("service/none-linuxea created\n");
    expect(await apply(walkthrough("none-linuxea.yaml", ns))).toBe("service/none-linuxea unchanged\n");
    expect(await apply(walkthrough("nginx.yaml", ns))).toBe("daemonset.apps/nginx-linuxea created\n");
    const d = await getJSON("deploy", "redis", "-n", ns);
    expect(d.metadata.generation).toBe(1);
    expect(
      JSON.parse(d.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]),
    ).toMatchObject({
      kind: "Deployment",
      metadata: { name: "redis", namespace: ns },
    });
  });

  it("apply: a modified manifest is configured by a strategic merge that keeps out-of-band fields", async () => {
    const ns = await mkns("apply-smp");
    const v1 = makeService(ns, "web", (s) => (s.metadata.labels.tier = "fe"));
    expect(await apply(v1)).toBe("service/web created\n");
    expect(await apply(v1)).toBe("service/web unchanged\n");
    const before = await getJSON("svc", "web", "-n", ns);
    // A change made outside the manifest survives the next apply (three-way merge).
    await c.kubectlOk(["patch", "svc", "web", "-n", ns, "-p", '{"spec":{"sessionAffinity":"ClientIP"}}']);
    const v2 = makeService(ns, "web", (s) => {
      s.metadata.labels.tier = "backend";
      s.spec.ports.push({ name: "https", port: 443, targetPort: 8443 });
    });
    expect(await apply(v2)).toBe("service/web configured\n");
    const after = await getJSON("svc", "web", "-n", ns);
    expect(after.metadata.labels).toEqual({ app: "web", tier: "backend" });
    expect(after.spec.ports).toEqual([
      { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
      { name: "https", port: 443, protocol: "TCP", targetPort: 8443 },
    ]);
    expect(after.spec.sessionAffinity).toBe("ClientIP");
    expect(after.spec.clusterIP).toBe(before.spec.clusterIP);
    expect(after.metadata.uid).toBe(before.metadata.uid);
    // Dropping a port and a label from the manifest removes them.
    const v3 = makeService(ns, "web");
    expect(await apply(v3)).toBe("service/web configured\n");
    const last = await getJSON("svc", "web", "-n", ns);
    expect(last.metadata.labels).toEqual({ app: "web" });
    expect(last.spec.ports).toEqual([{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }]);
    expect(last.spec.sessionAffinity).toBe("ClientIP");
  });

  it("create: -f creates, a second create is AlreadyExists, replace replaces", async () => {
    const ns = await mkns("create");
    const cm = makeConfigMap(ns, "cfg");
    expect(await create(cm)).toBe("configmap/cfg created\n");
    const again = await c.kubectl(["create", "-f", "-"], { input: asInput(cm) });
    expect(again).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        'Error from server (AlreadyExists): error when creating "STDIN": configmaps "cfg" already exists\n',
    });
    const replaced = makeConfigMap(ns, "cfg", (o) => (o.data = { key: "replaced" }));
    expect(await c.kubectlOk(["replace", "-f", "-"], { input: asInput(replaced) })).toBe(
      "configmap/cfg replaced\n",
    );
    expect((await getJSON("cm", "cfg", "-n", ns)).data).toEqual({ key: "replaced" });
    const missing = await c.kubectl(["replace", "-f", "-"], { input: asInput(makeConfigMap(ns, "missing")) });
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): error when replacing "STDIN": configmaps "missing" not found\n',
    });
    const notFound = await c.kubectl(["get", "cm", "missing", "-n", ns]);
    expect(notFound).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): configmaps "missing" not found\n',
    });
  });

  it("create: -f reads a v1 List of objects", async () => {
    const ns = await mkns("create-list");
    const r = await c.kubectl(["create", "-f", "-"], {
      input: asList(makeConfigMap(ns, "first"), makeConfigMap(ns, "second")),
    });
    expect(r).toMatchObject({
      code: 0,
      stdout: "configmap/first created\nconfigmap/second created\n",
      stderr: "",
    });
  });

  it("patch: strategic merge adds a port by its merge key, merge removes a label, json replaces", async () => {
    const ns = await mkns("patch");
    await create(makeService(ns, "web", (s) => (s.metadata.labels.tier = "fe")));
    expect(
      await c.kubectlOk([
        "patch",
        "svc",
        "web",
        "-n",
        ns,
        "--type=strategic",
        "-p",
        '{"spec":{"ports":[{"name":"metrics","port":9090,"targetPort":9090}]}}',
      ]),
    ).toBe("service/web patched\n");
    // New list items go first (strategicpatch normalizeElementOrder), existing ones keep their order.
    expect((await getJSON("svc", "web", "-n", ns)).spec.ports).toEqual([
      { name: "metrics", port: 9090, protocol: "TCP", targetPort: 9090 },
      { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
    ]);
    expect(
      await c.kubectlOk([
        "patch",
        "svc",
        "web",
        "-n",
        ns,
        "--type=strategic",
        "-p",
        '{"spec":{"ports":[{"port":9090,"$patch":"delete"}]}}',
      ]),
    ).toBe("service/web patched\n");
    expect(
      await c.kubectlOk([
        "patch",
        "svc",
        "web",
        "-n",
        ns,
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"tier":null,"m":"1"}}}',
      ]),
    ).toBe("service/web patched\n");
    expect(
      await c.kubectlOk([
        "patch",
        "svc",
        "web",
        "-n",
        ns,
        "--type=json",
        "-p",
        '[{"op":"test","path":"/spec/ports/0/port","value":80},{"op":"replace","path":"/spec/ports/0/port","value":81}]',
      ]),
    ).toBe("service/web patched\n");
    const svc = await getJSON("svc", "web", "-n", ns);
    expect(svc.metadata.labels).toEqual({ app: "web", m: "1" });
    expect(svc.spec.ports).toEqual([{ name: "http", port: 81, protocol: "TCP", targetPort: 8080 }]);
    expect(await c.kubectlOk(["patch", "svc", "web", "-n", ns, "--type=merge", "-p", "{}"])).toBe(
      "service/web patched (no change)\n",
    );
    expect((await getJSON("svc", "web", "-n", ns)).metadata.resourceVersion).toBe(
      svc.metadata.resourceVersion,
    );
  });
});

describe("kubectl label, annotate, scale, edit, rollout", () => {
  it("label: add, refuse to overwrite, --overwrite, remove with key-", async () => {
    const ns = await mkns("label");
    await create(makeConfigMap(ns, "cfg"));
    const args = ["label", "cm", "cfg", "-n", ns];
    expect(await c.kubectlOk([...args, "env=dev"])).toBe("configmap/cfg labeled\n");
    const refused = await c.kubectl([...args, "env=prod"]);
    expect(refused).toMatchObject({
      code: 1,
      stderr: "error: 'env' already has a value (dev), and --overwrite is false\n",
    });
    expect(await c.kubectlOk([...args, "env=prod", "--overwrite"])).toBe("configmap/cfg labeled\n");
    expect((await getJSON("cm", "cfg", "-n", ns)).metadata.labels).toEqual({ env: "prod" });
    expect(await c.kubectlOk([...args, "env-"])).toBe("configmap/cfg unlabeled\n");
    expect((await getJSON("cm", "cfg", "-n", ns)).metadata.labels).toBeUndefined();
  });

  it("annotate: add, --overwrite, remove with key-", async () => {
    const ns = await mkns("annotate");
    await create(makeConfigMap(ns, "cfg"));
    const args = ["annotate", "cm", "cfg", "-n", ns];
    expect(await c.kubectlOk([...args, "owner=alice"])).toBe("configmap/cfg annotated\n");
    const refused = await c.kubectl([...args, "owner=bob"]);
    expect(refused).toMatchObject({
      code: 1,
      stderr:
        "error: --overwrite is false but found the following declared annotation(s): 'owner' already has a value (alice)\n",
    });
    expect(await c.kubectlOk([...args, "owner=bob", "--overwrite"])).toBe("configmap/cfg annotated\n");
    expect((await getJSON("cm", "cfg", "-n", ns)).metadata.annotations).toEqual({ owner: "bob" });
    expect(await c.kubectlOk([...args, "owner-"])).toBe("configmap/cfg annotated\n");
    expect((await getJSON("cm", "cfg", "-n", ns)).metadata.annotations).toBeUndefined();
  });

  it("label: a label on a Deployment changes metadata only and leaves its generation alone", async () => {
    const ns = await mkns("label-gen");
    await create(makeDeployment(ns, "web"));
    const before = await getJSON("deploy", "web", "-n", ns);
    expect(before.metadata.generation).toBe(1);
    await c.kubectlOk(["label", "deploy", "web", "-n", ns, "team=a"]);
    const after = await getJSON("deploy", "web", "-n", ns);
    // Only spec (and, for Deployments, annotation) changes bump generation (deployment strategy).
    expect(after.metadata.generation).toBe(1);
    expect(after.spec).toEqual(before.spec);
  });

  it("scale: sets replicas, honours --current-replicas, and a same-size scale writes nothing", async () => {
    const ns = await mkns("scale");
    await create(makeDeployment(ns, "web"));
    expect(await c.kubectlOk(["scale", "deploy", "web", "-n", ns, "--replicas=3"])).toBe(
      "deployment.apps/web scaled\n",
    );
    const d = await getJSON("deploy", "web", "-n", ns);
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(2);
    const mismatch = await c.kubectl([
      "scale",
      "deploy",
      "web",
      "-n",
      ns,
      "--current-replicas=5",
      "--replicas=1",
    ]);
    expect(mismatch).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "error: Expected replicas to be 5, was 3\n",
    });
    expect(
      await c.kubectlOk(["scale", "deploy", "web", "-n", ns, "--current-replicas=3", "--replicas=3"]),
    ).toBe("deployment.apps/web scaled\n");
    const same = await getJSON("deploy", "web", "-n", ns);
    expect(same.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    expect(same.metadata.generation).toBe(2);
    const scale = JSON.parse(
      await c.kubectlOk(["get", "--raw", `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`]),
    );
    expect(scale).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "web", namespace: ns },
      spec: { replicas: 3 },
      status: { replicas: 0, selector: "app=web" },
    });
  });

  it("edit: EDITOR changes a field and kubectl saves it; no change is cancelled", async () => {
    const ns = await mkns("edit");
    await create(makeConfigMap(ns, "cfg", (o) => (o.data = { mode: "foo" })));
    const edited = await c.kubectl(["edit", "cm", "cfg", "-n", ns], { env: { EDITOR: "sed -i s/foo/bar/" } });
    expect(edited).toMatchObject({ code: 0, stdout: "configmap/cfg edited\n" });
    expect((await getJSON("cm", "cfg", "-n", ns)).data).toEqual({ mode: "bar" });
    const cancelled = await c.kubectl(["edit", "cm", "cfg", "-n", ns], { env: { EDITOR: "true" } });
    expect(cancelled).toMatchObject({ code: 0, stderr: "Edit cancelled, no changes made.\n" });
  });

  it("rollout: restart stamps the template, status reports a finished rollout", async () => {
    const ns = await mkns("rollout");
    await create(makeDeployment(ns, "web"));
    expect(await c.kubectlOk(["rollout", "restart", "deploy", "web", "-n", ns])).toBe(
      "deployment.apps/web restarted\n",
    );
    const d = await getJSON("deploy", "web", "-n", ns);
    expect(d.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    expect(d.metadata.generation).toBe(2);
    // No controller: stand in for it by writing the status a finished rollout has.
    const status = {
      observedGeneration: d.metadata.generation,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [
        { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "ok" },
        { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: "ok" },
      ],
    };
    await c.kubectlOk([
      "patch",
      "deploy",
      "web",
      "-n",
      ns,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status }),
    ]);
    const done = await c.kubectl(["rollout", "status", "deploy", "web", "-n", ns, "--timeout=20s"]);
    expect(done).toMatchObject({ code: 0, stdout: 'deployment "web" successfully rolled out\n' });
    const row = parseTable(await c.kubectlOk(["get", "deploy", "web", "-n", ns]))[0];
    expect(withoutAge(row)).toEqual({ NAME: "web", READY: "2/2", "UP-TO-DATE": "2", AVAILABLE: "2" });
    const waited = await c.kubectl([
      "wait",
      "deploy/web",
      "-n",
      ns,
      "--for=condition=Available",
      "--timeout=20s",
    ]);
    expect(waited).toMatchObject({ code: 0, stdout: "deployment.apps/web condition met\n" });
  });
});

describe("kubectl delete", () => {
  it("delete: by name (waiting), --wait=false, -l and --all", async () => {
    const ns = await mkns("delete");
    await create(
      makeConfigMap(ns, "one"),
      makeConfigMap(ns, "two"),
      makeConfigMap(ns, "red-a", (o) => (o.metadata.labels = { color: "red" })),
      makeConfigMap(ns, "red-b", (o) => (o.metadata.labels = { color: "red" })),
      makeConfigMap(ns, "blue", (o) => (o.metadata.labels = { color: "blue" })),
    );
    expect(await c.kubectlOk(["delete", "cm", "one", "-n", ns])).toBe('configmap "one" deleted\n');
    expect(await c.kubectlOk(["delete", "cm", "two", "-n", ns, "--wait=false"])).toBe(
      'configmap "two" deleted\n',
    );
    expect(await c.kubectlOk(["delete", "cm", "-n", ns, "-l", "color=red"])).toBe(
      'configmap "red-a" deleted\nconfigmap "red-b" deleted\n',
    );
    expect(await c.kubectlOk(["get", "cm", "-n", ns, "-o", "name"])).toBe("configmap/blue\n");
    expect(await c.kubectlOk(["delete", "cm", "-n", ns, "--all"])).toBe('configmap "blue" deleted\n');
    const gone = await c.kubectl(["get", "cm", "-n", ns]);
    expect(gone).toMatchObject({ code: 0, stdout: "", stderr: `No resources found in ${ns} namespace.\n` });
    const missing = await c.kubectl(["delete", "cm", "one", "-n", ns]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): configmaps "one" not found\n',
    });
  });

  it("delete: an unscheduled pod goes at once, a bound pod with --grace-period=0 --force", async () => {
    const ns = await mkns("delete-pod");
    await create(
      makePod(ns, "unscheduled"),
      makePod(ns, "bound", (p) => (p.spec.nodeName = "node-a")),
    );
    expect(await c.kubectlOk(["delete", "pod", "unscheduled", "-n", ns])).toBe('pod "unscheduled" deleted\n');
    // A bound pod waits for its kubelet: a plain delete only marks it.
    expect(await c.kubectlOk(["delete", "pod", "bound", "-n", ns, "--wait=false"])).toBe(
      'pod "bound" deleted\n',
    );
    const marked = await getJSON("pod", "bound", "-n", ns);
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(marked.metadata.deletionTimestamp).toMatch(/Z$/);
    expect(parseTable(await c.kubectlOk(["get", "pod", "bound", "-n", ns]))[0]?.["STATUS"]).toBe(
      "Terminating",
    );
    const forced = await c.kubectl(["delete", "pod", "bound", "-n", ns, "--grace-period=0", "--force"]);
    expect(forced).toMatchObject({
      code: 0,
      stdout: 'pod "bound" force deleted\n',
      stderr:
        "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n",
    });
    const gone = await c.kubectl(["get", "pod", "bound", "-n", ns]);
    expect(gone.stderr).toBe('Error from server (NotFound): pods "bound" not found\n');
  });

  it("delete: an object with a finalizer stays until a patch removes the finalizer", async () => {
    const ns = await mkns("delete-fin");
    await create(makeConfigMap(ns, "held", (o) => (o.metadata.finalizers = ["example.com/hold"])));
    expect(await c.kubectlOk(["delete", "cm", "held", "-n", ns, "--wait=false"])).toBe(
      'configmap "held" deleted\n',
    );
    const held = await getJSON("cm", "held", "-n", ns);
    expect(held.metadata.finalizers).toEqual(["example.com/hold"]);
    expect(held.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(held.metadata.deletionGracePeriodSeconds).toBe(0);
    const waiting = await c.kubectl(["delete", "cm", "held", "-n", ns, "--timeout=1s"]);
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toContain("error: timed out waiting for the condition on configmaps/held\n");
    const w = c.kubectl(["wait", "--for=delete", "cm/held", "-n", ns, "--timeout=20s"]);
    expect(
      await c.kubectlOk([
        "patch",
        "cm",
        "held",
        "-n",
        ns,
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]),
    ).toBe("configmap/held patched\n");
    expect((await w).code).toBe(0);
    const gone = await c.kubectl(["get", "cm", "held", "-n", ns]);
    expect(gone.stderr).toBe('Error from server (NotFound): configmaps "held" not found\n');
  });
});

describe("kubectl discovery and explain", () => {
  it("explain: pods.spec.containers and svc.spec.ports", async () => {
    const pods = await c.kubectlOk(["explain", "pods.spec.containers"]);
    expect(pods).toMatch(
      /^KIND: {7}Pod\nVERSION: {4}v1\n\nFIELD: containers <\[\]Container>\n\n\nDESCRIPTION:\n/,
    );
    expect(pods).toContain("    List of containers belonging to the pod.");
    expect(pods).toContain("\n  name\t<string> -required-\n");
    expect(pods).toContain("\n  image\t<string>\n");
    const ports = await c.kubectlOk(["explain", "svc.spec.ports"]);
    expect(ports).toMatch(/^KIND: {7}Service\nVERSION: {4}v1\n\nFIELD: ports <\[\]ServicePort>\n/);
    expect(ports).toContain("\n  port\t<integer> -required-\n");
    expect(ports).toContain("\n  targetPort\t<IntOrString>\n");
    expect(ports).toContain("\n  protocol\t<string>\n");
    const bad = await c.kubectl(["explain", "pods.spec.nope"]);
    expect(bad).toMatchObject({ code: 1, stderr: 'error: field "nope" does not exist\n' });
  });

  it("api-resources: short names, namespacing, verbs and the all category", async () => {
    const out = await c.kubectlOk(["api-resources", "-o", "wide"]);
    expect(headerOf(out)).toEqual([
      "NAME",
      "SHORTNAMES",
      "APIVERSION",
      "NAMESPACED",
      "KIND",
      "VERBS",
      "CATEGORIES",
    ]);
    const rows = parseTable(out);
    const row = (name: string, apiVersion: string) =>
      rows.find((r) => r["NAME"] === name && r["APIVERSION"] === apiVersion);
    const all = "create,delete,deletecollection,get,list,patch,update,watch";
    expect(row("pods", "v1")).toEqual({
      NAME: "pods",
      SHORTNAMES: "po",
      APIVERSION: "v1",
      NAMESPACED: "true",
      KIND: "Pod",
      VERBS: all,
      CATEGORIES: "all",
    });
    expect(row("services", "v1")).toMatchObject({ SHORTNAMES: "svc", CATEGORIES: "all" });
    expect(row("namespaces", "v1")).toMatchObject({
      SHORTNAMES: "ns",
      NAMESPACED: "false",
      VERBS: "create,delete,get,list,patch,update,watch",
      CATEGORIES: "",
    });
    expect(row("nodes", "v1")).toMatchObject({ SHORTNAMES: "no", NAMESPACED: "false" });
    expect(row("configmaps", "v1")).toMatchObject({ SHORTNAMES: "cm", CATEGORIES: "" });
    expect(row("endpoints", "v1")).toMatchObject({ SHORTNAMES: "ep" });
    expect(row("events", "v1")).toMatchObject({ SHORTNAMES: "ev" });
    expect(row("serviceaccounts", "v1")).toMatchObject({ SHORTNAMES: "sa" });
    expect(row("secrets", "v1")).toMatchObject({ SHORTNAMES: "" });
    expect(row("deployments", "apps/v1")).toMatchObject({
      SHORTNAMES: "deploy",
      KIND: "Deployment",
      CATEGORIES: "all",
    });
    expect(row("replicasets", "apps/v1")).toMatchObject({ SHORTNAMES: "rs", CATEGORIES: "all" });
    expect(row("daemonsets", "apps/v1")).toMatchObject({ SHORTNAMES: "ds", CATEGORIES: "all" });
    expect(row("endpointslices", "discovery.k8s.io/v1")).toMatchObject({ KIND: "EndpointSlice" });
    expect(row("leases", "coordination.k8s.io/v1")).toMatchObject({ KIND: "Lease" });
    const names = await c.kubectlOk(["api-resources", "--api-group=apps", "-o", "name"]);
    expect(names.trim().split("\n")).toEqual(
      expect.arrayContaining(["daemonsets.apps", "deployments.apps", "replicasets.apps"]),
    );
  });

  it("api-versions, version and cluster-info", async () => {
    const versions = (await c.kubectlOk(["api-versions"])).trim().split("\n");
    expect(versions).toEqual(
      expect.arrayContaining([
        "apps/v1",
        "coordination.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "v1",
      ]),
    );
    expect([...versions].sort()).toEqual(versions);
    const v = JSON.parse(await c.kubectlOk(["version", "-o", "json"]));
    expect(v.serverVersion).toMatchObject({ major: "1", minor: "32", platform: "linux/amd64" });
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.32\./);
    const info = await c.kubectlOk(["cluster-info"]);
    expect(info).toBe(
      `Kubernetes control plane is running at ${c.url}\n` +
        `CoreDNS is running at ${c.url}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\n` +
        "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
    );
  });
});

describe("kubectl generators", () => {
  it("create namespace: kubectl create namespace makes an Active namespace", async () => {
    const ns = uniqueNamespace("gen-ns");
    const r = await c.kubectl(["create", "namespace", ns]);
    expect(r).toMatchObject({ code: 0, stdout: `namespace/${ns} created\n`, stderr: "" });
    expect(parseTable(await c.kubectlOk(["get", "ns", ns]))[0]?.["STATUS"]).toBe("Active");
  });

  it("create deployment: kubectl create deployment, then expose it", async () => {
    const ns = await mkns("gen-deploy");
    const r = await c.kubectl([
      "create",
      "deployment",
      "web",
      "-n",
      ns,
      "--image=nginx:1.25",
      "--replicas=2",
      "--port=80",
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "deployment.apps/web created\n", stderr: "" });
    const d = await getJSON("deploy", "web", "-n", ns);
    expect(d.metadata.labels).toEqual({ app: "web" });
    expect(d.spec.selector).toEqual({ matchLabels: { app: "web" } });
    expect(d.spec.template.spec.containers).toMatchObject([
      { name: "nginx", image: "nginx:1.25", ports: [{ containerPort: 80, protocol: "TCP" }] },
    ]);
    expect(
      await c.kubectlOk(["expose", "deployment", "web", "-n", ns, "--port=8080", "--target-port=80"]),
    ).toBe("service/web exposed\n");
    const svc = await getJSON("svc", "web", "-n", ns);
    expect(svc.metadata.labels).toEqual({ app: "web" });
    expect(svc.spec.selector).toEqual({ app: "web" });
  });

  it("expose: a Service from a Deployment's selector, labels and ports", async () => {
    const ns = await mkns("gen-expose");
    expect(await apply(walkthrough("redis.yaml", ns))).toBe("deployment.apps/redis created\n");
    expect(
      await c.kubectlOk(["expose", "deployment", "redis", "-n", ns, "--port=6379", "--name=redis-svc"]),
    ).toBe("service/redis-svc exposed\n");
    const svc = await getJSON("svc", "redis-svc", "-n", ns);
    expect(svc.spec.selector).toEqual({ app: "redis", role: "Logstorage" });
    expect(svc.spec.ports).toEqual([{ port: 6379, protocol: "TCP", targetPort: 6379 }]);
    expect(svc.spec.type).toBe("ClusterIP");
    const row = parseTable(await c.kubectlOk(["get", "svc", "redis-svc", "-n", ns]))[0];
    expect(row?.["PORT(S)"]).toBe("6379/TCP");
    expect(row?.["CLUSTER-IP"]).toBe(svc.spec.clusterIP);
  });

  it("create configmap: --from-literal", async () => {
    const ns = await mkns("gen-cm");
    const r = await c.kubectl([
      "create",
      "configmap",
      "cfg",
      "-n",
      ns,
      "--from-literal=a=1",
      "--from-literal=b=two",
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "configmap/cfg created\n", stderr: "" });
    expect((await getJSON("cm", "cfg", "-n", ns)).data).toEqual({ a: "1", b: "two" });
  });

  it("create secret generic: --from-literal, base64 in data, Opaque", async () => {
    const ns = await mkns("gen-secret");
    const r = await c.kubectl([
      "create",
      "secret",
      "generic",
      "creds",
      "-n",
      ns,
      "--from-literal=user=admin",
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "secret/creds created\n", stderr: "" });
    const s = await getJSON("secret", "creds", "-n", ns);
    expect(s.type).toBe("Opaque");
    expect(s.data).toEqual({ user: "YWRtaW4=" });
  });
});
