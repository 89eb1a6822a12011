/**
 * The figures of a load run, as k6 names them where k6 has a name (http_reqs, http_req_failed,
 * http_req_duration, dropped_iterations), plus where requests landed: per pod, per node, per
 * target and per client. A Recorder takes one outcome per request; report() turns them into a
 * JSON-serialisable LoadReport (no NaN, no Infinity, no Maps).
 */
import { UNKNOWN, type Landing } from "./landing.ts";
import { targetKey, type Target } from "./targets.ts";

/** How a request failed, as the report counts it. */
export const ERROR_KINDS = [
  "ECONNREFUSED",
  "ECONNRESET",
  "timeout",
  "http_5xx",
  "http_4xx",
  "other",
] as const;

/** One of ERROR_KINDS. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** How iterations are scheduled, after k6's executors of the same names. */
export type Executor =
  | {
      /** Starts `rate` iterations per second for durationMs, each on a free virtual user. */
      kind: "constant-arrival-rate";
      rate: number;
      durationMs: number;
      /** k6's maxVUs: at most this many requests in flight; an iteration due with none free is dropped. */
      maxInFlight: number;
    }
  | {
      /** `vus` virtual users each loop request after request for durationMs. */
      kind: "constant-vus";
      vus: number;
      durationMs: number;
    }
  | {
      /** `vus` virtual users each make `iterations` requests (stopping at maxDurationMs). */
      kind: "per-vu-iterations";
      vus: number;
      iterations: number;
      maxDurationMs?: number;
    };

/** What one request came to. */
export interface Outcome {
  target: Target;
  /** The virtual client: its local address when one is bound, else "vu-<n>". */
  client: string;
  localAddress: string | undefined;
  /** The HTTP status, when a response arrived. */
  status?: number;
  /** Set when the request failed (network error or a 4xx/5xx status). */
  error?: ErrorKind;
  message?: string;
  /** k6's http_req_duration (sending + waiting + receiving; connecting not included). */
  durationMs?: number;
  landing?: Landing;
}

