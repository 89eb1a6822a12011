/**
 * Scheduler benchmark: `node bench/scheduler.ts [--quick]`.
 *
 * Starts a real nats-server, `kemu apiserver` and `kemu controller-manager` (which runs the
 * scheduler), registers 10 fake Ready nodes, and measures how fast pods go from created to bound:
 *
 * - kemu: 1,000 pods created 32 in flight (over the NATS API, as node agents and controllers talk
 *   to it), timed from the first create to the moment a watch has seen every one of them bound by
 *   the scheduler.
 * - baseline, in the same run and on the same processes: the same pods created the same way but
 *   for a scheduler that does not exist (spec.schedulerName), each bound by the client itself right
 *   after its create (round robin over the nodes) with the same binding request the scheduler
 *   sends. That is the floor for "create, then bind" through this API: what the scheduler adds is
 *   its watch, its decisions and its Scheduled events. The create-only rate is shown too.
 *
 * Target (2-core machine): >= 100 pods/s scheduled and bound; KWOK's default is about 20 pods/s.
 * Prints progress on stderr and a table on stdout, and writes bench/results/scheduler-<date>.json.
 * Exits 0 whether or not the target is met; 1 if the run failed. --tls is accepted (run.ts passes
 * it to every benchmark) and changes nothing here: everything measured goes over NATS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { nullLogger } from "@kemu/common";
import { ApiClient, Informer, R, type KObject } from "@kemu/controllers";
import { connectNats, type NatsConnection } from "@kemu/nats";
import { BenchCluster } from "./lib/cluster.ts";
import { pool } from "./lib/load.ts";
import { cpuSeconds } from "./lib/procstat.ts";
import { ms, renderTable, writeResults, type Row } from "./lib/report.ts";
import { nowMs, summarize, type Summary } from "./lib/stats.ts";
import { progress } from "./lib/process.ts";

const KEMU_BIN = resolve(import.meta.dirname, "../packages/cli/bin/kemu.js");

interface Settings {
  pods: number;
  nodes: number;
  concurrency: number;
  warmup: number;
}

const FULL: Settings = { pods: 1_000, nodes: 10, concurrency: 32, warmup: 100 };
const QUICK: Settings = { ...FULL, pods: 200, warmup: 30 };

/** pods/s scheduled and bound on a 2-core machine; KWOK's default rate for reference. */
const TARGET_PODS_PER_S = 100;
const KWOK_PODS_PER_S = 20;
const PHASE_TIMEOUT_MS = 120_000;
const NOT_OURS = "kemu-bench-no-scheduler";

/** `kemu controller-manager` as a child process. */
class ControllerManagerProcess {
  readonly #p: ChildProcess;
  #stderr = "";

