/**
 * `kubectl logs` over NATS: the kubelet's containerLogs endpoint, as request/reply on
 * `kemu.node.<node>.logs` (nodeSubject(node, "logs")).
 *
 * Request (JSON): { namespace, pod, container?, previous?, tailLines?, sinceSeconds?, sinceTime?,
 * timestamps?, limitBytes?, follow?, inbox? } — PodLogOptions' fields.
 * Reply: { ok: "<text>" }, or { error: <Status> } (404 for an unknown pod, 400 with the
 * kubelet's message for a bad container choice or a container with no logs yet).
 *
 * Follow (-f): the request has follow: true and an inbox the caller already subscribes to; the
 * reply is { ok: { id } }; chunks then arrive on the inbox as { type: "DATA", data: "<text>" }
 * (first what the options select, then each new line), ending with { type: "END" } when the
 * container instance stops, limitBytes is reached, or the caller sends "stop" to
 * `kemu.node.<node>.logsctl.<id>`. Without a "keepalive" there every 30 s the stream ends.
 *
 * Limitations vs Kubernetes: one stream (stdout) per container.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@kemu/common";
import { nodeSubject, type Msg, type NatsConnection, type Subscription } from "@kemu/nats";
import { errors } from "@nats-io/transport-node";
import type { Clock } from "./clock.ts";
import { formatLines, limitBytes, type LogReadOptions } from "./logbuffer.ts";
import type { PodWorker } from "./pod.ts";

/** A logs request. */
export interface LogsRequest {
  namespace: string;
  pod: string;
  container?: string;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339. */
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
  follow?: boolean;
  /** Where a follow stream's chunks go. */
  inbox?: string;
}

/** A chunk of a follow stream. */
export type LogsChunk = { type: "DATA"; data: string } | { type: "END" };

/** A Kubernetes Status, as errors travel. */
export interface NodeStatusError {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  code: number;
}

/** Builds a failure Status. */
export function failure(code: number, reason: string, message: string): NodeStatusError {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

/** An error a node service answered (or the lack of an answer), with its Status. */
export class NodeServiceError extends Error {
  readonly status: NodeStatusError;
  constructor(status: NodeStatusError) {
    super(status.message);
    this.status = status;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const FOLLOW_IDLE_MS = 30_000;

/** Finds a pod this kubelet runs. */
export type PodLookup = (namespace: string, name: string) => PodWorker | undefined;

/** Serves logs requests for one node. */
export class LogsService {
  readonly #nc: NatsConnection;
  readonly #node: string;
  readonly #lookup: PodLookup;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #subs: Subscription[] = [];
  readonly #streams = new Map<string, { stop(): void; touch(): void }>();

  constructor(o: { nc: NatsConnection; node: string; lookup: PodLookup; clock: Clock; log: Logger }) {
    this.#nc = o.nc;
    this.#node = o.node;
    this.#lookup = o.lookup;
    this.#clock = o.clock;
    this.#log = o.log;
  }

  /** Starts answering. */
  start(): void {
    this.#subs.push(
      this.#nc.subscribe(nodeSubject(this.#node, "logs"), {
        callback: (err, msg) => {
          if (!err) this.#onRequest(msg);
        },
      }),
      this.#nc.subscribe(nodeSubject(this.#node, "logsctl.*"), {
        callback: (err, msg) => {
          if (err) return;
          const id = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
          const s = this.#streams.get(id);
          if (!s) return;
          if (dec.decode(msg.data) === "stop") s.stop();
          else s.touch();
        },
      }),
    );
  }

  /** Stops answering and ends open streams. */
  stop(): void {
    for (const s of this.#subs) s.unsubscribe();
    for (const s of [...this.#streams.values()]) s.stop();
  }

  #onRequest(msg: Msg): void {
    let req: LogsRequest;
    try {
      req = JSON.parse(dec.decode(msg.data)) as LogsRequest;
      if (typeof req.namespace !== "string" || typeof req.pod !== "string")
        throw new Error("namespace and pod are required");
    } catch (err) {
      msg.respond(enc.encode(JSON.stringify({ error: failure(400, "BadRequest", String(err)) })));
      return;
    }
    try {
      const r = this.#serve(req);
      msg.respond(enc.encode(JSON.stringify({ ok: r })));
    } catch (err) {
      const status =
        err instanceof NodeServiceError ? err.status : failure(500, "InternalError", String(err));
      msg.respond(enc.encode(JSON.stringify({ error: status })));
    }
  }

  #serve(req: LogsRequest): string | { id: string } {
    const w = this.#lookup(req.namespace, req.pod);
    if (!w) throw new NodeServiceError(failure(404, "NotFound", `pods "${req.pod}" not found`));
    const names = w.containerNames;
    let name = req.container;
    if (!name) {
      if (names.length !== 1)
        throw new NodeServiceError(
          failure(
            400,
            "BadRequest",
            `a container name must be specified for pod ${req.pod}, choose one of: [${names.join(" ")}]`,
          ),
        );
      name = names[0]!;
    }
    const c = w.container(name);
    if (!c)
      throw new NodeServiceError(
        failure(400, "BadRequest", `container ${name} is not valid for pod ${req.pod}`),
      );
    let buf;
    try {
      buf = c.logFor(req.previous === true, req.pod);
    } catch (err) {
      throw new NodeServiceError(
        failure(400, "BadRequest", err instanceof Error ? err.message : String(err)),
      );
    }
    const opts: LogReadOptions = { timestamps: req.timestamps === true };
    if (typeof req.tailLines === "number") opts.tailLines = req.tailLines;
    if (typeof req.limitBytes === "number") opts.limitBytes = req.limitBytes;
    if (typeof req.sinceSeconds === "number") opts.sinceMs = this.#clock.now() - req.sinceSeconds * 1000;
    else if (typeof req.sinceTime === "string" && !Number.isNaN(Date.parse(req.sinceTime)))
      opts.sinceMs = Date.parse(req.sinceTime);
    if (!req.follow) return buf.read(opts);
    if (!req.inbox) throw new NodeServiceError(failure(400, "BadRequest", "follow needs an inbox"));
    const inbox = req.inbox;
    const id = randomUUID().replace(/-/g, "");
    let sent = 0;
    let ended = false;
    const publish = (chunk: LogsChunk) => {
      try {
        this.#nc.publish(inbox, enc.encode(JSON.stringify(chunk)));
      } catch (err) {
        this.#log.debug("log stream publish failed", { err: String(err) });
      }
    };
    const send = (text: string) => {
      if (ended || text === "") return;
      let out = text;
      if (opts.limitBytes !== undefined) out = limitBytes(text, opts.limitBytes - sent);
      sent += Buffer.byteLength(out);
      if (out) publish({ type: "DATA", data: out });
      if (opts.limitBytes !== undefined && sent >= opts.limitBytes) end();
    };
    let idle: NodeJS.Timeout | undefined;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(idle);
      unfollow();
      this.#streams.delete(id);
      publish({ type: "END" });
    };
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(end, FOLLOW_IDLE_MS);
      idle.unref();
    };
    // The backlog is sent after the reply (queued so it follows it on the connection).
    const backlog = formatLines(buf.select(opts), opts.timestamps ?? false);
    const pending: string[] = [];
    let live = false;
    const unfollow = buf.follow(
      (l) => {
        const text = formatLines([l], opts.timestamps ?? false);
        if (live) send(text);
        else pending.push(text);
      },
      () => queueMicrotask(end),
    );
    this.#streams.set(id, { stop: end, touch });
    touch();
    queueMicrotask(() => {
      send(backlog);
      for (const p of pending) send(p);
      live = true;
    });
    return { id };
  }
}

