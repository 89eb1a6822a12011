/**
 * The queue of pods waiting to be scheduled, after kube-scheduler's PriorityQueue:
 *
 * - activeQ: ready to try now, highest spec.priority first, then first come first served;
 * - backoffQ: failed recently, retried once their backoff (1 s doubling to 10 s per attempt) is
 *   over;
 * - unschedulable: no node fits; they wait for something in the cluster to change (a node added
 *   or changed, a bound pod gone) and are retried after 5 minutes anyway.
 *
 * A pod that was being tried when such a change happened goes to backoffQ rather than
 * unschedulable, so the change is not missed (upstream's moveRequestCycle).
 */

/** One pod in the queue. */
interface Entry {
  key: string;
  priority: number;
  attempts: number;
  state: "active" | "backoff" | "unschedulable" | "inflight";
  /** When the last attempt started. */
  lastAttempt: number;
  /** When it became unschedulable. */
  parkedAt: number;
  /** Increases at every push to activeQ, so stale heap items are skipped. */
  ticket: number;
  /** The move counter when the current attempt started. */
  moveSeqAtPop: number;
  /** The pod changed during its attempt. */
  changedInFlight: boolean;
  /** The pod was deleted during its attempt. */
  deleted: boolean;
}

/** A popped pod: its key and how many attempts it has had, this one included. */
export interface PoppedPod {
  key: string;
  attempts: number;
}

/** Tunables (upstream's defaults) and the clock. */
export interface SchedulingQueueOptions {
  now?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  unschedulableTimeoutMs?: number;
}

interface HeapItem {
  key: string;
  priority: number;
  order: number;
  ticket: number;
}

