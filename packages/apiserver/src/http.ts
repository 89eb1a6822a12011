/**
 * The HTTP transport: Kubernetes REST paths, content negotiation (JSON, YAML bodies, Table and
 * PartialObjectMetadata responses), chunked watches, and Status errors. It parses requests and
 * calls Api; it holds no API semantics of its own.
 *
 * Connections may start with a PROXY v1 line (kube-proxy's emulated data plane sends one to every
 * Service backend, the API server behind the `kubernetes` Service included); it is read and
 * dropped before TLS or HTTP begins.
 *
 * Limitations vs Kubernetes: no authentication (every request is anonymous and allowed);
 * API responses are JSON (protobuf-only clients get 406; /openapi/v2 also speaks protobuf);
 * no legacy /api/v1/watch/ paths.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createTlsServer } from "node:https";
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from "node:net";
import { readProxyHeader, type Logger } from "@kemu/common";
import type { KObject } from "@kemu/store";
import { buildTable, TableOptionsError } from "@kemu/tables";
import { openapiV2Response, openapiV3DocumentJSON, openapiV3Index } from "@kemu/openapi";
import {
  Api,
  type DeleteOptions,
  type FieldValidation,
  type ListOptions,
  type PatchType,
  type WatchEvent,
  type WriteOptions,
} from "./api.ts";
import { ApiError, toApiError } from "./errors.ts";
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
} from "./discovery.ts";
import { servedResources } from "./openapi.ts";
import { decodeObject, decodePatch } from "./decode.ts";
import { customTable } from "./crds.ts";
import { serveSubresource } from "./subresources.ts";
import { servePodLog } from "./podlogs.ts";
import type { ResourceDef } from "./resources.ts";

/** Request bodies above this size get 413, as kube-apiserver's 3 MiB limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** A parsed resource request. */
export interface ResourceRequest {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** What the client asked the response to be. */
interface Negotiated {
  as: "object" | "Table" | "PartialObjectMetadata";
  tableVersion: string;
}

/** Options for HttpServer. */
export interface HttpServerOptions {
  api: Api;
  log: Logger;
  /** Reports readiness for /readyz. */
  ready: () => boolean;
  /** Serve HTTPS with this certificate and key; plain HTTP when absent. */
  tls?: { certPem: string; keyPem: string };
}

/** Serves the Kubernetes REST API over HTTP. */
export class HttpServer {
  readonly #api: Api;
  readonly #log: Logger;
  readonly #ready: () => boolean;
  readonly #server: Server;
  /** Accepts connections, drops a leading PROXY line, and hands them to #server. */
  readonly #front: NetServer;
  readonly #sockets = new Set<Socket>();
  readonly #watches = new Set<() => void>();

