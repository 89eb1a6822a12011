/**
 * A work queue of keys, as client-go's: a key is never processed by two workers at once,
 * adding a key that is waiting is a no-op, a key added while it is being processed runs again
 * afterwards, and failures are retried with exponential backoff (5 ms doubling to 30 s,
 * client-go's default controller rate limiter without its bucket).
 */
import type { Logger } from "@kemu/common";

/** A reconcile function: throw to have the key retried with backoff. */
export type Reconcile = (key: string) => Promise<void>;

const BASE_DELAY_MS = 5;
const YIELD_EVERY_MS = 5;
const MAX_DELAY_MS = 30_000;

/** The queue. */
export class WorkQueue {
  readonly #name: string;
  readonly #log: Logger;
  #queue: string[] = [];
  readonly #waiting = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #wakers: (() => void)[] = [];
  #stopped = false;

  constructor(name: string, log: Logger) {
    this.#name = name;
    this.#log = log;
  }

  /** Queues key now. */
  add(key: string): void {
    if (this.#stopped) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#waiting.has(key)) return;
    this.#waiting.add(key);
    this.#queue.push(key);
    this.#wakers.shift()?.();
  }

  /** Queues key after ms (the earliest request wins). */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) return this.add(key);
    if (this.#timers.has(key)) return;
    const t = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.#timers.set(key, t);
  }

  /** Queues key after its backoff. */
  addRateLimited(key: string): void {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    this.addAfter(key, Math.min(BASE_DELAY_MS * 2 ** n, MAX_DELAY_MS));
  }

  /** Clears key's backoff after a success. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Number of keys waiting. */
  get length(): number {
    return this.#queue.length;
  }

  /** Runs `workers` workers until stop(). */
  run(workers: number, reconcile: Reconcile): Promise<void>[] {
    return Array.from({ length: workers }, () => this.#worker(reconcile));
  }

  async #next(): Promise<string | undefined> {
    while (!this.#stopped) {
      const key = this.#queue.shift();
      if (key !== undefined) {
        this.#waiting.delete(key);
        return key;
      }
      await new Promise<void>((r) => this.#wakers.push(r));
    }
    return undefined;
  }

  async #worker(reconcile: Reconcile): Promise<void> {
    let lastYield = performance.now();
    for (;;) {
      // Reconciles that never wait on I/O would otherwise run back to back and starve every
      // other controller in the process: give the event loop a turn every few milliseconds.
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      const key = await this.#next();
      if (key === undefined) return;
      // Another worker may be on this key (it was re-added while queued): let that one finish.
      if (this.#processing.has(key)) {
        this.#dirty.add(key);
        continue;
      }
      this.#processing.add(key);
      try {
        await reconcile(key);
        this.forget(key);
      } catch (err) {
        this.#log.debug("reconcile failed; retrying", { queue: this.#name, key, err: String(err) });
        this.addRateLimited(key);
      } finally {
        this.#processing.delete(key);
        if (this.#dirty.delete(key)) this.add(key);
        // More keys may be waiting than workers awake.
        if (this.#queue.length > 0) this.#wakers.shift()?.();
      }
    }
  }

  /** Stops the workers and timers. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    for (const w of this.#wakers.splice(0)) w();
  }
}
