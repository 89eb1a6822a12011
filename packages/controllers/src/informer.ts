/**
 * A shared informer: lists a resource, then watches it from the list's resourceVersion, and
 * keeps a local cache with indexes. Handlers are told about adds, updates and deletes; they
 * should only record the change (enqueue a key), never do work.
 *
 * It survives everything the API can do to a watch: the server ending it (re-watch from the
 * last resourceVersion), 410 Expired (relist, and tell handlers about the difference), NATS
 * reconnects (re-watch, since events published while away are lost), and API errors (retry
 * with backoff).
 */
import type { Logger } from "@kemu/common";
import type { WatchEvent } from "@kemu/apiserver";
import { ApiError } from "@kemu/apiserver";
import { keyOf, type ApiClient, type Gvr, type KObject } from "./client.ts";

/** Callbacks of an informer. */
export interface InformerHandlers {
  add?(obj: KObject): void;
  update?(oldObj: KObject, newObj: KObject): void;
  delete?(obj: KObject): void;
}

/** Options of an informer. */
export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

const MAX_BACKOFF_MS = 5_000;

/** A list-watch cache of one resource. */
export class Informer {
  readonly gvr: Gvr;
  readonly #client: ApiClient;
  readonly #log: Logger;
  readonly #opts: InformerOptions;
  readonly #items = new Map<string, KObject>();
  readonly #handlers: InformerHandlers[] = [];
  readonly #indexers = new Map<string, (obj: KObject) => string[]>();
  readonly #indexes = new Map<string, Map<string, Set<string>>>();
  #rv = "";
  #watch: { stop(): void } | undefined;
  #watchGen = 0;
  #stopped = false;
  #synced = false;
  #starting: Promise<void> | undefined;
  #backoff = 100;
  #statusLoop = false;

  constructor(client: ApiClient, gvr: Gvr, log: Logger, opts: InformerOptions = {}) {
    this.#client = client;
    this.gvr = gvr;
    this.#log = log;
    this.#opts = opts;
  }

