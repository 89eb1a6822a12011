/**
 * Expectations (client-go's UIDTrackingControllerExpectations): the creations and deletions a
 * controller has sent but not yet seen in its informer. Until they are seen, the controller does
 * not act on its (stale) cache again, which is what keeps it from creating a second pod for a
 * node. They live in memory only: after a restart the informer's first list is a consistent
 * picture, so there is nothing to wait for. Entries older than the TTL count as satisfied, in
 * case an event was missed.
 */

/** The expectations of every controller key. */
export class Expectations {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #m = new Map<string, { adds: number; dels: Set<string>; at: number }>();

  constructor(ttlMs = 5 * 60_000, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  #entry(key: string) {
    let e = this.#m.get(key);
    if (!e) this.#m.set(key, (e = { adds: 0, dels: new Set(), at: this.#now() }));
    return e;
  }

  /** About to create n objects. */
  expectCreations(key: string, n: number): void {
    const e = this.#entry(key);
    e.adds += n;
    e.at = this.#now();
  }

  /** About to delete these objects (by "ns/name"). */
  expectDeletions(key: string, names: readonly string[]): void {
    const e = this.#entry(key);
    for (const n of names) e.dels.add(n);
    e.at = this.#now();
  }

  /** A creation was seen, or will never happen (it failed). */
  creationObserved(key: string, n = 1): void {
    const e = this.#m.get(key);
    if (e) e.adds = Math.max(0, e.adds - n);
  }

  /** A deletion was seen, or will never happen. */
  deletionObserved(key: string, name: string): void {
    this.#m.get(key)?.dels.delete(name);
  }

  /** Whether everything expected has been seen (or has expired). */
  satisfied(key: string): boolean {
    const e = this.#m.get(key);
    if (!e) return true;
    if ((e.adds <= 0 && e.dels.size === 0) || this.#now() - e.at > this.#ttlMs) {
      this.#m.delete(key);
      return true;
    }
    return false;
  }

  /** Forgets a key (its object is gone). */
  delete(key: string): void {
    this.#m.delete(key);
  }
}
