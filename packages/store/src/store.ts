/**
 * The cluster store: NATS JetStream in etcd's role.
 *
 * One stream holds every object, one subject per object (see @kemu/nats subjects). A message is
 * one revision of an object; its stream sequence is the object's resourceVersion, so revisions
 * are monotonic across the whole cluster. Writes are compare-and-set on the subject's last
 * sequence (Nats-Expected-Last-Subject-Sequence), exactly like an etcd transaction on
 * mod_revision. A delete writes a tombstone carrying the object's last state, so a DELETED watch
 * event can carry it too.
 *
 * Reads of single objects go straight to JetStream. Lists and watches are served from a watch
 * cache (as kube-apiserver's cacher does): an ordered consumer replays the stream into memory
 * and follows it. A consistent read first asks JetStream for its last sequence and waits for
 * the cache to reach it, so a list never misses an acknowledged write. The cache is not
 * authoritative: it is rebuilt from the stream on every start.
 *
 * Compaction (compact(rev)) works like etcd's: every revision older than rev that a newer one
 * of the same object supersedes is purged from the stream, deleted objects whose tombstone is
 * older than rev disappear entirely, and watches from before rev get 410 Expired. The compacted
 * revision is recorded in the stream itself, so a restarted server knows it. After a restart, an
 * object whose older revisions were compacted replays as ADDED at its newest revision, so a
 * watch resumed across the restart may see ADDED where MODIFIED happened (informers treat both
 * as an update of what they hold).
 *
 * Limitations vs Kubernetes/etcd:
 * - The watch window is also bounded by the cache's in-memory event log (`eventWindow` events).
 * - No multi-object transactions (Kubernetes has none at the API either).
 */
import {
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type ConsumerMessages,
} from "@nats-io/jetstream";
import { randomUUID } from "node:crypto";
import { headers, type NatsConnection, OBJECT_PREFIX, STORE_STREAM, objectSubject } from "@kemu/nats";
import { TimeoutError, NoRespondersError, RequestError } from "@nats-io/transport-node";
import type { Logger } from "@kemu/common";
import { StoreError } from "./errors.ts";

/** A stored Kubernetes object as plain JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary Kubernetes JSON, narrowed where read
export type KObject = Record<string, any>;

/** Identifies one object: its resource's storage token, namespace (undefined when cluster-scoped) and name. */
export interface ObjectKey {
  resource: string;
  namespace: string | undefined;
  name: string;
}

/** An object with the revision it was read at (also set as metadata.resourceVersion). */
export interface Revisioned {
  obj: KObject;
  rev: number;
}

/** A change to one object, in stream order. */
export interface StoreEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  key: ObjectKey;
  /** The object at rev; for DELETED, its last state before deletion. */
  obj: KObject;
  /** The object before this change (MODIFIED and DELETED). */
  prev?: KObject;
  rev: number;
}

/** A live watch on the store. */
export interface StoreWatch {
  stop(): void;
}

/** Options for Store.open. */
export interface StoreOptions {
  nc: NatsConnection;
  log: Logger;
  /** Stream name; tests may use their own. */
  stream?: string;
  /** How many recent events the watch cache keeps for resuming watches. */
  eventWindow?: number;
  /** How long one operation may keep retrying while NATS is away (ms). */
  timeoutMs?: number;
}

const OP_HEADER = "Kemu-Op";
/** Storage token of the store's own records (not an API resource: "_" is not valid in resource names). */
const META_RESOURCE = "_meta";
const COMPACTION_KEY = { resource: META_RESOURCE, namespace: undefined, name: "compaction" };
/** One JetStream request attempt; a request sent while NATS reconnects is lost, so retry soon. */
const ATTEMPT_TIMEOUT_MS = 1_000;
const OP_DELETE = "DELETE";

interface Entry {
  key: ObjectKey;
  obj: KObject;
  rev: number;
}

interface Waiter {
  rev: number;
  resolve: () => void;
}

interface Watcher {
  resource: string;
  namespace: string | undefined;
  cb: (ev: StoreEvent) => void;
}

/** The JetStream-backed object store with its watch cache. */
export class Store {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #log: Logger;
  readonly #stream: string;
  readonly #window: number;
  readonly #timeout: number;
  readonly #subjectPrefix: string;

