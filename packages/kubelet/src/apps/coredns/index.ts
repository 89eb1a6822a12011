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
import { createServer } from "node:http";
import { ClusterDNS } from "@kemu/dns";
import { CorednsMetrics } from "./metrics.ts";
import type { AppContext, EmulatedApp, RunningApp } from "../types.ts";

/** Answers plain HTTP 200 "OK" on a socket, for the health and ready endpoints. */
function ok(socket: import("node:net").Socket): void {
  socket.on("error", () => {});
  let buf = "";
  const onData = (d: Buffer) => {
    buf += d.toString("latin1");
    // Answer once the request head is in.
    if (!buf.includes("\r\n\r\n")) return;
    socket.off("data", onData);
    socket.end(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK",
    );
  };
  socket.on("data", onData);
  // The runtime may hand the socket over paused (after reading a PROXY header).
  socket.resume();
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
    for (const port of [8080, 8181]) await ctx.listenTcp(port, (s) => ok(s));
    // node:http parses requests on the sockets the runtime accepts for us.
    const http = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found\n");
        return;
      }
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(body);
      });
    });
    await ctx.listenTcp(9153, (s) => {
      s.on("error", () => {});
      http.emit("connection", s);
      s.resume();
    });
    ctx.stdout(".:53");
    ctx.stdout("CoreDNS-1.11.3 (kemu)");
    return {
      terminating() {
        void dns.stop();
        http.close();
      },
    };
  },
} satisfies EmulatedApp;
