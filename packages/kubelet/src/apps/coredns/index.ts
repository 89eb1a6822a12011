/**
 * The CoreDNS image's emulated app: the cluster DNS server (@kemu/dns) on the container's DNS
 * ports (53/UDP and 53/TCP by default), following Services and EndpointSlices through the API
 * as CoreDNS's kubernetes plugin does. It also answers CoreDNS's /health (8080) and /ready
 * (8181) so kubeadm-style probes pass, and serves CoreDNS's Prometheus metrics on :9153
 * (metrics.ts).
 *
 * Names outside the zone go to the host's resolver (the first nameserver of /etc/resolv.conf), as
 * kubeadm's Corefile `forward . /etc/resolv.conf` does; the container env var
 * KEMU_DNS_UPSTREAM=host:port overrides it, and `none` turns forwarding off (REFUSED).
 *
 * Limitations vs CoreDNS: the zone is cluster.local and the TTL 5 s; the Corefile is not read;
 * one upstream, no cache.
 */
import { readFileSync } from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import { ClusterDNS } from "@kemu/dns";
import { CorednsMetrics } from "./metrics.ts";
import type { AppContext, EmulatedApp, RunningApp } from "../types.ts";

/** CoreDNS's /health and /ready: 200 "OK" to any request. */
function ok(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "text/plain", Connection: "close" }).end("OK");
}

/** The first nameserver of a resolv.conf as "host:port", or undefined. */
export function upstreamFromResolvConf(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const ip = m[1]!;
    return ip.includes(":") ? `[${ip}]:53` : `${ip}:53`;
  }
  return undefined;
}

/** Where names outside the zone go: the container's KEMU_DNS_UPSTREAM, else the host's resolver. */
function upstreamFor(ctx: AppContext): string | undefined {
  const env = ((ctx.container.spec["env"] ?? []) as { name: string; value?: string }[]).find(
    (e) => e.name === "KEMU_DNS_UPSTREAM",
  )?.value;
  if (env !== undefined) return env === "none" || env === "" ? undefined : env;
  try {
    return upstreamFromResolvConf(readFileSync("/etc/resolv.conf", "utf8"));
  } catch {
    return undefined;
  }
}

/** The cluster DNS as an emulated container. */
export const corednsApp = {
  name: "coredns",
  async start(ctx: AppContext): Promise<RunningApp> {
    const upstream = upstreamFor(ctx);
    const metrics = new CorednsMetrics("1.11.3");
    const dns = new ClusterDNS({
      log: ctx.log.child("dns"),
      api: ctx.api,
      onAnswer: (a) => metrics.observe(a),
      ...(upstream ? { upstream } : {}),
    });
    // Follow the API only: the kubelet's runtime owns the sockets on the pod's addresses.
    await dns.start();
    const udp = ctx.container.udpPorts.length > 0 ? ctx.container.udpPorts : [53];
    const tcp = ctx.container.tcpPorts.filter((p) => p !== 9153 && p !== 8080 && p !== 8181);
    for (const port of udp) {
      await ctx.listenUdp(port, (d) => void dns.handle(d.data, "udp").then((out) => out && d.reply(out)));
    }
    for (const port of tcp.length > 0 ? tcp : [53]) {
      await ctx.listenTcp(port, (s) => {
        dns.serveConnection(s);
        // The runtime hands the socket over paused, after reading its PROXY header.
        s.resume();
      });
    }
    // node:http parses requests on the sockets the runtime accepts for us (paused, after
    // reading their PROXY header).
    const servers: Server[] = [];
    const serveHttp = (port: number, handler: RequestListener) => {
      const server = createServer(handler);
      servers.push(server);
      return ctx.listenTcp(port, (s) => {
        s.on("error", () => {});
        server.emit("connection", s);
        s.resume();
      });
    };
    await serveHttp(8080, ok);
    await serveHttp(8181, ok);
    await serveHttp(9153, (req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found\n");
        return;
      }
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(body);
      });
    });
    ctx.stdout(".:53");
    ctx.stdout("CoreDNS-1.11.3 (kemu)");
    return {
      terminating() {
        void dns.stop();
        for (const server of servers) server.close();
      },
    };
  },
} satisfies EmulatedApp;