  /** Current state by subject, live objects only. */
  readonly #objects = new Map<string, Entry>();
  /** Live objects indexed by resource, for lists. */
  readonly #byResource = new Map<string, Map<string, Entry>>();
  /** Recent events, oldest first. */
  #events: StoreEvent[] = [];
  /** Every event with rev > #logStart is in #events. */
  #logStart = 0;
  /** The highest stream sequence the cache has applied. */
  #rev = 0;
  #waiters: Waiter[] = [];
  readonly #watchers = new Map<string, Set<Watcher>>();
  #consumer: ConsumerMessages | undefined;
  /** Per object subject: messages the stream still holds, the newest sequence, and whether it is a tombstone. */
  readonly #history = new Map<string, { count: number; last: number; deleted: boolean }>();
  /** Revisions up to here have been compacted away. */
  #compacted = 0;
  #generation = 0;
  #closed = false;

  private constructor(opts: StoreOptions, js: JetStreamClient, jsm: JetStreamManager) {
    this.#nc = opts.nc;
    this.#js = js;
    this.#jsm = jsm;
    this.#log = opts.log;
    this.#stream = opts.stream ?? STORE_STREAM;
    this.#window = opts.eventWindow ?? 100_000;
    this.#timeout = opts.timeoutMs ?? 10_000;
    this.#subjectPrefix = this.#stream === STORE_STREAM ? OBJECT_PREFIX : `${OBJECT_PREFIX}.${this.#stream}`;
  }

  /** Opens the store: creates the stream if needed, replays it into the cache, and follows it. */
  static async open(opts: StoreOptions): Promise<Store> {
    // checkAPI off: the account check is one more request that a NATS restart could eat.
    const jsm = await jetstreamManager(opts.nc, { timeout: ATTEMPT_TIMEOUT_MS, checkAPI: false });
    const js = jetstream(opts.nc, { timeout: ATTEMPT_TIMEOUT_MS });
    const store = new Store(opts, js, jsm);
    await store.#ensureStream();
    await store.#startCache();
    store.#followReconnects();
    await store.waitFresh();
    return store;
  }

