/**
 * Data plane benchmark: `node bench/dataplane.ts [--quick]`.
 *
 * HTTP through a NodePort of kemu's userspace data plane, next to the same requests sent
 * straight to the pods, and next to HAProxy balancing the same TCP connections over the same
 * pods (`haproxy` from PATH, one thread, `balance random`, `send-proxy` so that both proxies do
 * the same work; the column reads "haproxy: not found" when it is missing).
 *
 * Three processes besides this one: the pods (three minimal node:http servers behind
 * readProxyHeader, in one child process), the data plane (a UserspaceDataPlane in its own child
 * process, on node IP 127.0.1.240, iptables mode, externalTrafficPolicy Cluster), and HAProxy
 * (on 127.0.1.241). The load generator here is a raw HTTP/1.1 client on node:net.
 *
 * For each of keep-alive and a new connection per request, and each target:
 * - throughput: closed loop, `conns` requests in flight, requests/s;
 * - latency: open loop at a fixed rate, every latency counted from the request's scheduled time
 *   (no coordinated omission), percentiles computed exactly from the recorded samples, over all
 *   rounds and per round; "added p99" is the median round p99 of the target minus that of the
 *   direct requests (one burst of load from elsewhere then spoils one round, not the figure).
 * Each phase runs in short rounds that alternate between the targets, so that load from elsewhere
 * on a shared machine falls on all of them alike.
 * Targets: kemu >= 60% of HAProxy's keep-alive requests/s (stretch 80%); kemu's added p99 <= 2x
 * HAProxy's. Everything shares the machine's cores, so figures move between runs.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as http from "node:http";
import * as net from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createLogger, streamSink } from "@kemu/common";
import { readProxyHeader, UserspaceDataPlane, type RuleSet } from "@kemu/proxy";
import { sleepUntil } from "./lib/load.ts";
import { cpuSeconds } from "./lib/procstat.ts";
import { ms, writeResults } from "./lib/report.ts";
import { median, nowMs, summarize, type Summary } from "./lib/stats.ts";
import { progress, stopChild } from "./lib/process.ts";

const KEMU_NODE_IP = "127.0.1.240";
const HAPROXY_IP = "127.0.1.241";
const POD_IPS = ["10.244.0.11", "10.244.0.12", "10.244.0.13"];
const POD_PORT = 8080;

interface Settings {
  warmupS: number;
  throughputS: number;
  latencyS: number;
  /** Requests in flight in the throughput phase. */
  conns: number;
  /** Requests per second in the latency phase. */
  rate: number;
  /** Each phase is split into this many rounds that alternate between the targets. */
  rounds: number;
}

const FULL: Settings = { warmupS: 1, throughputS: 6, latencyS: 5, conns: 16, rate: 400, rounds: 6 };
const QUICK: Settings = { warmupS: 0.3, throughputS: 1.5, latencyS: 1.5, conns: 16, rate: 300, rounds: 2 };

const TARGETS = { rpsShareOfHaproxy: 0.6, rpsStretch: 0.8, addedP99Factor: 2 };

// ---------------------------------------------------------------------------------------------
// Child roles