  constructor(opts: HttpServerOptions) {
    this.#api = opts.api;
    this.#log = opts.log;
    this.#ready = opts.ready;
    const listener: RequestListener = (req, res) => {
      this.#handle(req, res).catch((err) => {
        this.#log.error("request failed", { method: req.method, url: req.url, err: String(err) });
        if (!res.headersSent) sendStatus(res, toApiError(err));
        else res.destroy();
      });
    };
    this.#server = opts.tls
      ? createTlsServer(
          // Ask for client certificates (kubeconfigs carry one) without requiring them.
          { cert: opts.tls.certPem, key: opts.tls.keyPem, requestCert: true, rejectUnauthorized: false },
          listener,
        )
      : createServer(listener);
    this.#server.keepAliveTimeout = 65_000;
    this.#server.on("clientError", (_err, socket) => {
      // Garbage on the socket: answer 400 and close, never crash.
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      else socket.destroy();
    });
    this.#front = createNetServer({ pauseOnConnect: true }, (socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      // HTTP and TLS clients speak first, so no wait is needed to tell a PROXY line from a request.
      readProxyHeader(socket)
        .catch(() => undefined)
        .then(() => {
          if (socket.destroyed) return;
          this.#server.emit("connection", socket);
          socket.resume();
        });
    });
  }

  /** Starts listening; resolves with the bound address. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#front.once("error", reject);
      this.#front.listen(port, host, () => {
        this.#front.off("error", reject);
        resolve();
      });
    });
    return this.#front.address() as AddressInfo;
  }

  /** Stops accepting connections and ends open watches. */
  async close(): Promise<void> {
    for (const stop of this.#watches) stop();
    await new Promise<void>((resolve) => {
      this.#front.close(() => resolve());
      this.#server.closeAllConnections();
      // The raw sockets under TLS (and any still reading a PROXY line) go too.
      for (const s of this.#sockets) s.destroy();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const accept = String(req.headers.accept ?? "");
    const reg = this.#api.registry;
    this.#log.debug("request", { method, url: req.url });

    // Non-resource paths.
    switch (path) {
      case "/healthz":
      case "/livez":
        return sendText(res, 200, "ok");
      case "/readyz":
        return this.#ready()
          ? sendText(res, 200, "ok")
          : sendText(res, 500, "[-]store failed: not ready\nreadyz check failed");
      case "/version":
        return sendJSON(res, 200, versionInfo());
      case "/api":
        if (wantsAggregated(accept))
          return sendJSON(res, 200, aggregatedDiscovery(reg, true), [], AGGREGATED_CONTENT_TYPE);
        return sendJSON(res, 200, apiVersions(`${req.socket.localAddress}:${req.socket.localPort}`));
      case "/apis":
        if (wantsAggregated(accept))
          return sendJSON(res, 200, aggregatedDiscovery(reg, false), [], AGGREGATED_CONTENT_TYPE);
        return sendJSON(res, 200, apiGroupList(reg));
      case "/openapi/v2": {
        // kubectl's client-side validation (e.g. of `kind: List` files) reads this, as protobuf.
        const answer = openapiV2Response(servedResources(reg), req.headers.accept);
        if (!answer) {
          res.writeHead(406, { Vary: "Accept" });
          res.end();
          return;
        }
        const headers = { "Content-Type": answer.contentType, ETag: answer.etag, Vary: "Accept" };
        if (req.headers["if-none-match"]?.includes(answer.etag)) {
          res.writeHead(304, headers);
          res.end();
          return;
        }
        res.writeHead(200, headers);
        res.end(answer.body);
        return;
      }
      case "/openapi/v3":
        return sendJSON(res, 200, openapiV3Index(servedResources(reg)));
      case "/":
        return sendJSON(res, 200, {
          paths: [
            "/api",
            "/api/v1",
            "/apis",
            ...reg
              .groupVersions()
              .filter((g) => g.group)
              .map((g) => `/apis/${g.group}/${g.version}`),
            "/healthz",
            "/livez",
            "/openapi/v2",
            "/openapi/v3",
            "/readyz",
            "/version",
          ],
        });
    }
    if (path.startsWith("/openapi/v3/")) {
      const doc = openapiV3DocumentJSON(path.slice("/openapi/v3/".length), servedResources(reg));
      if (!doc) return sendStatus(res, ApiError.noResource());
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Cache-Control": "public, immutable",
        ETag: `"${doc.hash}"`,
      });
      res.end(doc.json);
      return;
    }

    const segs = path.split("/").filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === "api") {
      if (segs.length < 2) return sendStatus(res, ApiError.noResource());
      group = "";
      version = segs[1]!;
      rest = segs.slice(2);
    } else if (segs[0] === "apis" && segs.length >= 2) {
      group = segs[1]!;
      if (segs.length === 2) {
        const doc = apiGroupDoc(reg, group);
        return doc ? sendJSON(res, 200, doc) : sendStatus(res, ApiError.noResource());
      }
      version = segs[2]!;
      rest = segs.slice(3);
    } else {
      return sendText(res, 404, "404 page not found");
    }
    if (rest.length === 0) {
      const doc = apiResourceList(reg, group, version);
      return doc ? sendJSON(res, 200, doc) : sendStatus(res, ApiError.noResource());
    }
    const rr = parseResourcePath(this.#api, group, version, rest);
    if (!rr) return sendStatus(res, ApiError.noResource());
    await this.#serveResource(req, res, url, method, accept, rr);
  }

  async #serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    accept: string,
    rr: ResourceRequest,
  ): Promise<void> {
    const { def, namespace, name, subresource } = rr;
    const q = url.searchParams;
    const api = this.#api;
    try {
      const neg = negotiate(accept);
      if (subresource && subresource !== "status") {
        if (!name || !def.subresources.includes(subresource as never)) throw ApiError.noResource();
        if (subresource === "log") {
          if (method !== "GET") throw ApiError.methodNotAllowed();
          return await servePodLog(api, api.store.connection, def, namespace!, name, q, res, (stop) =>
            res.on("close", stop),
          );
        }
        const ct = String(req.headers["content-type"] ?? "");
        const raw = method === "GET" ? undefined : await readBody(req, method);
        const out = await serveSubresource({
          api,
          def,
          namespace,
          name,
          method,
          subresource,
          body:
            raw === undefined
              ? undefined
              : method === "PATCH"
                ? decodePatch(raw)
                : decodeObject(raw, ct || "application/json", def.kind),
          ...(method === "PATCH" ? { patchType: patchType(ct) } : {}),
        });
        return sendJSON(res, out.code, out.obj);
      }
      switch (method) {
        case "GET": {
          if (!name) {
            const opts = listOptions(q);
            if (isTrue(q.get("watch"))) return await this.#serveWatch(req, res, rr, opts, neg);
            const list = await api.list(def, namespace, opts);
            return sendJSON(res, 200, this.#render(def, neg, list["items"], list["metadata"], q, true, list));
          }
          const obj = await api.get(def, namespace, name);
          return sendJSON(res, 200, this.#render(def, neg, [obj], undefined, q, false, obj));
        }
        case "POST": {
          if (name) throw ApiError.methodNotAllowed();
          const body = await readObjectBody(req, def.kind);
          const r = await api.create(def, namespace, body, writeOptions(q));
          return sendJSON(res, r.code, r.obj, r.warnings);
        }
        case "PUT": {
          if (!name) throw ApiError.methodNotAllowed();
          const body = await readObjectBody(req, def.kind);
          const r = await api.update(def, namespace, name, body, writeOptions(q), subresource);
          return sendJSON(res, r.code, r.obj, r.warnings);
        }
        case "PATCH": {
          if (!name) throw ApiError.methodNotAllowed();
          const type = patchType(String(req.headers["content-type"] ?? ""));
          const patch = decodePatch(await readBody(req, method));
          const r = await api.patch(def, namespace, name, type, patch, writeOptions(q), subresource);
          return sendJSON(res, r.code, r.obj, r.warnings);
        }
        case "DELETE": {
          const raw = await readBody(req, method);
          const body =
            raw.length > 0
              ? (decodeObject(
                  raw,
                  String(req.headers["content-type"] ?? "application/json"),
                  "DeleteOptions",
                ) as KObject)
              : {};
          const opts = deleteOptions(q, body);
          if (!name) {
            const out = await api.deleteCollection(def, namespace, listOptions(q), opts);
            return sendJSON(res, 200, out);
          }
          const r = await api.delete(def, namespace, name, opts);
          return sendJSON(res, r.code, r.code === 202 ? r.obj : Api.deletedStatus(def, r.obj));
        }
        default:
          throw ApiError.methodNotAllowed();
      }
    } catch (err) {
      if (err instanceof TableOptionsError) return sendStatus(res, ApiError.badRequest(err.message));
      return sendStatus(res, toApiError(err, def, name));
    }
  }

  /** Renders objects as the client negotiated: the object itself, a Table, or metadata only. */
  #render(
    def: ResourceDef,
    neg: Negotiated,
    items: KObject[],
    listMeta: KObject | undefined,
    q: URLSearchParams,
    isList: boolean,
    whole: KObject,
  ): KObject {
    if (neg.as === "Table" && def.custom) {
      return customTable(def, items, `meta.k8s.io/${neg.tableVersion}`, listMeta);
    }
    if (neg.as === "Table") {
      const opts: Parameters<typeof buildTable>[3] = { apiVersion: `meta.k8s.io/${neg.tableVersion}` };
      const inc = q.get("includeObject");
      if (inc) opts.includeObject = inc;
      if (listMeta) opts.listMeta = listMeta;
      const withType = isList
        ? items.map((o) => ({ apiVersion: whole["apiVersion"], kind: def.kind, ...o }))
        : items;
      return buildTable(def.resource, def.group, withType, opts) as unknown as KObject;
    }
    if (neg.as === "PartialObjectMetadata") {
      const pom = (o: KObject) => ({
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: o["metadata"],
      });
      if (isList)
        return {
          kind: "PartialObjectMetadataList",
          apiVersion: "meta.k8s.io/v1",
          metadata: listMeta ?? {},
          items: items.map(pom),
        };
      return pom(items[0]!);
    }
    return whole;
  }

  async #serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    rr: ResourceRequest,
    opts: ListOptions,
    neg: Negotiated,
  ): Promise<void> {
    const { def, namespace } = rr;
    let first = true;
    const write = (ev: WatchEvent) => {
      let object = ev.object;
      if (neg.as === "Table" && (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED")) {
        const o: Parameters<typeof buildTable>[3] = {
          apiVersion: `meta.k8s.io/${neg.tableVersion}`,
          noHeaders: !first,
        };
        object = def.custom
          ? customTable(def, [object], o.apiVersion!)
          : (buildTable(def.resource, def.group, [object], o) as unknown as KObject);
        first = false;
      } else if (neg.as === "PartialObjectMetadata" && ev.type !== "ERROR") {
        object = {
          kind: "PartialObjectMetadata",
          apiVersion: "meta.k8s.io/v1",
          metadata: object["metadata"],
        };
      }
      const line =
        object === ev.object
          ? `{"type":"${ev.type}","object":${encodeShared(object)}}\n`
          : JSON.stringify({ type: ev.type, object }) + "\n";
      if (pending) pending.push(line);
      else res.write(line);
    };
    // Events are held until the watch is set up, so that a bad request still gets a Status.
    let pending: string[] | undefined = [];
    let ended = false;
    const handle: { stop?: () => void } = {};
    const end = () => {
      ended = true;
      if (handle.stop) this.#watches.delete(handle.stop);
      if (!pending && !res.writableEnded) res.end();
    };
    const w = await this.#api.watch(def, namespace, opts, write, end);
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Transfer-Encoding": "chunked",
      "Cache-Control": "no-cache, private",
    });
    for (const line of pending) res.write(line);
    pending = undefined;
    if (ended) {
      res.end();
      return;
    }
    res.flushHeaders();
    handle.stop = w.stop;
    this.#watches.add(w.stop);
    // The response closes when the client goes away (req "close" fires once the request is read).
    res.on("close", () => w.stop());
  }
}

