/**
 * Human-readable output in the spirit of k6's end-of-test summary: a THRESHOLDS block with ✓/✗
 * and the observed value, TOTAL RESULTS with dotted metric names, then where the load landed
 * (pods, nodes, targets, clients) and what the chaos hook did. Plain text, no colours.
 */
import type { Executor, LoadReport, ProgressSnapshot } from "./report.ts";
import {
  evaluateThresholds,
  type ThresholdOutcome,
  type ThresholdUnit,
  type Thresholds,
} from "./thresholds.ts";

/** A duration as k6 prints it: 412µs, 1.24ms, 2.31s. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${ms.toFixed(2)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

/** A fraction as a percentage: 0.1234 -> "12.34%". */
export function formatPct(f: number): string {
  return `${(f * 100).toFixed(2)}%`;
}

/** Elapsed time as k6's progress shows it: 01m05.0s. */
function clock(ms: number): string {
  const s = ms / 1000;
  return `${String(Math.floor(s / 60)).padStart(2, "0")}m${(s % 60).toFixed(1).padStart(4, "0")}s`;
}

function formatValue(v: number | null, unit: ThresholdUnit): string {
  if (v === null) return "n/a";
  if (unit === "ms") return formatMs(v);
  if (unit === "ratio") return formatPct(v);
  if (unit === "per_s") return `${v.toFixed(2)}/s`;
  return String(v);
}

function human(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The executor in words: "constant-arrival-rate, 50 req/s for 30s (at most 100 in flight)". */
export function describeExecutor(e: Executor): string {
  switch (e.kind) {
    case "constant-arrival-rate":
      return `${e.kind}, ${e.rate} req/s for ${human(e.durationMs)} (at most ${e.maxInFlight} in flight)`;
    case "constant-vus":
      return `${e.kind}, ${e.vus} VUs for ${human(e.durationMs)}`;
    case "per-vu-iterations":
      return `${e.kind}, ${e.iterations} requests for each of ${e.vus} VUs`;
  }
}

/** Lays out rows in columns; numeric-looking cells are right-aligned. */
function table(rows: string[][], indent = "    "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => {
          const pad = widths[i]! - [...cell].length;
          const right = /^[\d.,]+(%|\/s)?$/.test(cell);
          return i === row.length - 1 && !right
            ? cell
            : right
              ? " ".repeat(pad) + cell
              : cell + " ".repeat(pad);
        })
        .join("  ")
        .trimEnd(),
  );
}

function dotted(name: string, value: string): string {
  return `    ${name.padEnd(31, ".")}: ${value}`;
}

function bar(share: number): string {
  return "█".repeat(Math.round(share * 20));
}

/** The most client rows printed; the JSON report has them all. */
const MAX_CLIENT_ROWS = 20;

