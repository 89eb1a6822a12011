/**
 * API server benchmark: `node bench/apiserver.ts [--quick] [--tls]`.
 *
 * Starts a real nats-server and `kemu apiserver` (plain HTTP, or HTTPS with kubectl's admin client
 * certificate under --tls), then measures, each next to the raw JetStream
 * operation underneath (on a stream of its own on the same nats-server, in the same run):
 *
 * 1. Single-object latency: ConfigMap create (POST), get (GET) and update (PUT with
 *    resourceVersion), open loop at 100/s for 10 s each, timed from each request's scheduled
 *    time. Baseline: publish with ack (compare-and-set, as the store writes) and direct get.
 * 2. LIST of 10,000 Services: creates them 32 in flight (each allocates a ClusterIP), then times
 *    the full JSON list and kubectl's Table form. Baseline: the same objects read from the stream
 *    with an ordered consumer and decoded.
 * 3. Watch fan-out: 100 HTTP watches on a namespace's ConfigMaps, 200 updates at 20/s, timed from
 *    just before each PUT to each watcher reading the event. Baseline: 100 ordered consumers.
 *
 * Prints progress on stderr and a table on stdout, and writes bench/results/apiserver-<date>.json.
 * Targets (2-core machine): single-object write p99 <= 50 ms; LIST 10k <= 1 s; put->watch p99
 * <= 100 ms to all 100 watchers. Exits 0 whether or not targets are met; 1 if the run failed.
 */
import { cpus } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RawJetStream, baselineFilter, baselineSubject, type BaselineWatch } from "./lib/baseline.ts";
import { BenchCluster } from "./lib/cluster.ts";
import { FanoutRecorder, type FanoutSummary } from "./lib/fanout.ts";
import { HttpClient, openWatch, type ClientTls, type HttpWatch } from "./lib/http.ts";
import { openLoop, pool, sleepUntil, waitUntil, type LoadResult } from "./lib/load.ts";
import { formatUsage, phaseMeter, rssMiB, type PhaseUsage, type Processes } from "./lib/procstat.ts";
import { atMost, ms, renderTable, writeResults, type Row, type Verdict } from "./lib/report.ts";
import { median, nowMs, summarize, type Summary } from "./lib/stats.ts";
import { progress } from "./lib/process.ts";

type KObject = Record<string, any>;

/** How much load each phase applies. */
interface Settings {
  /** Single-object operations per second, and seconds per operation kind. */
  rate: number;
  durationS: number;
  /** Services to create and list, and requests in flight while creating them. */
  services: number;
  concurrency: number;
  listRuns: number;
  /** Watch fan-out: watchers, updates, and updates per second. */
  watchers: number;
  updates: number;
  updateRate: number;
}

const FULL: Settings = {
  rate: 100,
  durationS: 10,
  services: 10_000,
  concurrency: 32,
  listRuns: 5,
  watchers: 100,
  updates: 200,
  updateRate: 20,
};

/** A smoke run of the same code paths in well under a minute. */
const QUICK: Settings = { ...FULL, durationS: 2, services: 1_000, listRuns: 2, updates: 40 };

/** The issue's targets for a 2-core machine. */
const TARGETS = { writeP99Ms: 50, listMs: 1_000, watchLastP99Ms: 100 };

/** Untimed operations before each measured series (connections, JIT, caches). */
const WARMUP_OPS = 50;
/** How long to wait for watch events after the last update. */
const DRAIN_MS = 10_000;

const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io";
/** What kubectl get sends: Table (v1, then v1beta1) with a plain-JSON fallback. */
const KUBECTL_ACCEPT = `${TABLE_ACCEPT},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`;

/** What each phase needs. */
interface Ctx {
  s: Settings;
  url: string;
  tls: ClientTls | undefined;
  http: HttpClient;
  raw: RawJetStream;
  procs: Processes;
  /** Watches to close on the way out, even after an error. */
  cleanups: Set<() => unknown>;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** A ConfigMap of about half a kilobyte; mutate changes what a caller needs to differ. */
function makeConfigMap(ns: string, name: string, mutate?: (cm: KObject) => void): KObject {
  const cm: KObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns, labels: { app: "bench", tier: "config" } },
    data: { "settings.conf": "key=value\n".repeat(32), revision: "0" },
  };
  mutate?.(cm);
  return cm;
}

