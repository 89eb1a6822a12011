/**
 * The Kubernetes API verbs, independent of transport. The HTTP server and the NATS API both
 * call this class; there is one implementation behind both.
 *
 * Limitations vs Kubernetes:
 * - No managedFields and no server-side apply (application/apply-patch+yaml is refused with 415).
 * - No admission webhooks, RBAC or authentication: every request is allowed.
 * - dryRun=All runs defaulting, validation and allocation checks, but allocations are released.
 */
import type { Logger } from "@kemu/common";
import { Store, StoreError, type KObject, type StoreEvent } from "@kemu/store";
import {
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type FieldSelector,
  type LabelSelector,
} from "@kemu/machinery";
import jsonpatch from "fast-json-patch";
import { ApiError, toApiError } from "./errors.ts";
import type { HookContext, ResourceHooks } from "./hooks.ts";
import { clone, dropNulls, generateName, jsonEqual, mergePatch, meta, newUID, timestamp } from "./meta.ts";
import { apiVersionOf, Registry, storageToken, type ResourceDef } from "./resources.ts";
import { defaultObject, pruneFields, strictFieldCheck, strategicPatch, validateObject } from "./admission.ts";
import { CONVERTERS, type Converter } from "./conversion.ts";

/** How a write treats unknown fields (the fieldValidation query parameter). */
export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** Options every write takes. */
export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  fieldManager?: string;
}

/** The result of a write: the stored object, and warnings for the Warning header. */
export interface WriteResult {
  obj: KObject;
  /** 201 for creates, 202 for deletions still pending, else 200. */
  code: number;
  warnings: string[];
}

/** Query options of list and watch. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

/** DeleteOptions, from the body or the query. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** The patch content types. */
export type PatchType = "json" | "merge" | "strategic";

/** A watch event as sent on the wire. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KObject;
}

/** A running watch. */
export interface ApiWatch {
  stop(): void;
}

/** The apiVersion/kind header of an object of def. */
function typeMeta(def: ResourceDef): { apiVersion: string; kind: string } {
  return { apiVersion: apiVersionOf(def), kind: def.kind };
}

/** Options for Api. */
export interface ApiOptions {
  store: Store;
  log: Logger;
  registry?: Registry;
  /** How often watches with allowWatchBookmarks get a BOOKMARK (ms). */
  bookmarkIntervalMs?: number;
  /** Per-resource strategies, by storage token (see hooks/index.ts). */
  hooks?: Record<string, ResourceHooks>;
}

const MAX_UPDATE_RETRIES = 16;

/** The API verbs over the store. */
export class Api {
  readonly store: Store;
  readonly registry: Registry;
  readonly #log: Logger;
  readonly #bookmarkMs: number;
  readonly #hookTable: Record<string, ResourceHooks>;

  constructor(opts: ApiOptions) {
    this.store = opts.store;
    this.registry = opts.registry ?? new Registry();
    this.#log = opts.log;
    this.#bookmarkMs = opts.bookmarkIntervalMs ?? 60_000;
    this.#hookTable = opts.hooks ?? {};
  }