/** One request to a node service (nodeSubject(node, what)); failures throw NodeServiceError. */
export async function callNodeService<T>(
  nc: NatsConnection,
  node: string,
  what: string,
  req: unknown,
  timeoutMs: number,
): Promise<T> {
  let msg: Msg;
  try {
    msg = await nc.request(nodeSubject(node, what), enc.encode(JSON.stringify(req)), { timeout: timeoutMs });
  } catch (err) {
    if (err instanceof errors.RequestError && err.isNoResponders())
      throw new NodeServiceError(failure(503, "ServiceUnavailable", `no kubelet is serving node "${node}"`));
    if (err instanceof errors.TimeoutError)
      throw new NodeServiceError(
        failure(504, "Timeout", `the kubelet of node "${node}" did not answer in time`),
      );
    throw err;
  }
  const reply = JSON.parse(dec.decode(msg.data)) as { ok?: T; error?: NodeStatusError };
  if (reply.error) throw new NodeServiceError(reply.error);
  return reply.ok as T;
}

/** Reads a container's log from the kubelet of node (what the pods/log subresource does). */
export function fetchLogs(
  nc: NatsConnection,
  node: string,
  req: Omit<LogsRequest, "follow" | "inbox">,
  timeoutMs = 10_000,
): Promise<string> {
  return callNodeService<string>(nc, node, "logs", req, timeoutMs);
}

/** Follows a container's log; onData gets each chunk, onEnd is called once when the stream ends. */
export async function followLogs(
  nc: NatsConnection,
  node: string,
  req: Omit<LogsRequest, "follow" | "inbox">,
  onData: (text: string) => void,
  onEnd: () => void,
  timeoutMs = 10_000,
): Promise<{ stop(): void }> {
  const inbox = `_INBOX.kemu.logs.${randomUUID().replace(/-/g, "")}`;
  let ended = false;
  let id = "";
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    sub.unsubscribe();
    onEnd();
  };
  const sub = nc.subscribe(inbox, {
    callback: (err, msg) => {
      if (err) return end();
      const chunk = JSON.parse(dec.decode(msg.data)) as LogsChunk;
      if (chunk.type === "END") end();
      else onData(chunk.data);
    },
  });
  const keepalive = setInterval(() => {
    if (id) nc.publish(nodeSubject(node, `logsctl.${id}`), enc.encode("keepalive"));
  }, 10_000);
  keepalive.unref();
  try {
    ({ id } = await callNodeService<{ id: string }>(
      nc,
      node,
      "logs",
      { ...req, follow: true, inbox },
      timeoutMs,
    ));
  } catch (err) {
    clearInterval(keepalive);
    sub.unsubscribe();
    throw err;
  }
  return {
    stop: () => {
      if (!ended) nc.publish(nodeSubject(node, `logsctl.${id}`), enc.encode("stop"));
      end();
    },
  };
}
