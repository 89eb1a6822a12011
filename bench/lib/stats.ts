/** Latency summaries: percentiles over recorded samples, in milliseconds. */

/** A latency distribution summarised the way the report prints it. */
export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The nearest-rank percentile (0-100) of ascending-sorted samples; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Summarises samples (milliseconds); the input is not modified. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  const sum = arr.reduce((a, b) => a + b, 0);
  return {
    n: arr.length,
    p50: percentile(arr, 50),
    p90: percentile(arr, 90),
    p99: percentile(arr, 99),
    max: arr.length ? arr[arr.length - 1]! : NaN,
    mean: arr.length ? sum / arr.length : NaN,
  };
}

/** The median of a few samples (the lower middle one for an even count, as a nearest rank). */
export function median(samples: readonly number[]): number {
  return percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );
}

/** Wall-clock time in epoch milliseconds with sub-millisecond precision, comparable across the process. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
