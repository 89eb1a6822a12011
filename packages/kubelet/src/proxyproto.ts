/**
 * The PROXY protocol, version 1 (haproxy's text header): the data plane starts each proxied
 * connection with `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`, so the pod sees the client
 * address a real cluster would show it (kube-proxy only rewrites the destination).
 *
 * This is a small reader of our own, because the data plane's `readProxyHeader` is written
 * concurrently; both follow the same specification.
 *
 * Limitations: version 2 (binary) headers are not recognised; they pass through as data.
 */
import type { Socket } from "node:net";

/** A parsed header. */
export interface ProxyHeader {
  protocol: "TCP4" | "TCP6" | "UNKNOWN";
  srcIP: string;
  dstIP: string;
  srcPort: number;
  dstPort: number;
}

/** The longest v1 header, CRLF included (the specification's 107 bytes). */
export const PROXY_V1_MAX = 107;
const SIGNATURE = Buffer.from("PROXY ");

/** Formats a v1 header. */
export function formatProxyHeader(h: Omit<ProxyHeader, "protocol"> & { protocol?: "TCP4" | "TCP6" }): string {
  const proto = h.protocol ?? (h.srcIP.includes(":") ? "TCP6" : "TCP4");
  return `PROXY ${proto} ${h.srcIP} ${h.dstIP} ${h.srcPort} ${h.dstPort}\r\n`;
}

/** What the start of a stream says. */
export type ProxyParse =
  | { kind: "header"; header: ProxyHeader; length: number }
  | { kind: "none" }
  | { kind: "incomplete" }
  | { kind: "invalid"; reason: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;

/** Parses a v1 header at the start of buf. */
export function parseProxyHeader(buf: Buffer): ProxyParse {
  const n = Math.min(buf.length, SIGNATURE.length);
  if (!buf.subarray(0, n).equals(SIGNATURE.subarray(0, n))) return { kind: "none" };
  const end = buf.indexOf("\r\n");
  if (end < 0) {
    return buf.length >= PROXY_V1_MAX
      ? { kind: "invalid", reason: "header longer than 107 bytes" }
      : { kind: "incomplete" };
  }
  if (end + 2 > PROXY_V1_MAX) return { kind: "invalid", reason: "header longer than 107 bytes" };
  const line = buf.subarray(0, end).toString("latin1");
  const parts = line.split(" ");
  if (parts[1] === "UNKNOWN") {
    return {
      kind: "header",
      header: { protocol: "UNKNOWN", srcIP: "", dstIP: "", srcPort: 0, dstPort: 0 },
      length: end + 2,
    };
  }
  if (parts.length !== 6) return { kind: "invalid", reason: `malformed header "${line}"` };
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  if (proto !== "TCP4" && proto !== "TCP6") return { kind: "invalid", reason: `unknown protocol "${proto}"` };
  const ipOk =
    proto === "TCP4" ? (s: string) => IPV4.test(s) : (s: string) => IPV6.test(s) && s.includes(":");
  if (!ipOk(src) || !ipOk(dst)) return { kind: "invalid", reason: `bad address in "${line}"` };
  const port = (s: string) => (/^(0|[1-9]\d{0,4})$/.test(s) && Number(s) <= 65535 ? Number(s) : NaN);
  const srcPort = port(sport);
  const dstPort = port(dport);
  if (Number.isNaN(srcPort) || Number.isNaN(dstPort))
    return { kind: "invalid", reason: `bad port in "${line}"` };
  return {
    kind: "header",
    header: { protocol: proto, srcIP: src, dstIP: dst, srcPort, dstPort },
    length: end + 2,
  };
}

/** The client a connection came from. */
export interface ClientAddress {
  ip: string;
  port: number;
}

/**
 * Reads an optional PROXY header from a fresh socket. Bytes after it (or all bytes, when there
 * is none) are pushed back so that whoever reads the socket next sees the stream unchanged.
 * Resolves with the client address: the header's source, else the socket's peer; undefined when
 * the socket closed first or sent an invalid header (the socket is then destroyed).
 */
export function readProxyHeader(socket: Socket): Promise<ClientAddress | undefined> {
  const peer = (): ClientAddress => ({
    ip: (socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
    port: socket.remotePort ?? 0,
  });
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    const finish = (client: ClientAddress | undefined, rest: Buffer | undefined) => {
      socket.off("data", onData);
      socket.off("end", onGone);
      socket.off("close", onGone);
      socket.off("error", onGone);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(client);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const r = parseProxyHeader(buf);
      switch (r.kind) {
        case "incomplete":
          return;
        case "none":
          return finish(peer(), buf);
        case "invalid":
          finish(undefined, undefined);
          socket.destroy();
          return;
        case "header": {
          const h = r.header;
          const client = h.protocol === "UNKNOWN" ? peer() : { ip: h.srcIP, port: h.srcPort };
          return finish(client, buf.subarray(r.length));
        }
      }
    };
    const onGone = () => finish(undefined, undefined);
    socket.on("data", onData);
    socket.once("end", onGone);
    socket.once("close", onGone);
    socket.once("error", onGone);
  });
}
