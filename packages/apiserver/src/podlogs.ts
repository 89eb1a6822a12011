/**
 * The pods/log subresource: the API server asks the pod's node for the container's log over
 * NATS (`kemu.node.<node>.logs`, served by the kubelet emulator), as kube-apiserver proxies
 * to the kubelet's containerLogs endpoint. With follow=true it streams until the container
 * stops or the client goes away.
 */
import type { ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { nodeSubject, type NatsConnection } from "@kemu/nats";
import type { KObject } from "@kemu/store";
import type { Api } from "./api.ts";
import { ApiError, type Status } from "./errors.ts";
import type { ResourceDef } from "./resources.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Picks the container a log request means, with kube-apiserver's errors. */
export function logContainer(pod: KObject, requested: string | undefined): string {
  const name: string = pod["metadata"]["name"];
  const names = (k: string) => ((pod["spec"]?.[k] ?? []) as KObject[]).map((c) => c["name"] as string);
  const containers = names("containers");
  const init = names("initContainers");
  const ephemeral = names("ephemeralContainers");
  if (requested) {
    if (![...containers, ...init, ...ephemeral].includes(requested)) {
      throw ApiError.badRequest(`container ${requested} is not valid for pod ${name}`);
    }
    return requested;
  }
  if (containers.length === 1) return containers[0]!;
  let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`;
  if (init.length > 0) msg += ` or one of the init containers: [${init.join(" ")}]`;
  if (ephemeral.length > 0) msg += ` or one of the ephemeral containers: [${ephemeral.join(" ")}]`;
  throw ApiError.badRequest(msg);
}

function statusError(s: Status): ApiError {
  return new ApiError(s.reason ?? "InternalError", s.code, s.message ?? "", s.details);
}

/** Serves GET .../pods/<name>/log. */
export async function servePodLog(
  api: Api,
  nc: NatsConnection,
  def: ResourceDef,
  namespace: string,
  name: string,
  q: URLSearchParams,
  res: ServerResponse,
  onClientGone: (stop: () => void) => void,
): Promise<void> {
  const pod = await api.get(def, namespace, name);
  const container = logContainer(pod, q.get("container") ?? undefined);
  const node: string | undefined = pod["spec"]?.["nodeName"];
  if (!node) throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
  const int = (k: string) => {
    const v = q.get(k);
    if (v === null || v === "") return undefined;
    if (!/^-?\d+$/.test(v)) throw ApiError.badRequest(`invalid value for ${k}: ${v}`);
    return Number(v);
  };
  const request: Record<string, unknown> = { namespace, pod: name, container };
  for (const k of ["tailLines", "sinceSeconds", "limitBytes"]) {
    const v = int(k);
    if (v !== undefined) request[k] = v;
  }
  for (const k of ["previous", "timestamps", "follow"])
    if (q.get(k) === "true" || q.get(k) === "1") request[k] = true;
  if (q.get("sinceTime")) request["sinceTime"] = q.get("sinceTime");
  const nodeIP =
    (
      ((await api.get(api.registry.lookup("", "v1", "nodes")!, undefined, node).catch(() => undefined))?.[
        "status"
      ]?.["addresses"] ?? []) as KObject[]
    ).find((a) => a["type"] === "InternalIP")?.["address"] ?? node;
  const unreachable = () =>
    ApiError.internal(
      `Get "https://${nodeIP}:10250/containerLogs/${namespace}/${name}/${container}": dial tcp ${nodeIP}:10250: connect: connection refused`,
    );
  const ask = async (body: Record<string, unknown>) => {
    try {
      const msg = await nc.request(nodeSubject(node, "logs"), enc.encode(JSON.stringify(body)), {
        timeout: 5_000,
      });
      const reply = JSON.parse(dec.decode(msg.data)) as { ok?: unknown; error?: Status };
      if (reply.error) throw statusError(reply.error);
      return reply.ok;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw unreachable();
    }
  };
  if (!request["follow"]) {
    const text = String((await ask(request)) ?? "");
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": String(Buffer.byteLength(text)) });
    res.end(text);
    return;
  }
  const inbox = `_INBOX.kemu.logs.${randomUUID().replace(/-/g, "")}`;
  let id = "";
  let ended = false;
  const sub = nc.subscribe(inbox, {
    callback: (_err, msg) => {
      const chunk = JSON.parse(dec.decode(msg.data)) as { type: string; data?: string };
      if (chunk.type === "DATA" && chunk.data !== undefined) {
        if (!res.headersSent)
          res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
        res.write(chunk.data);
      } else if (chunk.type === "END") finish();
    },
  });
  const keepalive = setInterval(() => {
    if (id) nc.publish(nodeSubject(node, `logsctl.${id}`), enc.encode("keepalive"));
  }, 10_000);
  keepalive.unref();
  function finish() {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    sub.unsubscribe();
    if (!res.headersSent)
      res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
    if (!res.writableEnded) res.end();
  }
  onClientGone(() => {
    if (!ended && id) nc.publish(nodeSubject(node, `logsctl.${id}`), enc.encode("stop"));
    finish();
  });
  try {
    const ok = (await ask({ ...request, inbox })) as { id?: string } | undefined;
    id = ok?.id ?? "";
    if (!res.headersSent) {
      res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
      res.flushHeaders();
    }
  } catch (err) {
    ended = true;
    clearInterval(keepalive);
    sub.unsubscribe();
    throw err;
  }
}
