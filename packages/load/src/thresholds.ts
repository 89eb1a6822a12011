/**
 * Thresholds, written as k6 writes them: `{ http_req_failed: ["rate<0.01"], http_req_duration:
 * ["p(95)<500"] }`, `<aggregation> <operator> <value>` with k6's operators (<, <=, >, >=, ==,
 * ===, !=) and tag filters in the key (`pod_share{pod:web-x2x9k}`). Besides k6's own metrics
 * there are kemu's: where the load landed and whether clients stuck to a pod. Every metric is
 * in METRICS, and nowhere else.
 */
import { UNKNOWN } from "./landing.ts";
import { percentile, type LoadReport } from "./report.ts";
import { LoadSettingsError } from "./targets.ts";

/** One threshold: an expression, or k6's long form (abortOnFail is accepted and not acted on). */
export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

/** Thresholds by metric key, as in k6's options.thresholds. */
export type Thresholds = Record<string, ThresholdSpec[]>;

/** How an observed value reads: a duration, a fraction, a count or a per-second rate. */
export type ThresholdUnit = "ms" | "ratio" | "count" | "per_s";

/** The verdict on one threshold expression. */
export interface ThresholdResult {
  /** The metric key as written, tags included. */
  metric: string;
  expression: string;
  /** The aggregation, e.g. "p(95)" or "rate". */
  stat: string;
  /** null when the run gave nothing to measure (which fails, as in k6). */
  observed: number | null;
  unit: ThresholdUnit;
  ok: boolean;
}

/** All verdicts, and whether every one passed. */
export interface ThresholdOutcome {
  ok: boolean;
  results: ThresholdResult[];
}

type Op = "<" | "<=" | ">" | ">=" | "==" | "===" | "!=";

/** A parsed threshold. */
export interface ParsedThreshold {
  metric: string;
  tags: Record<string, string>;
  stat: string;
  /** For p(N). */
  percentile?: number;
  op: Op;
  value: number;
}

type Reader = (r: LoadReport, tags: Record<string, string>, p?: number) => number | null;

interface MetricDef {
  unit: ThresholdUnit;
  /** Tag filters the metric takes (required when listed). */
  tags?: string[];
  stats: Record<string, Reader>;
  /** Reads p(N), for trends. */
  percentile?: (r: LoadReport, p: number) => number | null;
}

const perSecond = (n: number, r: LoadReport) => (r.elapsedMs > 0 ? (n * 1000) / r.elapsedMs : null);

/** Shares of the known pods, with a 0 for each expected pod that got nothing. */
function podShares(r: LoadReport): number[] {
  const shares = r.pods.filter((p) => p.name !== UNKNOWN).map((p) => p.share);
  for (let i = shares.length; i < (r.expectedPods ?? 0); i++) shares.push(0);
  return shares;
}

const knownPods = (r: LoadReport) => r.pods.filter((p) => p.name !== UNKNOWN).length;

/** Every metric a threshold can name: k6's first, then kemu's. */
export const METRICS: Record<string, MetricDef> = {
  http_req_failed: { unit: "ratio", stats: { rate: (r) => r.failedRate } },
  http_req_duration: {
    unit: "ms",
    stats: {
      avg: (r) => (r.latencyMs.count ? r.latencyMs.avg : null),
      min: (r) => (r.latencyMs.count ? r.latencyMs.min : null),
      med: (r) => (r.latencyMs.count ? r.latencyMs.med : null),
      max: (r) => (r.latencyMs.count ? r.latencyMs.max : null),
    },
    percentile: (r, p) => (r.latencyMs.count ? percentile(r.latencySketch, p) : null),
  },
  http_reqs: { unit: "count", stats: { count: (r) => r.requests, rate: (r) => perSecond(r.requests, r) } },
  dropped_iterations: {
    unit: "count",
    stats: { count: (r) => r.droppedIterations, rate: (r) => perSecond(r.droppedIterations, r) },
  },
  /** The smallest (or largest) share of successful responses any pod got. */
  every_pod_share: {
    unit: "ratio",
    stats: {
      min: (r) => (podShares(r).length ? Math.min(...podShares(r)) : null),
      max: (r) => (podShares(r).length ? Math.max(...podShares(r)) : null),
    },
  },
  /** One pod's share, as the k6 script's pod_share{pod:NAME} Rate. */
  pod_share: {
    unit: "ratio",
    tags: ["pod"],
    stats: { rate: (r, t) => (r.ok ? (r.pods.find((p) => p.name === t["pod"])?.share ?? 0) : null) },
  },
  /** One node's share (the node the pod ran on). */
  node_share: {
    unit: "ratio",
    tags: ["node"],
    stats: { rate: (r, t) => (r.ok ? (r.nodes.find((n) => n.name === t["node"])?.share ?? 0) : null) },
  },
  /** Distinct pods that answered ("max" as the k6 script's per-VU Trend has it). */
  pods_seen: { unit: "count", stats: { count: knownPods, max: knownPods, value: knownPods } },
  /** Clients that stayed on one pod. */
  clients_sticky: { unit: "ratio", stats: { rate: (r) => r.stickyClients.rate } },
  /** Responses that reached the same pod as their client's first. */
  same_pod_as_first: { unit: "ratio", stats: { rate: (r) => r.samePodAsFirst.rate } },
};