  private constructor(p: ChildProcess) {
    this.#p = p;
    p.stderr!.setEncoding("utf8").on(
      "data",
      (d: string) => (this.#stderr = (this.#stderr + d).slice(-20_000)),
    );
  }

  /** Starts it and resolves once its informers have synced. */
  static async start(natsUrl: string): Promise<ControllerManagerProcess> {
    const p = spawn(process.execPath, [KEMU_BIN, "controller-manager", "--nats-url", natsUrl], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KEMU_LOG_LEVEL: "warn" },
    });
    const cm = new ControllerManagerProcess(p);
    await new Promise<void>((res, rej) => {
      let out = "";
      const timer = setTimeout(
        () => rej(new Error(`controller-manager did not start: ${cm.#stderr}`)),
        30_000,
      );
      p.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("controller-manager running")) {
          clearTimeout(timer);
          res();
        }
      });
      p.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`controller-manager exited with ${code}: ${cm.#stderr}`));
      });
    });
    p.removeAllListeners("exit");
    return cm;
  }

  /** Its OS pid, for CPU figures. */
  get pid(): number | undefined {
    return this.#p.pid;
  }

  /** Its recent stderr, for failure messages. */
  get log(): string {
    return this.#stderr;
  }

  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  async stop(): Promise<void> {
    const p = this.#p;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function makeNode(name: string, index: number): KObject {
  const t = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`] },
    status: {
      capacity: { cpu: "32", memory: "64Gi", pods: "1000" },
      allocatable: { cpu: "32", memory: "64Gi", pods: "1000" },
      addresses: [{ type: "InternalIP", address: `127.0.1.${index}` }],
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
  };
}

function makePod(ns: string, name: string, schedulerName?: string): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: { app: "bench" } },
    spec: {
      ...(schedulerName ? { schedulerName } : {}),
      containers: [{ name: "app", image: "nginx", resources: { requests: { cpu: "10m", memory: "16Mi" } } }],
    },
  };
}

/** Renews every node's Lease every 10 s, so the node lifecycle controller keeps them Ready. */
function heartbeat(api: ApiClient, nodes: string[]): () => void {
  const renew = async (n: string) => {
    const renewTime = new Date().toISOString().replace("Z", "000Z");
    const cur = await api.get(R.leases, "kube-node-lease", n);
    if (cur) await api.patch(R.leases, "kube-node-lease", n, { spec: { renewTime } });
    else
      await api.create(R.leases, "kube-node-lease", {
        metadata: { name: n },
        spec: { holderIdentity: n, leaseDurationSeconds: 40, renewTime },
      });
  };
  const beat = () => Promise.all(nodes.map((n) => renew(n).catch(() => {})));
  void beat();
  const t = setInterval(() => void beat(), 10_000);
  return () => clearInterval(t);
}

/** Watches pods and records when each one is first seen bound. */
class BindWatch {
  readonly informer: Informer;
  readonly #created = new Map<string, number>();
  readonly #bound = new Map<string, { at: number; node: string }>();

  constructor(api: ApiClient) {
    this.informer = new Informer(api, R.pods, nullLogger);
    const seen = (p: KObject) => {
      const node = p["spec"]?.["nodeName"];
      const key = `${p["metadata"]["namespace"]}/${p["metadata"]["name"]}`;
      if (node && !this.#bound.has(key)) this.#bound.set(key, { at: nowMs(), node });
    };
    this.informer.addHandlers({ add: seen, update: (_o, p) => seen(p) });
  }

  /** Notes when a pod's create was acknowledged. */
  created(key: string): void {
    this.#created.set(key, nowMs());
  }

  /** Resolves when every key is bound (or rejects after the timeout). */
  async allBound(keys: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    while (!keys.every((k) => this.#bound.has(k))) {
      if (nowMs() > deadline) {
        const missing = keys.filter((k) => !this.#bound.has(k)).length;
        throw new Error(`${missing} of ${keys.length} pods not bound after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The last bind time, per-pod create-ack-to-bound latencies and pods per node, for keys. */
  figures(keys: readonly string[]): { last: number; latency: Summary; perNode: Record<string, number> } {
    let last = 0;
    const lat: number[] = [];
    const perNode: Record<string, number> = {};
    for (const k of keys) {
      const b = this.#bound.get(k)!;
      last = Math.max(last, b.at);
      lat.push(b.at - (this.#created.get(k) ?? b.at));
      perNode[b.node] = (perNode[b.node] ?? 0) + 1;
    }
    return { last, latency: summarize(lat), perNode };
  }
}

/** One measured run. */
interface Run {
  pods: number;
  elapsedMs: number;
  podsPerS: number;
  createMs: number;
  createPerS: number;
  createToBound: Summary;
  perNode: Record<string, number>;
  errors: number;
  cpuSeconds: Record<string, number | undefined>;
}

async function createNamespace(api: ApiClient, name: string): Promise<void> {
  await api.create(R.namespaces, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

/**
 * Creates s.pods pods in ns, concurrency in flight; bindTo, when given, binds each pod right after
 * its create (the baseline). Resolves when the watch has seen all of them bound.
 */
async function runPhase(
  label: string,
  api: ApiClient,
  watch: BindWatch,
  ns: string,
  count: number,
  concurrency: number,
  pids: Record<string, number | undefined>,
  opts: { schedulerName?: string; bindTo?: (i: number) => string } = {},
): Promise<Run> {
  await createNamespace(api, ns);
  const keys = Array.from({ length: count }, (_, i) => `${ns}/pod-${i}`);
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const t0 = nowMs();
  const r = await pool(concurrency, count, async (i) => {
    const name = `pod-${i}`;
    const pod = await api.create(R.pods, ns, makePod(ns, name, opts.schedulerName));
    watch.created(keys[i]!);
    if (opts.bindTo) {
      await api.createSubresource(R.pods, ns, name, "binding", {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name, namespace: ns, uid: pod["metadata"]["uid"] },
        target: { apiVersion: "v1", kind: "Node", name: opts.bindTo(i) },
      });
    }
  });
  const createMs = nowMs() - t0;
  if (r.errors > 0) throw new Error(`${label}: ${r.errors} requests failed, first: ${r.errorSamples[0]}`);
  await watch.allBound(keys, PHASE_TIMEOUT_MS);
  const f = watch.figures(keys);
  const cpu: Record<string, number | undefined> = {};
  for (const [k, pid] of Object.entries(pids)) {
    const a = cpu0[k];
    const b = cpuSeconds(pid);
    cpu[k] = a !== undefined && b !== undefined ? b - a : undefined;
  }
  const elapsedMs = f.last - t0;
  const run: Run = {
    pods: count,
    elapsedMs,
    podsPerS: (count / elapsedMs) * 1000,
    createMs,
    createPerS: (count / createMs) * 1000,
    createToBound: f.latency,
    perNode: f.perNode,
    errors: r.errors,
    cpuSeconds: cpu,
  };
  const cpuText = Object.entries(cpu)
    .map(([k, v]) => `${k} ${v === undefined ? "-" : `${v.toFixed(1)} s`}`)
    .join(", ");
  progress(
    `  ${label}: ${count} pods bound in ${ms(elapsedMs)} (${run.podsPerS.toFixed(0)}/s); creates took ` +
      `${ms(createMs)}; create->bound p50 ${ms(f.latency.p50)} p99 ${ms(f.latency.p99)}; cpu: ${cpuText}`,
  );
  return run;
}

function spread(perNode: Record<string, number>, nodes: number): string {
  const counts = Object.values(perNode);
  while (counts.length < nodes) counts.push(0);
  return `${Math.min(...counts)}-${Math.max(...counts)} per node`;
}

function buildRows(s: Settings, sched: Run, baseline: Run): Row[] {
  const figure = `${s.pods.toLocaleString("en-US")} pods, ${s.nodes} nodes`;
  const rate = (v: number) => `${v.toFixed(0)} pods/s`;
  return [
    {
      figure,
      metric: "created -> all bound",
      kemu: rate(sched.podsPerS),
      baseline: rate(baseline.podsPerS),
      target: `>= ${TARGET_PODS_PER_S} pods/s (KWOK ~${KWOK_PODS_PER_S})`,
      verdict: sched.podsPerS >= TARGET_PODS_PER_S ? "PASS" : "FAIL",
    },
    {
      figure,
      metric: "elapsed",
      kemu: ms(sched.elapsedMs),
      baseline: ms(baseline.elapsedMs),
      target: "",
      verdict: "",
    },
    {
      figure,
      metric: "client requests acked",
      kemu: `${sched.createPerS.toFixed(0)} creates/s`,
      baseline: `${baseline.createPerS.toFixed(0)} create+binds/s`,
      target: "",
      verdict: "",
    },
    {
      figure,
      metric: "create -> bound p50",
      kemu: ms(sched.createToBound.p50),
      baseline: ms(baseline.createToBound.p50),
      target: "",
      verdict: "",
    },
    {
      figure,
      metric: "create -> bound p99",
      kemu: ms(sched.createToBound.p99),
      baseline: ms(baseline.createToBound.p99),
      target: "",
      verdict: "",
    },
    {
      figure,
      metric: "spread",
      kemu: spread(sched.perNode, s.nodes),
      baseline: spread(baseline.perNode, s.nodes),
      target: "even",
      verdict: "",
    },
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, tls: { type: "boolean", default: false } },
  });
  const s = values.quick ? QUICK : FULL;
  let cluster: BenchCluster | undefined;
  let cm: ControllerManagerProcess | undefined;
  let nc: NatsConnection | undefined;
  let watch: BindWatch | undefined;
  let stopHeartbeat: (() => void) | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      stopHeartbeat?.();
      watch?.informer.stop();
      await nc?.drain().catch(() => {});
      await cm?.stop();
      await cluster?.stop();
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    progress(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    progress(
      `starting nats-server, kemu apiserver and kemu controller-manager${values.quick ? " (quick run)" : ""}`,
    );
    cluster = await BenchCluster.start({ tls: false });
    cm = await ControllerManagerProcess.start(cluster.natsUrl);
    nc = await connectNats({ url: cluster.natsUrl, name: "kemu-bench-scheduler", log: nullLogger });
    const api = new ApiClient(nc);
    const nodes = Array.from({ length: s.nodes }, (_, i) => `node-${i + 1}`);
    for (const [i, n] of nodes.entries()) await api.create(R.nodes, undefined, makeNode(n, i + 1));
    stopHeartbeat = heartbeat(api, nodes);
    watch = new BindWatch(api);
    await watch.informer.start();
    const pids = {
      "controller-manager": cm.pid,
      apiserver: cluster.pids.apiserver,
      "nats-server": cluster.pids.nats,
    };

    progress(`warm-up: ${s.warmup} pods through the scheduler and ${s.warmup} bound by the client`);
    await runPhase("warm-up (scheduler)", api, watch, "bench-warm-sched", s.warmup, s.concurrency, pids);
    await runPhase("warm-up (client binds)", api, watch, "bench-warm-direct", s.warmup, s.concurrency, pids, {
      schedulerName: NOT_OURS,
      bindTo: (i) => nodes[i % nodes.length]!,
    });

    progress(`baseline: ${s.pods} pods created ${s.concurrency} in flight, each bound by the client`);
    const baseline = await runPhase("baseline", api, watch, "bench-direct", s.pods, s.concurrency, pids, {
      schedulerName: NOT_OURS,
      bindTo: (i) => nodes[i % nodes.length]!,
    });
    progress(`kemu: ${s.pods} pods created ${s.concurrency} in flight, bound by the scheduler`);
    const sched = await runPhase("scheduler", api, watch, "bench-sched", s.pods, s.concurrency, pids);

    const rows = buildRows(s, sched, baseline);
    const table = renderTable(rows, "client binds");
    const file = await writeResults(join(import.meta.dirname, "results"), "scheduler", {
      benchmark: "scheduler",
      date: new Date().toISOString(),
      host: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
      settings: s,
      target: { podsPerS: TARGET_PODS_PER_S, kwokPodsPerS: KWOK_PODS_PER_S },
      scheduler: sched,
      baseline,
      rows,
    });
    process.stdout.write(
      `\nkemu scheduler benchmark (${cpus().length} CPUs, Node ${process.version}; baseline: the same pods ` +
        `bound by the client with the same binding request, no scheduler)\n\n${table}\n\n`,
    );
    process.stdout.write(rows[0]!.verdict === "PASS" ? "target met\n" : "target missed\n");
    process.stdout.write(`results: ${file}\n`);
    return 0;
  } catch (err) {
    progress(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (cm?.log) progress(`controller-manager stderr (tail):\n${cm.log.slice(-4_000)}`);
    if (cluster?.apiserverLog) progress(`apiserver stderr (tail):\n${cluster.apiserverLog.slice(-4_000)}`);
    return 1;
  } finally {
    progress("stopping");
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

process.exitCode = await main();
