/**
 * kube-proxy's two HTTP servers, bound on the node's IP:
 * - healthz (--healthz-bind-address, port 10256): /healthz and /livez, JSON as upstream.
 * - metrics (--metrics-bind-address, port 10249): /metrics (Prometheus text), /healthz ("ok"),
 *   /proxyMode (the mode's name).
 *
 * Limitations vs Kubernetes: no /configz, /flagz or /debug/pprof.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SocketAddress } from "@kemu/fabric";
import type { Logger } from "@kemu/common";
import { healthzBody, livezBody, type ProxyHealth } from "./healthz.ts";
import type { ProxyMetrics } from "./metrics.ts";
import type { ProxyMode } from "./types.ts";

/** kube-proxy's default healthz port. */
export const HEALTHZ_PORT = 10_256;

/** kube-proxy's default metrics port. */
export const METRICS_PORT = 10_249;

function json(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

function text(res: ServerResponse, code: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(code, { "Content-Type": type, "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

function path(req: IncomingMessage): string {
  return new URL(req.url ?? "/", "http://x").pathname;
}

/** The healthz server's handler. */
export function healthzHandler(health: ProxyHealth, metrics: ProxyMetrics) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    switch (path(req)) {
      case "/healthz": {
        const c = health.healthz();
        const code = c.healthy ? 200 : 503;
        metrics.proxyHealthzTotal.inc({ code: String(code) });
        return json(res, code, healthzBody(health, c));
      }
      case "/livez": {
        const c = health.livez();
        const code = c.healthy ? 200 : 503;
        metrics.proxyLivezTotal.inc({ code: String(code) });
        return json(res, code, livezBody(health, c));
      }
      default:
        return text(res, 404, "404 page not found\n");
    }
  };
}

/** The metrics server's handler. */
export function metricsHandler(metrics: ProxyMetrics, mode: ProxyMode, log: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    switch (path(req)) {
      case "/metrics":
        metrics.registry.metrics().then(
          (body) => text(res, 200, body, metrics.registry.contentType),
          (err: unknown) => {
            log.error("metrics collection failed", { err: String(err) });
            text(res, 500, "metrics collection failed\n");
          },
        );
        return;
      case "/healthz":
        return text(res, 200, "ok");
      case "/proxyMode":
        return text(res, 200, mode);
      default:
        return text(res, 404, "404 page not found\n");
    }
  };
}

/** A listening HTTP server and where it listens. */
export interface Listening {
  server: Server;
  address: SocketAddress;
}

/** Starts a server on host:port (0: the kernel picks) and resolves once it listens. */
export function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<Listening> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const a = server.address() as AddressInfo;
      resolve({ server, address: { host: a.address, port: a.port } });
    });
  });
}

/** Closes a server, cutting idle keep-alive connections. */
export function close(l: Listening | undefined): Promise<void> {
  if (!l) return Promise.resolve();
  return new Promise((resolve) => {
    l.server.close(() => resolve());
    l.server.closeAllConnections();
  });
}