/** The pods: one node:http server per pod IP, each behind readProxyHeader as emulated apps are. */
async function runPods(): Promise<void> {
  const body = Buffer.from("ok\n");
  const ports: number[] = [];
  for (let i = 0; i < POD_IPS.length; i++) {
    const app = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
      res.end(body);
    });
    app.keepAliveTimeout = 60_000;
    const server = net.createServer((s) => {
      s.on("error", () => {});
      readProxyHeader(s).then(
        () => app.emit("connection", s),
        () => s.destroy(),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", 1024, () => r()));
    ports.push((server.address() as net.AddressInfo).port);
  }
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

/** The data plane: one NodePort service over the pods. */
async function runDataPlane(nodePort: number, podPorts: number[]): Promise<void> {
  const log = createLogger(
    "bench/dataplane",
    streamSink((l) => process.stderr.write(l)),
    "warn",
  );
  const where = new Map(POD_IPS.map((ip, i) => [ip, { host: "127.0.0.1", port: podPorts[i]! }]));
  const dp = new UserspaceDataPlane({
    fabric: { resolvePodPort: (ip) => where.get(ip) },
    node: { name: "bench", ip: KEMU_NODE_IP },
    log,
  });
  const endpoints = POD_IPS.map((ip) => ({
    ip,
    port: POD_PORT,
    nodeName: "bench",
    zone: undefined,
    ready: true,
    serving: true,
    terminating: false,
    isLocal: true,
    podRef: undefined,
  }));
  const rules: RuleSet = {
    node: { name: "bench", ip: KEMU_NODE_IP },
    mode: "iptables",
    ipvsScheduler: "rr",
    rules: [
      {
        id: "bench/web:",
        namespace: "bench",
        name: "web",
        portName: "",
        protocol: "TCP",
        clusterIP: "10.96.0.80",
        port: 80,
        nodePort,
        externalIPs: [],
        loadBalancerIPs: [],
        healthCheckNodePort: undefined,
        affinityTimeoutSeconds: undefined,
        externalPolicyLocal: false,
        internalPolicyLocal: false,
        clusterEndpoints: endpoints,
        externalEndpoints: endpoints,
        hasEndpoints: true,
        localReadyEndpoints: 3,
      },
    ],
  };
  await dp.apply(rules);
  if (dp.listeners().tcp.length !== 1) throw new Error(`NodePort ${KEMU_NODE_IP}:${nodePort} did not open`);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void dp.close().then(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A child process of this benchmark that prints one JSON line when ready; stdin's end stops it. */
async function startChild(args: string[]): Promise<{ proc: ChildProcess; hello: Record<string, unknown> }> {
  const proc = spawn(process.execPath, [import.meta.filename, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: proc.stdout! });
  const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.once("line", (l) => resolve(JSON.parse(l) as Record<string, unknown>));
    proc.once("exit", (code) =>
      reject(new Error(`${args.join(" ")} exited with ${code} before it was ready`)),
    );
  });
  return { proc, hello };
}

/** A port the kernel says is free on ip now. */
async function freePort(ip: string): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, ip, () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitListening(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (nowMs() > deadline) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** HAProxy's version line, or undefined when `haproxy` is not on PATH. */
function haproxyVersion(): string | undefined {
  const r = spawnSync("haproxy", ["-v"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split("\n")[0]?.trim();
}

async function startHaproxy(dir: string, port: number, podPorts: number[]): Promise<ChildProcess> {
  const cfg = [
    "global",
    "  nbthread 1",
    // Far above what the load needs, and low enough for a default ulimit -n (strict-limits).
    "  maxconn 2000",
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "frontend web",
    `  bind ${HAPROXY_IP}:${port}`,
    "  default_backend pods",
    "backend pods",
    "  balance random",
    ...podPorts.map((p, i) => `  server pod${i} 127.0.0.1:${p} send-proxy`),
    "",
  ].join("\n");
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, cfg);
  const proc = spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "ignore", "inherit"] });
  await Promise.race([
    waitListening(HAPROXY_IP, port, 10_000),
    new Promise((_, reject) => proc.once("exit", (c) => reject(new Error(`haproxy exited with ${c}`)))),
  ]);
  return proc;
}

// ---------------------------------------------------------------------------------------------
// Load generator: a raw HTTP/1.1 client

const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: bench\r\n\r\n");
const REQUEST_CLOSE = Buffer.from("GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** One client connection that sends a request and resolves when its whole response is in. */
class HttpConn {
  readonly socket: net.Socket;
  #buf: Buffer | undefined;
  #done: ((err?: Error) => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.#data(d));
    socket.on("error", (err) => this.#finish(err));
    this.closed = new Promise((r) => socket.once("close", () => r()));
    void this.closed.then(() => this.#finish(new Error("connection closed")));
  }

  static open(addr: { host: string; port: number }): Promise<HttpConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(addr);
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new HttpConn(s));
      });
      s.once("error", reject);
    });
  }

  request(req: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#done = (err) => (err ? reject(err) : resolve());
      this.socket.write(req);
    });
  }

  #finish(err?: Error): void {
    const d = this.#done;
    this.#done = undefined;
    d?.(err);
  }

  #data(d: Buffer): void {
    const buf = this.#buf ? Buffer.concat([this.#buf, d]) : d;
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      this.#buf = buf;
      return;
    }
    const head = buf.toString("latin1", 0, end);
    const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (buf.length < end + 4 + len) {
      this.#buf = buf;
      return;
    }
    this.#buf = undefined;
    this.#finish(head.startsWith("HTTP/1.1 200") ? undefined : new Error(head.split("\r\n")[0]));
  }
}