/** JSON of watch event objects, encoded once however many watchers send it. */
const encoded = new WeakMap<object, string>();

function encodeShared(obj: object): string {
  let s = encoded.get(obj);
  if (s === undefined) encoded.set(obj, (s = JSON.stringify(obj)));
  return s;
}

function isTrue(v: string | null): boolean {
  return v === "true" || v === "1";
}

/** Splits a resource path (after /api/v1 or /apis/g/v) into its parts. */
export function parseResourcePath(
  api: Api,
  group: string,
  version: string,
  rest: string[],
): ResourceRequest | undefined {
  let namespace: string | undefined;
  let parts = rest;
  if (
    rest[0] === "namespaces" &&
    rest.length >= 3 &&
    !(group === "" && ["status", "finalize"].includes(rest[2]!) && rest.length === 3)
  ) {
    namespace = rest[1];
    parts = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = parts;
  if (!resource || extra.length > 0) return undefined;
  const def = api.registry.lookup(group, version, resource);
  if (!def) return undefined;
  if (namespace !== undefined && !def.namespaced) return undefined;
  return { def, namespace, name, subresource };
}

function wantsAggregated(accept: string): boolean {
  return accept.includes("as=APIGroupDiscoveryList") && accept.includes("v=v2");
}

function negotiate(accept: string): Negotiated {
  const types = accept
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of types) {
    const [mime, ...params] = t.split(";").map((s) => s.trim());
    const p = Object.fromEntries(params.map((x) => x.split("=") as [string, string]));
    if (mime !== "application/json" && mime !== "*/*" && mime !== "application/*") continue;
    if (p["as"] === "Table" && p["g"] === "meta.k8s.io") return { as: "Table", tableVersion: p["v"] ?? "v1" };
    if (
      (p["as"] === "PartialObjectMetadata" || p["as"] === "PartialObjectMetadataList") &&
      p["g"] === "meta.k8s.io"
    ) {
      return { as: "PartialObjectMetadata", tableVersion: "v1" };
    }
    if (!p["as"]) return { as: "object", tableVersion: "v1" };
  }
  if (types.length === 0 || types.some((t) => t.startsWith("application/yaml") || t.startsWith("text/"))) {
    return { as: "object", tableVersion: "v1" };
  }
  if (types.every((t) => t.startsWith("application/vnd.kubernetes.protobuf"))) {
    throw ApiError.notAcceptable(["application/json", "application/yaml"]);
  }
  return { as: "object", tableVersion: "v1" };
}