/** Summary statistics of a trend, in k6's names; all 0 when count is 0. */
export interface TrendStats {
  count: number;
  avg: number;
  min: number;
  med: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** One row of a share table (per pod or per node). */
export interface ShareRow {
  name: string;
  /** For pods: the node the pod said it runs on. */
  node?: string;
  count: number;
  /** count / successful responses. */
  share: number;
}

/** Requests sent to one target. */
export interface TargetRow {
  target: string;
  requests: number;
  ok: number;
  failed: number;
  /** Successful responses per pod through this target. */
  pods: Record<string, number>;
}

/** What one virtual client saw: for session affinity, whether it stuck to one pod. */
export interface ClientRow {
  client: string;
  localAddress?: string;
  requests: number;
  ok: number;
  /** Successful responses per pod. */
  pods: Record<string, number>;
  firstPod: string | null;
  /** Successful responses that reached the same pod as this client's first one (that one included). */
  samePodAsFirst: number;
  /** One pod for every successful response; null with no successful response. */
  sticky: boolean | null;
  /** The client addresses the pods reported seeing (up to 4), e.g. to spot SNAT. */
  seenAs: string[];
}

/** One run of the chaos hook. */
export interface ChaosRecord {
  /** Milliseconds after the start of the run. */
  atMs: number;
  at: string;
  tookMs: number;
  result?: string;
  error?: string;
}

/** A rate as a fraction with its parts; rate is null when total is 0. */
export interface Fraction {
  hits: number;
  total: number;
  rate: number | null;
}

/** Everything a run measured. JSON-serialisable. */
export interface LoadReport {
  scenario?: string;
  targets: string[];
  path: string;
  executor: Executor;
  keepAlive: boolean;
  localAddresses: number;
  startedAt: string;
  elapsedMs: number;
  aborted: boolean;
  /** k6's http_reqs. */
  requests: number;
  ok: number;
  failed: number;
  /** k6's http_req_failed rate. */
  failedRate: number | null;
  statuses: Record<string, number>;
  errors: Record<ErrorKind, number>;
  /** The first message seen for each error kind. */
  errorSamples: Partial<Record<ErrorKind, string>>;
  /** k6's dropped_iterations. */
  droppedIterations: number;
  /** Requests per second over the run. */
  achievedRate: number;
  /** k6's http_req_duration, over every request that got a response. */
  latencyMs: TrendStats;
  /**
   * The latencies (ms) for any other percentile: every value, sorted, when there are at most
   * SKETCH_POINTS of them, else the SKETCH_POINTS evenly spaced quantiles (0%, 0.1%, ... 100%).
   * Either way percentile(latencySketch, p) reads p(N).
   */
  latencySketch: number[];
  /** How many pods the caller expects, so that pods that got nothing count as a 0 share. */
  expectedPods: number | null;
  pods: ShareRow[];
  nodes: ShareRow[];
  perTarget: TargetRow[];
  clients: ClientRow[];
  /** Clients with at least one successful response that stayed on one pod. */
  stickyClients: Fraction;
  /** Successful responses that reached the same pod as their client's first. */
  samePodAsFirst: Fraction;
  chaos: ChaosRecord[];
}

/** What the run looks like now, for a progress line. */
export interface ProgressSnapshot {
  elapsedMs: number;
  /** How long the run is planned to take, when the executor says. */
  plannedMs: number | null;
  requests: number;
  ok: number;
  failed: number;
  inFlight: number;
  droppedIterations: number;
  /** Requests per second since the previous snapshot. */
  intervalRate: number;
  /** p(95) of http_req_duration since the previous snapshot. */
  intervalP95Ms: number | null;
  /** Distinct pods reached so far. */
  pods: number;
  chaos: number;
  lastChaos: ChaosRecord | null;
}

/** The p-th percentile (0-100) of sorted values, interpolating between closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const pos = ((sorted.length - 1) * Math.min(100, Math.max(0, p))) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** How many points a latency sketch keeps at most. */
export const SKETCH_POINTS = 1001;

/** A sorted sample from which percentile() reads any p(N): see LoadReport.latencySketch. */
export function sketch(values: readonly number[]): number[] {
  const sorted = Array.from(Float64Array.from(values).sort());
  if (sorted.length <= SKETCH_POINTS) return sorted;
  const step = 100 / (SKETCH_POINTS - 1);
  return Array.from({ length: SKETCH_POINTS }, (_, i) => percentile(sorted, i * step));
}

/** Trend statistics of values (need not be sorted). */
export function trendStats(values: readonly number[]): TrendStats {
  if (values.length === 0) return { count: 0, avg: 0, min: 0, med: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  const sum = arr.reduce((a, b) => a + b, 0);
  return {
    count: arr.length,
    avg: sum / arr.length,
    min: arr[0]!,
    med: percentile(arr, 50),
    p90: percentile(arr, 90),
    p95: percentile(arr, 95),
    p99: percentile(arr, 99),
    max: arr[arr.length - 1]!,
  };
}

function fraction(hits: number, total: number): Fraction {
  return { hits, total, rate: total === 0 ? null : hits / total };
}

interface ClientAcc {
  localAddress: string | undefined;
  requests: number;
  ok: number;
  pods: Map<string, number>;
  firstPod: string | null;
  same: number;
  seenAs: Set<string>;
}

interface TargetAcc {
  requests: number;
  ok: number;
  failed: number;
  pods: Map<string, number>;
}

function inc(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

function shareRows(m: Map<string, number>, total: number, nodeOf?: Map<string, string>): ShareRow[] {
  return [...m]
    .map(([name, count]) => {
      const row: ShareRow = { name, count, share: total === 0 ? 0 : count / total };
      if (nodeOf) row.node = nodeOf.get(name) ?? UNKNOWN;
      return row;
    })
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** Accumulates outcomes during a run. */
export class Recorder {
  requests = 0;
  ok = 0;
  failed = 0;
  dropped = 0;
  readonly chaos: ChaosRecord[] = [];
  readonly #errors = new Map<ErrorKind, number>();
  readonly #samples = new Map<ErrorKind, string>();
  readonly #statuses = new Map<string, number>();
  readonly #durations: number[] = [];
  readonly #pods = new Map<string, number>();
  readonly #podNode = new Map<string, string>();
  readonly #nodes = new Map<string, number>();
  readonly #targets = new Map<string, TargetAcc>();
  readonly #clients = new Map<string, ClientAcc>();
  #markRequests = 0;
  #markDurations = 0;

  /** Records one request's outcome. */
  add(o: Outcome): void {
    this.requests++;
    const key = targetKey(o.target);
    let t = this.#targets.get(key);
    if (!t) this.#targets.set(key, (t = { requests: 0, ok: 0, failed: 0, pods: new Map() }));
    let c = this.#clients.get(o.client);
    if (!c) {
      c = {
        localAddress: o.localAddress,
        requests: 0,
        ok: 0,
        pods: new Map(),
        firstPod: null,
        same: 0,
        seenAs: new Set(),
      };
      this.#clients.set(o.client, c);
    }
    t.requests++;
    c.requests++;
    if (o.status !== undefined) inc(this.#statuses, String(o.status));
    if (o.durationMs !== undefined) this.#durations.push(o.durationMs);
    if (o.error) {
      this.failed++;
      t.failed++;
      this.#errors.set(o.error, (this.#errors.get(o.error) ?? 0) + 1);
      if (!this.#samples.has(o.error) && o.message) this.#samples.set(o.error, o.message);
      return;
    }
    this.ok++;
    t.ok++;
    c.ok++;
    const pod = o.landing?.pod ?? UNKNOWN;
    const node = o.landing?.node ?? UNKNOWN;
    inc(this.#pods, pod);
    inc(this.#nodes, node);
    if (!this.#podNode.has(pod) || this.#podNode.get(pod) === UNKNOWN) this.#podNode.set(pod, node);
    inc(t.pods, pod);
    inc(c.pods, pod);
    if (c.firstPod === null) c.firstPod = pod;
    if (c.firstPod === pod) c.same++;
    const seen = o.landing?.client?.replace(/:\d+$/, "");
    if (seen && c.seenAs.size < 4) c.seenAs.add(seen);
  }

  /** Distinct pods reached so far. */
  get podCount(): number {
    return this.#pods.size;
  }

  /** Requests and the p(95) latency since the previous call. */
  interval(): { requests: number; p95: number | null } {
    const requests = this.requests - this.#markRequests;
    const recent = this.#durations.slice(this.#markDurations);
    this.#markRequests = this.requests;
    this.#markDurations = this.#durations.length;
    return { requests, p95: recent.length === 0 ? null : trendStats(recent).p95 };
  }

  /** The report for a finished run. */
  report(run: {
    scenario?: string;
    targets: Target[];
    path: string;
    executor: Executor;
    keepAlive: boolean;
    localAddresses: number;
    startedAt: Date;
    elapsedMs: number;
    aborted: boolean;
    expectedPods?: number;
  }): LoadReport {
    const errors = Object.fromEntries(ERROR_KINDS.map((k) => [k, this.#errors.get(k) ?? 0])) as Record<
      ErrorKind,
      number
    >;
    const clients: ClientRow[] = [...this.#clients]
      .map(([client, c]) => {
        const row: ClientRow = {
          client,
          requests: c.requests,
          ok: c.ok,
          pods: Object.fromEntries([...c.pods].sort()),
          firstPod: c.firstPod,
          samePodAsFirst: c.same,
          sticky: c.ok === 0 ? null : c.pods.size === 1,
          seenAs: [...c.seenAs],
        };
        if (c.localAddress !== undefined) row.localAddress = c.localAddress;
        return row;
      })
      .sort((a, b) => a.client.localeCompare(b.client, "en", { numeric: true }));
    const withAnswers = clients.filter((c) => c.sticky !== null);
    const report: LoadReport = {
      targets: run.targets.map(targetKey),
      path: run.path,
      executor: run.executor,
      keepAlive: run.keepAlive,
      localAddresses: run.localAddresses,
      startedAt: run.startedAt.toISOString(),
      elapsedMs: run.elapsedMs,
      aborted: run.aborted,
      requests: this.requests,
      ok: this.ok,
      failed: this.failed,
      failedRate: this.requests === 0 ? null : this.failed / this.requests,
      statuses: Object.fromEntries([...this.#statuses].sort()),
      errors,
      errorSamples: Object.fromEntries(this.#samples),
      droppedIterations: this.dropped,
      achievedRate: run.elapsedMs > 0 ? (this.requests * 1000) / run.elapsedMs : 0,
      latencyMs: trendStats(this.#durations),
      latencySketch: sketch(this.#durations),
      expectedPods: run.expectedPods ?? null,
      pods: shareRows(this.#pods, this.ok, this.#podNode),
      nodes: shareRows(this.#nodes, this.ok),
      perTarget: [...this.#targets].map(([target, t]) => ({
        target,
        requests: t.requests,
        ok: t.ok,
        failed: t.failed,
        pods: Object.fromEntries([...t.pods].sort()),
      })),
      clients,
      stickyClients: fraction(withAnswers.filter((c) => c.sticky).length, withAnswers.length),
      samePodAsFirst: fraction(
        clients.reduce((a, c) => a + c.samePodAsFirst, 0),
        clients.reduce((a, c) => a + c.ok, 0),
      ),
      chaos: this.chaos,
    };
    if (run.scenario !== undefined) report.scenario = run.scenario;
    return report;
  }
}
