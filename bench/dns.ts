/**
 * Cluster DNS benchmark: `node bench/dns.ts [--quick]`.
 *
 * kemu's ClusterDNS (@kemu/dns) next to dnsmasq serving the same names, both driven by dnsperf
 * in the same run:
 * - kemu runs in a child process (this file with --role=kemu) with a fixed ObjectSource of N
 *   ClusterIP Services `svc-i.default.svc.cluster.local` -> 10.96.x.y, so the figure is the
 *   server's own, without an API behind it;
 * - dnsmasq (the Debian package) serves the same A records from an --addn-hosts file, with no
 *   upstream and its cache on;
 * - dnsperf sends the same query file (every name once, in order, over and over) to each.
 * Phases, alternating between the servers: max QPS (dnsperf unlimited, `clients` sockets,
 * `outstanding` queries in flight) with dnsperf's average/min/max latency; then latency at a fixed
 * rate (dnsperf -Q with -v, which prints every answer's latency, so p50/p99 are exact).
 * dnsperf 2.x has no latency histogram, so under max load only avg and max are reported.
 * Targets (issue): kemu >= 50% of dnsmasq's QPS and >= 15k QPS.
 *
 * Freshness against a real API (nats-server + `kemu apiserver`, ClusterDNS in this process over
 * NATS): from just before a Service's create to its first A answer, and from just before an
 * EndpointSlice's endpoint turns ready to the headless Service's first answer holding it (the
 * benchmark writes the EndpointSlice itself, so no controller is timed); DNS is polled every
 * 2 ms. Baseline: the same event's arrival at an informer of this process (the put->watch
 * floor). Target: p99 <= 1 s.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createLogger, nullLogger, streamSink } from "@kemu/common";
import { ApiClient, Informer, R, type KObject } from "@kemu/controllers";
import { ClusterDNS, type ObjectSource } from "@kemu/dns";
import { connectNats, type NatsConnection } from "@kemu/nats";
import { BenchCluster } from "./lib/cluster.ts";
import { cpuSeconds } from "./lib/procstat.ts";
import { atMost, ms, renderTable, writeResults, type Row, type Verdict } from "./lib/report.ts";
import { nowMs, summarize, type Summary } from "./lib/stats.ts";
import { progress, stopChild } from "./lib/process.ts";

interface Settings {
  services: number;
  /** Seconds of each max-QPS run. */
  maxS: number;
  /** Max-QPS runs per server, alternating. */
  rounds: number;
  clients: number;
  outstanding: number;
  /** Queries per second and seconds of the fixed-rate latency run. */
  rate: number;
  rateS: number;
  /** Services and endpoint flips timed in the freshness phase. */
  fresh: number;
}

const FULL: Settings = {
  services: 1000,
  maxS: 5,
  rounds: 3,
  clients: 8,
  outstanding: 200,
  rate: 5000,
  rateS: 5,
  fresh: 100,
};
const QUICK: Settings = {
  services: 200,
  maxS: 2,
  rounds: 1,
  clients: 4,
  outstanding: 100,
  rate: 2000,
  rateS: 2,
  fresh: 20,
};

const TARGETS = { qpsShareOfDnsmasq: 0.5, qps: 15_000, freshP99Ms: 1000 };
const NS = "default";
const FRESH_NS = "bench-dns";
const POLL_MS = 2;
const FRESH_TIMEOUT_MS = 10_000;

const svcName = (i: number) => `svc-${i}`;
const svcFqdn = (i: number) => `${svcName(i)}.${NS}.svc.cluster.local`;
/** 10.96.0.1 onwards (i < 65535). */
const ipFrom = (prefix: string, i: number) => `${prefix}.${((i + 1) >> 8) & 0xff}.${(i + 1) & 0xff}`;
const svcIp = (i: number) => ipFrom("10.96", i);

function makeService(ns: string, name: string, ip: string): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: ns, name },
    spec: { type: "ClusterIP", clusterIP: ip, clusterIPs: [ip], ports: [{ name: "http", port: 80 }] },
  };
}

