/**
 * Endpoints benchmark: `node bench/endpoints.ts [--quick] [--tls] [--only-endpoint-controllers]`.
 *
 * Starts a real nats-server, `kemu apiserver` and `kemu controller-manager` (every registered
 * controller, as `kemu up` runs them), then builds 1,000 Services x 10 pods (Node objects with
 * heartbeating Leases, pods bound to them and given a Running/Ready status with an IP by status
 * PATCHes, as kubelets do; the Services last, so each is synced once), waits for the control
 * plane to go idle, and then measures, open loop, the time from a change to the moment a watcher
 * sees the result in the Service's Endpoints AND in its EndpointSlices:
 *
 * 1. Pod readiness flips: a PATCH of one pod's status (Ready True <-> False), 20/s for 30 s,
 *    each on a different Service. Done when the Endpoints object lists the pod's IP under
 *    addresses/notReadyAddresses accordingly and its slice endpoint has the matching ready
 *    condition.
 * 2. Service changes: a merge PATCH of a Service's targetPort (8080 <-> 8081), 5/s for 20 s.
 *    Done when the Endpoints and the slices carry the new port.
 *
 * Baseline, in the same run and at the same moments: with every change, a ConfigMap PATCH is sent
 * and timed to its event on an HTTP watch, the API's own write->watch latency for one object (the
 * floor of one hop; a controller's change is three: the write reaching the controller, the
 * controller's write, that write reaching the watcher). Measured alongside, both figures see the
 * same machine, which matters on a shared one. Writes and watches go over HTTP (the API's JSON),
 * as kubectl and client-go use it; the controllers use the API over NATS. Target (2-core
 * machine): p99 <= 100 ms for both.
 *
 * --only-endpoint-controllers runs the same ControllerManager with just the Endpoints, EndpointSlice
 * and mirroring controllers in its process, to tell their own latency from stalls that other
 * controllers sharing the process's event loop cause.
 *
 * Prints progress on stderr and a table on stdout, and writes bench/results/endpoints-<date>.json.
 * Exits 0 whether or not targets are met; 1 if the run failed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLogger, streamSink } from "@kemu/common";
import { ControllerManager, parseControllerSettings } from "@kemu/controllers";
import { BenchCluster } from "./lib/cluster.ts";
import { HttpClient, openWatch, type ArrivedEvent, type ClientTls, type HttpWatch } from "./lib/http.ts";
import { openLoop, pool, waitUntil, type LoadResult } from "./lib/load.ts";
import { cpuSeconds, formatUsage, phaseMeter, type PhaseUsage, type Processes } from "./lib/procstat.ts";
import { atMost, ms, renderTable, writeResults, type Row, type Verdict } from "./lib/report.ts";
import { nowMs, summarize, type Summary } from "./lib/stats.ts";
import { progress } from "./lib/process.ts";

type KObject = Record<string, any>;

const KEMU_BIN = resolve(import.meta.dirname, "../packages/cli/bin/kemu.js");
/** The controllers `--only-endpoint-controllers` runs. */
const ENDPOINT_CONTROLLERS = [
  "endpoint-controller",
  "endpointslice-controller",
  "endpointslice-mirroring-controller",
];
const NS = "bench-endpoints";
const MERGE = { "Content-Type": "application/merge-patch+json" };

/** How big the cluster is and how much change is applied. */
interface Settings {
  services: number;
  podsPerService: number;
  nodes: number;
  /** Writes in flight while building the cluster. */
  concurrency: number;
  /** Readiness flips per second and for how long. */
  flipRate: number;
  flipSeconds: number;
  /** Service changes per second and for how long. */
  svcRate: number;
  svcSeconds: number;
}

const FULL: Settings = {
  services: 1_000,
  podsPerService: 10,
  nodes: 10,
  concurrency: 32,
  flipRate: 20,
  flipSeconds: 30,
  svcRate: 5,
  svcSeconds: 20,
};

/** A smoke run of the same code paths in well under a minute. */
const QUICK: Settings = { ...FULL, services: 100, flipSeconds: 5, svcSeconds: 4 };

const TARGET_P99_MS = 100;
/** How long to wait for the last results after a phase's last change. */
const DRAIN_MS = 15_000;
/** Untimed changes before each measured series (JIT, caches, connections). */
const WARMUP = 20;

