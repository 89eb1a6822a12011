/**
 * Controller expectations (pkg/controller's UIDTrackingControllerExpectations): after a sync
 * creates or deletes pods, the controller waits until its informer has seen those changes
 * before it counts pods again, so a cache that lags its own writes never makes it create or
 * delete twice. Expectations live in memory only: after a restart the informers are freshly
 * listed, which is the consistent view they stand in for. They expire after a timeout so a
 * lost watch event cannot stall a controller for good.
 */

/** How long unmet expectations hold back a sync (upstream's ExpectationsTimeout). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  deletes: Set<string>;
  at: number;
}

/** Expectations per controller key ("ns/name"). */
export class ControllerExpectations {
  readonly #items = new Map<string, Expectation>();
  readonly #now: () => number;
  readonly #timeoutMs: number;

  constructor(now: () => number = Date.now, timeoutMs = EXPECTATIONS_TIMEOUT_MS) {
    this.#now = now;
    this.#timeoutMs = timeoutMs;
  }

  /** Expects n pod creations for key (replacing any previous expectation). */
  expectCreations(key: string, n: number): void {
    this.#items.set(key, { adds: n, deletes: new Set(), at: this.#now() });
  }

  /** Expects the deletion of these pods ("ns/name") for key. */
  expectDeletions(key: string, podKeys: string[]): void {
    this.#items.set(key, { adds: 0, deletes: new Set(podKeys), at: this.#now() });
  }

  /** A pod creation for key was observed, or will never happen (the create failed). */
  creationObserved(key: string): void {
    const e = this.#items.get(key);
    if (e) e.adds--;
  }

  /** The deletion of podKey for key was observed, or will never happen. */
  deletionObserved(key: string, podKey: string): void {
    this.#items.get(key)?.deletes.delete(podKey);
  }

  /** True when key may sync: nothing expected, everything observed, or the wait timed out. */
  satisfied(key: string): boolean {
    const e = this.#items.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.#now() - e.at > this.#timeoutMs;
  }

  /** Forgets key (its controller is gone). */
  delete(key: string): void {
    this.#items.delete(key);
  }
}

/**
 * Runs fn count times in batches of 1, 2, 4, ... (slowStartBatch), stopping after the first
 * batch with a failure, so a controller that cannot create pods (quota, a bad template) fails
 * after one call instead of count. Returns the successes and the first error.
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; error: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let size = Math.min(remaining, initialBatchSize); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    successes += size - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= size;
  }
  return { successes, error: undefined };
}