// ---------------------------------------------------------------------------------------------
// Child role: ClusterDNS on a fixed set of Services

/** Services that never change. */
class FixedSource implements ObjectSource {
  readonly #services: KObject[];
  constructor(services: KObject[]) {
    this.#services = services;
  }
  async start(): Promise<void> {}
  stop(): void {}
  services(): KObject[] {
    return this.#services;
  }
  endpointSlices(): KObject[] {
    return [];
  }
}

/** Serves until stdin ends; prints {"port":N} once listening. */
async function runKemu(services: number): Promise<void> {
  const log = createLogger(
    "bench/dns",
    streamSink((l) => process.stderr.write(l)),
    "warn",
  );
  const svcs = Array.from({ length: services }, (_, i) => makeService(NS, svcName(i), svcIp(i)));
  const dns = new ClusterDNS({ log, source: new FixedSource(svcs), zone: "cluster.local", ttl: 5 });
  await dns.start({ host: "127.0.0.1", port: 0 });
  process.stdout.write(`${JSON.stringify({ port: dns.port })}\n`);
  process.stdin.resume();
  await new Promise<void>((r) => process.stdin.once("end", () => r()));
  await dns.stop();
}

// ---------------------------------------------------------------------------------------------
// Processes

async function startKemu(services: number): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [import.meta.filename, "--role=kemu", `--services=${services}`], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: proc.stdout! });
  const hello = await new Promise<{ port: number }>((resolve, reject) => {
    lines.once("line", (l) => resolve(JSON.parse(l) as { port: number }));
    proc.once("exit", (code) => reject(new Error(`kemu DNS child exited with ${code} before it was ready`)));
  });
  return { proc, port: hello.port };
}

/** A UDP port the kernel says is free on 127.0.0.1 now. */
async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The first line of `cmd args`, or undefined when cmd is not on PATH. */
function toolVersion(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) return undefined;
  const m = /version\s+([\w.-]+)/i.exec(`${r.stdout}\n${r.stderr}`);
  return m ? `${cmd} ${m[1]}` : cmd;
}

function startDnsmasq(hostsFile: string, port: number): ChildProcess {
  const args = [
    "--no-resolv",
    "--no-hosts",
    `--addn-hosts=${hostsFile}`,
    `--port=${port}`,
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    "--keep-in-foreground",
    "--cache-size=10000",
    "--user=root",
    "--pid-file=",
  ];
  return spawn("dnsmasq", args, { stdio: ["ignore", "ignore", "inherit"] });
}

// ---------------------------------------------------------------------------------------------
// DNS client (readiness and freshness polls)

let queryId = 1;

/** A query for name's A records, with RD set. */
function aQuery(name: string): { id: number; msg: Buffer } {
  const id = queryId++ & 0xffff;
  const labels = name.split(".").filter(Boolean);
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(1, 0); // A
  tail.writeUInt16BE(1, 2); // IN
  return { id, msg: Buffer.concat([header, qname, tail]) };
}

/** The IPv4 addresses in an answer's A records (rcode must be NOERROR), or undefined. */
function answerIps(buf: Buffer): string[] | undefined {
  if (buf.length < 12 || (buf.readUInt16BE(2) & 0xf) !== 0) return undefined;
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let off = 12;
  const skipName = () => {
    for (;;) {
      const len = buf[off]!;
      if ((len & 0xc0) === 0xc0) {
        off += 2;
        return;
      }
      off += 1 + len;
      if (len === 0) return;
    }
  };
  for (let i = 0; i < qd; i++) {
    skipName();
    off += 4;
  }
  const ips: string[] = [];
  for (let i = 0; i < an && off < buf.length; i++) {
    skipName();
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    off += 10;
    if (type === 1 && rdlen === 4) ips.push(`${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`);
    off += rdlen;
  }
  return ips;
}

