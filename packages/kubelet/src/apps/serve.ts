/**
 * Helpers shared by the emulated apps: an HTTP server on a runtime-owned port with the knobs
 * applied (latency, error rate, probe verdicts), and the UDP echo every app runs on its UDP
 * containerPorts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { sleep } from "../clock.ts";
import type { ProbeKind } from "../prober.ts";
import type { ClientAddress } from "../proxyproto.ts";
import type { AppContext } from "./types.ts";

/** The header the kubelet's HTTP probes carry, naming the probe type (besides `User-Agent: kube-probe/1.32`). */
export const PROBE_HEADER = "x-kemu-probe";

/** One HTTP request as an app handler sees it. */
export interface HttpRequest {
  req: IncomingMessage;
  res: ServerResponse;
  client: ClientAddress;
  /** The container port it arrived on. */
  port: number;
}

/** The probe type of a kubelet probe request, if it is one. */
export function probeKind(req: IncomingMessage): ProbeKind | undefined {
  const v = req.headers[PROBE_HEADER];
  return v === "readiness" || v === "liveness" || v === "startup" ? v : undefined;
}

/**
 * Serves HTTP on port. Every request waits the latency knob; probe requests whose verdict is
 * "unhealthy" get 503 (readiness, startup) or 500 (liveness) from the knobs; other requests
 * fail with 500 at the error-rate knob; the rest go to handle.
 */
export async function serveHttp(
  ctx: AppContext,
  port: number,
  handle: (r: HttpRequest) => void | Promise<void>,
  onError: (r: HttpRequest, status: number, message: string) => void,
): Promise<void> {
  const clients = new WeakMap<Socket, ClientAddress>();
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const client = clients.get(req.socket) ?? { ip: req.socket.remoteAddress ?? "", port: 0 };
    const r: HttpRequest = { req, res, client, port };
    void (async () => {
      const knobs = ctx.knobs();
      if (knobs.latencyMs > 0) await sleep(ctx.clock, knobs.latencyMs);
      const kind = probeKind(req);
      if (kind) {
        const v = ctx.health(kind);
        if (!v.ok) return onError(r, kind === "liveness" ? 500 : 503, v.message);
      } else if (knobs.errorRate > 0 && Math.random() < knobs.errorRate) {
        return onError(r, 500, "kemu: injected error (error-rate knob)");
      }
      await handle(r);
    })().catch((err) => {
      ctx.log.warn("request failed", { err: String(err) });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await ctx.listenTcp(port, (socket, client) => {
    clients.set(socket, client);
    server.emit("connection", socket);
    // The runtime paused the socket while reading the PROXY header.
    socket.resume();
  });
}

/** Echoes every datagram on each UDP containerPort back to its sender. */
export async function serveUdpEcho(ctx: AppContext): Promise<void> {
  for (const port of ctx.container.udpPorts) {
    await ctx.listenUdp(port, (d) => {
      const knobs = ctx.knobs();
      if (knobs.latencyMs > 0) void sleep(ctx.clock, knobs.latencyMs).then(() => d.reply(d.data));
      else d.reply(d.data);
    });
  }
}

/** The tag of an image reference ("nginx:1.27" → "1.27"); "latest" when it has none. */
export function imageTag(image: string): string {
  const noDigest = image.split("@")[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf("/") + 1);
  const i = last.indexOf(":");
  return i < 0 ? "latest" : last.slice(i + 1);
}

/** A version from an image tag ("1.14.a" → "1.14", "4.0-alpine" → "4.0"), else fallback. */
export function versionFromTag(image: string, fallback: string): string {
  const m = /^v?(\d+(\.\d+){0,2})/.exec(imageTag(image));
  return m ? m[1]! : fallback;
}