const rfc3339 = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const svcName = (i: number) => `svc-${i}`;
const podName = (i: number, j: number) => `svc-${i}-${j}`;
/** Pod k's IP: 10.244.0.0/16 has room for all of them. */
const podIP = (k: number) => `10.${244 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;

// ---------------------------------------------------------------------------------------------
// The controller manager

/** `kemu controller-manager` as a child process, stopped in cleanup. */
class ControllerManagerProcess {
  readonly #p: ChildProcess;
  #stderr = "";

  private constructor(p: ChildProcess) {
    this.#p = p;
    p.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-20_000);
    });
  }

  /**
   * `kemu controller-manager`, or with onlyEndpoints this file serving just the endpoint
   * controllers (the same ControllerManager, fewer controllers in its process).
   */
  static async start(natsUrl: string, onlyEndpoints: boolean): Promise<ControllerManagerProcess> {
    const args = onlyEndpoints
      ? [import.meta.filename, "--serve-endpoint-controllers", natsUrl]
      : [KEMU_BIN, "controller-manager", "--nats-url", natsUrl];
    const p = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KEMU_LOG_LEVEL: "warn" },
    });
    const cm = new ControllerManagerProcess(p);
    try {
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
        p.once("error", rej);
        p.once("exit", (code) => {
          clearTimeout(timer);
          rej(new Error(`controller-manager exited with ${code}: ${cm.#stderr}`));
        });
      });
    } catch (err) {
      await cm.stop();
      throw err;
    }
    p.removeAllListeners("exit");
    return cm;
  }

  get pid(): number | undefined {
    return this.#p.pid;
  }

  get log(): string {
    return this.#stderr;
  }

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
// What the watchers see

/** The endpoints of one Service as its Endpoints object and its slices show them. */
interface Seen {
  /** Endpoints: IP -> ready; and the ports of its subsets. */
  ep: Map<string, boolean>;
  epPorts: Set<number>;
  /** Slices by name: IP -> ready, and their ports. */
  slices: Map<string, { ips: Map<string, boolean>; ports: number[] }>;
}

/** A change waiting to be seen. */
interface Expectation {
  sentAt: number;
  ep: (s: Seen) => boolean;
  slices: (s: Seen) => boolean;
  epAt?: number;
  sliceAt?: number;
  done: (r: { ep: number; slices: number; both: number }) => void;
}

/** Follows every Endpoints and EndpointSlice of the namespace and resolves expectations. */
class Observer {
  readonly seen = new Map<string, Seen>();
  readonly #expect = new Map<string, Expectation>();
  readonly #watches: HttpWatch[] = [];