/** k6-style end-of-run summary; with thresholds, their verdicts come first. */
export function formatReport(report: LoadReport, thresholds?: Thresholds | ThresholdOutcome): string {
  const out: string[] = [];
  const verdicts =
    thresholds === undefined
      ? undefined
      : "results" in thresholds && Array.isArray(thresholds.results)
        ? (thresholds as ThresholdOutcome)
        : evaluateThresholds(report, thresholds as Thresholds);
  out.push("");
  if (report.scenario) out.push(`    scenario: ${report.scenario}${report.aborted ? " (aborted)" : ""}`);
  out.push(`    executor: ${describeExecutor(report.executor)}`);
  out.push(
    `  connection: ${report.keepAlive ? "kept per VU (keep-alive)" : "new per request (Connection: close)"}` +
      (report.localAddresses ? `, ${report.localAddresses} local addresses` : ""),
  );
  out.push(`     targets: ${report.targets.join(", ")}  path: ${report.path}`);
  out.push("");

  if (verdicts && verdicts.results.length > 0) {
    out.push("  █ THRESHOLDS", "");
    const byMetric = new Map<string, typeof verdicts.results>();
    for (const r of verdicts.results) byMetric.set(r.metric, [...(byMetric.get(r.metric) ?? []), r]);
    for (const [metric, results] of byMetric) {
      out.push(`    ${metric}`);
      for (const r of results)
        out.push(`    ${r.ok ? "✓" : "✗"} '${r.expression}' ${r.stat}=${formatValue(r.observed, r.unit)}`);
      out.push("");
    }
  }

  out.push("  █ TOTAL RESULTS", "");
  const l = report.latencyMs;
  out.push(dotted("http_reqs", `${report.requests}  ${report.achievedRate.toFixed(2)}/s`));
  out.push(
    dotted(
      "http_req_failed",
      `${formatPct(report.failedRate ?? 0)}  ${report.failed} out of ${report.requests}`,
    ),
  );
  out.push(
    dotted(
      "http_req_duration",
      l.count === 0
        ? "no responses"
        : `avg=${formatMs(l.avg)} min=${formatMs(l.min)} med=${formatMs(l.med)} max=${formatMs(l.max)} ` +
            `p(90)=${formatMs(l.p90)} p(95)=${formatMs(l.p95)} p(99)=${formatMs(l.p99)}`,
    ),
  );
  out.push(dotted("dropped_iterations", String(report.droppedIterations)));
  const errs = Object.entries(report.errors).filter(([, n]) => n > 0);
  out.push(dotted("errors", errs.length === 0 ? "none" : errs.map(([k, n]) => `${k}=${n}`).join(" ")));
  for (const [kind, msg] of Object.entries(report.errorSamples)) out.push(`      ${kind}: ${msg}`);
  const statuses = Object.entries(report.statuses);
  if (statuses.length > 0) out.push(dotted("statuses", statuses.map(([s, n]) => `${s}=${n}`).join(" ")));
  out.push("");

  const known = report.pods.filter((p) => p.name !== "unknown").length;
  out.push(
    `  █ PODS (${known} answered${report.expectedPods !== null ? ` of ${report.expectedPods} expected` : ""})`,
    "",
  );
  if (report.pods.length === 0) out.push("    no successful responses");
  else
    out.push(
      ...table([
        ["pod", "node", "requests", "share", ""],
        ...report.pods.map((p) => [p.name, p.node ?? "", String(p.count), formatPct(p.share), bar(p.share)]),
      ]),
    );
  out.push("");

  if (report.nodes.length > 0) {
    out.push("  █ NODES (where the pods run)", "");
    out.push(
      ...table([
        ["node", "requests", "share", ""],
        ...report.nodes.map((n) => [n.name, String(n.count), formatPct(n.share), bar(n.share)]),
      ]),
    );
    out.push("");
  }

  out.push("  █ TARGETS", "");
  out.push(
    ...table([
      ["target", "requests", "ok", "failed", "pods"],
      ...report.perTarget.map((t) => [
        t.target,
        String(t.requests),
        String(t.ok),
        String(t.failed),
        String(Object.keys(t.pods).length),
      ]),
    ]),
  );
  out.push("");

  const sticky = report.stickyClients;
  const same = report.samePodAsFirst;
  out.push(
    `  █ CLIENTS (${sticky.hits} of ${sticky.total} stuck to one pod; ` +
      `${same.rate === null ? "n/a" : formatPct(same.rate)} of responses on the client's first pod)`,
    "",
  );
  const shown = report.clients.slice(0, MAX_CLIENT_ROWS);
  out.push(
    ...table([
      ["client", "requests", "ok", "pods", "sticky", "first pod"],
      ...shown.map((c) => [
        c.client,
        String(c.requests),
        String(c.ok),
        String(Object.keys(c.pods).length),
        c.sticky === null ? "-" : c.sticky ? "✓" : "✗",
        c.firstPod ?? "-",
      ]),
    ]),
  );
  if (report.clients.length > shown.length)
    out.push(`    ... and ${report.clients.length - shown.length} more (see --json)`);
  out.push("");

  if (report.chaos.length > 0) {
    out.push("  █ CHAOS", "");
    for (const c of report.chaos)
      out.push(
        `    +${(c.atMs / 1000).toFixed(1)}s  ${c.error ? `✗ ${c.error}` : (c.result ?? "(nothing)")}  (${formatMs(c.tookMs)})`,
      );
    out.push("");
  }

  out.push(
    `  running (${clock(report.elapsedMs)}), ${report.requests} requests` +
      (verdicts ? `, thresholds ${verdicts.ok ? "passed" : "FAILED"}` : ""),
    "",
  );
  return out.join("\n");
}

/** One progress line: "running (00m12.0s/00m30.0s) reqs=1234 (41.1/s) failed=0 ...". */
export function formatProgress(s: ProgressSnapshot): string {
  const parts = [
    `running (${clock(s.elapsedMs)}${s.plannedMs !== null ? `/${clock(s.plannedMs)}` : ""})`,
    `reqs=${s.requests} (${s.intervalRate.toFixed(1)}/s)`,
    `failed=${s.failed}`,
    `in-flight=${s.inFlight}`,
    `dropped=${s.droppedIterations}`,
    `pods=${s.pods}`,
    `p95=${s.intervalP95Ms === null ? "-" : formatMs(s.intervalP95Ms)}`,
  ];
  if (s.chaos > 0 && s.lastChaos)
    parts.push(
      `chaos=${s.chaos} (last: ${s.lastChaos.error ? `✗ ${s.lastChaos.error}` : (s.lastChaos.result ?? "-")})`,
    );
  return parts.join("  ");
}