/** A UDP client that asks one name at a time. */
class DnsProbe {
  readonly #sock = createSocket("udp4");
  readonly #waiting = new Map<number, (ips: string[] | undefined) => void>();
  readonly port: number;
  constructor(port: number) {
    this.port = port;
    this.#sock.on("message", (m) => {
      if (m.length < 2) return;
      const id = m.readUInt16BE(0);
      const w = this.#waiting.get(id);
      this.#waiting.delete(id);
      w?.(answerIps(m));
    });
  }
  /** The A answer for name, or undefined on an error rcode or no answer within timeoutMs. */
  ask(name: string, timeoutMs = 200): Promise<string[] | undefined> {
    const { id, msg } = aQuery(name);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#waiting.set(id, (ips) => {
        clearTimeout(timer);
        resolve(ips);
      });
      this.#sock.send(msg, this.port, "127.0.0.1");
    });
  }
  close(): void {
    this.#sock.close();
  }
}

/** Resolves when name's A answer satisfies ok, polling every POLL_MS; the time it did, or NaN. */
async function pollUntil(probe: DnsProbe, name: string, ok: (ips: string[]) => boolean): Promise<number> {
  const deadline = nowMs() + FRESH_TIMEOUT_MS;
  while (nowMs() < deadline) {
    const ips = await probe.ask(name);
    if (ips && ok(ips)) return nowMs();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return NaN;
}

// ---------------------------------------------------------------------------------------------
// dnsperf

interface PerfResult {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  avgMs: number;
  minMs: number;
  maxMs: number;
  /** Per-answer latencies (ms), only with verbose. */
  samples?: number[];
  cpuSeconds?: number;
}

function num(out: string, re: RegExp): number {
  const m = re.exec(out);
  return m ? Number(m[1]) : NaN;
}

async function dnsperf(
  port: number,
  queryFile: string,
  opts: { seconds: number; clients: number; outstanding: number; qps?: number; verbose?: boolean },
  pid: number | undefined,
): Promise<PerfResult> {
  const args = ["-s", "127.0.0.1", "-p", String(port), "-d", queryFile, "-l", String(opts.seconds)];
  args.push("-c", String(opts.clients), "-q", String(opts.outstanding), "-t", "2");
  if (opts.qps) args.push("-Q", String(opts.qps));
  if (opts.verbose) args.push("-v");
  const cpu0 = cpuSeconds(pid);
  const p = spawn("dnsperf", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const samples: number[] = [];
  const lines = createInterface({ input: p.stdout! });
  lines.on("line", (l) => {
    if (opts.verbose && l.startsWith("> ")) {
      const lat = Number(l.slice(l.lastIndexOf(" ") + 1));
      if (!Number.isNaN(lat)) samples.push(lat * 1000);
    } else out += `${l}\n`;
  });
  p.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    p.once("error", reject);
    p.once("close", (c) => resolve(c));
  });
  const cpu1 = cpuSeconds(pid);
  if (code !== 0) throw new Error(`dnsperf exited with ${code}: ${err || out}`);
  const lat = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(out);
  return {
    qps: num(out, /Queries per second:\s+([\d.]+)/),
    sent: num(out, /Queries sent:\s+(\d+)/),
    completed: num(out, /Queries completed:\s+(\d+)/),
    lost: num(out, /Queries lost:\s+(\d+)/),
    avgMs: lat ? Number(lat[1]) * 1000 : NaN,
    minMs: lat ? Number(lat[2]) * 1000 : NaN,
    maxMs: lat ? Number(lat[3]) * 1000 : NaN,
    ...(opts.verbose ? { samples } : {}),
    ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuSeconds: cpu1 - cpu0 } : {}),
  };
}