/** Where a load run connects: one address, or several taken in turn (direct to the pods). */
type Addresses = () => { host: string; port: number };

interface RunResult {
  latencies: number[];
  errors: number;
  firstError: string | undefined;
  elapsedMs: number;
}

function newRun(): RunResult {
  return { latencies: [], errors: 0, firstError: undefined, elapsedMs: 0 };
}

function failed(r: RunResult, err: unknown): void {
  r.errors++;
  r.firstError ??= err instanceof Error ? err.message : String(err);
}

/** One request on a new connection, timed from t0; waits for the server's close before returning. */
async function oneShot(next: Addresses, r: RunResult, t0: number): Promise<void> {
  let c: HttpConn | undefined;
  try {
    c = await HttpConn.open(next());
    await c.request(REQUEST_CLOSE);
    r.latencies.push(nowMs() - t0);
  } catch (err) {
    failed(r, err);
  }
  // The server closes first (Connection: close), so TIME_WAIT stays on its side.
  if (c) await c.closed;
}

/** Closed loop: conns requests in flight for durationMs. */
async function closedLoop(next: Addresses, keepAlive: boolean, conns: number, durationMs: number) {
  const r = newRun();
  const start = nowMs();
  const end = start + durationMs;
  const worker = async () => {
    if (!keepAlive) {
      while (nowMs() < end) await oneShot(next, r, nowMs());
      return;
    }
    let c: HttpConn | undefined;
    while (nowMs() < end) {
      try {
        c ??= await HttpConn.open(next());
        const t0 = nowMs();
        await c.request(REQUEST);
        r.latencies.push(nowMs() - t0);
      } catch (err) {
        failed(r, err);
        c?.socket.destroy();
        c = undefined;
      }
    }
    c?.socket.destroy();
  };
  await Promise.all(Array.from({ length: conns }, worker));
  r.elapsedMs = nowMs() - start;
  return r;
}

/**
 * Open loop: a request due every 1000/rate ms, each latency counted from its due time. With
 * keep-alive a request takes an idle connection of the pool (opening one if none is idle) or
 * waits for one.
 */
async function openLoop(next: Addresses, keepAlive: boolean, rate: number, durationMs: number) {
  const r = newRun();
  const count = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const idle: HttpConn[] = [];
  const all: HttpConn[] = [];
  const inflight: Promise<void>[] = [];
  const run = async (due: number): Promise<void> => {
    if (!keepAlive) return oneShot(next, r, due);
    let c = idle.pop();
    try {
      if (!c) {
        c = await HttpConn.open(next());
        all.push(c);
      }
      await c.request(REQUEST);
      r.latencies.push(nowMs() - due);
      idle.push(c);
    } catch (err) {
      failed(r, err);
      c?.socket.destroy();
    }
  };
  const start = nowMs() + 5;
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    await sleepUntil(due);
    inflight.push(run(due));
  }
  await Promise.all(inflight);
  r.elapsedMs = nowMs() - start;
  for (const c of all) c.socket.destroy();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Phases

interface TargetDef {
  name: "direct" | "kemu" | "haproxy";
  next: Addresses;
  /** The proxy process whose CPU is reported (none for direct). */
  pid: number | undefined;
}

interface Phase {
  requestsPerS: number;
  /** Over every sample of every round. */
  summary: Summary;
  /** The median over rounds of each round's p99: a burst from elsewhere spoils one round, not the figure. */
  roundP99Median: number;
  errors: number;
  firstError: string | undefined;
  /** CPU of the proxy process over the phase, as a share of one core. */
  proxyCpu: number | undefined;
}