const EXPR =
  /^\s*(avg|min|max|med|count|rate|value|p\(\s*([^)]*?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

/** Parses a metric key and expression; throws LoadSettingsError naming what is wrong. */
export function parseThreshold(metricKey: string, expression: string): ParsedThreshold {
  const key = /^([A-Za-z_][\w.]*)(?:\{([^}]*)\})?$/.exec(metricKey.trim());
  if (!key) throw new LoadSettingsError(`threshold metric "${metricKey}" is not name or name{tag:value}`);
  const metric = key[1]!;
  const def = METRICS[metric];
  if (!def)
    throw new LoadSettingsError(
      `threshold metric "${metric}" is unknown (known: ${Object.keys(METRICS).join(", ")})`,
    );
  const tags: Record<string, string> = {};
  for (const pair of (key[2] ?? "").split(",").filter((s) => s.trim() !== "")) {
    const i = pair.indexOf(":");
    if (i < 1) throw new LoadSettingsError(`threshold metric "${metricKey}": tag "${pair}" is not key:value`);
    tags[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  for (const t of Object.keys(tags))
    if (!def.tags?.includes(t))
      throw new LoadSettingsError(`threshold metric "${metricKey}": ${metric} has no tag "${t}"`);
  for (const t of def.tags ?? [])
    if (!(t in tags)) throw new LoadSettingsError(`threshold metric "${metricKey}" needs {${t}:...}`);
  const m = EXPR.exec(expression);
  if (!m)
    throw new LoadSettingsError(
      `threshold "${metricKey}: ${expression}" is not "<aggregation> <operator> <value>" (e.g. p(95)<500)`,
    );
  const op = m[3] as Op;
  const value = Number(m[4]);
  if (m[2] !== undefined) {
    const p = Number(m[2]);
    if (m[2] === "" || !Number.isFinite(p) || p < 0 || p > 100)
      throw new LoadSettingsError(`threshold "${metricKey}: ${expression}": percentile must be 0-100`);
    if (!def.percentile)
      throw new LoadSettingsError(`threshold "${metricKey}: ${expression}": ${metric} has no percentiles`);
    return { metric, tags, stat: `p(${p})`, percentile: p, op, value };
  }
  const stat = m[1]!.toLowerCase();
  if (!def.stats[stat])
    throw new LoadSettingsError(
      `threshold "${metricKey}: ${expression}": ${metric} takes ${[...Object.keys(def.stats), ...(def.percentile ? ["p(N)"] : [])].join(", ")}, not ${stat}`,
    );
  return { metric, tags, stat, op, value };
}

function compare(observed: number, op: Op, value: number): boolean {
  switch (op) {
    case "<":
      return observed < value;
    case "<=":
      return observed <= value;
    case ">":
      return observed > value;
    case ">=":
      return observed >= value;
    case "==":
    case "===":
      return observed === value;
    case "!=":
      return observed !== value;
  }
}

/** Expressions of a threshold list, long forms included. */
function expressions(specs: ThresholdSpec[]): string[] {
  return specs.map((s) => (typeof s === "string" ? s : s.threshold));
}

/** Checks every threshold parses, before a run; throws LoadSettingsError. */
export function validateThresholds(thresholds: Thresholds): void {
  for (const [key, specs] of Object.entries(thresholds))
    for (const expr of expressions(specs)) parseThreshold(key, expr);
}

/** Evaluates thresholds against a report, as k6 does at the end of a run. Throws on a malformed one. */
export function evaluateThresholds(report: LoadReport, thresholds: Thresholds): ThresholdOutcome {
  const results: ThresholdResult[] = [];
  for (const [key, specs] of Object.entries(thresholds)) {
    for (const expression of expressions(specs)) {
      const t = parseThreshold(key, expression);
      const def = METRICS[t.metric]!;
      const observed =
        t.percentile !== undefined
          ? def.percentile!(report, t.percentile)
          : def.stats[t.stat]!(report, t.tags);
      results.push({
        metric: key,
        expression,
        stat: t.stat,
        observed,
        unit: def.unit === "count" && t.stat === "rate" ? "per_s" : def.unit,
        ok: observed !== null && compare(observed, t.op, t.value),
      });
    }
  }
  return { ok: results.every((r) => r.ok), results };
}
