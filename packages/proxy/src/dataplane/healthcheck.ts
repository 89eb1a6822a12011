/**
 * healthCheckNodePort: the per-service HTTP server kube-proxy runs for LoadBalancer Services with
 * externalTrafficPolicy Local, so that the cloud load balancer sends traffic only to nodes with a
 * ready local endpoint (kubernetes pkg/proxy/healthcheck/service_health.go). Any method and path
 * gets 200 when the node has a local ready endpoint and the proxy is healthy, 503 otherwise, with
 * the same JSON body in both cases.
 *
 * Limitations vs Kubernetes: it listens on the node IP only (kube-proxy listens on every address
 * matching nodePortAddresses, all of them by default).
 */
import * as http from "node:http";
import type { Socket } from "node:net";

/** What one health check port reports, looked up on every request. */
export interface HealthCheckTarget {
  namespace: string;
  name: string;
  /** Ready endpoints of the service on this node, counted by distinct IP over its ports. */
  localEndpoints: number;
}

/**
 * kube-proxy's body, byte for byte: Go's dedented template, so tab-indented and with no final
 * newline (`%q` strings; Kubernetes names never need escaping beyond what JSON.stringify does).
 */
export function healthCheckBody(t: HealthCheckTarget, proxyHealthy: boolean): string {
  return [
    "{",
    '\t"service": {',
    `\t\t"namespace": ${JSON.stringify(t.namespace)},`,
    `\t\t"name": ${JSON.stringify(t.name)}`,
    "\t},",
    `\t"localEndpoints": ${t.localEndpoints},`,
    `\t"serviceProxyHealthy": ${proxyHealthy}`,
    "}",
  ].join("\n");
}

/** One healthCheckNodePort server on one address. */
export class HealthCheckServer {
  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();

  /** lookup returns the port's current target (undefined once the service is gone). */
  constructor(lookup: () => HealthCheckTarget | undefined, proxyHealthy: () => boolean) {
    this.#server = http.createServer((req, res) => {
      req.resume();
      const t = lookup();
      if (!t) {
        // kube-proxy logs "Received request for closed healthcheck" and writes nothing: Go sends 200.
        res.end();
        return;
      }
      const healthy = proxyHealthy();
      const body = healthCheckBody(t, healthy);
      res.writeHead(t.localEndpoints !== 0 && healthy ? 200 : 503, {
        "Content-Type": "application/json",
        "X-Content-Type-Options": "nosniff",
        "Content-Length": Buffer.byteLength(body),
      });
      res.end(body);
    });
    this.#server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
  }

  /** Starts listening on host:port. */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once("error", onError);
      this.#server.listen({ host, port, exclusive: true }, () => {
        this.#server.off("error", onError);
        resolve();
      });
    });
  }

  /** Stops listening and closes every connection, idle or not. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }
}
