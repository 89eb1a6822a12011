/**
 * The clock the kubelet schedules with: probes, heartbeats, back-off, knobs. Injected so that
 * tests can drive time by hand (ManualClock) instead of sleeping.
 */

/** A timer handle from a Clock. */
export interface ClockTimer {
  readonly at: number;
}

/** Time and timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs fn after ms. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Cancels a timer; undefined and fired timers are ignored. */
  clearTimeout(t: ClockTimer | undefined): void;
}

interface SystemTimer extends ClockTimer {
  handle: NodeJS.Timeout;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t: SystemTimer = { at: Date.now() + ms, handle: setTimeout(fn, Math.max(0, ms)) };
    return t;
  },
  clearTimeout(t) {
    if (t && "handle" in t) clearTimeout((t as SystemTimer).handle);
  },
};

/** Resolves after ms on clock; rejects with the signal's reason if it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface ManualTimer extends ClockTimer {
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to, for tests. Timers fire in time order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(start = Date.parse("2026-01-01T00:00:00Z")) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const t: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(t);
    return t;
  }

  clearTimeout(t: ClockTimer | undefined): void {
    this.#timers = this.#timers.filter((x) => x !== t);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by ms, firing due timers in order and letting the promise chains they
   * start settle before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
