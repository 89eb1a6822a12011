/**
 * Network programming latency benchmark:
 * `node bench/programming.ts [--quick] [--nodes 10,50] [--pod-rate R] [--pods N]`.
 *
 * kube-proxy's SLI as Kubernetes' scale tests measure it ("in-cluster network programming
 * latency"): the time from a pod becoming Ready to the moment every node's proxy rules hold it.
 * The SLO is p99 <= 30 s; our target on a 2-core machine is p99 <= 1 s at 50 nodes.
 *
 * For each cluster size (10 and 50 nodes by default), from scratch:
 * - a real nats-server and a `kemu control-plane` child process (API server, controllers,
 *   scheduler; plain HTTP, its PKI in a temporary directory);
 * - a client child process (this file with --role=client, talking to the API over NATS) that
 *   creates 1,000 ClusterIP Services, each selecting its own app label, and later the pods;
 * - the nodes in THIS process (NodeHost from @kemu/node, iptables mode, node indexes 100..149,
 *   so 127.0.1.100+ and 10.244.100+.0/24), so that every node's applied RuleSet can be read.
 *
 * Measured: 400 new pods (after 20 untimed ones), created at 20/s without a nodeName (the
 * scheduler binds them, the kubelet emulator runs kemu/echo and marks them Ready), each on a
 * Service of its own.
 * - t0: the client sees the pod Ready=True on its watch (its own clock; the client's event loop
 *   is nearly idle, unlike this one, which runs every node's kubelet and kube-proxy).
 * - slice: the client sees the pod as a ready endpoint of its Service's EndpointSlice (the
 *   EndpointSlice controller's share).
 * - t1: the first moment every node's applied RuleSet lists the pod's IP among that Service's
 *   cluster endpoints. Each node's RuleSet is polled every 5 ms (an identity check); when one
 *   changed, the time it was applied is kube-proxy's own lastSyncAt (performance.timeOrigin +
 *   now(), the epoch clock the client uses too), so neither the poll interval nor this busy
 *   event loop inflates t1.
 * Reported: p50/p90/p99/max of t1 - t0; Ready -> slice; slice -> all nodes; Ready -> each node
 * over all (pod, node) pairs (how the upstream SLI aggregates); the slowest node's share (last
 * node minus the median node, and which node was last most often); and, as a cross-check,
 * p50/p99 estimated from one node's kubeproxy_network_programming_duration_seconds histogram
 * next to our own figure for that node (its trigger time is the pod's Ready lastTransitionTime,
 * in whole seconds, so it reads about half a second higher).
 *
 * Expect about 1 s: kube-proxy's minSyncPeriod is 1 s (upstream's default; NodeHost does not
 * change it), so under a steady stream of changes each node applies them once a second, and
 * the last of N nodes with spread-out sync phases waits almost the whole second.
 *
 * Baseline, in the same run and at the same time as the pods: the API's put->watch latency for a
 * single object (a ConfigMap merge PATCH over NATS, timed from just before the request to the
 * client's watch event), the floor any propagation through the API pays. A pod's path to the
 * rules pays it at least twice (kubelet status -> controller, slice write -> kube-proxy).
 *
 * Prints progress on stderr and a table on stdout, and writes bench/results/programming-<date>.json.
 * Exits 0 whether or not the target is met; 1 if the run failed. --tls is accepted (run.ts passes
 * it to every benchmark) and changes nothing: everything measured goes over NATS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createLogger, nullLogger, streamSink } from "@kemu/common";
import { ApiClient, Informer, R, type KObject } from "@kemu/controllers";
import { connectNats, NatsServer } from "@kemu/nats";
import { NodeHost, type NodeAgent } from "@kemu/node";
import type { RuleSet } from "@kemu/proxy";
import { openLoop, pool, waitUntil } from "./lib/load.ts";
import { cpuSeconds, phaseMeter, type PhaseUsage } from "./lib/procstat.ts";
import { atMost, ms, renderTable, writeResults, type Row } from "./lib/report.ts";
import { nowMs, summarize, type Summary } from "./lib/stats.ts";
import { progress } from "./lib/process.ts";

const KEMU_BIN = resolve(import.meta.dirname, "../packages/cli/bin/kemu.js");
/** Where the Services and pods live, and where the baseline's ConfigMaps live. */
const NS = "bench-programming";
const FLOOR_NS = "bench-programming-floor";
/** Node indexes start here, clear of other suites' nodes (1..) and of dataplane.ts (240+). */
const FIRST_NODE_INDEX = 100;
/** The baseline's writes rotate over this many ConfigMaps. */
const FLOOR_OBJECTS = 10;

/** How much each cluster size is loaded. */
interface Settings {
  services: number;
  /** Measured pods, and how many per second are created. */
  pods: number;
  podRate: number;
  /** Untimed pods first (JIT, first syncs, scheduler caches), on Services of their own. */
  warmupPods: number;
  /** Baseline ConfigMap writes per second, alongside the pods. */
  floorRate: number;
  /** Requests in flight while creating the Services. */
  concurrency: number;
}

const FULL: Settings = {
  services: 1_000,
  pods: 400,
  podRate: 20,
  warmupPods: 20,
  floorRate: 30,
  concurrency: 32,
};

