/** The benchmark's report: a plain-text table for people and a JSON file for later comparison. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";

/** Whether a figure met its target; empty when it has none. */
export type Verdict = "PASS" | "FAIL" | "";

/** One line of the report table. */
export interface Row {
  /** The figure's name; rows of one figure repeat it and it is printed once. */
  figure: string;
  /** Which measurement of the figure (p50, p99, throughput...). */
  metric: string;
  kemu: string;
  baseline: string;
  target: string;
  verdict: Verdict;
}

/** Formats milliseconds for the table. */
export function ms(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "-";
  if (v < 10) return `${v.toFixed(2)} ms`;
  if (v < 100) return `${v.toFixed(1)} ms`;
  return `${Math.round(v)} ms`;
}

/** PASS when value <= limit, FAIL otherwise (and when the value is missing). */
export function atMost(value: number | undefined, limit: number): Verdict {
  return value !== undefined && !Number.isNaN(value) && value <= limit ? "PASS" : "FAIL";
}

/** Renders rows as an aligned table. */
export function renderTable(rows: readonly Row[], baselineTitle: string): string {
  const header = ["figure", "metric", "kemu API", baselineTitle, "target", "verdict"];
  const cells = rows.map((r, i) => [
    i > 0 && rows[i - 1]!.figure === r.figure ? "" : r.figure,
    r.metric,
    r.kemu,
    r.baseline,
    r.target,
    r.verdict,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row
      .map((s, c) => (c >= 2 && c <= 3 ? s.padStart(widths[c]!) : s.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
  cells.forEach((row, i) => {
    if (i > 0 && row[0] !== "") out.push("");
    out.push(line(row));
  });
  return out.join("\n");
}

/**
 * Writes results to <dir>/<name>-<timestamp>.json and returns the path. The file is formatted
 * by the repository's prettier settings, so that `prettier --check .` passes with results present.
 */
export async function writeResults(dir: string, name: string, results: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/\..*$/, "").replace(/:/g, "-");
  const path = join(dir, `${name}-${stamp}.json`);
  const options = { ...(await resolveConfig(path)), filepath: path };
  await writeFile(path, await format(JSON.stringify(results), options));
  return path;
}
