/**
 * Records watch fan-out: for each update (numbered 0..updates-1) and each watcher, the time from
 * just before the write was sent to the moment that watcher read the event. Updates numbered
 * below 0 are warm-up markers that only show a watcher is live.
 */
import { summarize, type Summary } from "./stats.ts";

/** What a fan-out run delivered. */
export interface FanoutSummary {
  /** Over every (update, watcher) pair that arrived. */
  pairs: Summary;
  /** Per update, the latency to the last of all watchers (updates every watcher received). */
  lastWatcher: Summary;
  /** (update, watcher) pairs that never arrived. */
  missing: number;
  /** Events that arrived twice, or for an update never sent. */
  unexpected: number;
}

/** Collects arrivals of numbered updates at numbered watchers. */
export class FanoutRecorder {
  readonly #watchers: number;
  readonly #updates: number;
  readonly #latencies: number[] = [];
  readonly #last: Float64Array;
  readonly #seen: Uint8Array;
  readonly #counts: Uint32Array;
  readonly #warm = new Set<number>();
  #received = 0;
  #unexpected = 0;

  constructor(watchers: number, updates: number) {
    this.#watchers = watchers;
    this.#updates = updates;
    this.#last = new Float64Array(updates);
    this.#seen = new Uint8Array(watchers * updates);
    this.#counts = new Uint32Array(updates);
  }

  /** Records that watcher read update seq, sent at sentAt, at time at (both epoch ms). */
  record(watcher: number, seq: number, sentAt: number, at: number): void {
    if (seq < 0) {
      this.#warm.add(watcher);
      return;
    }
    const slot = seq * this.#watchers + watcher;
    if (!Number.isInteger(seq) || seq >= this.#updates || this.#seen[slot]) {
      this.#unexpected++;
      return;
    }
    this.#seen[slot] = 1;
    const latency = at - sentAt;
    this.#latencies.push(latency);
    this.#counts[seq]!++;
    if (latency > this.#last[seq]!) this.#last[seq] = latency;
    this.#received++;
  }

  /** Whether every watcher has read a warm-up marker. */
  get warmedUp(): boolean {
    return this.#warm.size === this.#watchers;
  }

  /** Whether every watcher has read every update. */
  get complete(): boolean {
    return this.#received === this.#watchers * this.#updates;
  }

  /** The figures so far. */
  summary(): FanoutSummary {
    const last: number[] = [];
    for (let i = 0; i < this.#updates; i++) if (this.#counts[i] === this.#watchers) last.push(this.#last[i]!);
    return {
      pairs: summarize(this.#latencies),
      lastWatcher: summarize(last),
      missing: this.#watchers * this.#updates - this.#received,
      unexpected: this.#unexpected,
    };
  }
}
