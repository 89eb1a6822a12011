/**
 * The Kubernetes API over NATS, for node agents that do not speak HTTP. The same Api class
 * serves both transports.
 *
 * Subjects (see @kemu/nats subjects.ts):
 *   kemu.api.<verb>            request/reply, verb one of get, list, create, update, patch,
 *                              delete, deletecollection, watch; queue group "kemu-apiserver"
 *   <inbox>                    a watch's events, published by the serving replica
 *   kemu.api.watchctl.<id>     "keepalive" / "stop" for a running watch (owned by its replica)
 *
 * A request is JSON: { group, version, resource, namespace?, name?, subresource?, body?,
 * patchType?, options? }. A reply is { ok: <object> } or { error: <Status> }. A watch reply is
 * { ok: { id } }; events then arrive on the request's inbox as { type, object }, ending with
 * { type: "END" }. A watch without a keepalive for 30 s is stopped.
 */
import type { Logger } from "@kemu/common";
import { API_QUEUE, apiSubject, type NatsConnection, type Subscription } from "@kemu/nats";
import { randomUUID } from "node:crypto";
import {
  Api,
  type DeleteOptions,
  type ListOptions,
  type PatchType,
  type WatchEvent,
  type WriteOptions,
} from "./api.ts";
import { ApiError, toApiError, type Status } from "./errors.ts";
import { serveSubresource } from "./subresources.ts";

/** One API request over NATS. */
export interface NatsApiRequest {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  body?: unknown;
  patchType?: PatchType;
  options?: Record<string, unknown>;
  /** For watch: where events go. */
  inbox?: string;
}

/** The verbs served over NATS. */
export const NATS_VERBS = [
  "get",
  "list",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "watch",
] as const;

const WATCH_IDLE_MS = 30_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Serves Api on NATS subjects. */
export class NatsApi {
  readonly #api: Api;
  readonly #nc: NatsConnection;
  readonly #log: Logger;
  readonly #subs: Subscription[] = [];
  readonly #watches = new Map<string, { stop(): void; seen: number }>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: { api: Api; nc: NatsConnection; log: Logger }) {
    this.#api = opts.api;
    this.#nc = opts.nc;
    this.#log = opts.log;
  }

  /** Subscribes to the API subjects. */
  async start(): Promise<void> {
    for (const verb of NATS_VERBS) {
      this.#subs.push(
        this.#nc.subscribe(apiSubject(verb), {
          queue: API_QUEUE,
          callback: (err, msg) => {
            if (err) return;
            void this.#serve(verb, msg.data).then((reply) =>
              msg.respond(encoder.encode(JSON.stringify(reply))),
            );
          },
        }),
      );
    }
    this.#subs.push(
      this.#nc.subscribe(apiSubject("watchctl.*"), {
        callback: (err, msg) => {
          if (err) return;
          const id = msg.subject.split(".").pop()!;
          const w = this.#watches.get(id);
          if (!w) return;
          if (decoder.decode(msg.data) === "stop") w.stop();
          else w.seen = Date.now();
        },
      }),
    );
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const w of this.#watches.values()) if (now - w.seen > WATCH_IDLE_MS) w.stop();
    }, 5_000);
    this.#sweeper.unref();
    await this.#nc.flush();
  }

  /** Stops serving and ends every watch. */
  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    for (const w of [...this.#watches.values()]) w.stop();
    for (const s of this.#subs) s.unsubscribe();
  }

  async #serve(verb: string, data: Uint8Array): Promise<{ ok: unknown } | { error: Status }> {
    let req: NatsApiRequest;
    try {
      req = JSON.parse(decoder.decode(data)) as NatsApiRequest;
      if (typeof req !== "object" || req === null) throw new Error("not an object");
    } catch {
      return { error: ApiError.badRequest("request is not a JSON object").toStatus() };
    }
    const def = this.#api.registry.lookup(req.group ?? "", req.version ?? "", req.resource ?? "");
    if (!def) return { error: ApiError.noResource().toStatus() };
    const api = this.#api;
    const ns = req.namespace;
    const name = req.name ?? "";
    const opts = (req.options ?? {}) as Record<string, never>;
    try {
      const sub = req.subresource;
      if (sub && sub !== "status") {
        const method = { get: "GET", create: "POST", update: "PUT", patch: "PATCH" }[verb];
        if (!method) throw ApiError.methodNotAllowed();
        const out = await serveSubresource({
          api,
          def,
          namespace: ns,
          name,
          method,
          subresource: sub,
          body: req.body,
          ...(req.patchType ? { patchType: req.patchType } : {}),
        });
        return { ok: out.obj };
      }
      switch (verb) {
        case "get":
          return { ok: await api.get(def, ns, name) };
        case "list":
          return { ok: await api.list(def, ns, opts as ListOptions) };
        case "create":
          return {
            ok: (await api.create(def, ns, req.body as Record<string, unknown>, opts as WriteOptions)).obj,
          };
        case "update":
          return {
            ok: (
              await api.update(
                def,
                ns,
                name,
                req.body as Record<string, unknown>,
                opts as WriteOptions,
                req.subresource,
              )
            ).obj,
          };
        case "patch":
          return {
            ok: (
              await api.patch(
                def,
                ns,
                name,
                req.patchType ?? "merge",
                req.body,
                opts as WriteOptions,
                req.subresource,
              )
            ).obj,
          };
        case "delete":
          return { ok: (await api.delete(def, ns, name, opts as DeleteOptions)).obj };
        case "deletecollection":
          return { ok: await api.deleteCollection(def, ns, opts as ListOptions, opts as DeleteOptions) };
        case "watch":
          return { ok: await this.#watch(req) };
        default:
          return { error: ApiError.methodNotAllowed().toStatus() };
      }
    } catch (err) {
      return { error: toApiError(err, def, name).toStatus() };
    }
  }

  async #watch(req: NatsApiRequest): Promise<{ id: string }> {
    if (!req.inbox) throw ApiError.badRequest("watch needs an inbox");
    const def = this.#api.registry.lookup(req.group, req.version, req.resource)!;
    const id = randomUUID().replace(/-/g, "");
    const inbox = req.inbox;
    const send = (ev: WatchEvent | { type: "END" }) => {
      try {
        this.#nc.publish(inbox, encoder.encode(JSON.stringify(ev)));
      } catch (err) {
        this.#log.debug("watch publish failed", { err: String(err) });
      }
    };
    // Events that arrive before the reply is sent are buffered, so the client sees the reply first.
    const early: WatchEvent[] = [];
    let live = false;
    const entry = { stop: () => {}, seen: Date.now() };
    this.#watches.set(id, entry);
    const w = await this.#api.watch(
      def,
      req.namespace,
      (req.options ?? {}) as ListOptions,
      (ev) => (live ? send(ev) : early.push(ev)),
      () => {
        this.#watches.delete(id);
        send({ type: "END" });
      },
    );
    entry.stop = w.stop;
    setImmediate(() => {
      live = true;
      for (const ev of early) send(ev);
    });
    return { id };
  }
}

