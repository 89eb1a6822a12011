/**
 * Our own recent writes, laid over an informer cache that may not have seen them yet. Upstream
 * refuses to sync from a stale cache (EndpointSliceTracker, staleEndpointsTracker) and retries
 * with backoff; here the controller reads the freshest of the cache and what it last wrote, so a
 * sync that follows its own write at once neither retries nor creates a duplicate slice. The
 * same bookkeeping tells an informer event caused by our own write (no resync needed) from
 * someone else's change.
 *
 * resourceVersions are compared as integers: kemu's are JetStream sequences, monotonic across
 * the store (upstream compares generations, since its resourceVersions are opaque).
 */
import type { KObject } from "../client.ts";

interface Entry {
  /** The object as the API returned it; undefined for a deletion. */
  obj: KObject | undefined;
  /** Its resourceVersion, or for a deletion the last one we knew. */
  rv: bigint;
  group: string;
}

function rvOf(obj: KObject | undefined): bigint | undefined {
  const rv = obj?.["metadata"]?.["resourceVersion"];
  if (typeof rv !== "string" || !/^\d+$/.test(rv)) return undefined;
  return BigInt(rv);
}

function keyOfObj(obj: KObject): string {
  return `${obj["metadata"]["namespace"]}/${obj["metadata"]["name"]}`;
}

/** What an informer event means to the controller that made the tracked writes. */
export type Observed = "own" | "stale" | "foreign";

/** Recent writes of one controller to one resource, grouped by the Service they belong to. */
export class RecentWrites {
  readonly #cached: (key: string) => KObject | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #groups = new Map<string, Set<string>>();

  /** cached looks an object up in the informer, by "ns/name". */
  constructor(cached: (key: string) => KObject | undefined) {
    this.#cached = cached;
  }

  #set(key: string, e: Entry): void {
    this.#entries.set(key, e);
    let g = this.#groups.get(e.group);
    if (!g) this.#groups.set(e.group, (g = new Set()));
    g.add(key);
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    const g = this.#groups.get(e.group);
    g?.delete(key);
    if (g?.size === 0) this.#groups.delete(e.group);
  }

  /** Records an object the API returned from our create or update. */
  wrote(group: string, obj: KObject): void {
    const rv = rvOf(obj);
    if (rv === undefined) return;
    const key = keyOfObj(obj);
    const cachedRv = rvOf(this.#cached(key));
    // The informer already has it (its event beat the response): nothing to lay over.
    if (cachedRv !== undefined && cachedRv >= rv) return this.#drop(key);
    this.#set(key, { obj, rv, group });
  }

  /** Records our deletion of obj (as last seen). */
  deleted(group: string, obj: KObject): void {
    const key = keyOfObj(obj);
    if (!this.#cached(key)) return this.#drop(key);
    this.#set(key, { obj: undefined, rv: rvOf(obj) ?? 0n, group });
  }

  /** The freshest view of one object: the cache's, unless we wrote something newer. */
  get(key: string): KObject | undefined {
    const cached = this.#cached(key);
    const e = this.#entries.get(key);
    if (!e) return cached;
    const cachedRv = rvOf(cached);
    if (e.obj === undefined) {
      // Deleted by us; a cached object newer than what we deleted was created since.
      if (cached && cachedRv !== undefined && cachedRv > e.rv) {
        this.#drop(key);
        return cached;
      }
      return undefined;
    }
    if (cachedRv !== undefined && cachedRv >= e.rv) {
      this.#drop(key);
      return cached;
    }
    return e.obj;
  }

  /** The freshest view of a group: cached members plus our writes, minus our deletions. */
  list(group: string, cached: readonly KObject[]): KObject[] {
    const out = new Map<string, KObject>();
    for (const o of cached) out.set(keyOfObj(o), o);
    for (const key of [...(this.#groups.get(group) ?? [])]) {
      const v = this.get(key);
      if (v) out.set(key, v);
      else out.delete(key);
    }
    return [...out.values()];
  }

  /**
   * Classifies an informer add/update event and forgets what it supersedes: "own" is the echo of
   * our last write, "stale" an older version than we wrote, "foreign" anything else.
   */
  observe(obj: KObject): Observed {
    const key = keyOfObj(obj);
    const e = this.#entries.get(key);
    const rv = rvOf(obj);
    if (!e || rv === undefined) return "foreign";
    if (e.obj === undefined) {
      if (rv > e.rv) {
        this.#drop(key);
        return "foreign";
      }
      return "stale";
    }
    if (rv < e.rv) return "stale";
    this.#drop(key);
    return rv === e.rv ? "own" : "foreign";
  }

  /** Classifies an informer delete event: "own" when we deleted it. */
  observeDelete(obj: KObject): Observed {
    const key = keyOfObj(obj);
    const e = this.#entries.get(key);
    this.#drop(key);
    return e && e.obj === undefined ? "own" : "foreign";
  }

  /** Forgets a group (its Service is gone and its objects were dealt with). */
  forget(group: string): void {
    for (const key of [...(this.#groups.get(group) ?? [])]) this.#drop(key);
  }

  /** Number of objects tracked (for tests). */
  get size(): number {
    return this.#entries.size;
  }
}