function listOptions(q: URLSearchParams): ListOptions {
  const o: ListOptions = {};
  const s = (k: string) => q.get(k) ?? undefined;
  if (s("labelSelector")) o.labelSelector = s("labelSelector")!;
  if (s("fieldSelector")) o.fieldSelector = s("fieldSelector")!;
  if (s("continue")) o.continue = s("continue")!;
  if (q.has("resourceVersion")) o.resourceVersion = s("resourceVersion") ?? "";
  if (s("resourceVersionMatch")) o.resourceVersionMatch = s("resourceVersionMatch")!;
  const int = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === "") return undefined;
    if (!/^-?\d+$/.test(v)) throw ApiError.badRequest(`invalid value for ${k}: ${v}`);
    return Number(v);
  };
  const limit = int("limit");
  if (limit !== undefined) o.limit = limit;
  const timeout = int("timeoutSeconds");
  if (timeout !== undefined) o.timeoutSeconds = timeout;
  if (isTrue(q.get("allowWatchBookmarks"))) o.allowWatchBookmarks = true;
  if (q.has("sendInitialEvents")) o.sendInitialEvents = isTrue(q.get("sendInitialEvents"));
  return o;
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const o: WriteOptions = {};
  const dry = q.getAll("dryRun");
  if (dry.length > 0) {
    if (dry.some((d) => d !== "All"))
      throw ApiError.badRequest(`Invalid dry run value: ${dry.find((d) => d !== "All")}`);
    o.dryRun = true;
  }
  const fv = q.get("fieldValidation");
  if (fv) {
    if (!["Strict", "Warn", "Ignore"].includes(fv)) {
      throw ApiError.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${fv}"`);
    }
    o.fieldValidation = fv as FieldValidation;
  }
  const fm = q.get("fieldManager");
  if (fm) o.fieldManager = fm;
  return o;
}