/** The queue. */
export class SchedulingQueue {
  readonly #now: () => number;
  readonly #initialBackoff: number;
  readonly #maxBackoff: number;
  readonly #unschedulableTimeout: number;
  readonly #entries = new Map<string, Entry>();
  readonly #heap: HeapItem[] = [];
  #order = 0;
  #ticket = 0;
  #moveSeq = 0;
  #waiters: ((p: PoppedPod | undefined) => void)[] = [];
  #closed = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(opts: SchedulingQueueOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#initialBackoff = opts.initialBackoffMs ?? 1_000;
    this.#maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.#unschedulableTimeout = opts.unschedulableTimeoutMs ?? 5 * 60_000;
  }

  /** Starts the periodic flushes (backoffQ every second, unschedulable every 30 s). */
  start(): void {
    const a = setInterval(() => this.flushBackoff(), 1_000);
    const b = setInterval(() => this.flushUnschedulable(), 30_000);
    a.unref();
    b.unref();
    this.#timers.push(a, b);
  }

  /**
   * A pending pod was added or changed in a way that may make it schedulable. New pods go to
   * activeQ; unschedulable ones move to activeQ or backoffQ; one being tried is tried again.
   */
  add(key: string, priority: number): void {
    if (this.#closed) return;
    const e = this.#entries.get(key);
    if (!e) {
      const entry: Entry = {
        key,
        priority,
        attempts: 0,
        state: "active",
        lastAttempt: 0,
        parkedAt: 0,
        ticket: 0,
        moveSeqAtPop: 0,
        changedInFlight: false,
        deleted: false,
      };
      this.#entries.set(key, entry);
      this.#pushActive(entry);
      return;
    }
    e.priority = priority;
    e.deleted = false;
    if (e.state === "unschedulable") this.#activateOrBackoff(e);
    else if (e.state === "inflight") e.changedInFlight = true;
  }

  /** Removes a pod (deleted, bound by someone else, or no longer ours). */
  delete(key: string): void {
    const e = this.#entries.get(key);
    if (e && e.state !== "inflight") this.#entries.delete(key);
    else if (e) e.deleted = true;
  }

  /** Whether the queue knows the pod (in any sub-queue or being tried). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The next pod to try; waits for one; undefined once closed. */
  pop(): Promise<PoppedPod | undefined> {
    const p = this.tryPop();
    if (p || this.#closed) return Promise.resolve(p);
    return new Promise((r) => this.#waiters.push(r));
  }

  /** The next pod to try, if one is ready now. */
  tryPop(): PoppedPod | undefined {
    while (this.#heap.length > 0) {
      const item = heapPop(this.#heap);
      const e = this.#entries.get(item.key);
      if (!e || e.state !== "active" || e.ticket !== item.ticket) continue;
      e.state = "inflight";
      e.attempts++;
      e.lastAttempt = this.#now();
      e.moveSeqAtPop = this.#moveSeq;
      e.changedInFlight = false;
      return { key: e.key, attempts: e.attempts };
    }
    return undefined;
  }

  /** The attempt succeeded (or the pod went away): forget the pod. */
  done(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * No node fits. The pod waits in unschedulable for a cluster change, unless one happened (or
   * the pod changed) during the attempt: then it only backs off.
   */
  unschedulable(key: string): void {
    const e = this.#entries.get(key);
    if (!e || e.state !== "inflight") return;
    if (e.deleted) {
      this.#entries.delete(key);
      return;
    }
    if (e.changedInFlight || e.moveSeqAtPop !== this.#moveSeq) {
      this.#activateOrBackoff(e);
      return;
    }
    e.state = "unschedulable";
    e.parkedAt = this.#now();
  }

  /** The attempt failed for another reason (an API error): retry after the backoff. */
  retry(key: string): void {
    const e = this.#entries.get(key);
    if (!e || e.state !== "inflight") return;
    if (e.deleted) this.#entries.delete(key);
    else this.#activateOrBackoff(e);
  }

  /** Something changed in the cluster that may help: every unschedulable pod gets another try. */
  moveAllToActiveOrBackoff(): void {
    this.#moveSeq++;
    for (const e of this.#entries.values()) if (e.state === "unschedulable") this.#activateOrBackoff(e);
  }

  /** Moves pods whose backoff is over to activeQ. */
  flushBackoff(): void {
    const now = this.#now();
    for (const e of this.#entries.values()) {
      if (e.state === "backoff" && this.#backoffUntil(e) <= now) this.#pushActive(e);
    }
  }

  /** Gives pods that have been unschedulable for too long another try. */
  flushUnschedulable(): void {
    const now = this.#now();
    for (const e of this.#entries.values()) {
      if (e.state === "unschedulable" && now - e.parkedAt >= this.#unschedulableTimeout) {
        this.#activateOrBackoff(e);
      }
    }
  }

  /** Counts per sub-queue, for logs and tests. */
  stats(): { active: number; backoff: number; unschedulable: number; inflight: number } {
    const s = { active: 0, backoff: 0, unschedulable: 0, inflight: 0 };
    for (const e of this.#entries.values()) s[e.state]++;
    return s;
  }

  /** Stops: pending pop() calls resolve undefined. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  #backoffUntil(e: Entry): number {
    let d = this.#initialBackoff;
    for (let i = 1; i < e.attempts && d < this.#maxBackoff; i++) d *= 2;
    return e.lastAttempt + Math.min(d, this.#maxBackoff);
  }

  #activateOrBackoff(e: Entry): void {
    if (e.attempts > 0 && this.#backoffUntil(e) > this.#now()) e.state = "backoff";
    else this.#pushActive(e);
  }

  #pushActive(e: Entry): void {
    e.state = "active";
    e.ticket = ++this.#ticket;
    heapPush(this.#heap, { key: e.key, priority: e.priority, order: ++this.#order, ticket: e.ticket });
    const w = this.#waiters.shift();
    if (w) {
      const p = this.tryPop();
      if (p) w(p);
      else this.#waiters.unshift(w);
    }
  }
}

/** Heap order: higher priority first, then earlier. */
function before(a: HeapItem, b: HeapItem): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.order < b.order;
}

function heapPush(h: HeapItem[], item: HeapItem): void {
  h.push(item);
  let i = h.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(h[i]!, h[parent]!)) break;
    [h[i], h[parent]] = [h[parent]!, h[i]!];
    i = parent;
  }
}

function heapPop(h: HeapItem[]): HeapItem {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  return top;
}
