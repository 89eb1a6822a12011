/** The `kemu up`, `kemu down` and `kemu status` commands. */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { ChildProcess } from "node:child_process";
import { TestLog } from "@kemu/common";
import { readAdminCredential } from "@kemu/apiserver";
import { ApiClient, R, type KObject } from "@kemu/controllers";
import { connectNats, nodeSubject, type NatsConnection } from "@kemu/nats";
import {
  alive,
  readRunState,
  startChild,
  stopPid,
  wipeState,
  writeRunState,
  type RunState,
} from "./cluster.ts";
import { kubeconfig } from "./kubeconfig.ts";

/** Options of `kemu up`. */
export interface UpOptions {
  nodes: number;
  stateDir: string;
  natsUrl?: string;
  apiPort: number;
  fresh: boolean;
  detach: boolean;
  proxyMode: string;
  /** The cluster DNS's 127.0.0.1 port; the last run's, else a free one, when unset. */
  dnsPort?: number;
  out: (line: string) => void;
}

/** A progress line, as kind prints them. */
function step(out: (s: string) => void, what: string): (ok?: boolean) => void {
  const t0 = Date.now();
  out(` • ${what} ...`);
  return (ok = true) => out(` ${ok ? "✓" : "✗"} ${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}

/** Waits until n nodes report Ready through the API. */
async function waitNodesReady(nc: NatsConnection, n: number, timeoutMs: number): Promise<KObject[]> {
  const api = new ApiClient(nc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await api.list(R.nodes, undefined).catch(() => ({ items: [] }));
    const ready = (list["items"] as KObject[]).filter((node) =>
      (node["status"]?.["conditions"] as KObject[] | undefined)?.some(
        (c) => c["type"] === "Ready" && c["status"] === "True",
      ),
    );
    if (ready.length >= n) return ready;
    if (Date.now() > deadline)
      throw new Error(`only ${ready.length} of ${n} nodes became Ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `kemu up`: starts (or resumes) a local cluster. Returns the exit code. */
export async function runUp(o: UpOptions): Promise<number> {
  const stateDir = resolve(o.stateDir);
  const previous = await readRunState(stateDir);
  const running = previous ? Object.entries(previous.pids).filter(([, pid]) => alive(pid)) : [];
  if (running.length > 0) {
    o.out(
      `kemu up: a cluster is already running from ${stateDir} (${running.map(([n, p]) => `${n} ${p}`).join(", ")}); run 'kemu down' first`,
    );
    return 1;
  }
  if (o.fresh) await wipeState(stateDir);
  await mkdir(stateDir, { recursive: true });
  o.out(`Creating cluster "kemu" with ${o.nodes} node${o.nodes === 1 ? "" : "s"} in ${stateDir}`);
  const children: ChildProcess[] = [];
  const pids: Record<string, number> = {};
  const state: RunState = {
    stateDir,
    natsUrl: o.natsUrl ?? "",
    apiURL: "",
    nodes: o.nodes,
    pids,
    startedAt: new Date().toISOString(),
  };
  const stopAll = async () => {
    for (const name of Object.keys(pids).reverse()) await stopPid(pids[name]!);
  };
  try {
    if (!o.natsUrl) {
      const done = step(o.out, "Starting nats-server (JetStream store)");
      const port = previous?.natsPort ?? -1;
      const { child, line } = await startChild(
        "nats",
        ["-js", "-sd", join(stateDir, "nats"), "-a", "127.0.0.1", "-p", String(port)],
        {
          stateDir,
          ready: /Listening for client connections on [^\s]*:(\d+)[\s\S]*Server is ready/,
          detached: o.detach,
          command: "nats-server",
          readyOnStderr: true,
        },
      ).catch((err: Error) => {
        throw (err as NodeJS.ErrnoException).code === "ENOENT"
          ? new Error("nats-server not found on PATH (install it, or pass --nats-url)")
          : err;
      });
      children.push(child);
      pids["nats"] = child.pid!;
      state.natsPort = Number(line[1]);
      state.natsUrl = `nats://127.0.0.1:${line[1]}`;
      done();
    }
    await writeRunState(state);

    let done = step(o.out, "Starting control plane (API server, controllers, scheduler)");
    const cp = await startChild(
      "control-plane",
      [
        "control-plane",
        "--nats-url",
        state.natsUrl,
        "--listen-port",
        String(o.apiPort),
        "--cert-dir",
        join(stateDir, "pki"),
      ],
      { stateDir, ready: /listening on (https?:\/\/\S+)/, detached: o.detach },
    );
    children.push(cp.child);
    pids["control-plane"] = cp.child.pid!;
    state.apiURL = cp.line[1]!;
    const cred = await readAdminCredential(join(stateDir, "pki"));
    await writeFile(join(stateDir, "kubeconfig"), kubeconfig(state.apiURL, cred ?? {}), { mode: 0o600 });
    await writeRunState(state);
    done();

    done = step(
      o.out,
      `Starting ${o.nodes} node agent${o.nodes === 1 ? "" : "s"} (kubelet, kube-proxy in ${o.proxyMode} mode)`,
    );
    const nodes = await startChild(
      "nodes",
      [
        "nodes",
        "--nats-url",
        state.natsUrl,
        "--count",
        String(o.nodes),
        "--proxy-mode",
        o.proxyMode,
        "--dns-port",
        String(o.dnsPort ?? previous?.dnsPort ?? 0),
      ],
      {
        stateDir,
        ready: /nodes running.*?(?:cluster DNS on 127\.0\.0\.1:(\d+))?\n/,
        detached: o.detach,
        timeoutMs: 120_000,
      },
    );
    if (nodes.line[1]) state.dnsPort = Number(nodes.line[1]);
    children.push(nodes.child);
    pids["nodes"] = nodes.child.pid!;
    await writeRunState(state);
    done();

    done = step(o.out, "Starting edge (external load balancer, LoadBalancer IPs)");
    const edge = await startChild("edge", ["edge", "--nats-url", state.natsUrl], {
      stateDir,
      ready: /edge running/,
      detached: o.detach,
    });
    children.push(edge.child);
    pids["edge"] = edge.child.pid!;
    await writeRunState(state);
    done();

    done = step(o.out, "Waiting for nodes to be Ready");
    const nc = await connectNats({ url: state.natsUrl, name: "kemu-up", log: new TestLog().logger() });
    let ready: KObject[];
    try {
      ready = await waitNodesReady(nc, o.nodes, 120_000);
    } finally {
      await nc.drain().catch(() => {});
    }
    done();

    const kc = join(stateDir, "kubeconfig");
    o.out("");
    o.out(`Cluster is ready. API server: ${state.apiURL}`);
    o.out(`  export KUBECONFIG=${kc}`);
    o.out("  kubectl get nodes -o wide");
    for (const n of ready.sort((a, b) => (a["metadata"]["name"] < b["metadata"]["name"] ? -1 : 1))) {
      const ip = (n["status"]?.["addresses"] as KObject[] | undefined)?.find(
        (a) => a["type"] === "InternalIP",
      )?.["address"];
      o.out(`  node ${n["metadata"]["name"]}: ${ip}   (NodePorts: curl ${ip}:<nodePort>)`);
    }
    o.out("  edge: every NodePort on 127.0.0.1, LoadBalancer IPs from 127.0.2.0/24");
    if (state.dnsPort) {
      o.out(`  cluster DNS: dig @127.0.0.1 -p ${state.dnsPort} kubernetes.default.svc.cluster.local`);
    }
    o.out(`Logs are in ${join(stateDir, "logs")}. Stop with 'kemu down'${o.detach ? "" : " or Ctrl-C"}.`);
    if (o.detach) return 0;
    await new Promise<void>((r) => {
      process.once("SIGINT", r);
      process.once("SIGTERM", r);
      for (const c of children) c.once("exit", () => r());
    });
    o.out("Stopping the cluster ...");
    await stopAll();
    return 0;
  } catch (err) {
    o.out(`kemu up: ${(err as Error).message}`);
    await stopAll();
    return 1;
  }
}

/** `kemu down`: stops the processes of a cluster started with `kemu up`. */
export async function runDown(stateDir: string, out: (s: string) => void): Promise<number> {
  const state = await readRunState(resolve(stateDir));
  if (!state) {
    out(`kemu down: no cluster state in ${resolve(stateDir)}`);
    return 1;
  }
  for (const name of Object.keys(state.pids).reverse()) {
    const pid = state.pids[name]!;
    if (alive(pid)) {
      out(` • stopping ${name} (pid ${pid})`);
      await stopPid(pid);
    }
  }
  state.pids = {};
  await writeRunState(state);
  out("Cluster stopped; its state is kept (kemu up resumes it, kemu up --fresh starts over).");
  return 0;
}

/** `kemu status`: nodes, their proxy machine state, and whether their rules are stale. */
export async function runStatus(
  stateDir: string,
  out: (s: string) => void,
  natsUrl?: string,
): Promise<number> {
  // With a NATS URL (compose: `docker compose exec control-plane kemu status`), there are no
  // processes of kemu up's to list: the cluster is asked directly.
  const state = natsUrl
    ? { natsUrl, pids: {} as Record<string, number> }
    : await readRunState(resolve(stateDir));
  if (!state?.natsUrl) {
    out(`kemu status: no cluster state in ${resolve(stateDir)} (start one with kemu up, or pass --nats-url)`);
    return 1;
  }
  if (!natsUrl) {
    const procs = Object.entries(state.pids).map(([n, p]) => `${n}=${alive(p) ? "running" : "stopped"}`);
    out(`processes: ${procs.join(" ") || "none"}`);
  }
  let nc: NatsConnection;
  try {
    nc = await connectNats({
      url: state.natsUrl,
      name: "kemu-status",
      log: new TestLog().logger(),
      timeoutMs: 3_000,
    });
  } catch {
    out(`NATS at ${state.natsUrl} is not reachable`);
    return 1;
  }
  try {
    const api = new ApiClient(nc, 3_000);
    const nodes = ((await api.list(R.nodes, undefined))["items"] as KObject[]).sort((a, b) =>
      a["metadata"]["name"] < b["metadata"]["name"] ? -1 : 1,
    );
    const rows = [["NODE", "STATUS", "INTERNAL-IP", "PROXY", "STATE", "STALE", "RULES", "LAST SYNC"]];
    for (const n of nodes) {
      const name: string = n["metadata"]["name"];
      const ready = (n["status"]?.["conditions"] as KObject[] | undefined)?.find(
        (c) => c["type"] === "Ready",
      );
      const ip =
        (n["status"]?.["addresses"] as KObject[] | undefined)?.find((a) => a["type"] === "InternalIP")?.[
          "address"
        ] ?? "";
      let proxy: KObject | undefined;
      try {
        const msg = await nc.request(nodeSubject(name, "proxy.status.get"), new Uint8Array(), {
          timeout: 1_000,
        });
        proxy = JSON.parse(new TextDecoder().decode(msg.data)) as KObject;
      } catch {
        proxy = undefined;
      }
      rows.push([
        name,
        ready?.["status"] === "True" ? "Ready" : "NotReady",
        ip,
        proxy?.["mode"] ?? "-",
        proxy?.["state"] ?? "unreachable",
        proxy ? String(proxy["stale"] ?? false) : "-",
        proxy ? String(proxy["ruleCount"] ?? "-") : "-",
        proxy?.["lastSyncAt"]
          ? `${Math.max(0, Math.round((Date.now() - proxy["lastSyncAt"]) / 1000))}s ago`
          : "-",
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      out(
        r
          .map((c, i) => c.padEnd(widths[i]! + 3))
          .join("")
          .trimEnd(),
      );
    return 0;
  } finally {
    await nc.drain().catch(() => {});
  }
}