/** A smoke run of the same code paths. */
const QUICK: Settings = { ...FULL, services: 200, pods: 40, warmupPods: 10 };

const DEFAULT_SIZES = [10, 50];
/** kube-proxy's SLO, and our target for p99 at 50 nodes on a 2-core machine. */
const TARGETS = { sloP99Ms: 30_000, p99Ms: 1_000 };
/** How often every node's applied RuleSet is checked for a new one. */
const POLL_MS = 5;
/** Waits that end a phase when something never happens. */
const SETUP_TIMEOUT_MS = 60_000;
const PODS_TIMEOUT_MS = 60_000;
const PROGRAMMED_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 30_000;

const svcName = (i: number) => `svc-${i}`;
/** kube-proxy's rule id of a Service's only port. */
const ruleId = (svc: string) => `${NS}/${svc}:http`;

function makeService(name: string): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
  };
}

/** A pod without a nodeName (the scheduler binds it), running kemu/echo on 8080. */
function makePod(name: string, svc: string): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels: { app: svc } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "app",
          image: "kemu/echo:1",
          ports: [{ name: "http", containerPort: 8080 }],
          resources: { requests: { cpu: "10m", memory: "16Mi" } },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The client child process: writes to the API and observes pods and slices with its own clock.

/** What the client learned about one pod (epoch ms). */
interface PodRecord {
  name: string;
  svc: string;
  created?: number;
  /** First seen Ready=True, with its IP and node. */
  ready?: number;
  ip?: string;
  node?: string;
  /** First seen as a ready endpoint in its Service's EndpointSlice. */
  slice?: number;
}

/** A command from the parent; the client answers each with one reply line. */
type Command =
  | { cmd: "services"; count: number; concurrency: number }
  | { cmd: "slices"; count: number }
  | { cmd: "nodes"; count: number }
  | {
      cmd: "pods";
      prefix: string;
      /** Service index of each pod. */
      services: number[];
      rate: number;
      floorRate: number;
    };

/** The client's answer to "pods". */
interface PodsReply {
  pods: PodRecord[];
  errors: number;
  errorSamples: string[];
  /** put->watch of each baseline write (ms), and its errors. */
  floor: number[];
  floorErrors: number;
  /** How late the client sent pod creates (p99 ms): large values make the rate suspect. */
  sendLagP99Ms: number;
}

function isReady(p: KObject): boolean {
  const conds = (p["status"]?.["conditions"] ?? []) as KObject[];
  return conds.some((c) => c["type"] === "Ready" && c["status"] === "True");
}

