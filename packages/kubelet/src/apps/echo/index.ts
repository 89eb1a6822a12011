/**
 * The default app: an HTTP echo server on every TCP port of the container (its containerPorts
 * and the ports its probes check), answering with where the request landed, so a curl loop
 * shows the load balancing:
 *
 *   pod=web-7d4b9-x2x9k namespace=default node=node-2 podIP=10.244.2.5 client=10.244.1.7:51234
 *   image=kemu/echo:1 container=app method=GET path=/hello
 *
 * (one line), or the same as JSON with `Accept: application/json`. Each request is logged to
 * stdout. UDP containerPorts echo datagrams.
 *
 * Limitations vs a real app: HTTP/1.1 only, no TLS; a container with no TCP port and no probe
 * serves nothing over TCP.
 */
import type { AppContext, EmulatedApp } from "../types.ts";
import { serveHttp, serveUdpEcho, type HttpRequest } from "../serve.ts";

/** What the echo app answers, as JSON. */
export interface EchoReply {
  pod: string;
  namespace: string;
  node: string;
  podIP: string;
  client: string;
  clientIP: string;
  clientPort: number;
  image: string;
  container: string;
  method: string;
  path: string;
  host: string;
  port: number;
}

/** Builds the reply for one request. */
export function echoReply(ctx: AppContext, r: HttpRequest): EchoReply {
  return {
    pod: ctx.pod.name,
    namespace: ctx.pod.namespace,
    node: ctx.pod.nodeName,
    podIP: ctx.pod.ip,
    client: `${r.client.ip}:${r.client.port}`,
    clientIP: r.client.ip,
    clientPort: r.client.port,
    image: ctx.container.image,
    container: ctx.container.name,
    method: r.req.method ?? "GET",
    path: r.req.url ?? "/",
    host: r.req.headers.host ?? "",
    port: r.port,
  };
}

/** The one-line text form. */
export function echoText(e: EchoReply): string {
  return (
    `pod=${e.pod} namespace=${e.namespace} node=${e.node} podIP=${e.podIP} client=${e.client} ` +
    `image=${e.image} container=${e.container} method=${e.method} path=${e.path}\n`
  );
}

function wantsJson(r: HttpRequest): boolean {
  return (r.req.headers.accept ?? "").includes("application/json");
}

/** The echo app. */
export const echoApp = {
  name: "echo",
  async start(ctx: AppContext) {
    const handle = (r: HttpRequest) => {
      const e = echoReply(ctx, r);
      const json = wantsJson(r);
      const body = json ? JSON.stringify(e) + "\n" : echoText(e);
      r.res.writeHead(200, {
        "Content-Type": json ? "application/json" : "text/plain; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
      });
      r.res.end(r.req.method === "HEAD" ? undefined : body);
      ctx.stdout(
        `${e.client} "${e.method} ${e.path} HTTP/${r.req.httpVersion}" 200 ${r.req.headers["user-agent"] ?? "-"}`,
      );
    };
    const onError = (r: HttpRequest, status: number, message: string) => {
      const body = message + "\n";
      r.res.writeHead(status, {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
      });
      r.res.end(body);
      ctx.stdout(
        `${r.client.ip}:${r.client.port} "${r.req.method} ${r.req.url} HTTP/${r.req.httpVersion}" ${status} ${r.req.headers["user-agent"] ?? "-"}`,
      );
    };
    for (const port of ctx.container.tcpPorts) await serveHttp(ctx, port, handle, onError);
    await serveUdpEcho(ctx);
    const ports = [
      ...ctx.container.tcpPorts.map((p) => `${p}/tcp`),
      ...ctx.container.udpPorts.map((p) => `${p}/udp`),
    ];
    ctx.stdout(`kemu echo server listening on ${ports.join(", ") || "no ports"}`);
    return {
      terminating(mode: "immediate" | "drain", graceMs: number) {
        ctx.stdout(
          mode === "drain"
            ? `received SIGTERM, still serving for up to ${Math.round(graceMs / 1000)}s`
            : "received SIGTERM, exiting",
        );
      },
    };
  },
} satisfies EmulatedApp;