  /** Adds handlers; objects already cached are replayed as adds. */
  addHandlers(h: InformerHandlers): void {
    this.#handlers.push(h);
    if (this.#synced) for (const o of this.#items.values()) h.add?.(o);
  }

  /** Adds an index: fn returns the index values of an object. */
  addIndex(name: string, fn: (obj: KObject) => string[]): void {
    this.#indexers.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.#indexes.set(name, idx);
    for (const [k, o] of this.#items) for (const v of fn(o)) add(idx, v, k);
  }

  /** Objects whose index `name` has `value`. */
  byIndex(name: string, value: string): KObject[] {
    const keys = this.#indexes.get(name)?.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.#items.get(k)!).filter(Boolean);
  }

  /** One cached object by key ("ns/name" or "name"). */
  get(key: string): KObject | undefined {
    return this.#items.get(key);
  }

  /** Cached objects, optionally of one namespace. */
  list(namespace?: string): KObject[] {
    const all = [...this.#items.values()];
    return namespace === undefined ? all : all.filter((o) => o["metadata"]?.["namespace"] === namespace);
  }

  /** Whether the initial list has been loaded. */
  get hasSynced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion the cache is at. */
  get resourceVersion(): string {
    return this.#rv;
  }

  /** Lists, starts watching, and resolves once the cache holds the initial list. */
  start(): Promise<void> {
    this.#starting ??= this.#run();
    return this.#starting;
  }

  async #run(): Promise<void> {
    this.#followReconnects();
    for (;;) {
      if (this.#stopped) return;
      try {
        await this.#relist();
        await this.#startWatch();
        return;
      } catch (err) {
        this.#log.warn("list failed; retrying", { resource: this.gvr.resource, err: String(err) });
        await this.#sleepBackoff();
      }
    }
  }

  async #sleepBackoff(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.#backoff));
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
  }

  #listOpts() {
    const o: { labelSelector?: string; fieldSelector?: string } = {};
    if (this.#opts.labelSelector) o.labelSelector = this.#opts.labelSelector;
    if (this.#opts.fieldSelector) o.fieldSelector = this.#opts.fieldSelector;
    return o;
  }

  /** Lists and replaces the cache, telling handlers what changed. */
  async #relist(): Promise<void> {
    const list = await this.#client.list(this.gvr, this.#opts.namespace, this.#listOpts());
    const fresh = new Map<string, KObject>();
    for (const item of list["items"] as KObject[]) fresh.set(keyOf(item), item);
    for (const [k, old] of [...this.#items]) {
      if (!fresh.has(k)) this.#remove(k, old);
    }
    for (const [k, o] of fresh) this.#upsert(k, o);
    this.#rv = list["metadata"]?.["resourceVersion"] ?? "";
    this.#synced = true;
  }

  #upsert(k: string, o: KObject): void {
    const old = this.#items.get(k);
    if (old && old["metadata"]?.["resourceVersion"] === o["metadata"]?.["resourceVersion"]) return;
    this.#items.set(k, o);
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indexes.get(name)!;
      if (old) for (const v of fn(old)) idx.get(v)?.delete(k);
      for (const v of fn(o)) add(idx, v, k);
    }
    for (const h of this.#handlers) {
      try {
        if (old) h.update?.(old, o);
        else h.add?.(o);
      } catch (err) {
        this.#log.error("informer handler failed", { err: String(err) });
      }
    }
  }

  #remove(k: string, last: KObject): void {
    const old = this.#items.get(k);
    this.#items.delete(k);
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indexes.get(name)!;
      if (old) for (const v of fn(old)) idx.get(v)?.delete(k);
    }
    for (const h of this.#handlers) {
      try {
        h.delete?.(last);
      } catch (err) {
        this.#log.error("informer handler failed", { err: String(err) });
      }
    }
  }

  async #startWatch(): Promise<void> {
    const gen = ++this.#watchGen;
    this.#watch?.stop();
    this.#watch = undefined;
    let expired = false;
    const w = await this.#client.watch(
      this.gvr,
      this.#opts.namespace,
      { ...this.#listOpts(), resourceVersion: this.#rv, allowWatchBookmarks: true },
      (ev) => {
        if (gen !== this.#watchGen) return;
        if (this.#onEvent(ev) === "expired") expired = true;
      },
      () => {
        if (gen !== this.#watchGen || this.#stopped) return;
        void this.#rewatch(expired);
      },
    );
    if (gen !== this.#watchGen || this.#stopped) {
      w.stop();
      return;
    }
    this.#watch = w;
    this.#backoff = 100;
  }

  /** Re-establishes the watch (relisting first when the resourceVersion expired). */
  async #rewatch(relist: boolean): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      try {
        if (relist) await this.#relist();
        await this.#startWatch();
        return;
      } catch (err) {
        if (err instanceof ApiError && err.code === 410) relist = true;
        this.#log.warn("watch failed; retrying", { resource: this.gvr.resource, err: String(err) });
        await this.#sleepBackoff();
      }
    }
  }

  #onEvent(ev: WatchEvent): "expired" | undefined {
    const o = ev.object;
    switch (ev.type) {
      case "ADDED":
      case "MODIFIED":
        this.#upsert(keyOf(o), o);
        break;
      case "DELETED":
        if (this.#items.has(keyOf(o))) this.#remove(keyOf(o), o);
        break;
      case "BOOKMARK":
        break;
      case "ERROR":
        if (o["code"] === 410) {
          this.#rv = "";
          return "expired";
        }
        this.#log.warn("watch error event", { resource: this.gvr.resource, message: o["message"] });
        return undefined;
    }
    const rv = o["metadata"]?.["resourceVersion"];
    if (rv) this.#rv = rv;
    return undefined;
  }

  /** After NATS reconnects, events sent while it was away are lost: watch again from our RV. */
  #followReconnects(): void {
    if (this.#statusLoop) return;
    this.#statusLoop = true;
    void (async () => {
      for await (const s of this.#client.nc.status()) {
        if (this.#stopped) return;
        if (s.type === "reconnect" && this.#synced) void this.#rewatch(false);
      }
    })();
  }

  /** Stops watching. */
  stop(): void {
    this.#stopped = true;
    this.#watchGen++;
    this.#watch?.stop();
  }
}

function add(idx: Map<string, Set<string>>, v: string, k: string): void {
  let s = idx.get(v);
  if (!s) idx.set(v, (s = new Set()));
  s.add(k);
}

/** Shares one informer per resource among all controllers of a process. */
export class InformerFactory {
  readonly #client: ApiClient;
  readonly #log: Logger;
  readonly #informers = new Map<string, Informer>();

  constructor(client: ApiClient, log: Logger) {
    this.#client = client;
    this.#log = log;
  }

  /** The shared informer for a resource (all namespaces). */
  for(gvr: Gvr): Informer {
    const k = `${gvr.group}/${gvr.version}/${gvr.resource}`;
    let inf = this.#informers.get(k);
    if (!inf) {
      inf = new Informer(this.#client, gvr, this.#log.child(gvr.resource));
      this.#informers.set(k, inf);
    }
    return inf;
  }

  /** Starts every informer created so far and waits for their initial lists. */
  async start(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.start()));
  }

  /** Stops them all. */
  stop(): void {
    for (const i of this.#informers.values()) i.stop();
  }
}