/** Runs accumulated over rounds, with the proxy's CPU time over them. */
class Accumulator {
  readonly latencies: number[] = [];
  /** p99 of each round on its own. */
  readonly roundP99: number[] = [];
  errors = 0;
  firstError: string | undefined;
  elapsedMs = 0;
  cpuS: number | undefined = 0;
  wallS = 0;

  async add(pid: number | undefined, run: () => Promise<RunResult>): Promise<void> {
    const c0 = cpuSeconds(pid);
    const t0 = nowMs();
    const r = await run();
    const c1 = cpuSeconds(pid);
    this.wallS += (nowMs() - t0) / 1000;
    this.cpuS =
      c0 !== undefined && c1 !== undefined && this.cpuS !== undefined ? this.cpuS + c1 - c0 : undefined;
    for (const l of r.latencies) this.latencies.push(l);
    if (r.latencies.length > 0) this.roundP99.push(summarize(r.latencies).p99);
    this.errors += r.errors;
    this.firstError ??= r.firstError;
    this.elapsedMs += r.elapsedMs;
  }

  phase(): Phase {
    return {
      requestsPerS: (this.latencies.length / this.elapsedMs) * 1000,
      summary: summarize(this.latencies),
      roundP99Median: median(this.roundP99),
      errors: this.errors,
      firstError: this.firstError,
      proxyCpu: this.cpuS !== undefined && this.wallS > 0 ? this.cpuS / this.wallS : undefined,
    };
  }
}

interface ModeResults {
  throughput: Partial<Record<TargetDef["name"], Phase>>;
  latency: Partial<Record<TargetDef["name"], Phase>>;
}

/**
 * Measures every target in short alternating rounds (the order rotating each round), so that a
 * burst of load from elsewhere on a shared machine falls on all of them alike.
 */