function deleteOptions(q: URLSearchParams, body: KObject): DeleteOptions {
  const o: DeleteOptions = {};
  const grace = q.get("gracePeriodSeconds") ?? body["gracePeriodSeconds"];
  if (grace !== undefined && grace !== null && grace !== "") o.gracePeriodSeconds = Number(grace);
  const pp = q.get("propagationPolicy") ?? body["propagationPolicy"];
  if (pp) {
    if (!["Orphan", "Background", "Foreground"].includes(pp)) {
      throw ApiError.invalid("", "DeleteOptions", "", [
        {
          type: "FieldValueNotSupported",
          field: "propagationPolicy",
          badValue: pp,
          detail: 'supported values: "Foreground", "Background", "Orphan", "nil"',
        },
      ]);
    }
    o.propagationPolicy = pp;
  }
  const orphan = q.get("orphanDependents") ?? body["orphanDependents"];
  if (orphan !== undefined && orphan !== null && !o.propagationPolicy) {
    o.propagationPolicy = String(orphan) === "true" ? "Orphan" : "Background";
  }
  if (body["preconditions"]) o.preconditions = body["preconditions"];
  if (q.getAll("dryRun").includes("All") || (Array.isArray(body["dryRun"]) && body["dryRun"].includes("All")))
    o.dryRun = true;
  return o;
}

function patchType(contentType: string): PatchType {
  const ct = contentType.split(";")[0]!.trim();
  switch (ct) {
    case "application/json-patch+json":
      return "json";
    case "application/merge-patch+json":
      return "merge";
    case "application/strategic-merge-patch+json":
      return "strategic";
    default:
      throw new ApiError(
        "UnsupportedMediaType",
        415,
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
  }
}

/** Reads a request body, enforcing the size limit. */
export async function readBody(req: IncomingMessage, _method: string): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw ApiError.tooLarge(MAX_BODY_BYTES);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw ApiError.tooLarge(MAX_BODY_BYTES);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readObjectBody(req: IncomingMessage, kind: string): Promise<KObject> {
  const raw = await readBody(req, req.method ?? "");
  return decodeObject(raw, String(req.headers["content-type"] ?? "application/json"), kind) as KObject;
}

function sendJSON(
  res: ServerResponse,
  code: number,
  body: unknown,
  warnings: string[] = [],
  contentType = "application/json",
): void {
  const data = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    "Content-Type": contentType,
    "Content-Length": String(Buffer.byteLength(data)),
  };
  if (warnings.length > 0) headers["Warning"] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(data);
}

function sendStatus(res: ServerResponse, err: ApiError): void {
  sendJSON(res, err.code, err.toStatus());
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}
