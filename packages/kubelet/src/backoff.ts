/**
 * CrashLoopBackOff, as the kubelet's flowcontrol.Backoff: per container, the delay starts at
 * the initial value (10 s) and doubles on each restart up to the maximum (300 s); a container
 * that stayed up for twice the maximum starts again from the initial value. A restart is held
 * back while less than the current delay has passed since the last exit.
 */
import type { Clock } from "./clock.ts";

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

/** Per-key exponential back-off. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  constructor(initialMs: number, maxMs: number, clock: Clock) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.#clock = clock;
  }

  /** The current delay of key (0 when it has none). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Whether key is still backing off from an exit at eventTime. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    if (this.#expired(eventTime, e.lastUpdate)) return false;
    return this.#clock.now() - eventTime < e.backoffMs;
  }

  /** Records a restart after an exit at eventTime: the first delay, or the doubled one. */
  next(key: string, eventTime: number): void {
    const e = this.#entries.get(key);
    const now = this.#clock.now();
    if (!e || this.#expired(eventTime, e.lastUpdate)) {
      this.#entries.set(key, { backoffMs: this.initialMs, lastUpdate: now });
    } else {
      e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
      e.lastUpdate = now;
    }
  }

  /** Forgets key (its pod is gone). */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  #expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > this.maxMs * 2;
  }
}

/** Formats ms as Go's time.Duration.String() does for whole values: "10s", "1m20s", "5m0s", "500ms". */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${+ms.toFixed(3)}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = `${+s.toFixed(3)}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}