  #of(svc: string): Seen {
    let s = this.seen.get(svc);
    if (!s) this.seen.set(svc, (s = { ep: new Map(), epPorts: new Set(), slices: new Map() }));
    return s;
  }

  async start(url: string, tls: ClientTls | undefined): Promise<void> {
    const ep = openWatch(url, `/api/v1/namespaces/${NS}/endpoints?watch=true`, tls, (e) =>
      this.#onEndpoints(e),
    );
    const es = openWatch(
      url,
      `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices?watch=true`,
      tls,
      (e) => this.#onSlice(e),
    );
    this.#watches.push(ep, es);
    await Promise.all([ep.ready, es.ready]);
  }

  #onEndpoints({ at, event }: ArrivedEvent): void {
    const o = event.object as KObject;
    if (event.type === "BOOKMARK" || event.type === "ERROR") return;
    const svc = o["metadata"]["name"] as string;
    const s = this.#of(svc);
    s.ep.clear();
    s.epPorts.clear();
    if (event.type !== "DELETED") {
      for (const ss of (o["subsets"] ?? []) as KObject[]) {
        for (const a of ss["addresses"] ?? []) s.ep.set(a["ip"], true);
        for (const a of ss["notReadyAddresses"] ?? []) s.ep.set(a["ip"], false);
        for (const p of ss["ports"] ?? []) s.epPorts.add(p["port"]);
      }
    }
    this.#check(svc, at, "ep");
  }

  #onSlice({ at, event }: ArrivedEvent): void {
    const o = event.object as KObject;
    if (event.type === "BOOKMARK" || event.type === "ERROR") return;
    const svc = o["metadata"]?.["labels"]?.["kubernetes.io/service-name"] as string | undefined;
    if (!svc) return;
    const s = this.#of(svc);
    if (event.type === "DELETED") {
      s.slices.delete(o["metadata"]["name"]);
    } else {
      const ips = new Map<string, boolean>();
      for (const e of (o["endpoints"] ?? []) as KObject[]) {
        for (const a of e["addresses"] ?? []) ips.set(a, e["conditions"]?.["ready"] !== false);
      }
      s.slices.set(o["metadata"]["name"], {
        ips,
        ports: ((o["ports"] ?? []) as KObject[]).map((p) => p["port"]),
      });
    }
    this.#check(svc, at, "slices");
  }

  #check(svc: string, at: number, which: "ep" | "slices"): void {
    const x = this.#expect.get(svc);
    if (!x) return;
    const s = this.#of(svc);
    if (which === "ep" && x.epAt === undefined && x.ep(s)) x.epAt = at;
    if (which === "slices" && x.sliceAt === undefined && x.slices(s)) x.sliceAt = at;
    if (x.epAt !== undefined && x.sliceAt !== undefined) {
      this.#expect.delete(svc);
      x.done({
        ep: x.epAt - x.sentAt,
        slices: x.sliceAt - x.sentAt,
        both: Math.max(x.epAt, x.sliceAt) - x.sentAt,
      });
    }
  }

  /** Registers what a change to svc should lead to; resolves with the latencies once seen. */
  expect(svc: string, ep: Expectation["ep"], slices: Expectation["slices"]) {
    if (this.#expect.has(svc)) throw new Error(`a change to ${svc} is still outstanding`);
    let done!: Expectation["done"];
    const seen = new Promise<{ ep: number; slices: number; both: number }>((r) => (done = r));
    const x: Expectation = { sentAt: 0, ep, slices, done };
    this.#expect.set(svc, x);
    return { sent: () => (x.sentAt = nowMs()), seen, cancel: () => this.#expect.delete(svc) };
  }

  /** Every Service's Endpoints and slices list all its pods as ready. */
  complete(services: number, pods: number): boolean {
    for (let i = 0; i < services; i++) {
      const s = this.seen.get(svcName(i));
      if (!s || s.ep.size !== pods || [...s.ep.values()].some((r) => !r)) return false;
      let n = 0;
      for (const sl of s.slices.values()) for (const r of sl.ips.values()) if (r) n++;
      if (n !== pods) return false;
    }
    return true;
  }

  close(): void {
    for (const w of this.#watches) w.close();
  }
}

/** The IP's readiness across a Service's slices (undefined when absent). */
function sliceReady(s: Seen, ip: string): boolean | undefined {
  for (const sl of s.slices.values()) {
    const r = sl.ips.get(ip);
    if (r !== undefined) return r;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Phases

interface Ctx {
  s: Settings;
  http: HttpClient;
  baseline: Baseline;
  procs: Processes & { controllers: number | undefined };
  obs: Observer;
}

/** CPU shares of a phase, the controller manager's included. */
function meter(procs: Ctx["procs"]): () => PhaseUsage & { controllersCpu?: number } {
  const end = phaseMeter(procs);
  const t0 = performance.now();
  const c0 = cpuSeconds(procs.controllers);
  return () => {
    const u: PhaseUsage & { controllersCpu?: number } = end();
    const c1 = cpuSeconds(procs.controllers);
    if (c0 !== undefined && c1 !== undefined)
      u.controllersCpu = (c1 - c0) / ((performance.now() - t0) / 1000);
    return u;
  };
}

function usageLine(u: PhaseUsage & { controllersCpu?: number }): string {
  const cm = u.controllersCpu === undefined ? "?" : `${Math.round(u.controllersCpu * 100)}%`;
  return `${formatUsage(u)}, controller-manager ${cm}`;
}

async function must(r: Promise<LoadResult>, what: string): Promise<LoadResult> {
  const res = await r;
  if (res.errors > 0)
    throw new Error(`${what}: ${res.errors} failed: ${res.errorSamples.slice(0, 3).join("; ")}`);
  return res;
}

/** Nodes with Leases, pods with a Running/Ready status, then the Services. */
async function buildCluster(ctx: Ctx): Promise<{ seconds: number; usage: PhaseUsage }> {
  const { s, http } = ctx;
  const end = meter(ctx.procs);
  const t0 = nowMs();
  await http.json("POST", "/api/v1/namespaces", 201, { metadata: { name: NS } });
  for (let n = 1; n <= s.nodes; n++) {
    await http.json("POST", "/api/v1/nodes", 201, {
      metadata: { name: `node-${n}`, labels: { "kubernetes.io/hostname": `node-${n}` } },
      spec: { podCIDR: `10.244.${n}.0/24` },
      status: {
        addresses: [{ type: "InternalIP", address: `127.0.1.${n}` }],
        conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: rfc3339() }],
      },
    });
  }
  await renewLeases(ctx);
  const total = s.services * s.podsPerService;
  progress(`creating ${total} pods (${s.concurrency} in flight)`);
  await must(
    pool(s.concurrency, total, async (k) => {
      const i = Math.floor(k / s.podsPerService);
      await http.json("POST", `/api/v1/namespaces/${NS}/pods`, 201, {
        metadata: { name: podName(i, k % s.podsPerService), labels: { app: svcName(i) } },
        spec: {
          nodeName: `node-${(k % s.nodes) + 1}`,
          containers: [{ name: "app", image: "nginx:1.27", ports: [{ name: "http", containerPort: 8080 }] }],
        },
      });
    }),
    "creating pods",
  );
  progress(`giving ${total} pods a Running/Ready status`);
  await must(
    pool(s.concurrency, total, async (k) => {
      const i = Math.floor(k / s.podsPerService);
      const at = rfc3339();
      const ip = podIP(k + 1);
      const res = await http.send(
        "PATCH",
        `/api/v1/namespaces/${NS}/pods/${podName(i, k % s.podsPerService)}/status`,
        {
          status: {
            phase: "Running",
            podIP: ip,
            podIPs: [{ ip }],
            hostIP: `127.0.1.${(k % s.nodes) + 1}`,
            startTime: at,
            conditions: readyConditions(true, at),
          },
        },
        MERGE,
      );
      if (res.status !== 200) throw new Error(`pod status: HTTP ${res.status} ${res.body.toString()}`);
    }),
    "pod status",
  );
  progress(`creating ${s.services} Services`);
  await must(
    pool(s.concurrency, s.services, async (i) => {
      await http.json("POST", `/api/v1/namespaces/${NS}/services`, 201, {
        metadata: { name: svcName(i), labels: { bench: "endpoints" } },
        spec: { selector: { app: svcName(i) }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      });
    }),
    "creating services",
  );
  progress("waiting for every Endpoints and EndpointSlice to list its 10 ready pods");
  const ok = await waitUntil(() => ctx.obs.complete(s.services, s.podsPerService), 300_000, 100);
  if (!ok) throw new Error("the controllers did not publish every Service's endpoints within 300 s");
  const usage = end();
  progress(`cluster built in ${((nowMs() - t0) / 1000).toFixed(1)} s; ${usageLine(usage)}`);
  return { seconds: (nowMs() - t0) / 1000, usage };
}

function readyConditions(ready: boolean, at: string): KObject[] {
  const st = ready ? "True" : "False";
  return [
    { type: "Initialized", status: "True", lastTransitionTime: at },
    { type: "Ready", status: st, lastTransitionTime: at },
    { type: "ContainersReady", status: st, lastTransitionTime: at },
    { type: "PodScheduled", status: "True", lastTransitionTime: at },
  ];
}

/** Kubelet heartbeats: without them the node lifecycle controller would fail the nodes. */
async function renewLeases(ctx: Ctx): Promise<void> {
  for (let n = 1; n <= ctx.s.nodes; n++) {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-${n}`;
    const spec = {
      holderIdentity: `node-${n}`,
      leaseDurationSeconds: 40,
      renewTime: new Date().toISOString().replace("Z", "000Z"),
    };
    const res = await ctx.http.send("PATCH", path, { spec }, MERGE);
    if (res.status === 404) {
      await ctx.http.json("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", 201, {
        metadata: { name: `node-${n}` },
        spec,
      });
    }
  }
}

/** A measured series: latencies to Endpoints, to slices and to both, and what never arrived. */
interface Series {
  ep: Summary;
  slices: Summary;
  both: Summary;
  write: Summary;
  missing: number;
  /** The put->watch floor measured alongside, and its events never seen. */
  baseline: Summary;
  baselineMissing: number;
  usage: PhaseUsage;
}

async function series(
  ctx: Ctx,
  name: string,
  rate: number,
  count: number,
  change: (i: number) => {
    svc: string;
    ep: Expectation["ep"];
    slices: Expectation["slices"];
    send: () => Promise<void>;
  },
): Promise<Series> {
  const lat = { ep: [] as number[], slices: [] as number[], both: [] as number[] };
  const pending = new Set<Promise<unknown>>();
  const cancels: (() => void)[] = [];
  const run = async (i: number, record: boolean) => {
    const c = change(i);
    const x = ctx.obs.expect(c.svc, c.ep, c.slices);
    cancels.push(x.cancel);
    const p = Promise.race([
      x.seen,
      new Promise<undefined>((r) => setTimeout(r, DRAIN_MS, undefined).unref()),
    ]).then((r) => {
      if (!r || !record) return;
      lat.ep.push(r.ep);
      lat.slices.push(r.slices);
      lat.both.push(r.both);
    });
    pending.add(p);
    ctx.baseline.fire(record);
    x.sent();
    await c.send();
  };
  await must(
    openLoop(rate, WARMUP, (i) => run(i, false)),
    `${name} warm-up`,
  );
  await Promise.all(pending);
  await ctx.baseline.take();
  pending.clear();
  const end = meter(ctx.procs);
  const load = await must(
    openLoop(rate, count, (i) => run(WARMUP + i, true)),
    name,
  );
  await Promise.all(pending);
  const base = await ctx.baseline.take();
  const usage = end();
  for (const c of cancels) c();
  const out: Series = {
    ep: summarize(lat.ep),
    slices: summarize(lat.slices),
    both: summarize(lat.both),
    write: summarize(load.latencies),
    missing: count - lat.both.length,
    baseline: summarize(base),
    baselineMissing: count - base.length,
    usage,
  };
  progress(
    `${name}: both p50 ${ms(out.both.p50)} p99 ${ms(out.both.p99)} max ${ms(out.both.max)}, missing ${out.missing}; ` +
      `baseline p50 ${ms(out.baseline.p50)} p99 ${ms(out.baseline.p99)}; ${usageLine(usage)}`,
  );
  return out;
}

/** Readiness flips of one pod per Service, each Service in turn. */
function flips(ctx: Ctx): Promise<Series> {
  const { s, http } = ctx;
  const ready = new Map<string, boolean>();
  const count = s.flipRate * s.flipSeconds;
  progress(`readiness flips: ${count} at ${s.flipRate}/s`);
  return series(ctx, "readiness flips", s.flipRate, count, (n) => {
    // A stride coprime with the Service count visits every Service before repeating one.
    const i = (n * 7919) % s.services;
    const j = Math.floor(n / s.services) % s.podsPerService;
    const name = podName(i, j);
    const ip = podIP(i * s.podsPerService + j + 1);
    const to = !(ready.get(name) ?? true);
    ready.set(name, to);
    return {
      svc: svcName(i),
      ep: (seen) => seen.ep.get(ip) === to,
      slices: (seen) => sliceReady(seen, ip) === to,
      send: async () => {
        const res = await http.send(
          "PATCH",
          `/api/v1/namespaces/${NS}/pods/${name}/status`,
          { status: { conditions: readyConditions(to, rfc3339()) } },
          MERGE,
        );
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      },
    };
  });
}

/** Service targetPort changes, each Service in turn. */
function serviceChanges(ctx: Ctx): Promise<Series> {
  const { s, http } = ctx;
  const port = new Map<string, number>();
  const count = s.svcRate * s.svcSeconds;
  progress(`Service targetPort changes: ${count} at ${s.svcRate}/s`);
  return series(ctx, "service changes", s.svcRate, count, (n) => {
    const i = (n * 7907 + 11) % s.services;
    const svc = svcName(i);
    const to = (port.get(svc) ?? 8080) === 8080 ? 8081 : 8080;
    port.set(svc, to);
    return {
      svc,
      ep: (seen) => seen.epPorts.size === 1 && seen.epPorts.has(to) && seen.ep.size === s.podsPerService,
      slices: (seen) => {
        let n = 0;
        for (const sl of seen.slices.values()) {
          if (sl.ips.size > 0 && !(sl.ports.length === 1 && sl.ports[0] === to)) return false;
          n += sl.ips.size;
        }
        return n === s.podsPerService;
      },
      send: async () => {
        const res = await http.send(
          "PATCH",
          `/api/v1/namespaces/${NS}/services/${svc}`,
          { spec: { ports: [{ name: "http", port: 80, targetPort: to }] } },
          MERGE,
        );
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      },
    };
  });
}

/**
 * Waits (at most 60 s) until the API server and the controller manager are idle, each under 15%
 * of a core over a second, so that what the build left behind (the garbage collector's pass over
 * new objects, watch caches) does not land in the first measured series.
 */
async function settle(ctx: Ctx): Promise<void> {
  const deadline = nowMs() + 60_000;
  while (nowMs() < deadline) {
    const a0 = cpuSeconds(ctx.procs.apiserver);
    const c0 = cpuSeconds(ctx.procs.controllers);
    await new Promise((r) => setTimeout(r, 1_000));
    const a1 = cpuSeconds(ctx.procs.apiserver);
    const c1 = cpuSeconds(ctx.procs.controllers);
    if (a0 === undefined || a1 === undefined || c0 === undefined || c1 === undefined) return;
    if (a1 - a0 < 0.15 && c1 - c0 < 0.15) return;
  }
  progress("the control plane did not go idle within 60 s; measuring anyway");
}

/**
 * The floor, measured alongside each series so that both see the same machine: with every
 * change, a ConfigMap PATCH is sent at the same moment and timed to its event on an HTTP watch.
 */
class Baseline {
  readonly #http: HttpClient;
  readonly #names = Array.from({ length: 50 }, (_, i) => `baseline-${i}`);
  readonly #sent = new Map<string, { at: number; record: boolean }>();
  #lat: number[] = [];
  #seq = 0;
  #watch: HttpWatch | undefined;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  async start(url: string, tls: ClientTls | undefined): Promise<void> {
    for (const name of this.#names) {
      await this.#http.json("POST", `/api/v1/namespaces/${NS}/configmaps`, 201, {
        metadata: { name },
        data: { v: "initial" },
      });
    }
    this.#watch = openWatch(url, `/api/v1/namespaces/${NS}/configmaps?watch=true`, tls, ({ at, event }) => {
      if (event.type !== "MODIFIED") return;
      const k = `${event.object.metadata.name}/${event.object.data?.v}`;
      const x = this.#sent.get(k);
      if (!x) return;
      this.#sent.delete(k);
      if (x.record) this.#lat.push(at - x.at);
    });
    await this.#watch.ready;
  }

  /** Sends one PATCH (each writes a new value, so none is a no-op); failures count as missing. */
  fire(record: boolean): void {
    const i = this.#seq++;
    const name = this.#names[i % this.#names.length]!;
    this.#sent.set(`${name}/${i}`, { at: nowMs(), record });
    void this.#http
      .send("PATCH", `/api/v1/namespaces/${NS}/configmaps/${name}`, { data: { v: String(i) } }, MERGE)
      .catch(() => {});
  }

  /** Waits for the events of every PATCH sent, then returns and clears the recorded latencies. */
  async take(): Promise<number[]> {
    await waitUntil(() => this.#sent.size === 0, DRAIN_MS);
    this.#sent.clear();
    const out = this.#lat;
    this.#lat = [];
    return out;
  }

  close(): void {
    this.#watch?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function rowsFor(fig: string, x: Series): Row[] {
  const base = { both: x.baseline };
  const verdict: Verdict = x.missing === 0 ? atMost(x.both.p99, TARGET_P99_MS) : "FAIL";
  return [
    {
      figure: fig,
      metric: "p50 both",
      kemu: ms(x.both.p50),
      baseline: ms(base.both.p50),
      target: "",
      verdict: "",
    },
    {
      figure: fig,
      metric: "p99 both",
      kemu: ms(x.both.p99),
      baseline: ms(base.both.p99),
      target: `<= ${TARGET_P99_MS} ms`,
      verdict,
    },
    {
      figure: fig,
      metric: "max both",
      kemu: ms(x.both.max),
      baseline: ms(base.both.max),
      target: "",
      verdict: "",
    },
    { figure: fig, metric: "p99 Endpoints", kemu: ms(x.ep.p99), baseline: "-", target: "", verdict: "" },
    {
      figure: fig,
      metric: "p99 EndpointSlices",
      kemu: ms(x.slices.p99),
      baseline: "-",
      target: "",
      verdict: "",
    },
    { figure: fig, metric: "write p99", kemu: ms(x.write.p99), baseline: "-", target: "", verdict: "" },
    {
      figure: fig,
      metric: "never seen",
      kemu: String(x.missing),
      baseline: "-",
      target: "0",
      verdict: x.missing === 0 ? "PASS" : "FAIL",
    },
  ];
}

/** The child process of --only-endpoint-controllers: runs until SIGTERM. */
async function serveEndpointControllers(natsUrl: string): Promise<number> {
  const log = createLogger(
    "controller-manager",
    streamSink((l) => process.stderr.write(l)),
    "warn",
  );
  const cm = await ControllerManager.start(parseControllerSettings({ natsUrl }, {}), log, {
    only: ENDPOINT_CONTROLLERS,
  });
  process.stdout.write("kemu controller-manager running\n");
  await new Promise<void>((r) => process.once("SIGTERM", () => r()));
  await cm.stop();
  return 0;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      tls: { type: "boolean", default: false },
      "only-endpoint-controllers": { type: "boolean", default: false },
      "serve-endpoint-controllers": { type: "string" },
    },
  });
  const serve = values["serve-endpoint-controllers"];
  if (serve) return serveEndpointControllers(serve);
  const only = values["only-endpoint-controllers"];
  const s = values.quick ? QUICK : FULL;
  let cluster: BenchCluster | undefined;
  let cm: ControllerManagerProcess | undefined;
  let http: HttpClient | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const obs = new Observer();
  let baseline: Baseline | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      clearInterval(heartbeat);
      obs.close();
      baseline?.close();
      http?.close();
      await cm?.stop().catch(() => {});
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
      `starting nats-server, kemu apiserver and kemu controller-manager` +
        `${only ? " (endpoint controllers only)" : ""}${values.quick ? " (quick run)" : ""}`,
    );
    cluster = await BenchCluster.start({ tls: values.tls });
    cm = await ControllerManagerProcess.start(cluster.natsUrl, only);
    const tls = cluster.clientTls;
    http = new HttpClient(cluster.url, 64, tls);
    baseline = new Baseline(http);
    const ctx: Ctx = { s, http, obs, baseline, procs: { ...cluster.pids, controllers: cm.pid } };
    await obs.start(cluster.url, tls);
    heartbeat = setInterval(() => void renewLeases(ctx).catch(() => {}), 10_000);

    const build = await buildCluster(ctx);
    await baseline.start(cluster.url, tls);
    await settle(ctx);
    const flip = await flips(ctx);
    const svc = await serviceChanges(ctx);

    const n = `${s.services} Services x ${s.podsPerService} pods`;
    const rows = [
      ...rowsFor(`pod readiness flip -> Endpoints + EndpointSlices (${n}, ${s.flipRate}/s)`, flip),
      ...rowsFor(`Service targetPort change -> Endpoints + EndpointSlices (${n}, ${s.svcRate}/s)`, svc),
    ];
    const table = renderTable(rows, "put->watch baseline");
    const file = await writeResults(join(import.meta.dirname, "results"), "endpoints", {
      benchmark: "endpoints",
      date: new Date().toISOString(),
      host: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
      settings: s,
      controllers: only ? ENDPOINT_CONTROLLERS : "all",
      transport: values.tls ? "https" : "http",
      target: { p99Ms: TARGET_P99_MS },
      build,
      flips: flip,
      serviceChanges: svc,
      rows,
    });
    process.stdout.write(
      `\nkemu endpoints benchmark over ${values.tls ? "HTTPS" : "plain HTTP"} with ` +
        `${only ? "only the endpoint controllers" : "every controller"} running (${cpus().length} CPUs, Node ` +
        `${process.version}; cluster built in ${build.seconds.toFixed(0)} s; baseline: with each change, a ` +
        `ConfigMap PATCH sent at the same moment and seen by a watch)\n\n${table}\n\n`,
    );
    const failed = rows.filter((r) => r.verdict === "FAIL");
    process.stdout.write(
      failed.length
        ? `${failed.length} target(s) missed: ${failed.map((r) => `${r.figure} ${r.metric}`).join("; ")}\n`
        : "all targets met\n",
    );
    process.stdout.write(`results: ${file}\n`);
    return 0;
  } catch (err) {
    progress(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (cluster?.apiserverLog) progress(`apiserver stderr (tail):\n${cluster.apiserverLog.slice(-4_000)}`);
    if (cm?.log) progress(`controller-manager stderr (tail):\n${cm.log.slice(-4_000)}`);
    return 1;
  } finally {
    progress("stopping");
    await cleanup();
  }
}

process.exitCode = await main();