  async #ensureStream(): Promise<void> {
    try {
      await this.#retry(() => this.#jsm.streams.info(this.#stream));
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.status !== 404) throw err;
      await this.#jsm.streams.add({
        name: this.#stream,
        subjects: [`${this.#subjectPrefix}.>`],
        storage: "file" as never,
        allow_direct: true,
        // Compare-and-set needs every subject's last message; nothing is ever discarded by limits.
        max_msgs_per_subject: -1,
        discard: "old" as never,
        duplicate_window: 120_000_000_000,
      });
      this.#log.info("created store stream", { stream: this.#stream });
    }
  }

  /** The subject of an object in this store. */
  #subject(key: ObjectKey): string {
    const s = objectSubject(key.resource, key.namespace, key.name);
    return this.#subjectPrefix === OBJECT_PREFIX ? s : this.#subjectPrefix + s.slice(OBJECT_PREFIX.length);
  }

  #parseSubject(subject: string): ObjectKey | undefined {
    const rest = subject.slice(this.#subjectPrefix.length + 1).split(".");
    if (rest.length !== 3) return undefined;
    const [resource, ns, name] = rest as [string, string, string];
    return {
      resource,
      namespace: ns === "_" ? undefined : decodeToken(ns),
      name: decodeToken(name),
    };
  }

  /**
   * Follows the stream from the cache's revision onwards with an ordered consumer. After a NATS
   * reconnect the consumer is replaced at once: nats-server may have lost it (a restart drops
   * ephemeral consumers), and waiting for missed heartbeats would stall consistent reads.
   */
  async #startCache(): Promise<void> {
    const generation = ++this.#generation;
    // The stream holds object subjects only, so no filter is needed (nats-server 2.9 has no
    // filter_subjects for ordered consumers).
    const consumer = await this.#js.consumers.get(
      this.#stream,
      this.#rev > 0 ? { deliver_policy: "by_start_sequence" as never, opt_start_seq: this.#rev + 1 } : {},
    );
    const messages = await consumer.consume();
    const previous = this.#consumer;
    this.#consumer = messages;
    await previous?.close().catch(() => {});
    void (async () => {
      try {
        for await (const m of messages) {
          if (generation !== this.#generation) break;
          this.#apply(m.subject, m.seq, m.headers?.get(OP_HEADER) === OP_DELETE, m.data);
        }
      } catch (err) {
        if (!this.#closed && generation === this.#generation) {
          this.#log.error("store cache consumer stopped", { err: String(err) });
        }
      }
    })();
  }

  /** Replaces the cache consumer after NATS comes back. */
  #followReconnects(): void {
    void (async () => {
      for await (const s of this.#nc.status()) {
        if (this.#closed) break;
        if (s.type !== "reconnect") continue;
        for (let attempt = 0; !this.#closed; attempt++) {
          try {
            await this.#startCache();
            this.#log.info("store cache resumed after reconnect", { fromRevision: this.#rev });
            break;
          } catch (err) {
            this.#log.warn("store cache restart failed; retrying", { err: String(err) });
            await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000)));
          }
        }
      }
    })();
  }

  /** Applies one stream message to the cache and fans it out to watchers. */
  #apply(subject: string, seq: number, isDelete: boolean, data: Uint8Array): void {
    if (seq <= this.#rev) return;
    const key = this.#parseSubject(subject);
    this.#rev = seq;
    if (key?.resource === META_RESOURCE) {
      try {
        const meta = JSON.parse(new TextDecoder().decode(data)) as { compactedRevision?: number };
        if (key.name === COMPACTION_KEY.name && typeof meta.compactedRevision === "number") {
          this.#markCompacted(meta.compactedRevision);
        }
      } catch {
        this.#log.error("store: undecodable meta record skipped", { subject, seq });
      }
      this.#wake();
      return;
    }
    if (key) {
      const h = this.#history.get(subject);
      if (h) {
        h.count++;
        h.last = seq;
        h.deleted = isDelete;
      } else {
        this.#history.set(subject, { count: 1, last: seq, deleted: isDelete });
      }
      let obj: KObject;
      try {
        obj = JSON.parse(new TextDecoder().decode(data)) as KObject;
      } catch {
        this.#log.error("store: undecodable message skipped", { subject, seq });
        this.#wake();
        return;
      }
      setRV(obj, seq);
      const prev = this.#objects.get(subject);
      let byRes = this.#byResource.get(key.resource);
      if (!byRes) this.#byResource.set(key.resource, (byRes = new Map()));
      let type: StoreEvent["type"];
      if (isDelete) {
        // A tombstone without a cached object happens when replaying a compacted stream; it
        // still carries the object's last state, so watchers get a proper DELETED event.
        this.#objects.delete(subject);
        byRes.delete(subject);
        type = "DELETED";
      } else {
        const entry = { key, obj, rev: seq };
        this.#objects.set(subject, entry);
        byRes.set(subject, entry);
        type = prev ? "MODIFIED" : "ADDED";
      }
      const ev: StoreEvent = { type, key, obj, rev: seq };
      if (prev) ev.prev = prev.obj;
      this.#events.push(ev);
      if (this.#events.length > this.#window * 1.25) {
        const drop = this.#events.length - this.#window;
        this.#logStart = this.#events[drop - 1]!.rev;
        this.#events = this.#events.slice(drop);
      }
      const watchers = this.#watchers.get(key.resource);
      if (watchers) {
        for (const w of watchers) {
          if (w.namespace === undefined || w.namespace === key.namespace) w.cb(ev);
        }
      }
    }
    this.#wake();
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.rev <= this.#rev) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  /** The highest revision the cache has applied. */
  get revision(): number {
    return this.#rev;
  }

  /** Waits until the cache holds every write acknowledged so far; returns that revision. */
  async waitFresh(): Promise<number> {
    const info = await this.#call(() => this.#jsm.streams.info(this.#stream));
    const target = info.state.last_seq;
    await this.#waitFor(target);
    return Math.max(target, this.#rev);
  }

  async #waitFor(rev: number): Promise<void> {
    if (rev <= this.#rev) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new StoreError("Unavailable", `timed out waiting for the watch cache to reach revision ${rev}`),
          ),
        this.#timeout * 2,
      );
      this.#waiters.push({
        rev,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Reads one object straight from JetStream. */
  async get(key: ObjectKey): Promise<Revisioned | undefined> {
    const cur = await this.#last(key);
    return cur && !cur.deleted ? { obj: cur.obj, rev: cur.rev } : undefined;
  }

  /** The last message of an object's subject, tombstone or not. */
  async #last(key: ObjectKey): Promise<{ obj: KObject; rev: number; deleted: boolean } | undefined> {
    const subject = this.#subject(key);
    const m = await this.#call(() => this.#jsm.streams.getMessage(this.#stream, { last_by_subj: subject }));
    if (!m) return undefined;
    const obj = m.json<KObject>();
    setRV(obj, m.seq);
    return { obj, rev: m.seq, deleted: m.header?.get(OP_HEADER) === OP_DELETE };
  }

  /** Stores a new object. Throws StoreError AlreadyExists if it exists. Returns the new revision. */
  async create(key: ObjectKey, obj: KObject): Promise<number> {
    const cur = await this.#last(key);
    if (cur && !cur.deleted) throw new StoreError("AlreadyExists", "object already exists", cur.obj);
    try {
      return await this.#put(key, obj, cur?.rev ?? 0, false);
    } catch (err) {
      if (err instanceof StoreError && err.code === "Conflict") {
        throw new StoreError("AlreadyExists", "object already exists");
      }
      throw err;
    }
  }

  /**
   * Replaces an object if its current revision is expectedRev, a revision read from the live
   * object (get, list or watch). Throws Conflict or NotFound.
   */
  async update(key: ObjectKey, obj: KObject, expectedRev: number): Promise<number> {
    return this.#put(key, obj, expectedRev, false);
  }

  /** Deletes an object if its current revision is expectedRev, recording lastState in the tombstone. */
  async delete(key: ObjectKey, lastState: KObject, expectedRev: number): Promise<number> {
    return this.#put(key, lastState, expectedRev, true);
  }

  async #put(key: ObjectKey, obj: KObject, expectedRev: number, isDelete: boolean): Promise<number> {
    const body = { ...obj, metadata: { ...obj["metadata"] } };
    delete body["metadata"]["resourceVersion"];
    const h = headers();
    if (isDelete) h.set(OP_HEADER, OP_DELETE);
    // The message ID makes a retried publish (its ack lost to a NATS restart) idempotent: the
    // stream answers the retry with the first attempt's ack instead of a false Conflict.
    const msgID = randomUUID();
    const subject = this.#subject(key);
    const data = JSON.stringify(body);
    try {
      const ack = await this.#retry(() =>
        this.#js.publish(subject, data, {
          expect: { lastSubjectSequence: expectedRev },
          headers: h,
          msgID,
          timeout: ATTEMPT_TIMEOUT_MS,
        }),
      );
      return ack.seq;
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === 10071 || err.code === 10164)) {
        const cur = await this.#last(key);
        if (!cur || cur.deleted) throw new StoreError("NotFound", "object not found");
        throw new StoreError("Conflict", "the object has been modified", cur.obj);
      }
      throw toUnavailable(err);
    }
  }

  /**
   * Lists live objects of a resource (optionally in one namespace) from the cache.
   * consistent waits for the cache to hold every acknowledged write first (resourceVersion
   * unset); otherwise the cache answers at once (resourceVersion "0").
   */
  async list(
    resource: string,
    namespace: string | undefined,
    consistent = true,
  ): Promise<{ items: KObject[]; rev: number }> {
    const rev = consistent ? await this.waitFresh() : this.#rev;
    const items: KObject[] = [];
    const byRes = this.#byResource.get(resource);
    if (byRes) {
      for (const e of byRes.values()) {
        if (namespace === undefined || e.key.namespace === namespace) items.push(e.obj);
      }
    }
    return { items, rev };
  }

  /**
   * Lists live objects as they were at revision rev (an MVCC read, as etcd serves paginated
   * lists): the current state with every later event undone. Throws Expired when rev is older
   * than the cache's window.
   */
  async listAt(resource: string, namespace: string | undefined, rev: number): Promise<KObject[]> {
    if (rev > this.#rev) await this.#waitFor(rev);
    if (rev < this.#logStart) {
      throw new StoreError("Expired", `too old resource version: ${rev} (${this.#logStart + 1})`);
    }
    const state = new Map<string, KObject>();
    const subjectOf = (k: ObjectKey) => `${k.namespace ?? ""}/${k.name}`;
    for (const e of this.#byResource.get(resource)?.values() ?? []) {
      if (namespace === undefined || e.key.namespace === namespace) state.set(subjectOf(e.key), e.obj);
    }
    for (let i = this.#events.length - 1; i >= 0 && this.#events[i]!.rev > rev; i--) {
      const ev = this.#events[i]!;
      if (ev.key.resource !== resource || (namespace !== undefined && ev.key.namespace !== namespace))
        continue;
      const k = subjectOf(ev.key);
      if (ev.type === "ADDED") state.delete(k);
      else if (ev.type === "MODIFIED") state.set(k, ev.prev!);
      else state.set(k, ev.obj);
    }
    return [...state.values()];
  }

  /**
   * Watches from the cache's current state: cb first gets an ADDED event for every live
   * object (at the current revision), then every later change. Returns the revision the
   * initial events were taken at.
   */
  watchFromNow(
    resource: string,
    namespace: string | undefined,
    cb: (ev: StoreEvent) => void,
  ): { watch: StoreWatch; rev: number } {
    const rev = this.#rev;
    for (const e of this.#byResource.get(resource)?.values() ?? []) {
      if (namespace === undefined || e.key.namespace === namespace) {
        cb({ type: "ADDED", key: e.key, obj: e.obj, rev: e.rev });
      }
    }
    return { watch: this.watch(resource, namespace, rev, cb), rev };
  }

  /**
   * Watches a resource (optionally one namespace) for events after fromRev, in order and
   * without gaps. Throws StoreError Expired when fromRev is older than the cache's window.
   * Objects passed to cb are shared with the cache: callers must not mutate them.
   */
  watch(
    resource: string,
    namespace: string | undefined,
    fromRev: number,
    cb: (ev: StoreEvent) => void,
  ): StoreWatch {
    if (fromRev < this.#logStart) {
      throw new StoreError("Expired", `too old resource version: ${fromRev} (${this.#logStart + 1})`);
    }
    // Replay what the cache already has after fromRev, then go live; both happen synchronously
    // here, so no event can slip between them.
    let i = lowerBound(this.#events, fromRev);
    for (; i < this.#events.length; i++) {
      const ev = this.#events[i]!;
      if (ev.key.resource === resource && (namespace === undefined || ev.key.namespace === namespace)) cb(ev);
    }
    const w: Watcher = { resource, namespace, cb };
    let set = this.#watchers.get(resource);
    if (!set) this.#watchers.set(resource, (set = new Set()));
    set.add(w);
    return { stop: () => set.delete(w) };
  }

  /** Drops cached events at or before rev and refuses watches from before it. */
  #markCompacted(rev: number): void {
    if (rev <= this.#compacted) return;
    this.#compacted = rev;
    if (rev > this.#logStart) {
      this.#logStart = rev;
      this.#events = this.#events.slice(lowerBound(this.#events, rev));
    }
  }

  /** The revision the store was last compacted at (0 if never). */
  get compactedRevision(): number {
    return this.#compacted;
  }

  /**
   * Compacts the store at rev (etcd's compaction): superseded revisions older than rev are
   * purged from the stream, and deleted objects whose deletion is older than rev are forgotten.
   * Returns how many messages were purged.
   */
  async compact(rev: number): Promise<number> {
    rev = Math.min(rev, this.#rev);
    if (rev <= this.#compacted) return 0;
    let purged = 0;
    for (const [subject, h] of [...this.#history]) {
      if (h.deleted && h.last <= rev) {
        const r = await this.#call(() => this.#jsm.streams.purge(this.#stream, { filter: subject }));
        purged += r.purged;
        if (this.#history.get(subject)?.last === h.last) this.#history.delete(subject);
      } else if (h.count > 1) {
        // Keep the newest message at or below rev, and everything after it.
        const r = await this.#call(() =>
          this.#jsm.streams.purge(this.#stream, { filter: subject, seq: Math.min(rev, h.last) }),
        );
        purged += r.purged;
        h.count = Math.max(1, h.count - r.purged);
      }
    }
    const metaSubject = this.#subject(COMPACTION_KEY);
    await this.#retry(() =>
      this.#js.publish(metaSubject, JSON.stringify({ compactedRevision: rev }), {
        timeout: ATTEMPT_TIMEOUT_MS,
      }),
    );
    await this.#call(() => this.#jsm.streams.purge(this.#stream, { filter: metaSubject, keep: 1 }));
    this.#markCompacted(rev);
    return purged;
  }

  /** The oldest revision a watch can start from. */
  get oldestWatchableRevision(): number {
    return this.#logStart;
  }

  /** Stops following the stream. The NATS connection belongs to the caller. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#generation++;
    await this.#consumer?.close();
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.#retry(fn);
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  /**
   * Runs a JetStream request, retrying while NATS is unreachable (a request sent during a
   * reconnect can be lost) until the operation timeout has passed.
   */
  async #retry<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#timeout;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const transient =
          err instanceof TimeoutError ||
          err instanceof NoRespondersError ||
          err instanceof RequestError ||
          (err instanceof JetStreamApiError && err.status === 503);
        if (!transient || this.#closed || this.#nc.isClosed() || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
      }
    }
  }

  /** The NATS connection the store uses. */
  get connection(): NatsConnection {
    return this.#nc;
  }
}

function setRV(obj: KObject, rev: number): void {
  const md = (obj["metadata"] ??= {}) as KObject;
  md["resourceVersion"] = String(rev);
}

function decodeToken(t: string): string {
  return decodeURIComponent(t.replace(/_/g, "."));
}

/** Index of the first event with rev > fromRev. */
function lowerBound(events: StoreEvent[], fromRev: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.rev <= fromRev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function toUnavailable(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  if (err instanceof JetStreamApiError) return new StoreError("Internal", `jetstream: ${err.message}`);
  return new StoreError(
    "Unavailable",
    `store unavailable: ${err instanceof Error ? err.message : String(err)}`,
  );
}