async function waitAnswering(port: number, name: string, timeoutMs: number): Promise<void> {
  const probe = new DnsProbe(port);
  try {
    const deadline = nowMs() + timeoutMs;
    while (nowMs() < deadline) {
      if ((await probe.ask(name))?.length) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no A answer for ${name} on 127.0.0.1:${port}`);
  } finally {
    probe.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Freshness against a real API

interface Freshness {
  /** Service create -> first A answer. */
  service: Summary;
  serviceWatch: Summary;
  /** Endpoint ready -> first headless answer holding it. */
  ready: Summary;
  readyWatch: Summary;
  timeouts: number;
}

async function measureFreshness(s: Settings): Promise<Freshness> {
  let cluster: BenchCluster | undefined;
  let nc: NatsConnection | undefined;
  let dns: ClusterDNS | undefined;
  let probe: DnsProbe | undefined;
  let watchSvc: Informer | undefined;
  let watchSlices: Informer | undefined;
  try {
    cluster = await BenchCluster.start({ tls: false });
    nc = await connectNats({ url: cluster.natsUrl, name: "kemu-bench-dns", log: nullLogger });
    const api = new ApiClient(nc);
    await api.create(R.namespaces, undefined, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: FRESH_NS },
    });
    dns = new ClusterDNS({ log: nullLogger, api, zone: "cluster.local", ttl: 5 });
    await dns.start({ host: "127.0.0.1", port: 0 });
    probe = new DnsProbe(dns.port);

    // The put->watch floor: when this process's own informers see the same writes.
    const seen = new Map<string, number>();
    watchSvc = new Informer(api, R.services, nullLogger);
    watchSvc.addHandlers({ add: (o) => seen.set(`svc/${o["metadata"]["name"]}`, nowMs()) });
    watchSlices = new Informer(api, R.endpointslices, nullLogger);
    const readyIp = (o: KObject): string | undefined =>
      (o["endpoints"] as { addresses: string[]; conditions: { ready: boolean } }[] | undefined)?.find(
        (e) => e.conditions.ready,
      )?.addresses[0];
    watchSlices.addHandlers({
      update: (_, o) => {
        const key = `slice/${o["metadata"]["name"]}`;
        if (readyIp(o) && !seen.has(key)) seen.set(key, nowMs());
      },
    });
    await Promise.all([watchSvc.start(), watchSlices.start()]);

    const service: number[] = [];
    const serviceWatch: number[] = [];
    const ready: number[] = [];
    const readyWatch: number[] = [];
    let timeouts = 0;
    progress(
      `freshness: ${s.fresh} Services created one by one, then ${s.fresh} headless endpoints turned ready`,
    );
    for (let i = 0; i < s.fresh; i++) {
      const name = `fresh-${i}`;
      const t0 = nowMs();
      await api.create(R.services, FRESH_NS, makeService(FRESH_NS, name, ipFrom("10.97", i)));
      const t1 = await pollUntil(probe, `${name}.${FRESH_NS}.svc.cluster.local`, (ips) => ips.length > 0);
      if (Number.isNaN(t1)) timeouts++;
      else service.push(t1 - t0);
      const w = seen.get(`svc/${name}`);
      if (w !== undefined) serviceWatch.push(w - t0);
    }
    for (let i = 0; i < s.fresh; i++) {
      const name = `headless-${i}`;
      const ip = ipFrom("10.244", i);
      const svc = makeService(FRESH_NS, name, "None");
      await api.create(R.services, FRESH_NS, svc);
      const slice: KObject = {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: `${name}-1`, namespace: FRESH_NS, labels: { "kubernetes.io/service-name": name } },
        addressType: "IPv4",
        endpoints: [{ addresses: [ip], conditions: { ready: false } }],
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      };
      await api.create(R.endpointslices, FRESH_NS, slice);
      // Let both the DNS server and the floor informer see the not-ready slice first.
      await new Promise((r) => setTimeout(r, 20));
      const t0 = nowMs();
      await api.patch(R.endpointslices, FRESH_NS, `${name}-1`, {
        endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      });
      const t1 = await pollUntil(probe, `${name}.${FRESH_NS}.svc.cluster.local`, (ips) => ips.includes(ip));
      if (Number.isNaN(t1)) timeouts++;
      else ready.push(t1 - t0);
      const w = seen.get(`slice/${name}-1`);
      if (w !== undefined) readyWatch.push(w - t0);
    }
    return {
      service: summarize(service),
      serviceWatch: summarize(serviceWatch),
      ready: summarize(ready),
      readyWatch: summarize(readyWatch),
      timeouts,
    };
  } finally {
    watchSvc?.stop();
    watchSlices?.stop();
    probe?.close();
    await dns?.stop();
    await nc?.close();
    await cluster?.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const kqps = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "-" : `${Math.round(v)}/s`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      // Passed to every benchmark by `npm run bench -- --tls`; nothing here speaks TLS.
      tls: { type: "boolean", default: false },
      role: { type: "string" },
      services: { type: "string" },
    },
  });
  if (values.role === "kemu") {
    await runKemu(Number(values.services));
    return 0;
  }

  const s = values.quick ? QUICK : FULL;
  const dnsperfVersion = toolVersion("dnsperf", ["-h"]);
  const dnsmasqVersion = toolVersion("dnsmasq", ["--version"]);
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
    dir = await mkdtemp(join(tmpdir(), "kemu-bench-dns-"));
    const queryFile = join(dir, "queries.txt");
    const hostsFile = join(dir, "hosts");
    const idx = Array.from({ length: s.services }, (_, i) => i);
    await writeFile(queryFile, idx.map((i) => `${svcFqdn(i)} A\n`).join(""));
    await writeFile(hostsFile, idx.map((i) => `${svcIp(i)} ${svcFqdn(i)}\n`).join(""));

    const kemu = await startKemu(s.services);
    procs.push(kemu.proc);
    await waitAnswering(kemu.port, svcFqdn(0), 10_000);
    progress(
      `kemu ClusterDNS on 127.0.0.1:${kemu.port}, ${s.services} Services${values.quick ? " (quick run)" : ""}`,
    );

    let dnsmasqPort: number | undefined;
    if (dnsmasqVersion) {
      dnsmasqPort = await freeUdpPort();
      const dm = startDnsmasq(hostsFile, dnsmasqPort);
      procs.push(dm);
      await waitAnswering(dnsmasqPort, svcFqdn(s.services - 1), 10_000);
      progress(`${dnsmasqVersion} on 127.0.0.1:${dnsmasqPort}`);
    } else {
      progress("dnsmasq: not found (apt-get install dnsmasq); its column stays empty");
    }

    type Target = { name: "kemu" | "dnsmasq"; port: number; pid: number | undefined };
    const targets: Target[] = [{ name: "kemu", port: kemu.port, pid: kemu.proc.pid }];
    if (dnsmasqPort !== undefined)
      targets.push({ name: "dnsmasq", port: dnsmasqPort, pid: procs.at(-1)?.pid });

    const maxRuns: Record<string, PerfResult[]> = { kemu: [], dnsmasq: [] };
    const rateRuns: Record<string, PerfResult | undefined> = {};
    if (dnsperfVersion) {
      // Warm-up: both servers answer every name once under light load.
      for (const t of targets)
        await dnsperf(t.port, queryFile, { seconds: 1, clients: 1, outstanding: 20 }, t.pid);
      for (let round = 0; round < s.rounds; round++) {
        for (const t of targets) {
          progress(`max QPS, round ${round + 1}/${s.rounds}: ${t.name}, ${s.maxS} s`);
          const r = await dnsperf(
            t.port,
            queryFile,
            { seconds: s.maxS, clients: s.clients, outstanding: s.outstanding },
            t.pid,
          );
          progress(`  ${t.name}: ${Math.round(r.qps)} QPS, avg ${ms(r.avgMs)}, lost ${r.lost}`);
          maxRuns[t.name]!.push(r);
        }
      }
      for (const t of targets) {
        progress(`latency at ${s.rate} QPS: ${t.name}, ${s.rateS} s`);
        rateRuns[t.name] = await dnsperf(
          t.port,
          queryFile,
          { seconds: s.rateS, clients: s.clients, outstanding: s.outstanding, qps: s.rate, verbose: true },
          t.pid,
        );
      }
    } else {
      progress("dnsperf: not found (apt-get install dnsperf); QPS and latency are skipped");
    }

    // The QPS and CPU figures stop here; freshness needs its own cluster.
    for (const p of procs.splice(0).reverse()) await stopChild(p);
    let fresh: Freshness | undefined;
    let freshError: string | undefined;
    try {
      progress("freshness: starting nats-server and kemu apiserver");
      fresh = await measureFreshness(s);
    } catch (err) {
      freshError = err instanceof Error ? err.message : String(err);
      progress(`freshness failed: ${freshError}`);
    }

    // Report
    const best = (name: string) => {
      const runs = maxRuns[name]!;
      return runs.length ? runs.reduce((a, b) => (b.qps > a.qps ? b : a)) : undefined;
    };
    const k = best("kemu");
    const d = best("dnsmasq");
    const missingDm = dnsmasqVersion ? "-" : "not found";
    const rows: Row[] = [];
    const verdicts: { figure: string; verdict: Verdict }[] = [];
    const add = (r: Row) => {
      rows.push(r);
      if (r.verdict) verdicts.push({ figure: `${r.figure} ${r.metric}`, verdict: r.verdict });
    };
    if (dnsperfVersion) {
      const maxTitle = `max QPS (${s.clients} clients, ${s.outstanding} in flight, best of ${s.rounds})`;
      const share = k && d ? k.qps / d.qps : undefined;
      add({
        figure: maxTitle,
        metric: "QPS",
        kemu: kqps(k?.qps),
        baseline: d ? kqps(d.qps) : missingDm,
        target: `>= ${TARGETS.qps / 1000}k`,
        verdict: k && k.qps >= TARGETS.qps ? "PASS" : "FAIL",
      });
      add({
        figure: maxTitle,
        metric: "share of dnsmasq",
        kemu: share !== undefined ? `${(share * 100).toFixed(0)}%` : "-",
        baseline: d ? "100%" : missingDm,
        target: `>= ${TARGETS.qpsShareOfDnsmasq * 100}%`,
        verdict: share !== undefined ? (share >= TARGETS.qpsShareOfDnsmasq ? "PASS" : "FAIL") : "",
      });
      add({
        figure: maxTitle,
        metric: "avg latency",
        kemu: ms(k?.avgMs),
        baseline: d ? ms(d.avgMs) : missingDm,
        target: "",
        verdict: "",
      });
      add({
        figure: maxTitle,
        metric: "max latency",
        kemu: ms(k?.maxMs),
        baseline: d ? ms(d.maxMs) : missingDm,
        target: "",
        verdict: "",
      });
      add({
        figure: maxTitle,
        metric: "lost",
        kemu: String(k?.lost ?? "-"),
        baseline: d ? String(d.lost) : missingDm,
        target: "",
        verdict: "",
      });
      const cpu = (r: PerfResult | undefined) =>
        r?.cpuSeconds !== undefined ? `${((r.cpuSeconds / s.maxS) * 100).toFixed(0)}%` : "-";
      add({
        figure: maxTitle,
        metric: "server CPU",
        kemu: cpu(k),
        baseline: d ? cpu(d) : missingDm,
        target: "",
        verdict: "",
      });
      const rk = rateRuns["kemu"];
      const rd = rateRuns["dnsmasq"];
      const sk = rk?.samples ? summarize(rk.samples) : undefined;
      const sd = rd?.samples ? summarize(rd.samples) : undefined;
      const rateTitle = `latency at ${s.rate} QPS (${s.rateS} s, every answer)`;
      add({
        figure: rateTitle,
        metric: "p50",
        kemu: ms(sk?.p50),
        baseline: rd ? ms(sd?.p50) : missingDm,
        target: "",
        verdict: "",
      });
      add({
        figure: rateTitle,
        metric: "p99",
        kemu: ms(sk?.p99),
        baseline: rd ? ms(sd?.p99) : missingDm,
        target: "",
        verdict: "",
      });
      add({
        figure: rateTitle,
        metric: "max",
        kemu: ms(sk?.max),
        baseline: rd ? ms(sd?.max) : missingDm,
        target: "",
        verdict: "",
      });
      add({
        figure: rateTitle,
        metric: "QPS reached",
        kemu: kqps(rk?.qps),
        baseline: rd ? kqps(rd.qps) : missingDm,
        target: "",
        verdict: "",
      });
    }
    if (fresh) {
      const t = `freshness (${s.fresh} each, real API; baseline: put->watch)`;
      add({
        figure: t,
        metric: "Service create -> A, p50",
        kemu: ms(fresh.service.p50),
        baseline: ms(fresh.serviceWatch.p50),
        target: "",
        verdict: "",
      });
      add({
        figure: t,
        metric: "Service create -> A, p99",
        kemu: ms(fresh.service.p99),
        baseline: ms(fresh.serviceWatch.p99),
        target: `<= ${TARGETS.freshP99Ms} ms`,
        verdict: atMost(fresh.service.p99, TARGETS.freshP99Ms),
      });
      add({
        figure: t,
        metric: "endpoint ready -> headless A, p50",
        kemu: ms(fresh.ready.p50),
        baseline: ms(fresh.readyWatch.p50),
        target: "",
        verdict: "",
      });
      add({
        figure: t,
        metric: "endpoint ready -> headless A, p99",
        kemu: ms(fresh.ready.p99),
        baseline: ms(fresh.readyWatch.p99),
        target: `<= ${TARGETS.freshP99Ms} ms`,
        verdict: atMost(fresh.ready.p99, TARGETS.freshP99Ms),
      });
      add({
        figure: t,
        metric: "timeouts (10 s)",
        kemu: String(fresh.timeouts),
        baseline: "-",
        target: "0",
        verdict: fresh.timeouts === 0 ? "PASS" : "FAIL",
      });
    }

    const file = await writeResults(join(import.meta.dirname, "results"), "dns", {
      benchmark: "dns",
      date: new Date().toISOString(),
      host: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        node: process.version,
        dnsperf: dnsperfVersion ?? null,
        dnsmasq: dnsmasqVersion ?? null,
      },
      settings: s,
      targets: TARGETS,
      maxQps: Object.fromEntries(Object.entries(maxRuns).map(([n, runs]) => [n, runs])),
      fixedRate: Object.fromEntries(
        Object.entries(rateRuns).map(([n, r]) => [
          n,
          r ? { ...r, samples: undefined, latency: r.samples ? summarize(r.samples) : null } : null,
        ]),
      ),
      freshness: fresh ?? { error: freshError ?? null },
      rows,
    });
    process.stdout.write(
      `\nkemu ClusterDNS vs. dnsmasq (${cpus().length} CPUs, Node ${process.version}, ` +
        `${dnsmasqVersion ?? "dnsmasq: not found"}, ${dnsperfVersion ?? "dnsperf: not found"}; ` +
        `${s.services} Service A records over UDP)\n\n${renderTable(rows, "dnsmasq")}\n\n`,
    );
    if (!dnsperfVersion) process.stdout.write("dnsperf: not found (apt-get install dnsperf)\n");
    if (!dnsmasqVersion) process.stdout.write("dnsmasq: not found (apt-get install dnsmasq)\n");
    if (freshError) process.stdout.write(`freshness: not measured (${freshError})\n`);
    process.stdout.write(
      "dnsperf 2.x prints no latency histogram: under max load only avg/max are dnsperf's; p50/p99 come from the fixed-rate run's per-answer latencies (-v)\n",
    );
    const missed = verdicts.filter((v) => v.verdict === "FAIL");
    process.stdout.write(
      missed.length
        ? `${missed.length} target(s) missed: ${missed.map((v) => v.figure).join("; ")}\n`
        : dnsperfVersion && fresh
          ? "all targets met\n"
          : "targets met among the figures measured (some were skipped, see above)\n",
    );
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
// The kemu child keeps serving until its stdin ends; only the parent sets an exit code here.
if (!process.argv.some((a) => a.startsWith("--role="))) process.exitCode = code;