/** A client for NatsApi: what node agents use instead of HTTP. */
export class NatsApiClient {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;

  constructor(nc: NatsConnection, timeoutMs = 5_000) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
  }

  /** Sends one request; throws ApiError with the server's Status on failure. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are arbitrary Kubernetes JSON
  async call<T = Record<string, any>>(verb: (typeof NATS_VERBS)[number], req: NatsApiRequest): Promise<T> {
    const msg = await this.#nc.request(apiSubject(verb), encoder.encode(JSON.stringify(req)), {
      timeout: this.#timeoutMs,
    });
    const reply = JSON.parse(decoder.decode(msg.data)) as { ok?: T; error?: Status };
    if (reply.error) {
      const s = reply.error;
      throw new ApiError(s.reason ?? "InternalError", s.code, s.message ?? "", s.details);
    }
    return reply.ok as T;
  }

  /** Starts a watch; onEvent gets each event, onEnd is called once when the server ends it. */
  async watch(
    req: Omit<NatsApiRequest, "inbox">,
    onEvent: (ev: WatchEvent) => void,
    onEnd: () => void,
  ): Promise<{ stop(): void }> {
    const inbox = `_INBOX.kemu.watch.${randomUUID().replace(/-/g, "")}`;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(keepalive);
      sub.unsubscribe();
      onEnd();
    };
    const sub = this.#nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return end();
        const ev = JSON.parse(decoder.decode(msg.data)) as WatchEvent | { type: "END" };
        if (ev.type === "END") end();
        else onEvent(ev as WatchEvent);
      },
    });
    let id = "";
    const keepalive = setInterval(() => {
      if (id) this.#nc.publish(apiSubject(`watchctl.${id}`), encoder.encode("keepalive"));
    }, 10_000);
    keepalive.unref();
    try {
      ({ id } = await this.call<{ id: string }>("watch", { ...req, inbox }));
    } catch (err) {
      clearInterval(keepalive);
      sub.unsubscribe();
      throw err;
    }
    return {
      stop: () => {
        if (!ended) this.#nc.publish(apiSubject(`watchctl.${id}`), encoder.encode("stop"));
        end();
      },
    };
  }
}