  #hooks(def: ResourceDef): ResourceHooks {
    return this.#hookTable[storageToken(def)] ?? {};
  }

  #ctx(def: ResourceDef, dryRun = false): HookContext {
    return { store: this.store, log: this.#log, def, dryRun };
  }

  #key(def: ResourceDef, namespace: string | undefined, name: string) {
    return { resource: storageToken(def), namespace: def.namespaced ? namespace : undefined, name };
  }

  /** The converter and storage resource when def shares another resource's storage. */
  #converted(def: ResourceDef): { conv: Converter; sdef: ResourceDef } | undefined {
    const conv = CONVERTERS[`${def.group}/${def.version}/${def.resource}`];
    if (!conv) return undefined;
    return {
      conv,
      sdef: this.registry.lookup(conv.storage.group, conv.storage.version, conv.storage.resource)!,
    };
  }

  /** Watch events as served, shared by every watcher of the same resource version. */
  readonly #served = new Map<ResourceDef, WeakMap<KObject, KObject>>();

  /** #out for watch events: one served object per stored object and resource, so transports can cache its encoding. */
  #outShared(def: ResourceDef, obj: KObject): KObject {
    let m = this.#served.get(def);
    if (!m) this.#served.set(def, (m = new WeakMap()));
    let o = m.get(obj);
    if (!o) m.set(obj, (o = this.#out(def, obj)));
    return o;
  }

  /** Adds apiVersion/kind for the served version (objects are stored with them). */
  #out(def: ResourceDef, obj: KObject): KObject {
    // The served version's apiVersion wins (custom resources share storage across versions).
    return { ...typeMeta(def), ...obj, ...typeMeta(def) };
  }

  /** Reads one object. */
  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KObject> {
    const c = this.#converted(def);
    if (c) return c.conv.fromStorage(await this.get(c.sdef, namespace, name));
    try {
      const cur = await this.store.get(this.#key(def, namespace, name));
      if (!cur) throw ApiError.notFound(def, name);
      return this.#out(def, cur.obj);
    } catch (err) {
      throw toApiError(err, def, name);
    }
  }

  #selectors(def: ResourceDef, opts: ListOptions): { labels?: LabelSelector; fields?: FieldSelector } {
    try {
      const out: { labels?: LabelSelector; fields?: FieldSelector } = {};
      if (opts.labelSelector) out.labels = parseLabelSelector(opts.labelSelector);
      if (opts.fieldSelector) {
        const fields = parseFieldSelector(opts.fieldSelector);
        const known = ["metadata.name", "metadata.namespace", ...Object.keys(def.fields ?? {})];
        for (const r of fields.requirements) {
          if (!known.includes(r.field)) {
            throw ApiError.badRequest(`field label not supported: ${r.field}`);
          }
        }
        out.fields = fields;
      }
      return out;
    } catch (err) {
      if (err instanceof SelectorError) throw ApiError.badRequest(err.message);
      throw err;
    }
  }

  /** A predicate for label and field selectors. */
  #matcher(def: ResourceDef, opts: ListOptions): (obj: KObject) => boolean {
    const { labels, fields } = this.#selectors(def, opts);
    if (!labels && !fields) return () => true;
    return (obj) => {
      const md = (obj["metadata"] ?? {}) as KObject;
      if (labels && !labels.matches(md["labels"] ?? {})) return false;
      if (fields) {
        const set: Record<string, string> = { "metadata.name": md["name"] ?? "" };
        if (def.namespaced) set["metadata.namespace"] = md["namespace"] ?? "";
        for (const [f, get] of Object.entries(def.fields ?? {})) set[f] = get(obj) ?? "";
        if (!fields.matches(set)) return false;
      }
      return true;
    };
  }

  /** Lists objects, with selectors, pagination and resourceVersion semantics. */
  async list(def: ResourceDef, namespace: string | undefined, opts: ListOptions = {}): Promise<KObject> {
    const c = this.#converted(def);
    if (c) {
      const list = await this.list(c.sdef, namespace, opts);
      return {
        ...list,
        kind: `${def.kind}List`,
        apiVersion: apiVersionOf(def),
        items: (list["items"] as KObject[]).map((o) => withoutTypeMeta(c.conv.fromStorage(o))),
      };
    }
    const match = this.#matcher(def, opts);
    const res = storageToken(def);
    const ns = def.namespaced ? namespace : undefined;
    let items: KObject[];
    let rev: number;
    let start = "";
    try {
      if (opts.continue) {
        const tok = decodeContinue(opts.continue);
        start = tok.start;
        if (tok.rv < 0) {
          // An inconsistent continuation (handed out with an expired token): the latest state.
          const r = await this.store.list(res, ns, true);
          items = r.items;
          rev = r.rev;
        } else {
          rev = tok.rv;
          items = await this.store.listAt(res, ns, rev).catch((err) => {
            if (err instanceof StoreError && err.code === "Expired") {
              const e = ApiError.expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
              );
              e.statusMetadata = { continue: encodeContinue(-1, tok.start) };
              throw e;
            }
            throw err;
          });
        }
      } else if (
        opts.resourceVersion &&
        opts.resourceVersion !== "0" &&
        opts.resourceVersionMatch === "Exact"
      ) {
        rev = parseRV(opts.resourceVersion);
        items = await this.store.listAt(res, ns, rev).catch((err) => {
          if (err instanceof StoreError && err.code === "Expired") {
            throw ApiError.expired("The resourceVersion for the provided list is too old.");
          }
          throw err;
        });
      } else if (opts.resourceVersion && opts.resourceVersion !== "0") {
        // NotOlderThan: anything at least as new as the given revision.
        const min = parseRV(opts.resourceVersion);
        const fresh = await this.store.list(res, ns, min > this.store.revision);
        items = fresh.items;
        rev = fresh.rev;
      } else {
        const r = await this.store.list(res, ns, opts.resourceVersion !== "0");
        items = r.items;
        rev = r.rev;
      }
    } catch (err) {
      throw toApiError(err, def);
    }
    const keyed = items
      .filter(match)
      .map((o) => ({ k: sortKey(o), o }))
      .filter((x) => x.k > start)
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const page = limit ? keyed.slice(0, limit) : keyed;
    const listMeta: KObject = { resourceVersion: String(rev) };
    if (limit && keyed.length > limit) {
      listMeta["continue"] = encodeContinue(rev, page[page.length - 1]!.k);
      listMeta["remainingItemCount"] = keyed.length - limit;
    }
    return {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def),
      metadata: listMeta,
      items: page.map((x) => withoutTypeMeta(x.o)),
    };
  }

  /**
   * Watches objects. Events go to sink in order; the returned handle stops the watch. A
   * resourceVersion older than the store keeps yields a 410 Expired ERROR event, as
   * kube-apiserver sends it.
   */
  async watch(
    def: ResourceDef,
    namespace: string | undefined,
    opts: ListOptions,
    sink: (ev: WatchEvent) => void,
    onEnd: () => void,
  ): Promise<ApiWatch> {
    const c = this.#converted(def);
    if (c) {
      return this.watch(
        c.sdef,
        namespace,
        opts,
        (ev) =>
          sink(
            ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED"
              ? { type: ev.type, object: c.conv.fromStorage(ev.object) }
              : {
                  type: ev.type,
                  object: ev.object["kind"] === "Status" ? ev.object : { ...ev.object, ...typeMeta(def) },
                },
          ),
        onEnd,
      );
    }
    const match = this.#matcher(def, opts);
    const res = storageToken(def);
    const ns = def.namespaced ? namespace : undefined;
    let lastRV = 0;
    let stopped = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = () => {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      handle?.stop();
      onEnd();
    };
    const deliver = (ev: StoreEvent) => {
      if (stopped) return;
      lastRV = ev.rev;
      const now = match(ev.obj);
      const before = ev.prev ? match(ev.prev) : false;
      let type: WatchEvent["type"];
      if (ev.type === "ADDED") {
        if (!now) return;
        type = "ADDED";
      } else if (ev.type === "DELETED") {
        if (!now) return;
        type = "DELETED";
      } else if (now && before) type = "MODIFIED";
      else if (now) type = "ADDED";
      else if (before) type = "DELETED";
      else return;
      sink({ type, object: this.#outShared(def, ev.obj) });
    };
    let handle: { stop(): void } | undefined;
    const rv = opts.resourceVersion;
    try {
      if (rv === undefined || rv === "" || rv === "0") {
        if (rv !== "0") await this.store.waitFresh();
        const initial = opts.sendInitialEvents !== false || rv !== undefined;
        if (initial) {
          const w = this.store.watchFromNow(res, ns, deliver);
          handle = w.watch;
          lastRV = w.rev;
          if (opts.sendInitialEvents && opts.allowWatchBookmarks) {
            sink({
              type: "BOOKMARK",
              object: {
                ...typeMeta(def),
                metadata: {
                  resourceVersion: String(w.rev),
                  annotations: { "k8s.io/initial-events-end": "true" },
                },
              },
            });
          }
        } else {
          const from = this.store.revision;
          handle = this.store.watch(res, ns, from, deliver);
          lastRV = from;
        }
      } else {
        const from = parseRV(rv);
        if (from > this.store.revision) await this.store.waitFresh();
        handle = this.store.watch(res, ns, from, deliver);
        lastRV = Math.max(lastRV, from);
      }
    } catch (err) {
      if (err instanceof StoreError && err.code === "Expired") {
        sink({ type: "ERROR", object: ApiError.expired(err.message).toStatus() });
        stop();
        return { stop };
      }
      if (err instanceof ApiError && err.code === 400) throw err;
      throw toApiError(err, def);
    }
    if (opts.allowWatchBookmarks) {
      const tick = () => {
        if (stopped) return;
        lastRV = Math.max(lastRV, this.store.revision);
        sink({
          type: "BOOKMARK",
          object: { ...typeMeta(def), metadata: { resourceVersion: String(lastRV) } },
        });
        timers[0] = setTimeout(tick, this.#bookmarkMs);
      };
      timers[0] = setTimeout(tick, this.#bookmarkMs);
    }
    const timeout =
      opts.timeoutSeconds && opts.timeoutSeconds > 0 ? opts.timeoutSeconds : 1800 + Math.random() * 1800;
    timers[1] = setTimeout(stop, timeout * 1000);
    return { stop };
  }

  async #requireNamespace(
    def: ResourceDef,
    namespace: string | undefined,
    forCreate: boolean,
  ): Promise<void> {
    if (!def.namespaced) return;
    if (!namespace) throw ApiError.badRequest("the server could not find the requested resource");
    const nsDef = this.registry.lookup("", "v1", "namespaces")!;
    const ns = await this.store.get(this.#key(nsDef, undefined, namespace));
    if (!ns) throw ApiError.notFound(nsDef, namespace);
    if (forCreate && ns.obj["metadata"]?.["deletionTimestamp"]) {
      const message = `unable to create new content in namespace ${namespace} because it is being terminated`;
      const err = ApiError.forbidden(def, "", message);
      err.details?.causes?.push({ reason: "NamespaceTerminating", message, field: "metadata.namespace" });
      throw err;
    }
  }

  /** Checks the body's apiVersion/kind against the endpoint (missing ones are filled in). */
  #checkTypeMeta(def: ResourceDef, body: KObject): void {
    const av = body["apiVersion"];
    const kind = body["kind"];
    if (av !== undefined && av !== apiVersionOf(def)) {
      throw ApiError.badRequest(
        `the API version in the data (${String(av)}) does not match the expected API version (${apiVersionOf(def)})`,
      );
    }
    if (kind !== undefined && kind !== def.kind) {
      throw ApiError.badRequest(
        `the kind in the data (${String(kind)}) does not match the expected kind (${def.kind})`,
      );
    }
  }

  /**
   * fieldValidation: Strict fails on unknown fields; Warn (the default) and Ignore drop them,
   * as decoding into typed structs does, Warn also returning a warning for each.
   */
  #fieldCheck(
    def: ResourceDef,
    body: KObject,
    mode: FieldValidation | undefined,
  ): { obj: KObject; warnings: string[] } {
    const unknown = strictFieldCheck(def, body);
    if (unknown.length === 0) return { obj: body, warnings: [] };
    if (mode === "Strict") {
      throw ApiError.badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(", ")}`,
      );
    }
    const obj = pruneFields(clone(body), unknown);
    return { obj, warnings: mode === "Ignore" ? [] : unknown.map((f) => `unknown field "${f}"`) };
  }

  /** Creates an object (POST). */
  async create(
    def: ResourceDef,
    namespace: string | undefined,
    body: KObject,
    opts: WriteOptions = {},
  ): Promise<WriteResult> {
    if (!def.verbs.includes("create")) throw ApiError.methodNotAllowed();
    const c = this.#converted(def);
    if (c) {
      this.#checkTypeMeta(def, body);
      const r = await this.create(c.sdef, namespace, c.conv.toStorage(body), opts);
      return { ...r, obj: c.conv.fromStorage(r.obj) };
    }
    this.#checkTypeMeta(def, body);
    const checked = this.#fieldCheck(def, body, opts.fieldValidation);
    const warnings = checked.warnings;
    let obj = dropNulls(clone(checked.obj)) as KObject;
    Object.assign(obj, typeMeta(def));
    let md = meta(obj);
    if (def.namespaced) {
      if (md["namespace"] && namespace && md["namespace"] !== namespace) {
        throw ApiError.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      md["namespace"] = namespace ?? md["namespace"];
    } else {
      delete md["namespace"];
    }
    if (!md["name"] && md["generateName"]) md["name"] = generateName(String(md["generateName"]));
    const name = String(md["name"] ?? "");
    await this.#requireNamespace(def, namespace, true).catch((err) => {
      throw toApiError(err, def, name);
    });
    md["uid"] = newUID();
    md["creationTimestamp"] = timestamp();
    delete md["resourceVersion"];
    delete md["deletionTimestamp"];
    delete md["deletionGracePeriodSeconds"];
    delete md["managedFields"];
    if (def.generation) md["generation"] = 1;
    else delete md["generation"];
    const hooks = this.#hooks(def);
    hooks.prepareForCreate?.(obj);
    obj = defaultObject(def, obj, undefined);
    md = meta(obj);
    // An existing object is AlreadyExists, not an allocation clash with itself.
    if (name && (await this.store.get(this.#key(def, namespace, name)).catch(() => undefined))) {
      throw ApiError.alreadyExists(def, name);
    }
    const ctx = this.#ctx(def, !!opts.dryRun);
    // Allocation before validation, as upstream's BeginCreate runs before the strategy's Validate.
    const rollback = await hooks.beforeCreate?.(ctx, obj);
    try {
      validateObject(def, obj, undefined);
    } catch (err) {
      await rollback?.();
      throw err;
    }
    try {
      if (opts.dryRun) {
        await rollback?.();
        return { obj: obj, code: 201, warnings };
      }
      const rev = await this.store.create(this.#key(def, namespace, name), obj);
      md["resourceVersion"] = String(rev);
      await hooks.afterCreate?.(ctx, obj);
      return { obj, code: 201, warnings };
    } catch (err) {
      await rollback?.();
      throw toApiError(err, def, name);
    }
  }

  /**
   * The read-modify-write loop shared by update and patch (GuaranteedUpdate): mutate gets the
   * current object and returns the desired one; conflicts are retried unless the caller pinned
   * a resourceVersion.
   */
  async #guaranteedUpdate(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    opts: WriteOptions,
    mutate: (current: KObject | undefined) => { obj: KObject; pinnedRV: boolean },
  ): Promise<WriteResult> {
    const key = this.#key(def, namespace, name);
    const hooks = this.#hooks(def);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key).catch((err) => {
        throw toApiError(err, def, name);
      });
      const { obj, pinnedRV } = mutate(cur ? this.#out(def, cur.obj) : undefined);
      const md = meta(obj);
      if (md["name"] !== undefined && md["name"] !== name) {
        throw ApiError.badRequest(
          `the name of the object (${String(md["name"])}) does not match the name on the URL (${name})`,
        );
      }
      md["name"] = name;
      if (def.namespaced) {
        if (md["namespace"] && md["namespace"] !== namespace) {
          throw ApiError.badRequest(
            "the namespace of the provided object does not match the namespace sent on the request",
          );
        }
        md["namespace"] = namespace;
      }
      if (!cur) {
        if (!def.createOnUpdate || subresource) throw ApiError.notFound(def, name);
        delete md["resourceVersion"];
        return this.create(def, namespace, obj, opts);
      }
      const old = cur.obj;
      if (pinnedRV && md["resourceVersion"] !== old["metadata"]["resourceVersion"]) {
        throw ApiError.staleObject(def, name);
      }
      let next = this.#prepareUpdate(def, obj, old, subresource);
      if (subresource !== "binding") next = defaultObject(def, next, old);
      this.#bumpGeneration(def, next, old, subresource);
      if (jsonEqual(withoutRV(next), withoutRV(this.#out(def, old)))) {
        // A no-op update writes nothing and keeps the resourceVersion, as kube-apiserver does.
        return { obj: this.#out(def, old), code: 200, warnings: [] };
      }
      const ctx = this.#ctx(def, !!opts.dryRun);
      const plan = (await hooks.beforeUpdate?.(ctx, next, old)) ?? {};
      if (subresource !== "binding") {
        try {
          validateObject(def, next, old);
        } catch (err) {
          await plan.rollback?.();
          throw err;
        }
      }
      if (opts.dryRun) {
        await plan.rollback?.();
        return { obj: next, code: 200, warnings: [] };
      }
      try {
        const nmd = meta(next);
        let rev: number;
        if (
          nmd["deletionTimestamp"] &&
          (!Array.isArray(nmd["finalizers"]) || nmd["finalizers"].length === 0) &&
          !(nmd["deletionGracePeriodSeconds"] > 0) &&
          !hooks.holdDeletion?.(next)
        ) {
          // The last finalizer is gone from an object being deleted: it goes now.
          rev = await this.store.delete(key, next, cur.rev);
          nmd["resourceVersion"] = String(rev);
          await plan.commit?.();
          await hooks.afterDelete?.(ctx, next);
          return { obj: next, code: 200, warnings: [] };
        }
        rev = await this.store.update(key, next, cur.rev);
        nmd["resourceVersion"] = String(rev);
        await plan.commit?.();
        return { obj: next, code: 200, warnings: [] };
      } catch (err) {
        await plan.rollback?.();
        if (err instanceof StoreError && err.code === "Conflict" && !pinnedRV && attempt < MAX_UPDATE_RETRIES)
          continue;
        throw toApiError(err, def, name);
      }
    }
  }

  /** Carries over what an update may not change, and bumps generation on spec changes. */
  #prepareUpdate(def: ResourceDef, obj: KObject, old: KObject, subresource: string | undefined): KObject {
    let next = dropNulls(clone(obj)) as KObject;
    Object.assign(next, typeMeta(def));
    const omd = old["metadata"] as KObject;
    if (subresource === "binding") {
      // Binding writes spec.nodeName and status together (upstream's assignPod).
    } else if (subresource === "status") {
      // Status updates change status only (ResetObjectMetaForStatus); the apps workloads'
      // status strategies keep only spec and labels, so controllers can set annotations there.
      const status = next["status"];
      const annotations = next["metadata"]?.["annotations"];
      next = clone(old);
      Object.assign(next, typeMeta(def));
      if (status === undefined) delete next["status"];
      else next["status"] = status;
      if (def.statusUpdatesAnnotations) {
        if (annotations === undefined) delete next["metadata"]["annotations"];
        else next["metadata"]["annotations"] = annotations;
      }
    } else if (def.subresources.includes("status")) {
      if (old["status"] === undefined) delete next["status"];
      else next["status"] = clone(old["status"]);
    }
    const md = meta(next);
    for (const f of [
      "uid",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "generation",
    ]) {
      if (omd[f] === undefined) delete md[f];
      else md[f] = omd[f];
    }
    if (omd["generateName"] !== undefined && md["generateName"] === undefined)
      md["generateName"] = omd["generateName"];
    delete md["managedFields"];
    md["resourceVersion"] = omd["resourceVersion"];
    return next;
  }

  /** Bumps metadata.generation when the spec changed (and, for some kinds, annotations). */
  #bumpGeneration(def: ResourceDef, next: KObject, old: KObject, subresource: string | undefined): void {
    if (!def.generation || subresource === "status") return;
    const specOf = (o: KObject) => {
      const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    };
    const changed =
      !jsonEqual(specOf(next), specOf(old)) ||
      (def.generationOnAnnotations === true &&
        !jsonEqual(next["metadata"]?.["annotations"] ?? {}, old["metadata"]?.["annotations"] ?? {}));
    if (changed) meta(next)["generation"] = (Number(old["metadata"]?.["generation"]) || 0) + 1;
  }

  /** Replaces an object (PUT), on the main resource or its status subresource. */
  async update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: KObject,
    opts: WriteOptions = {},
    subresource?: string,
  ): Promise<WriteResult> {
    if (!def.verbs.includes("update")) throw ApiError.methodNotAllowed();
    const c = this.#converted(def);
    if (c) {
      this.#checkTypeMeta(def, body);
      const r = await this.update(c.sdef, namespace, name, c.conv.toStorage(body), opts, subresource);
      return { ...r, obj: c.conv.fromStorage(r.obj) };
    }
    this.#checkTypeMeta(def, body);
    const checked = this.#fieldCheck(def, body, opts.fieldValidation);
    const warnings = checked.warnings;
    const pinned = !!body["metadata"]?.["resourceVersion"];
    const r = await this.#guaranteedUpdate(def, namespace, name, subresource, opts, () => ({
      obj: clone(checked.obj),
      pinnedRV: pinned,
    }));
    return { ...r, warnings: [...warnings, ...r.warnings] };
  }

  /** Patches an object (PATCH) with a JSON, merge or strategic merge patch. */
  async patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
    subresource?: string,
  ): Promise<WriteResult> {
    if (!def.verbs.includes("patch")) throw ApiError.methodNotAllowed();
    const c = this.#converted(def);
    if (c) {
      // Patch the served form, then store it compare-and-set against what was read.
      for (let attempt = 0; ; attempt++) {
        const current = await this.get(def, namespace, name);
        const result = applyPatch(def, current, type, patch) as KObject;
        const pinned = result["metadata"]?.["resourceVersion"] ?? current["metadata"]["resourceVersion"];
        try {
          return await this.update(
            def,
            namespace,
            name,
            { ...result, metadata: { ...result["metadata"], resourceVersion: pinned } },
            opts,
            subresource,
          );
        } catch (err) {
          if (
            !(err instanceof ApiError && err.reason === "Conflict") ||
            result["metadata"]?.["resourceVersion"] ||
            attempt >= MAX_UPDATE_RETRIES
          )
            throw err;
        }
      }
    }
    let warnings: string[] = [];
    return this.#guaranteedUpdate(def, namespace, name, subresource, opts, (current) => {
      if (!current) throw ApiError.notFound(def, name);
      const result = applyPatch(def, current, type, patch);
      if (typeof result !== "object" || result === null || Array.isArray(result)) {
        throw ApiError.badRequest("the patch did not produce an object");
      }
      this.#checkTypeMeta(def, result as KObject);
      const checked = this.#fieldCheck(def, result as KObject, opts.fieldValidation);
      warnings = checked.warnings;
      const rv = (result as KObject)["metadata"]?.["resourceVersion"];
      return {
        obj: checked.obj,
        pinnedRV: rv !== undefined && rv !== current["metadata"]["resourceVersion"],
      };
    }).then((r) => ({ ...r, warnings }));
  }

  /** Deletes an object, honouring grace periods, finalizers and preconditions. */
  async delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<WriteResult> {
    if (!def.verbs.includes("delete")) throw ApiError.methodNotAllowed();
    const c = this.#converted(def);
    if (c) {
      const r = await this.delete(c.sdef, namespace, name, opts);
      return { ...r, obj: c.conv.fromStorage(r.obj) };
    }
    const key = this.#key(def, namespace, name);
    const hooks = this.#hooks(def);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key).catch((err) => {
        throw toApiError(err, def, name);
      });
      if (!cur) throw ApiError.notFound(def, name);
      const obj = this.#out(def, clone(cur.obj));
      const md = meta(obj);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== md["uid"]) {
        throw ApiError.conflict(
          def,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(md["uid"])}`,
        );
      }
      if (pre?.resourceVersion && pre.resourceVersion !== md["resourceVersion"]) {
        throw ApiError.conflict(
          def,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(md["resourceVersion"])}`,
        );
      }
      const finalizers: string[] = Array.isArray(md["finalizers"]) ? [...md["finalizers"]] : [];
      if (opts.propagationPolicy === "Orphan" && !finalizers.includes("orphan")) finalizers.push("orphan");
      if (opts.propagationPolicy === "Foreground" && !finalizers.includes("foregroundDeletion")) {
        finalizers.push("foregroundDeletion");
      }
      const grace = hooks.gracePeriod?.(obj, opts.gracePeriodSeconds) ?? 0;
      const ctx = this.#ctx(def, !!opts.dryRun);
      let pending = false;
      const held =
        hooks.holdDeletion !== undefined &&
        hooks.holdDeletion({ ...obj, metadata: { ...md, deletionTimestamp: "" } });
      if (grace > 0 || finalizers.length > 0 || held) {
        // Graceful: mark the object and leave it; its owner (kubelet, a controller) finishes.
        const now = new Date();
        if (grace > 0) {
          const existing = md["deletionTimestamp"] ? Date.parse(md["deletionTimestamp"]) : Infinity;
          const due = Math.min(existing, now.getTime() + grace * 1000);
          md["deletionTimestamp"] = timestamp(new Date(due));
          md["deletionGracePeriodSeconds"] = Math.min(
            Number(md["deletionGracePeriodSeconds"] ?? grace),
            grace,
          );
        } else {
          md["deletionTimestamp"] ??= timestamp(now);
          md["deletionGracePeriodSeconds"] = 0;
        }
        if (finalizers.length > 0) md["finalizers"] = finalizers;
        if (held) hooks.holdDeletion!(obj);
        pending = true;
      }
      if (opts.dryRun) return { obj, code: pending ? 202 : 200, warnings: [] };
      try {
        if (pending) {
          const rev = await this.store.update(key, obj, cur.rev);
          md["resourceVersion"] = String(rev);
          return { obj, code: 202, warnings: [] };
        }
        const rev = await this.store.delete(key, obj, cur.rev);
        md["resourceVersion"] = String(rev);
        await hooks.afterDelete?.(ctx, obj);
        return { obj, code: 200, warnings: [] };
      } catch (err) {
        if (err instanceof StoreError && err.code === "Conflict" && attempt < MAX_UPDATE_RETRIES) continue;
        throw toApiError(err, def, name);
      }
    }
  }

  /** Deletes every object that matches the list options (DELETE on a collection). */
  async deleteCollection(
    def: ResourceDef,
    namespace: string | undefined,
    listOpts: ListOptions,
    opts: DeleteOptions,
  ): Promise<KObject> {
    if (!def.verbs.includes("deletecollection")) throw ApiError.methodNotAllowed();
    const list = await this.list(def, namespace, { ...listOpts, limit: undefined, continue: undefined });
    const deleted: KObject[] = [];
    for (const item of list["items"] as KObject[]) {
      try {
        const r = await this.delete(def, item["metadata"]["namespace"], item["metadata"]["name"], opts);
        deleted.push(withoutTypeMeta(r.obj));
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
    return {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def),
      metadata: { resourceVersion: String(this.store.revision) },
      items: deleted,
    };
  }

  /** The Status body kube-apiserver sends for an immediate delete of a resource. */
  static deletedStatus(def: ResourceDef, obj: KObject): KObject {
    const details: KObject = {
      name: obj["metadata"]?.["name"],
      kind: def.resource,
      uid: obj["metadata"]?.["uid"],
    };
    if (def.group) details["group"] = def.group;
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
  }
}

function applyPatch(def: ResourceDef, current: KObject, type: PatchType, patch: unknown): unknown {
  switch (type) {
    case "json": {
      if (!Array.isArray(patch))
        throw ApiError.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
      try {
        return jsonpatch.applyPatch(clone(current), patch as jsonpatch.Operation[], true, false).newDocument;
      } catch {
        // handlers/patch.go: NewGenericServerResponse(422, ...) keeps only its generic message.
        throw new ApiError(
          "Invalid",
          422,
          "the server rejected our request due to an error in our request",
          {},
        );
      }
    }
    case "merge":
      if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
        throw ApiError.badRequest(
          "json: cannot unmarshal array into Go value of type map[string]interface {}",
        );
      }
      return mergePatch(current, patch);
    case "strategic":
      if (def.custom) {
        throw new ApiError(
          "UnsupportedMediaType",
          415,
          "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        );
      }
      if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
        throw ApiError.badRequest(
          "json: cannot unmarshal array into Go value of type map[string]interface {}",
        );
      }
      return strategicPatch(def, current, patch);
  }
}

function parseRV(rv: string): number {
  if (!/^\d+$/.test(rv)) throw ApiError.badRequest(`invalid resource version: ${rv}`);
  return Number(rv);
}

function sortKey(o: KObject): string {
  const md = (o["metadata"] ?? {}) as KObject;
  return `${md["namespace"] ?? ""}/${md["name"] ?? ""}`;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start })).toString("base64url");
}

function decodeContinue(tok: string): { rv: number; start: string } {
  try {
    const j = JSON.parse(Buffer.from(tok, "base64url").toString("utf8")) as {
      v?: string;
      rv?: number;
      start?: string;
    };
    if (j.v !== "meta.k8s.io/v1" || typeof j.rv !== "number" || typeof j.start !== "string")
      throw new Error();
    return { rv: j.rv, start: j.start };
  } catch {
    throw ApiError.badRequest(
      "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
    );
  }
}

function withoutTypeMeta(o: KObject): KObject {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function withoutRV(o: KObject): KObject {
  return { ...o, metadata: { ...o["metadata"], resourceVersion: undefined } };
}
