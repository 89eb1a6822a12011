/**
 * Load generators. openLoop sends on a wall-clock schedule and measures each operation from the
 * time it was due, not from when it was sent, so a slow server cannot slow the load down and hide
 * its own latency (coordinated omission). pool keeps a fixed number of operations in flight.
 */
import { setImmediate as yieldToLoop, setTimeout as sleep } from "node:timers/promises";
import { nowMs } from "./stats.ts";

/** What a load run recorded. */
export interface LoadResult {
  /** Milliseconds per successful operation (from its scheduled time for openLoop). */
  latencies: number[];
  errors: number;
  /** The first few error messages, for the report. */
  errorSamples: string[];
  /** How late the client itself started operations (ms after the scheduled time), openLoop only. */
  sendLag: number[];
  /** Wall-clock duration of the whole run (ms). */
  elapsedMs: number;
}

/** One operation; it throws (or rejects) on failure. i counts from 0. */
export type Operation = (i: number) => Promise<void>;

function newResult(): LoadResult {
  return { latencies: [], errors: 0, errorSamples: [], sendLag: [], elapsedMs: 0 };
}

function recordError(r: LoadResult, err: unknown): void {
  r.errors++;
  if (r.errorSamples.length < 5) r.errorSamples.push(err instanceof Error ? err.message : String(err));
}

/** Runs count operations at rate per second, open loop. */
export async function openLoop(rate: number, count: number, op: Operation): Promise<LoadResult> {
  const r = newResult();
  const interval = 1000 / rate;
  const start = nowMs() + 5;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    await sleepUntil(due);
    r.sendLag.push(nowMs() - due);
    inflight.push(
      op(i).then(
        () => void r.latencies.push(nowMs() - due),
        (err: unknown) => recordError(r, err),
      ),
    );
  }
  await Promise.all(inflight);
  r.elapsedMs = nowMs() - start;
  return r;
}

/**
 * Waits until epoch-ms time t, never returning early: timers have whole-millisecond resolution
 * and may fire up to a millisecond before a fractional deadline, so the last stretch yields to
 * the event loop (which keeps serving I/O) until the deadline has passed.
 */
export async function sleepUntil(t: number): Promise<void> {
  let left = t - nowMs();
  if (left > 2) await sleep(Math.floor(left) - 1);
  while ((left = t - nowMs()) > 0) {
    if (left > 1) await sleep(1);
    else await yieldToLoop();
  }
}

/** Runs count operations with concurrency in flight at all times, closed loop. */
export async function pool(concurrency: number, count: number, op: Operation): Promise<LoadResult> {
  const r = newResult();
  const start = nowMs();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = nowMs();
      try {
        await op(i);
        r.latencies.push(nowMs() - t0);
      } catch (err) {
        recordError(r, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  r.elapsedMs = nowMs() - start;
  return r;
}

/** Polls until cond() holds or timeoutMs passes; resolves with whether it held. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, pollMs = 5): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  while (!cond()) {
    if (nowMs() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}