async function runClient(natsUrl: string): Promise<void> {
  const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const nc = await connectNats({ url: natsUrl, name: "kemu-bench-programming-client", log: nullLogger });
  const api = new ApiClient(nc, 30_000);
  for (const ns of [NS, FLOOR_NS])
    await api.create(R.namespaces, undefined, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns },
    });

  const records = new Map<string, PodRecord>();
  const rec = (name: string, svc: string) => {
    let r = records.get(name);
    if (!r) records.set(name, (r = { name, svc }));
    return r;
  };
  const pods = new Informer(api, R.pods, nullLogger, { namespace: NS });
  const onPod = (p: KObject) => {
    if (!isReady(p)) return;
    const r = rec(p["metadata"]["name"], p["metadata"]["labels"]?.["app"] ?? "");
    if (r.ready !== undefined) return;
    r.ready = nowMs();
    r.ip = p["status"]?.["podIP"];
    r.node = p["spec"]?.["nodeName"];
  };
  pods.addHandlers({ add: onPod, update: (_o, p) => onPod(p) });
  const slices = new Informer(api, R.endpointslices, nullLogger, { namespace: NS });
  const onSlice = (s: KObject) => {
    const svc = s["metadata"]?.["labels"]?.["kubernetes.io/service-name"] ?? "";
    for (const ep of (s["endpoints"] ?? []) as KObject[]) {
      const ref = ep["targetRef"];
      if (ep["conditions"]?.["ready"] !== true || ref?.["kind"] !== "Pod") continue;
      const r = rec(ref["name"], svc);
      r.slice ??= nowMs();
    }
  };
  slices.addHandlers({ add: onSlice, update: (_o, s) => onSlice(s) });
  await Promise.all([pods.start(), slices.start()]);

  // The baseline's objects, and a watch on them from now on.
  const floor = Array.from({ length: FLOOR_OBJECTS }, (_, i) => `floor-${i}`);
  const floorSent = new Map<string, number>();
  const floorSeen: number[] = [];
  let floorSeq = 0;
  let floorWatchRV = "";
  for (const name of floor) {
    const cm = await api.create(R.configmaps, FLOOR_NS, { metadata: { name }, data: { seq: "-1" } });
    floorWatchRV = cm["metadata"]["resourceVersion"];
  }
  const floorWatch = await api.watch(
    R.configmaps,
    FLOOR_NS,
    { resourceVersion: floorWatchRV },
    (ev) => {
      const at = nowMs();
      const seq = ev.object["data"]?.["seq"];
      const sent = seq === undefined ? undefined : floorSent.get(seq);
      if (sent !== undefined) {
        floorSeen.push(at - sent);
        floorSent.delete(seq);
      }
    },
    () => {},
  );

  const handle = async (c: Command): Promise<unknown> => {
    switch (c.cmd) {
      case "services": {
        let clusterIPs = 0;
        const t0 = nowMs();
        const r = await pool(c.concurrency, c.count, async (i) => {
          const svc = await api.create(R.services, NS, makeService(svcName(i)));
          if (svc["spec"]?.["clusterIP"]) clusterIPs++;
        });
        return { ms: nowMs() - t0, clusterIPs, errors: r.errors, errorSamples: r.errorSamples };
      }
      case "slices": {
        const ok = await waitUntil(() => slices.list().length >= c.count, SETUP_TIMEOUT_MS, 50);
        return { ok, slices: slices.list().length };
      }
      case "nodes": {
        const deadline = nowMs() + SETUP_TIMEOUT_MS;
        for (;;) {
          const list = await api.list(R.nodes, undefined);
          const ready = (list["items"] as KObject[]).filter(isNodeReady).length;
          if (ready >= c.count || nowMs() > deadline) return { ok: ready >= c.count, ready };
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      case "pods": {
        const names = c.services.map((_, i) => `${c.prefix}-${i}`);
        for (const [i, name] of names.entries()) rec(name, svcName(c.services[i]!));
        const floorCount = Math.floor((names.length / c.rate) * c.floorRate);
        const seen0 = floorSeen.length;
        const tick = setInterval(() => {
          const rs = names.map((n) => records.get(n)!);
          say({
            progress:
              `client: ${rs.filter((r) => r.created).length}/${names.length} pods created, ` +
              `${rs.filter((r) => r.ready).length} Ready, ${rs.filter((r) => r.slice).length} in slices`,
          });
        }, 2_000);
        try {
          const [podLoad, floorLoad] = await Promise.all([
            openLoop(c.rate, names.length, async (i) => {
              const name = names[i]!;
              await api.create(R.pods, NS, makePod(name, svcName(c.services[i]!)));
              records.get(name)!.created = nowMs();
            }),
            openLoop(c.floorRate, floorCount, async (i) => {
              // Unique across commands: a PATCH that changes nothing would have no watch event.
              const seq = String(floorSeq++);
              floorSent.set(seq, nowMs());
              await api.patch(R.configmaps, FLOOR_NS, floor[i % floor.length]!, { data: { seq } });
            }),
          ]);
          const done = (n: string) => {
            const r = records.get(n)!;
            return r.ready !== undefined && r.slice !== undefined;
          };
          await waitUntil(() => names.every(done), PODS_TIMEOUT_MS, 20);
          await waitUntil(() => floorSent.size === 0, 5_000, 20);
          const reply: PodsReply = {
            pods: names.map((n) => records.get(n)!),
            errors: podLoad.errors,
            errorSamples: podLoad.errorSamples,
            floor: floorSeen.slice(seen0),
            floorErrors: floorLoad.errors + floorSent.size,
            sendLagP99Ms: podLoad.sendLag.length ? summarize(podLoad.sendLag).p99 : 0,
          };
          floorSent.clear();
          return reply;
        } finally {
          clearInterval(tick);
        }
      }
    }
  };

  // One command at a time; stdin's end stops the client, even in the middle of one.
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    queue = queue.then(async () => {
      try {
        say({ reply: await handle(JSON.parse(line) as Command) });
      } catch (err) {
        say({ error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  say({ ready: true });
  await new Promise<void>((r) => lines.once("close", r));
  floorWatch.stop();
  pods.stop();
  slices.stop();
  await nc.drain().catch(() => {});
  process.exit(0);
}

function isNodeReady(n: KObject): boolean {
  const conds = (n["status"]?.["conditions"] ?? []) as KObject[];
  return conds.some((c) => c["type"] === "Ready" && c["status"] === "True");
}

// ---------------------------------------------------------------------------------------------
// Processes started by the parent

/** The client child process, driven one command at a time over stdin/stdout. */
class ClientProcess {
  readonly #p: ChildProcess;
  #pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  #exited: Error | undefined;

  private constructor(p: ChildProcess) {
    this.#p = p;
  }

  static async start(natsUrl: string): Promise<ClientProcess> {
    const p = spawn(process.execPath, [import.meta.filename, "--role=client", `--nats-url=${natsUrl}`], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const c = new ClientProcess(p);
    const ready = new Promise<void>((res, rej) => {
      c.#pending = { resolve: () => res(), reject: rej };
    });
    createInterface({ input: p.stdout! }).on("line", (l) => c.#onLine(l));
    p.once("exit", (code) => {
      c.#exited = new Error(`the client process exited with ${code}`);
      c.#pending?.reject(c.#exited);
      c.#pending = undefined;
    });
    const timer = setTimeout(
      () => c.#pending?.reject(new Error("the client did not start")),
      START_TIMEOUT_MS,
    );
    try {
      await ready;
    } catch (err) {
      await c.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return c;
  }

  #onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      progress(`client: ${line}`);
      return;
    }
    if (typeof msg["progress"] === "string") {
      progress(`  ${msg["progress"]}`);
      return;
    }
    const p = this.#pending;
    this.#pending = undefined;
    if (!p) return;
    if (typeof msg["error"] === "string") p.reject(new Error(`client: ${msg["error"]}`));
    else p.resolve(msg["reply"] ?? msg);
  }

  /** Sends a command and resolves with the client's reply. */
  call<T>(c: Command): Promise<T> {
    if (this.#exited) return Promise.reject(this.#exited);
    if (this.#pending) return Promise.reject(new Error("client: a command is already running"));
    return new Promise<T>((resolve, reject) => {
      this.#pending = { resolve: (v) => resolve(v as T), reject };
      this.#p.stdin!.write(`${JSON.stringify(c)}\n`);
    });
  }

  get pid(): number | undefined {
    return this.#p.pid;
  }

  /** Ends its stdin (it drains and exits), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const p = this.#p;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.stdin!.end();
    const timer = setTimeout(() => p.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** `kemu control-plane` (API server, controllers, scheduler) as a child process. */
class ControlPlaneProcess {
  readonly #p: ChildProcess;
  #stderr = "";

  private constructor(p: ChildProcess) {
    this.#p = p;
    p.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-20_000);
    });
  }

  /** Starts it and resolves once it serves (its controllers have started by then). */
  static async start(natsUrl: string, certDir: string): Promise<ControlPlaneProcess> {
    const args = ["--nats-url", natsUrl, "--listen-port", "0", "--tls", "false", "--cert-dir", certDir];
    const p = spawn(process.execPath, [KEMU_BIN, "control-plane", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KEMU_LOG_LEVEL: "warn" },
    });
    const cp = new ControlPlaneProcess(p);
    try {
      await new Promise<void>((res, rej) => {
        let out = "";
        const timer = setTimeout(
          () => rej(new Error(`control-plane did not start: ${cp.#stderr}`)),
          START_TIMEOUT_MS,
        );
        p.stdout!.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          if (/listening on https?:\/\/\S+/.test(out)) {
            clearTimeout(timer);
            res();
          }
        });
        p.once("error", (err) => {
          clearTimeout(timer);
          rej(err);
        });
        p.once("exit", (code) => {
          clearTimeout(timer);
          rej(new Error(`control-plane exited with ${code}: ${cp.#stderr}`));
        });
      });
    } catch (err) {
      await cp.stop();
      throw err;
    }
    p.removeAllListeners("exit");
    p.stdout!.resume();
    return cp;
  }

  get pid(): number | undefined {
    return this.#p.pid;
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

// ---------------------------------------------------------------------------------------------
// The nodes' rules

/**
 * Follows every node's applied RuleSet and records, per node, when each (rule, endpoint IP) of
 * the benchmark's namespace first appeared in it. A RuleSet's time is kube-proxy's lastSyncAt
 * when that lies between the previous poll and this one (it always should: nothing else runs
 * during a poll), else this poll's time.
 */
class RuleWatch {
  readonly #agents: readonly NodeAgent[];
  readonly #last: (RuleSet | undefined)[];
  /** "ruleId ip" -> per node, epoch ms of the first applied RuleSet that held it (NaN: not yet). */
  readonly #firstSeen = new Map<string, Float64Array>();
  #lastPoll = nowMs();
  #timer: NodeJS.Timeout | undefined;
  /** New RuleSets seen, and how many of them had to be timed by the poll instead of lastSyncAt. */
  ruleSets = 0;
  timedByPoll = 0;

  constructor(agents: readonly NodeAgent[]) {
    this.#agents = agents;
    this.#last = agents.map(() => undefined);
  }

  start(): void {
    // RuleSets applied before now are timed by their lastSyncAt too.
    this.#lastPoll = -Infinity;
    this.#poll();
    this.#timer = setInterval(() => this.#poll(), POLL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #poll(): void {
    const now = nowMs();
    for (const [i, agent] of this.#agents.entries()) {
      const rs = agent.proxy.rules;
      if (!rs || rs === this.#last[i]) continue;
      this.#last[i] = rs;
      this.ruleSets++;
      const synced = agent.proxy.status().lastSyncAt;
      let at = now;
      if (synced !== undefined && synced > this.#lastPoll && synced <= now) at = synced;
      else this.timedByPoll++;
      for (const r of rs.rules) {
        if (r.namespace !== NS) continue;
        for (const ep of r.clusterEndpoints) {
          const key = `${r.id} ${ep.ip}`;
          let seen = this.#firstSeen.get(key);
          if (!seen) this.#firstSeen.set(key, (seen = new Float64Array(this.#agents.length).fill(NaN)));
          if (Number.isNaN(seen[i]!)) seen[i] = at;
        }
      }
    }
    this.#lastPoll = now;
  }

  /** Per node, when its rules first held ip for svc (NaN where not yet). */
  heldAt(svc: string, ip: string): Float64Array | undefined {
    return this.#firstSeen.get(`${ruleId(svc)} ${ip}`);
  }

  /** Whether every node's rules hold ip for svc. */
  heldByAll(svc: string, ip: string): boolean {
    const seen = this.heldAt(svc, ip);
    return seen !== undefined && seen.every((t) => !Number.isNaN(t));
  }

  /** How many nodes' rules list at least count Services of the namespace. */
  nodesWithServices(count: number): number {
    return this.#agents.filter(
      (a) => (a.proxy.rules?.rules ?? []).filter((r) => r.namespace === NS).length >= count,
    ).length;
  }
}

// ---------------------------------------------------------------------------------------------
// kube-proxy's own histogram

/** Cumulative bucket counts of a histogram, by upper bound (Infinity last). */
type Buckets = { le: number; count: number }[];

/** One reading of a histogram. */
interface HistogramReading {
  buckets: Buckets;
  sum: number;
  count: number;
}

/** Cumulative counts of one histogram in a node's registry, plus its sum and count. */
async function readHistogram(agent: NodeAgent, name: string): Promise<HistogramReading> {
  const metric = agent.proxy.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`${agent.name}: no metric ${name}`);
  const got = await metric.get();
  const buckets: Buckets = [];
  let sum = 0;
  let count = 0;
  for (const v of got.values) {
    const vn = (v as { metricName?: string }).metricName ?? "";
    if (vn.endsWith("_bucket")) {
      const le = v.labels["le"];
      buckets.push({ le: le === "+Inf" ? Infinity : Number(le), count: v.value });
    } else if (vn.endsWith("_sum")) sum = v.value;
    else if (vn.endsWith("_count")) count = v.value;
  }
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, sum, count };
}

/** b - a, bucket by bucket (a is an earlier reading of the same histogram). */
function histogramDelta(a: HistogramReading, b: HistogramReading): HistogramReading {
  return {
    buckets: b.buckets.map((x, i) => ({ le: x.le, count: x.count - (a.buckets[i]?.count ?? 0) })),
    sum: b.sum - a.sum,
    count: b.count - a.count,
  };
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank. */
function histogramQuantile(q: number, buckets: Buckets): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      if (b.count === prevCount) return b.le;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / (b.count - prevCount));
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

// ---------------------------------------------------------------------------------------------
// One cluster size

/** The figures of one cluster size. */
interface SizeResult {
  nodes: number;
  services: number;
  pods: number;
  setup: { servicesCreateMs: number; nodesStartMs: number; rulesSyncedMs: number };
  /** Pod Ready (client's watch) -> every node's rules hold it. */
  readyToAllNodes: Summary;
  /** Pod Ready -> its EndpointSlice lists it ready (the controller's share). */
  readyToSlice: Summary;
  /** Slice -> every node's rules (kube-proxy's share, over the API). */
  sliceToAllNodes: Summary;
  /** Pod Ready -> each node holding it, over all (pod, node) pairs: the SLI's own aggregation. */
  readyToEachNode: Summary;
  /** Pod Ready -> the first node holding it, and the median node. */
  readyToFirstNode: Summary;
  readyToMedianNode: Summary;
  /** The slowest node's share: last node minus median node, per pod. */
  lastMinusMedianNode: Summary;
  /** The node that was last most often, and for what share of the pods. */
  mostOftenLast: { node: string; share: number };
  /** Created -> Ready (scheduler, kubelet), for context. */
  createdToReady: Summary;
  /** The API's put->watch latency, measured alongside. */
  floor: Summary;
  floorErrors: number;
  /** Pods never Ready, never in a slice, or not held by every node in time. */
  missing: { ready: number; slice: number; programmed: number };
  createErrors: number;
  createErrorSamples: string[];
  clientSendLagP99Ms: number;
  /** Pod Ready -> the first node's rules (the node whose histogram is read). */
  readyToMetricNode: Summary;
  /** kube-proxy's histogram on the first node over the measured phase (estimated, ms). */
  metric: { node: string; count: number; p50Ms: number; p99Ms: number; meanMs: number };
  /** All nodes' syncs over the measured phase: count and mean duration. */
  syncs: { count: number; meanMs: number; perNodePerS: number };
  ruleWatch: { ruleSets: number; timedByPoll: number };
  usage: PhaseUsage & { clientCpu?: number };
  /** Samples of readyToAllNodes, in ms. */
  samples: number[];
}

/** Everything one size started, stopped in reverse. */
type Cleanup = () => Promise<void>;

async function runSize(s: Settings, nodes: number, cleanups: Cleanup[]): Promise<SizeResult> {
  const mine: Cleanup[] = [];
  const defer = (c: Cleanup) => {
    mine.push(c);
    cleanups.push(c);
  };
  const log = createLogger(
    "bench",
    streamSink((l) => process.stderr.write(l)),
    "warn",
  );
  try {
    const dir = await mkdtemp(join(tmpdir(), "kemu-bench-prog-"));
    defer(() => rm(dir, { recursive: true, force: true }));
    const nats = new NatsServer({ stateDir: join(dir, "nats"), log: log.child("nats") });
    await nats.start();
    defer(() => nats.stop());
    const cp = await ControlPlaneProcess.start(nats.url, join(dir, "pki"));
    defer(() => cp.stop());
    const client = await ClientProcess.start(nats.url);
    defer(() => client.stop());
    progress(`${nodes} nodes: nats-server, kemu control-plane and the client are up`);

    const svc = await client.call<{ ms: number; clusterIPs: number; errors: number; errorSamples: string[] }>(
      {
        cmd: "services",
        count: s.services,
        concurrency: s.concurrency,
      },
    );
    if (svc.errors) throw new Error(`creating Services: ${svc.errors} failed, first: ${svc.errorSamples[0]}`);
    progress(
      `  ${s.services} Services created in ${ms(svc.ms)} (${Math.round((s.services / svc.ms) * 1000)}/s, ` +
        `${svc.clusterIPs} ClusterIPs), ${s.concurrency} in flight`,
    );
    const sl = await client.call<{ ok: boolean; slices: number }>({ cmd: "slices", count: s.services });
    if (!sl.ok) throw new Error(`only ${sl.slices} of ${s.services} EndpointSlices appeared`);
    progress(`  ${sl.slices} placeholder EndpointSlices written by the controller`);

    let t = nowMs();
    // NodeHost.start stops the nodes it started when it fails.
    const host = await NodeHost.start({
      natsUrl: nats.url,
      log: log.child("nodes"),
      count: nodes,
      firstIndex: FIRST_NODE_INDEX,
      proxyMode: "iptables",
    });
    defer(() => host.stop());
    const nodesStartMs = nowMs() - t;
    progress(`  ${nodes} nodes started in ${ms(nodesStartMs)} (127.0.1.${FIRST_NODE_INDEX}+)`);
    const nr = await client.call<{ ok: boolean; ready: number }>({ cmd: "nodes", count: nodes });
    if (!nr.ok) throw new Error(`only ${nr.ready} of ${nodes} nodes became Ready`);
    const watch = new RuleWatch(host.agents);
    defer(async () => watch.stop());
    const synced = await waitUntil(() => watch.nodesWithServices(s.services) === nodes, SETUP_TIMEOUT_MS, 50);
    if (!synced) {
      const n = watch.nodesWithServices(s.services);
      throw new Error(`only ${n} of ${nodes} nodes have rules for all ${s.services} Services`);
    }
    const rulesSyncedMs = nowMs() - t;
    progress(
      `  every node's rules hold all ${s.services} Services, ${ms(rulesSyncedMs)} after the nodes' start`,
    );
    watch.start();

    // Warm-up pods on the last Services, measured pods on the first ones: one pod per Service.
    const warm = Array.from({ length: s.warmupPods }, (_, i) => s.services - 1 - i);
    progress(`  warm-up: ${warm.length} pods at ${s.podRate}/s`);
    const warmReply = await client.call<PodsReply>({
      cmd: "pods",
      prefix: "warm",
      services: warm,
      rate: s.podRate,
      floorRate: s.floorRate,
    });
    await waitProgrammed(watch, warmReply.pods, PROGRAMMED_TIMEOUT_MS);

    const metricNode = host.agents[0]!;
    const npd = "kubeproxy_network_programming_duration_seconds";
    const syncName = "kubeproxy_sync_proxy_rules_duration_seconds";
    const npd0 = await readHistogram(metricNode, npd);
    const sync0 = await Promise.all(host.agents.map((a) => readHistogram(a, syncName)));
    const clientCpu0 = cpuSeconds(client.pid);
    const meter = phaseMeter({ apiserver: cp.pid, nats: nats.pid });
    const measured = Array.from({ length: s.pods }, (_, i) => i);
    progress(
      `  measuring: ${s.pods} pods at ${s.podRate}/s, each on its own Service; ` +
        `${s.floorRate} ConfigMap writes/s alongside (put->watch floor)`,
    );
    t = nowMs();
    const reply = await client.call<PodsReply>({
      cmd: "pods",
      prefix: "pod",
      services: measured,
      rate: s.podRate,
      floorRate: s.floorRate,
    });
    const ticker = setInterval(() => {
      const held = reply.pods.filter((p) => p.ip && watch.heldByAll(p.svc, p.ip)).length;
      progress(`  held by all ${nodes} nodes: ${held}/${reply.pods.length}`);
    }, 2_000);
    const allHeld = await waitProgrammed(watch, reply.pods, PROGRAMMED_TIMEOUT_MS).finally(() =>
      clearInterval(ticker),
    );
    const usage0 = meter();
    const clientCpu1 = cpuSeconds(client.pid);
    const wall = (nowMs() - t) / 1000;
    const usage: SizeResult["usage"] = { ...usage0 };
    if (clientCpu0 !== undefined && clientCpu1 !== undefined)
      usage.clientCpu = (clientCpu1 - clientCpu0) / wall;
    if (!allHeld) progress("  some pods were not held by every node in time (counted as missing)");

    const npd1 = await readHistogram(metricNode, npd);
    const sync1 = await Promise.all(host.agents.map((a) => readHistogram(a, syncName)));
    const npdDelta = histogramDelta(npd0, npd1);
    let syncCount = 0;
    let syncSum = 0;
    for (const [i, h] of sync1.entries()) {
      const d = histogramDelta(sync0[i]!, h);
      syncCount += d.count;
      syncSum += d.sum;
    }

    const result = figures(s, nodes, reply, watch, host.agents);
    return {
      ...result,
      setup: { servicesCreateMs: svc.ms, nodesStartMs, rulesSyncedMs },
      metric: {
        node: metricNode.name,
        count: npdDelta.count,
        p50Ms: histogramQuantile(0.5, npdDelta.buckets) * 1000,
        p99Ms: histogramQuantile(0.99, npdDelta.buckets) * 1000,
        meanMs: (npdDelta.sum / npdDelta.count) * 1000,
      },
      syncs: {
        count: syncCount,
        meanMs: (syncSum / syncCount) * 1000,
        perNodePerS: syncCount / nodes / wall,
      },
      ruleWatch: { ruleSets: watch.ruleSets, timedByPoll: watch.timedByPoll },
      usage,
    };
  } finally {
    progress(`${nodes} nodes: stopping`);
    // Each cleanup runs once, here or (after a signal) from main's.
    for (const c of mine.reverse()) {
      cleanups.splice(cleanups.indexOf(c), 1);
      await c().catch((err: unknown) => progress(`  cleanup failed: ${String(err)}`));
    }
  }
}

/** Waits until every pod that became Ready is held by every node's rules. */
function waitProgrammed(watch: RuleWatch, pods: readonly PodRecord[], timeoutMs: number): Promise<boolean> {
  const ready = pods.filter((p) => p.ip);
  return waitUntil(() => ready.every((p) => watch.heldByAll(p.svc, p.ip!)), timeoutMs, 20);
}

/** Computes the latency figures of one size from the client's records and the nodes' rules. */
function figures(
  s: Settings,
  nodes: number,
  reply: PodsReply,
  watch: RuleWatch,
  agents: readonly NodeAgent[],
): Omit<SizeResult, "setup" | "metric" | "syncs" | "ruleWatch" | "usage"> {
  const all: number[] = [];
  const slice: number[] = [];
  const sliceToAll: number[] = [];
  const first: number[] = [];
  const each: number[] = [];
  const node0: number[] = [];
  const median: number[] = [];
  const lastMinusMedian: number[] = [];
  const created: number[] = [];
  const lastCount = new Map<string, number>();
  const missing = { ready: 0, slice: 0, programmed: 0 };
  for (const p of reply.pods) {
    if (p.ready === undefined || !p.ip) {
      missing.ready++;
      continue;
    }
    if (p.created !== undefined) created.push(p.ready - p.created);
    if (p.slice === undefined) missing.slice++;
    else slice.push(p.slice - p.ready);
    const held = watch.heldAt(p.svc, p.ip);
    if (!held || held.some((x) => Number.isNaN(x))) {
      missing.programmed++;
      continue;
    }
    const sorted = Array.from(held).sort((a, b) => a - b);
    const last = sorted.at(-1)!;
    const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
    all.push(last - p.ready);
    for (const t of held) each.push(t - p.ready);
    node0.push(held[0]! - p.ready);
    first.push(sorted[0]! - p.ready);
    median.push(mid - p.ready);
    lastMinusMedian.push(last - mid);
    if (p.slice !== undefined) sliceToAll.push(last - p.slice);
    const lastNode = agents[held.indexOf(last)]!.name;
    lastCount.set(lastNode, (lastCount.get(lastNode) ?? 0) + 1);
  }
  const [topNode, topCount] = [...lastCount].sort((a, b) => b[1] - a[1])[0] ?? ["-", 0];
  return {
    nodes,
    services: s.services,
    pods: reply.pods.length,
    readyToAllNodes: summarize(all),
    readyToSlice: summarize(slice),
    sliceToAllNodes: summarize(sliceToAll),
    readyToEachNode: summarize(each),
    readyToMetricNode: summarize(node0),
    readyToFirstNode: summarize(first),
    readyToMedianNode: summarize(median),
    lastMinusMedianNode: summarize(lastMinusMedian),
    mostOftenLast: { node: topNode, share: all.length ? topCount / all.length : 0 },
    createdToReady: summarize(created),
    floor: summarize(reply.floor),
    floorErrors: reply.floorErrors,
    missing,
    createErrors: reply.errors,
    createErrorSamples: reply.errorSamples,
    clientSendLagP99Ms: reply.sendLagP99Ms,
    samples: all.map((v) => Math.round(v * 10) / 10),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function buildRows(r: SizeResult): Row[] {
  const figure = `${r.nodes} nodes x ${r.services.toLocaleString("en-US")} Services, ${r.pods} pods`;
  const f = r.floor;
  const row = (
    metric: string,
    kemu: string,
    baseline = "",
    target = "",
    verdict: Row["verdict"] = "",
  ): Row => ({
    figure,
    metric,
    kemu,
    baseline,
    target,
    verdict,
  });
  const a = r.readyToAllNodes;
  const is50 = r.nodes >= 50;
  return [
    row("Ready -> all nodes p50", ms(a.p50), ms(f.p50)),
    row("Ready -> all nodes p90", ms(a.p90), ms(f.p90)),
    row(
      "Ready -> all nodes p99",
      ms(a.p99),
      ms(f.p99),
      is50 ? `<= ${ms(TARGETS.p99Ms)} (SLO 30 s)` : "SLO <= 30 s",
      is50 ? atMost(a.p99, TARGETS.p99Ms) : atMost(a.p99, TARGETS.sloP99Ms),
    ),
    row("Ready -> all nodes max", ms(a.max), ms(f.max)),
    row(
      "Ready -> slice p50/p99",
      `${ms(r.readyToSlice.p50)} / ${ms(r.readyToSlice.p99)}`,
      `${ms(f.p50)} / ${ms(f.p99)}`,
    ),
    row("slice -> all nodes p50/p99", `${ms(r.sliceToAllNodes.p50)} / ${ms(r.sliceToAllNodes.p99)}`),
    row(
      "Ready -> each node p50/p99",
      `${ms(r.readyToEachNode.p50)} / ${ms(r.readyToEachNode.p99)}`,
      "",
      "over (pod, node) pairs, as the SLI",
    ),
    row("Ready -> first node p50/p99", `${ms(r.readyToFirstNode.p50)} / ${ms(r.readyToFirstNode.p99)}`),
    row(
      "last - median node p50/p99",
      `${ms(r.lastMinusMedianNode.p50)} / ${ms(r.lastMinusMedianNode.p99)}`,
      "",
      `last most often: ${r.mostOftenLast.node} (${Math.round(r.mostOftenLast.share * 100)}%)`,
    ),
    row(
      `Ready -> ${r.metric.node} p50/p99`,
      `${ms(r.readyToMetricNode.p50)} / ${ms(r.readyToMetricNode.p99)}`,
    ),
    row(
      `  ${r.metric.node}'s own histogram`,
      `${ms(r.metric.p50Ms)} / ${ms(r.metric.p99Ms)}`,
      "",
      `${r.metric.count} observations; trigger time in whole s`,
    ),
    row(
      "syncs (all nodes)",
      `${r.syncs.count} x ${ms(r.syncs.meanMs)}`,
      "",
      `${r.syncs.perNodePerS.toFixed(2)} per node per s`,
    ),
  ];
}

function pct(v: number | undefined): string {
  return v === undefined ? "?" : `${Math.round(v * 100)}%`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      tls: { type: "boolean", default: false },
      nodes: { type: "string" },
      "pod-rate": { type: "string" },
      pods: { type: "string" },
      role: { type: "string" },
      "nats-url": { type: "string" },
    },
  });
  if (values.role === "client") {
    await runClient(String(values["nats-url"]));
    return 0;
  }
  const s = { ...(values.quick ? QUICK : FULL) };
  // Sparse arrivals (below 1/minSyncPeriod) measure one change's latency rather than the
  // once-a-second cadence kube-proxy settles into under steady churn.
  if (values["pod-rate"] !== undefined) s.podRate = Number(values["pod-rate"]);
  if (values.pods !== undefined) s.pods = Number(values.pods);
  if (!(s.podRate > 0) || !(Number.isInteger(s.pods) && s.pods > 0)) {
    process.stderr.write("invalid --pod-rate or --pods: positive numbers, --pods an integer\n");
    return 2;
  }
  const sizes = values.nodes ? values.nodes.split(",").map(Number) : DEFAULT_SIZES;
  if (!sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 100)) {
    process.stderr.write(`invalid --nodes "${values.nodes}": sizes of 1-100 nodes, comma-separated\n`);
    return 2;
  }
  const cleanups: Cleanup[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = true;
    progress(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const load0 = loadavg();
  try {
    progress(
      `network programming latency at ${sizes.join(" and ")} nodes x ${s.services} Services` +
        `${values.quick ? " (quick run)" : ""}; load average ${load0.map((l) => l.toFixed(2)).join(" ")}`,
    );
    const results: SizeResult[] = [];
    for (const n of sizes) {
      const r = await runSize(s, n, cleanups);
      results.push(r);
      const a = r.readyToAllNodes;
      const u = r.usage;
      progress(
        `${n} nodes: Ready -> all nodes p50 ${ms(a.p50)} p99 ${ms(a.p99)} max ${ms(a.max)}; ` +
          `floor p99 ${ms(r.floor.p99)}; cpu control-plane ${pct(u.apiserverCpu)} nats ${pct(u.natsCpu)} ` +
          `nodes ${pct(u.benchCpu)} client ${pct(u.clientCpu)}; node loop delay p99 ${ms(u.benchLoopDelayP99Ms)}`,
      );
    }
    const load1 = loadavg();
    const rows = results.flatMap(buildRows);
    const table = renderTable(rows, "put->watch floor");
    const file = await writeResults(join(import.meta.dirname, "results"), "programming", {
      benchmark: "programming",
      date: new Date().toISOString(),
      host: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
      loadAverage: { start: load0, end: load1 },
      settings: s,
      targets: TARGETS,
      results,
      rows,
    });
    process.stdout.write(
      `\nkemu network programming latency (${cpus().length} CPUs, Node ${process.version}, load average ` +
        `${load0[0]!.toFixed(1)} -> ${load1[0]!.toFixed(1)}; pod Ready as the client's watch sees it -> ` +
        `every node's applied iptables-mode RuleSet lists its IP; baseline: a ConfigMap PATCH -> its ` +
        `watch event, measured alongside)\n\n${table}\n\n`,
    );
    for (const r of results) {
      const u = r.usage;
      process.stdout.write(
        `${r.nodes} nodes: created -> Ready p50 ${ms(r.createdToReady.p50)} p99 ${ms(r.createdToReady.p99)}; ` +
          `cpu control-plane ${pct(u.apiserverCpu)}, nats ${pct(u.natsCpu)}, nodes (this process) ` +
          `${pct(u.benchCpu)}, client ${pct(u.clientCpu)}; this process's loop delay p99 ` +
          `${ms(u.benchLoopDelayP99Ms)}; missing: ${r.missing.ready} pods never Ready, ${r.missing.slice} ` +
          `never in a slice, ${r.missing.programmed} not on every node within ${PROGRAMMED_TIMEOUT_MS / 1000} s\n`,
      );
    }
    process.stdout.write(`results: ${file}\n`);
    return 0;
  } catch (err) {
    if (!interrupted)
      progress(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const code = await main();
process.exitCode = code;