async function measureMode(s: Settings, keepAlive: boolean, targets: TargetDef[]): Promise<ModeResults> {
  const label = keepAlive ? "keep-alive" : "new connection per request";
  for (const t of targets) await closedLoop(t.next, keepAlive, s.conns, s.warmupS * 1000);
  const tp = new Map(targets.map((t) => [t.name, new Accumulator()]));
  const lat = new Map(targets.map((t) => [t.name, new Accumulator()]));
  for (let round = 0; round < s.rounds; round++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(round + k) % targets.length]!;
      await tp
        .get(t.name)!
        .add(t.pid, () => closedLoop(t.next, keepAlive, s.conns, (s.throughputS * 1000) / s.rounds));
    }
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(round + k) % targets.length]!;
      await lat
        .get(t.name)!
        .add(t.pid, () => openLoop(t.next, keepAlive, s.rate, (s.latencyS * 1000) / s.rounds));
    }
  }
  const out: ModeResults = { throughput: {}, latency: {} };
  for (const t of targets) {
    const a = tp.get(t.name)!.phase();
    const b = lat.get(t.name)!.phase();
    out.throughput[t.name] = a;
    out.latency[t.name] = b;
    const cpu = a.proxyCpu !== undefined ? `, proxy CPU ${(a.proxyCpu * 100).toFixed(0)}%` : "";
    const err = a.firstError ?? b.firstError;
    progress(
      `${label}, ${t.name}: ${a.requestsPerS.toFixed(0)} req/s (p99 ${ms(a.summary.p99)}${cpu}); ` +
        `at ${s.rate}/s p50 ${ms(b.summary.p50)} p99 ${ms(b.summary.p99)}; ` +
        `${a.errors + b.errors} errors${err ? ` (${err})` : ""}`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

const COLUMNS = ["figure", "metric", "direct", "kemu", "haproxy", "target", "verdict"] as const;

function render(rows: string[][]): string {
  const widths = COLUMNS.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((s, c) => (c >= 2 && c <= 4 ? s.padStart(widths[c]!) : s.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(COLUMNS), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function buildRows(s: Settings, modes: { keepAlive: ModeResults; close: ModeResults }, haproxy: boolean) {
  const rows: string[][] = [];
  const missing = "haproxy: not found";
  const rps = (p: Phase | undefined) => (p ? p.requestsPerS.toFixed(0) : "-");
  const verdicts: { figure: string; pass: boolean | undefined }[] = [];
  for (const [key, title] of [
    ["keepAlive", "keep-alive"],
    ["close", "new connection/request"],
  ] as const) {
    const m = modes[key];
    const tp = m.throughput;
    const lat = m.latency;
    let rpsTarget = "";
    let rpsVerdict = "";
    if (key === "keepAlive") {
      rpsTarget = `>= ${TARGETS.rpsShareOfHaproxy * 100}% of haproxy`;
      if (haproxy && tp.kemu && tp.haproxy) {
        const share = tp.kemu.requestsPerS / tp.haproxy.requestsPerS;
        const pass = share >= TARGETS.rpsShareOfHaproxy;
        verdicts.push({ figure: `${title} req/s`, pass });
        rpsVerdict = `${pass ? "PASS" : "FAIL"} (${(share * 100).toFixed(0)}%${share >= TARGETS.rpsStretch ? ", stretch met" : ""})`;
      } else rpsVerdict = "n/a";
    } else if (haproxy && tp.kemu && tp.haproxy) {
      rpsVerdict = `(${((tp.kemu.requestsPerS / tp.haproxy.requestsPerS) * 100).toFixed(0)}% of haproxy)`;
    }
    rows.push([
      title,
      `req/s, ${s.conns} in flight`,
      rps(tp.direct),
      rps(tp.kemu),
      haproxy ? rps(tp.haproxy) : missing,
      rpsTarget,
      rpsVerdict,
    ]);
    rows.push([
      "",
      "p99 at that load",
      ms(tp.direct?.summary.p99),
      ms(tp.kemu?.summary.p99),
      haproxy ? ms(tp.haproxy?.summary.p99) : missing,
      "",
      "",
    ]);
    rows.push([
      "",
      `p50 at ${s.rate} req/s`,
      ms(lat.direct?.summary.p50),
      ms(lat.kemu?.summary.p50),
      haproxy ? ms(lat.haproxy?.summary.p50) : missing,
      "",
      "",
    ]);
    rows.push([
      "",
      `p99 at ${s.rate} req/s, all`,
      ms(lat.direct?.summary.p99),
      ms(lat.kemu?.summary.p99),
      haproxy ? ms(lat.haproxy?.summary.p99) : missing,
      "",
      "",
    ]);
    rows.push([
      "",
      `p99 at ${s.rate} req/s, median round`,
      ms(lat.direct?.roundP99Median),
      ms(lat.kemu?.roundP99Median),
      haproxy ? ms(lat.haproxy?.roundP99Median) : missing,
      "",
      "",
    ]);
    const base = lat.direct?.roundP99Median;
    const added = (p: Phase | undefined) =>
      p && base !== undefined ? Math.max(0, p.roundP99Median - base) : undefined;
    const kemuAdded = added(lat.kemu);
    const haAdded = added(lat.haproxy);
    let verdict = "n/a";
    if (haproxy && kemuAdded !== undefined && haAdded !== undefined) {
      // A floor of 0.1 ms keeps a near-zero HAProxy figure from failing kemu on noise alone.
      const pass = kemuAdded <= TARGETS.addedP99Factor * Math.max(haAdded, 0.1);
      verdicts.push({ figure: `${title} added p99`, pass });
      verdict = pass ? "PASS" : "FAIL";
    }
    rows.push([
      "",
      "added p99 (median round)",
      "-",
      ms(kemuAdded),
      haproxy ? ms(haAdded) : missing,
      `<= ${TARGETS.addedP99Factor}x haproxy`,
      verdict,
    ]);
    rows.push([
      "",
      "proxy CPU (throughput)",
      "-",
      tp.kemu?.proxyCpu !== undefined ? `${(tp.kemu.proxyCpu * 100).toFixed(0)}%` : "-",
      haproxy && tp.haproxy?.proxyCpu !== undefined ? `${(tp.haproxy.proxyCpu * 100).toFixed(0)}%` : "-",
      "",
      "",
    ]);
    if (key === "keepAlive") rows.push(["", "", "", "", "", "", ""]);
  }
  return { rows, verdicts };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      // Passed to every benchmark by `npm run bench -- --tls`; nothing here speaks TLS.
      tls: { type: "boolean", default: false },
      role: { type: "string" },
      "node-port": { type: "string" },
      "pod-ports": { type: "string" },
    },
  });
  if (values.role === "pods") {
    await runPods();
    return 0;
  }
  if (values.role === "dataplane") {
    await runDataPlane(Number(values["node-port"]), values["pod-ports"]!.split(",").map(Number));
    return 0;
  }

  const s = values.quick ? QUICK : FULL;
  const procs: ChildProcess[] = [];
  let dir: string | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const p of procs.reverse()) await stopChild(p);
      if (dir) await rm(dir, { recursive: true, force: true });
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    progress(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    dir = await mkdtemp(join(tmpdir(), "kemu-bench-dp-"));
    const pods = await startChild(["--role=pods"]);
    procs.push(pods.proc);
    const podPorts = pods.hello["ports"] as number[];
    progress(`pods on 127.0.0.1:${podPorts.join(",")}${values.quick ? " (quick run)" : ""}`);

    const nodePort = await freePort(KEMU_NODE_IP);
    const dp = await startChild([
      "--role=dataplane",
      `--node-port=${nodePort}`,
      `--pod-ports=${podPorts.join(",")}`,
    ]);
    procs.push(dp.proc);
    progress(`kemu data plane on ${KEMU_NODE_IP}:${nodePort}`);

    const version = haproxyVersion();
    let haPort: number | undefined;
    if (version) {
      haPort = await freePort(HAPROXY_IP);
      const ha = await startHaproxy(dir, haPort, podPorts);
      procs.push(ha);
      progress(`${version} on ${HAPROXY_IP}:${haPort}`);
    } else {
      progress("haproxy: not found on PATH; its column stays empty");
    }

    let turn = 0;
    const targets: TargetDef[] = [
      {
        name: "direct",
        next: () => ({ host: "127.0.0.1", port: podPorts[turn++ % podPorts.length]! }),
        pid: undefined,
      },
      { name: "kemu", next: () => ({ host: KEMU_NODE_IP, port: nodePort }), pid: dp.proc.pid },
    ];
    if (haPort !== undefined) {
      const port = haPort;
      targets.push({ name: "haproxy", next: () => ({ host: HAPROXY_IP, port }), pid: procs.at(-1)?.pid });
    }

    const keepAlive = await measureMode(s, true, targets);
    const close = await measureMode(s, false, targets);
    const { rows, verdicts } = buildRows(s, { keepAlive, close }, version !== undefined);
    const file = await writeResults(join(import.meta.dirname, "results"), "dataplane", {
      benchmark: "dataplane",
      date: new Date().toISOString(),
      host: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        node: process.version,
        haproxy: version ?? null,
      },
      settings: s,
      targets: TARGETS,
      keepAlive,
      close,
      rows,
    });
    process.stdout.write(
      `\nkemu userspace data plane vs. direct and HAProxy (${cpus().length} CPUs, Node ${process.version}, ` +
        `${version ?? "haproxy: not found"}; HTTP GET, 3 pods, iptables-mode random balancing)\n\n` +
        `${render(rows)}\n\n`,
    );
    const missed = verdicts.filter((v) => v.pass === false);
    if (!version)
      process.stdout.write("haproxy: not found (install the Debian package haproxy to compare)\n");
    else {
      process.stdout.write(
        missed.length
          ? `${missed.length} target(s) missed: ${missed.map((v) => v.figure).join("; ")}\n`
          : "all targets met\n",
      );
    }
    process.stdout.write(`results: ${file}\n`);
    return 0;
  } catch (err) {
    progress(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    progress("stopping");
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const code = await main();
// Child roles keep serving until their stdin ends; only the parent sets an exit code here.
if (!process.argv.some((a) => a.startsWith("--role="))) process.exitCode = code;