/** A ClusterIP Service with one port; the API server allocates its ClusterIP. */
function makeService(ns: string, name: string, mutate?: (svc: KObject) => void): KObject {
  const svc: KObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
  };
  mutate?.(svc);
  return svc;
}

/** An object as the store keeps it: without its resourceVersion (the stream sequence is that). */
function storedJSON(obj: KObject): string {
  const { resourceVersion: _rv, ...metadata } = obj["metadata"] ?? {};
  return JSON.stringify({ ...obj, metadata });
}

async function createNamespace(http: HttpClient, name: string): Promise<void> {
  await http.json("POST", "/api/v1/namespaces", 201, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  });
}

// ---------------------------------------------------------------------------------------------
// Phase 1: single-object latency

/** One measured series of operations. */
interface Series {
  summary: Summary;
  errors: number;
  errorSamples: string[];
  /** Operations completed per second over the series. */
  achievedRate: number;
  /** p99 of how late the client itself sent (ms); large values would make the series suspect. */
  sendLagP99Ms: number;
  usage: PhaseUsage;
}

function series(r: LoadResult, usage: PhaseUsage): Series {
  return {
    summary: summarize(r.latencies),
    errors: r.errors,
    errorSamples: r.errorSamples,
    achievedRate: (r.latencies.length / r.elapsedMs) * 1000,
    sendLagP99Ms: r.sendLag.length ? summarize(r.sendLag).p99 : 0,
    usage,
  };
}

async function measure(ctx: Ctx, label: string, run: () => Promise<LoadResult>): Promise<Series> {
  const stop = phaseMeter(ctx.procs);
  const r = await run();
  const s = series(r, stop());
  const sm = s.summary;
  progress(
    `  ${label}: p50 ${ms(sm.p50)} p99 ${ms(sm.p99)} max ${ms(sm.max)}, ${s.errors} errors; ${formatUsage(s.usage)}`,
  );
  if (s.errorSamples.length) progress(`    first error: ${s.errorSamples[0]}`);
  return s;
}

/** kemu and baseline results of one operation kind. */
interface Pair {
  kemu: Series;
  baseline: Series;
}

interface SingleResults {
  create: Pair;
  get: Pair;
  update: Pair;
}

async function singleObjectPhase(ctx: Ctx): Promise<SingleResults> {
  const { http, raw, s } = ctx;
  const ns = "bench-single";
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const count = s.rate * s.durationS;
  const name = (i: number) => `cm-${i}`;
  const subject = (i: number) => baselineSubject("cm", name(i));
  progress(`single-object latency: ${count} ConfigMaps per operation at ${s.rate}/s, open loop`);
  await createNamespace(http, ns);
  await pool(4, WARMUP_OPS, async (i) => {
    const cm = await http.json("POST", path, 201, makeConfigMap(ns, `warm-${i}`));
    await http.json("GET", `${path}/warm-${i}`, 200);
    await raw.put(baselineSubject("cm", `warm-${i}`), storedJSON(cm), 0);
    await raw.get(baselineSubject("cm", `warm-${i}`));
  });

  const created: (KObject | undefined)[] = new Array(count);
  const seqs: number[] = new Array(count).fill(0);
  const createK = await measure(ctx, "create kemu POST        ", () =>
    openLoop(s.rate, count, async (i) => {
      created[i] = await http.json("POST", path, 201, makeConfigMap(ns, name(i)));
    }),
  );
  const createB = await measure(ctx, "create JetStream publish", () =>
    openLoop(s.rate, count, async (i) => {
      seqs[i] = await raw.put(subject(i), storedJSON(created[i] ?? makeConfigMap(ns, name(i))), 0);
    }),
  );

  // Reads and updates go to objects that exist on both sides.
  const live = [...created.keys()].filter((i) => created[i] !== undefined && seqs[i]! > 0);
  if (live.length === 0) throw new Error("no ConfigMap was created; nothing to get or update");
  const pick = (i: number) => live[i % live.length]!;
  const current: KObject[] = [];
  const getK = await measure(ctx, "get    kemu GET         ", () =>
    openLoop(s.rate, count, async (i) => {
      current[pick(i)] = await http.json("GET", `${path}/${name(pick(i))}`, 200);
    }),
  );
  const getB = await measure(ctx, "get    JetStream direct ", () =>
    openLoop(s.rate, count, async (i) => {
      await raw.get(subject(pick(i)));
    }),
  );

  const updateK = await measure(ctx, "update kemu PUT         ", () =>
    openLoop(s.rate, count, async (i) => {
      const j = pick(i);
      const cur = current[j] ?? created[j]!;
      const next = { ...cur, data: { ...cur["data"], revision: String(i + 1) } };
      current[j] = await http.json("PUT", `${path}/${name(j)}`, 200, next);
    }),
  );
  const updateB = await measure(ctx, "update JetStream CAS pub", () =>
    openLoop(s.rate, count, async (i) => {
      const j = pick(i);
      const body = storedJSON(current[j] ?? created[j]!);
      seqs[j] = await raw.put(subject(j), body, seqs[j]!);
    }),
  );
  return {
    create: { kemu: createK, baseline: createB },
    get: { kemu: getK, baseline: getB },
    update: { kemu: updateK, baseline: updateB },
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 2: create and LIST many Services

interface ListResults {
  createKemu: Series & { throughput: number; clusterIPs: number };
  createBaseline: Series & { throughput: number };
  /** Milliseconds per run, to the last byte of the response. */
  listJson: { runs: number[]; bytes: number; items: number };
  listTable: { runs: number[]; bytes: number; rows: number };
  /** kubectl get's own way: Table pages of 500 with continue tokens, all pages. */
  listKubectlPaged: { runs: number[]; pages: number; rows: number };
  listBaseline: { runs: number[]; bytes: number; items: number };
  apiserverRssMiB?: number;
  natsRssMiB?: number;
}

async function withTicker<T>(
  label: string,
  done: () => number,
  total: number,
  fn: () => Promise<T>,
): Promise<T> {
  const t = setInterval(() => progress(`  ${label}: ${done()}/${total}`), 5_000);
  try {
    return await fn();
  } finally {
    clearInterval(t);
  }
}

async function listPhase(ctx: Ctx): Promise<ListResults> {
  const { http, raw, s } = ctx;
  const ns = "bench-list";
  const path = `/api/v1/namespaces/${ns}/services`;
  const n = s.services;
  const name = (i: number) => `svc-${i}`;
  progress(`LIST: creating ${n} Services, ${s.concurrency} in flight`);
  await createNamespace(http, ns);

  const stored: (string | undefined)[] = new Array(n);
  let clusterIPs = 0;
  let done = 0;
  const createK = await withTicker(
    "kemu Services created",
    () => done,
    n,
    () =>
      measure(ctx, "create kemu POST Service ", () =>
        pool(s.concurrency, n, async (i) => {
          const svc = await http.json("POST", path, 201, makeService(ns, name(i)));
          if (/^\d+\.\d+\.\d+\.\d+$/.test(String(svc.spec?.clusterIP))) clusterIPs++;
          stored[i] = storedJSON(svc);
          done++;
        }),
      ),
  );
  progress(`  kemu: ${Math.round(createK.achievedRate)} Services/s, ${clusterIPs} ClusterIPs allocated`);
  const createB = await measure(ctx, "create JetStream publish ", () =>
    pool(s.concurrency, n, async (i) => {
      await raw.put(
        baselineSubject("svc", name(i)),
        stored[i] ?? JSON.stringify(makeService(ns, name(i))),
        0,
      );
    }),
  );
  progress(`  JetStream: ${Math.round(createB.achievedRate)} publishes/s`);

  const timeGet = async (accept: string, p = path) => {
    const t0 = nowMs();
    const res = await http.send("GET", p, undefined, { Accept: accept });
    const t = nowMs() - t0;
    if (res.status !== 200)
      throw new Error(`GET ${p}: HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
    return { t, body: JSON.parse(res.body.toString("utf8")) as KObject, bytes: res.body.length };
  };

  const listJson = { runs: [] as number[], bytes: 0, items: 0 };
  for (let r = 0; r < s.listRuns; r++) {
    const { t, body, bytes } = await timeGet("application/json");
    listJson.runs.push(t);
    listJson.bytes = bytes;
    listJson.items = body["items"]?.length ?? 0;
    progress(`  LIST JSON run ${r + 1}: ${ms(t)}, ${listJson.items} items, ${(bytes / 1e6).toFixed(1)} MB`);
  }
  const listTable = { runs: [] as number[], bytes: 0, rows: 0 };
  for (let r = 0; r < s.listRuns; r++) {
    const { t, body, bytes } = await timeGet(TABLE_ACCEPT);
    listTable.runs.push(t);
    listTable.bytes = bytes;
    listTable.rows = body["rows"]?.length ?? 0;
    progress(`  LIST Table run ${r + 1}: ${ms(t)}, ${listTable.rows} rows, ${(bytes / 1e6).toFixed(1)} MB`);
  }
  const paged = { runs: [] as number[], pages: 0, rows: 0 };
  for (let r = 0; r < s.listRuns; r++) {
    const t0 = nowMs();
    let cont = "";
    let pages = 0;
    let rows = 0;
    do {
      const q = `?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`;
      const { body } = await timeGet(KUBECTL_ACCEPT, path + q);
      pages++;
      rows += body["rows"]?.length ?? 0;
      cont = body["metadata"]?.["continue"] ?? "";
    } while (cont);
    paged.runs.push(nowMs() - t0);
    paged.pages = pages;
    paged.rows = rows;
    progress(
      `  LIST Table, limit=500 pages, run ${r + 1}: ${ms(paged.runs.at(-1))}, ${pages} pages, ${rows} rows`,
    );
  }
  const listBaseline = { runs: [] as number[], bytes: 0, items: 0 };
  for (let r = 0; r < s.listRuns; r++) {
    const t0 = nowMs();
    const { items, bytes } = await raw.readAll(baselineFilter("svc"), n);
    listBaseline.runs.push(nowMs() - t0);
    listBaseline.bytes = bytes;
    listBaseline.items = items.length;
    progress(
      `  JetStream ordered-consumer read run ${r + 1}: ${ms(listBaseline.runs.at(-1))}, ${items.length} messages`,
    );
  }
  return {
    createKemu: { ...createK, throughput: createK.achievedRate, clusterIPs },
    createBaseline: { ...createB, throughput: createB.achievedRate },
    listJson,
    listTable,
    listKubectlPaged: paged,
    listBaseline,
    apiserverRssMiB: rssMiB(ctx.procs.apiserver),
    natsRssMiB: rssMiB(ctx.procs.nats),
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 3: watch fan-out

interface FanoutSide extends FanoutSummary {
  /** Latency of the write itself (PUT or publish), from just before sending. */
  write: Summary;
  /** The slowest writes by update number, to tell a warm-up stall from a steady tail. */
  slowestWrites: { seq: number; ms: number }[];
  writeErrors: number;
  usage: PhaseUsage;
}

interface WatchResults {
  kemu: FanoutSide;
  baseline: FanoutSide;
}

/**
 * Sends s.updates writes at s.updateRate per second, one at a time (each needs the revision the
 * previous one made), on a wall-clock schedule; a late write goes out at once. write(seq, sentAt)
 * performs one; warm-up markers (seq -1) go first until every watcher has read one.
 */
async function driveFanout(
  ctx: Ctx,
  label: string,
  rec: FanoutRecorder,
  write: (seq: number, sentAt: number) => Promise<void>,
): Promise<FanoutSide> {
  const { s } = ctx;
  for (let tries = 0; !rec.warmedUp; tries++) {
    if (tries === 20) throw new Error(`${label}: watchers did not all receive a warm-up event`);
    await write(-1, nowMs());
    await waitUntil(() => rec.warmedUp, 500);
  }
  const stop = phaseMeter(ctx.procs);
  const writes: { seq: number; ms: number }[] = [];
  let writeErrors = 0;
  const interval = 1000 / s.updateRate;
  const start = nowMs() + 5;
  for (let seq = 0; seq < s.updates; seq++) {
    await sleepUntil(start + seq * interval);
    const sentAt = nowMs();
    try {
      await write(seq, sentAt);
      writes.push({ seq, ms: nowMs() - sentAt });
    } catch (err) {
      writeErrors++;
      if (writeErrors === 1)
        progress(`    first write error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  await waitUntil(() => rec.complete, DRAIN_MS);
  const usage = stop();
  const f = rec.summary();
  progress(
    `  ${label}: pairs p50 ${ms(f.pairs.p50)} p99 ${ms(f.pairs.p99)}, last watcher p99 ${ms(f.lastWatcher.p99)}, ` +
      `${f.missing} missing; ${formatUsage(usage)}`,
  );
  const slowestWrites = [...writes].sort((a, b) => b.ms - a.ms).slice(0, 5);
  progress(`    slowest writes: ${slowestWrites.map((w) => `#${w.seq} ${ms(w.ms)}`).join(", ")}`);
  return { ...f, write: summarize(writes.map((w) => w.ms)), slowestWrites, writeErrors, usage };
}

async function watchPhase(ctx: Ctx): Promise<WatchResults> {
  const { http, raw, s, url, tls } = ctx;
  const ns = "bench-watch";
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  progress(`watch fan-out: ${s.watchers} watchers, ${s.updates} updates at ${s.updateRate}/s`);
  await createNamespace(http, ns);
  let cur: KObject = await http.json(
    "POST",
    path,
    201,
    makeConfigMap(ns, "fanout", (cm) => (cm["data"] = { seq: "-1", sentAt: "0" })),
  );

  // kemu: HTTP watches from the object's revision, each on its own connection as client-go does.
  const recK = new FanoutRecorder(s.watchers, s.updates);
  const watches: HttpWatch[] = [];
  const closeWatches = () => watches.forEach((w) => w.close());
  ctx.cleanups.add(closeWatches);
  for (let w = 0; w < s.watchers; w++) {
    const q = `?watch=true&resourceVersion=${cur["metadata"]["resourceVersion"]}`;
    watches.push(
      openWatch(url, path + q, tls, ({ at, event }) => {
        const data = event.object?.data;
        if (event.type === "MODIFIED" && data) recK.record(w, Number(data.seq), Number(data.sentAt), at);
      }),
    );
  }
  await Promise.all(watches.map((w) => w.ready));
  progress(`  ${s.watchers} HTTP watches open`);
  let kemu: FanoutSide;
  try {
    kemu = await driveFanout(ctx, "kemu HTTP watch      ", recK, async (seq, sentAt) => {
      const next = { ...cur, data: { seq: String(seq), sentAt: String(sentAt) } };
      cur = await http.json("PUT", `${path}/fanout`, 200, next);
    });
  } finally {
    closeWatches();
    ctx.cleanups.delete(closeWatches);
  }

  // Baseline: an ordered consumer per watcher on the bench stream.
  const recB = new FanoutRecorder(s.watchers, s.updates);
  const subject = baselineSubject("watch", "fanout");
  const consumers: BaselineWatch[] = [];
  const stopConsumers = () => Promise.all(consumers.map((c) => c.stop()));
  ctx.cleanups.add(stopConsumers);
  let baseline: FanoutSide;
  try {
    for (let w = 0; w < s.watchers; w++) {
      consumers.push(
        await raw.watch(subject, (m) => {
          const at = nowMs();
          const data = m.json<{ seq: number; sentAt: number }>();
          recB.record(w, data.seq, data.sentAt, at);
        }),
      );
    }
    progress(`  ${s.watchers} JetStream ordered consumers open`);
    let lastSeq = 0;
    baseline = await driveFanout(ctx, "JetStream consumers  ", recB, async (seq, sentAt) => {
      lastSeq = await raw.put(subject, JSON.stringify({ seq, sentAt, pad: storedJSON(cur) }), lastSeq);
    });
  } finally {
    await stopConsumers();
    ctx.cleanups.delete(stopConsumers);
  }
  return { kemu, baseline };
}

// ---------------------------------------------------------------------------------------------
// Report

function verdictRow(
  figure: string,
  metric: string,
  kemu: string,
  baseline: string,
  target = "",
  verdict: Verdict = "",
): Row {
  return { figure, metric, kemu, baseline, target, verdict };
}

function latencyRows(figure: string, p: Pair, writeTarget: boolean): Row[] {
  const k = p.kemu.summary;
  const b = p.baseline.summary;
  const rows = [
    verdictRow(figure, "p50", ms(k.p50), ms(b.p50)),
    verdictRow(figure, "p90", ms(k.p90), ms(b.p90)),
    writeTarget
      ? verdictRow(
          figure,
          "p99",
          ms(k.p99),
          ms(b.p99),
          `<= ${TARGETS.writeP99Ms} ms`,
          atMost(k.p99, TARGETS.writeP99Ms),
        )
      : verdictRow(figure, "p99", ms(k.p99), ms(b.p99)),
    verdictRow(figure, "max", ms(k.max), ms(b.max)),
    // How late the benchmark itself sent: included in the figures above, and a sign of a busy machine.
    verdictRow(figure, "client lag p99", ms(p.kemu.sendLagP99Ms), ms(p.baseline.sendLagP99Ms)),
    verdictRow(
      figure,
      "errors",
      String(p.kemu.errors),
      String(p.baseline.errors),
      "0",
      p.kemu.errors === 0 ? "PASS" : "FAIL",
    ),
  ];
  return rows;
}

function buildRows(s: Settings, single: SingleResults, list: ListResults, watch: WatchResults): Row[] {
  const at = `@${s.rate}/s, ${s.durationS} s`;
  const n = s.services.toLocaleString("en-US");
  const rows: Row[] = [
    ...latencyRows(`ConfigMap create ${at}`, single.create, true),
    ...latencyRows(`ConfigMap get ${at}`, single.get, false),
    ...latencyRows(`ConfigMap update ${at}`, single.update, true),
  ];
  const ck = list.createKemu;
  const cb = list.createBaseline;
  const fig = `Service create x${n}, ${s.concurrency} in flight`;
  rows.push(
    verdictRow(fig, "throughput", `${Math.round(ck.throughput)}/s`, `${Math.round(cb.throughput)}/s`),
    verdictRow(fig, "p50", ms(ck.summary.p50), ms(cb.summary.p50)),
    verdictRow(fig, "p99", ms(ck.summary.p99), ms(cb.summary.p99)),
    verdictRow(
      fig,
      "ClusterIPs",
      String(ck.clusterIPs),
      "-",
      n,
      ck.clusterIPs === s.services ? "PASS" : "FAIL",
    ),
    verdictRow(fig, "errors", String(ck.errors), String(cb.errors), "0", ck.errors === 0 ? "PASS" : "FAIL"),
  );
  const minOf = (r: number[]) => Math.min(...r);
  const lj = list.listJson;
  const lb = list.listBaseline;
  const figJ = `LIST ${n} Services, JSON`;
  rows.push(
    verdictRow(figJ, "min", ms(minOf(lj.runs)), ms(minOf(lb.runs))),
    verdictRow(
      figJ,
      "median",
      ms(median(lj.runs)),
      ms(median(lb.runs)),
      `<= ${TARGETS.listMs} ms`,
      lj.items === s.services ? atMost(median(lj.runs), TARGETS.listMs) : "FAIL",
    ),
    verdictRow(figJ, "size", `${(lj.bytes / 1e6).toFixed(1)} MB`, `${(lb.bytes / 1e6).toFixed(1)} MB`),
  );
  const lt = list.listTable;
  const figT = `LIST ${n} Services, Table`;
  rows.push(
    verdictRow(figT, "min", ms(minOf(lt.runs)), "-"),
    verdictRow(
      figT,
      "median",
      ms(median(lt.runs)),
      "-",
      `<= ${TARGETS.listMs} ms`,
      lt.rows === s.services ? atMost(median(lt.runs), TARGETS.listMs) : "FAIL",
    ),
  );
  const lp = list.listKubectlPaged;
  rows.push(
    verdictRow(
      `LIST ${n} Services, Table, limit=500 (${lp.pages} pages)`,
      "median",
      ms(median(lp.runs)),
      "-",
    ),
  );
  const wk = watch.kemu;
  const wb = watch.baseline;
  const figW = `put->watch, ${s.watchers} watchers, ${s.updates} updates @${s.updateRate}/s`;
  rows.push(
    verdictRow(figW, "p50 all pairs", ms(wk.pairs.p50), ms(wb.pairs.p50)),
    verdictRow(figW, "p99 all pairs", ms(wk.pairs.p99), ms(wb.pairs.p99)),
    verdictRow(
      figW,
      "p99 last watcher",
      ms(wk.lastWatcher.p99),
      ms(wb.lastWatcher.p99),
      `<= ${TARGETS.watchLastP99Ms} ms`,
      wk.missing === 0 ? atMost(wk.lastWatcher.p99, TARGETS.watchLastP99Ms) : "FAIL",
    ),
    verdictRow(figW, "max last watcher", ms(wk.lastWatcher.max), ms(wb.lastWatcher.max)),
    verdictRow(figW, "write p99", ms(wk.write.p99), ms(wb.write.p99)),
    verdictRow(
      figW,
      "missed events",
      String(wk.missing),
      String(wb.missing),
      "0",
      wk.missing === 0 ? "PASS" : "FAIL",
    ),
  );
  return rows;
}

function natsServerVersion(): string {
  const r = spawnSync("nats-server", ["--version"], { encoding: "utf8" });
  return (r.stdout || r.stderr || "").trim();
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, tls: { type: "boolean", default: false } },
  });
  const s = values.quick ? QUICK : FULL;
  let cluster: BenchCluster | undefined;
  let http: HttpClient | undefined;
  let raw: RawJetStream | undefined;
  const cleanups = new Set<() => unknown>();
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of cleanups) await Promise.resolve(c()).catch(() => {});
      http?.close();
      await raw
        ?.close()
        .catch((err: unknown) => progress(`closing the baseline stream failed: ${String(err)}`));
      await cluster?.stop();
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    progress(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    progress(`starting nats-server and kemu apiserver${values.quick ? " (quick run)" : ""}`);
    cluster = await BenchCluster.start({ tls: values.tls });
    progress(`apiserver ${cluster.url}, nats ${cluster.natsUrl}`);
    const tls = cluster.clientTls;
    http = new HttpClient(cluster.url, 256, tls);
    raw = await RawJetStream.open(cluster.natsUrl);
    const ctx: Ctx = { s, url: cluster.url, tls, http, raw, procs: cluster.pids, cleanups };

    const single = await singleObjectPhase(ctx);
    const list = await listPhase(ctx);
    const watch = await watchPhase(ctx);

    const rows = buildRows(s, single, list, watch);
    const table = renderTable(rows, "raw JetStream");
    const file = await writeResults(join(import.meta.dirname, "results"), "apiserver", {
      benchmark: "apiserver",
      date: new Date().toISOString(),
      host: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        node: process.version,
        natsServer: natsServerVersion(),
      },
      settings: s,
      transport: values.tls ? "https" : "http",
      targets: TARGETS,
      single,
      list,
      watch,
      rows,
    });
    process.stdout.write(
      `\nkemu API server benchmark over ${values.tls ? "HTTPS" : "plain HTTP"} (${cpus().length} CPUs, ` +
        `Node ${process.version}; baseline: raw JetStream on the same nats-server)\n\n${table}\n\n`,
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
    return 1;
  } finally {
    progress("stopping");
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

process.exitCode = await main();
