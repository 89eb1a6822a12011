/**
 * PROXY protocol v1 (haproxy.org/download/2.0/doc/proxy-protocol.txt), the way an emulated pod
 * learns the source address it would have seen on a real node. A real node rewrites addresses in
 * the kernel (DNAT to the pod, SNAT to the node IP for externalTrafficPolicy Cluster); here every
 * connection reaches the pod's real socket from 127.0.0.1, so whoever opens it first sends one
 * line:
 *
 *     PROXY TCP4 <source the pod should see> <pod IP> <source port> <pod port>\r\n
 *
 * The userspace data plane sends it on every TCP connection it proxies. A client that reaches a
 * ClusterIP through `DataPlane.connect()` dials the returned address itself and sends the line
 * with writeProxyHeader (source = the returned sourceIP, destination = the returned endpoint).
 *
 * An emulated app reads it with readProxyHeader before it reads anything else:
 *
 *     net.createServer(async (socket) => {
 *       const h = await readProxyHeader(socket);          // undefined: no header was sent
 *       const client = h?.srcIP ?? socket.remoteAddress;  // what the app reports as the client
 *       httpServer.emit("connection", socket);            // the bytes after the header are intact
 *     });
 *
 * readProxyHeader is lenient: a connection that does not start with "PROXY " (a pod dialled
 * directly, without the data plane) keeps all its bytes and resolves undefined. That decision
 * needs the client's first bytes, so a protocol where the server speaks first must pass a
 * timeoutMs. UDP carries no header: a UDP app sees the data plane's socket as its peer.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { Readable, Writable } from "node:stream";

/** A parsed PROXY v1 line; UNKNOWN carries no addresses. */
export type ProxyHeader =
  | { protocol: "TCP4" | "TCP6"; srcIP: string; dstIP: string; srcPort: number; dstPort: number }
  | { protocol: "UNKNOWN" };

/** The addresses to announce: the source the server should see, and the destination it was dialled at. */
export interface ProxyAddresses {
  srcIP: string;
  srcPort: number;
  dstIP: string;
  dstPort: number;
}

/** The longest v1 line the spec allows, CRLF included. */
export const PROXY_V1_MAX_LENGTH = 107;

const SIGNATURE = Buffer.from("PROXY ");

/** "::ffff:1.2.3.4" -> "1.2.3.4"; other addresses unchanged. */
export function unmapIPv4(ip: string): string {
  return ip.startsWith("::ffff:") && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** Formats the v1 line, CRLF included; TCP4 or TCP6 by the addresses' family, else UNKNOWN. */
export function formatProxyHeader(a: ProxyAddresses): string {
  const src = unmapIPv4(a.srcIP);
  const dst = unmapIPv4(a.dstIP);
  const family = isIPv4(src) && isIPv4(dst) ? "TCP4" : isIPv6(src) && isIPv6(dst) ? "TCP6" : undefined;
  if (!family) return "PROXY UNKNOWN\r\n";
  return `PROXY ${family} ${src} ${dst} ${a.srcPort} ${a.dstPort}\r\n`;
}

/** Writes the v1 line to a socket before any other byte; returns socket.write's result. */
export function writeProxyHeader(socket: Writable, a: ProxyAddresses): boolean {
  return socket.write(formatProxyHeader(a));
}

/** Thrown (as a rejection) for a line that starts with "PROXY " but is not a valid v1 header. */
export class ProxyHeaderError extends Error {
  override readonly name = "ProxyHeaderError";
}

function parsePort(s: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** Parses one v1 line (without its CRLF); throws ProxyHeaderError when it is malformed. */
export function parseProxyHeader(line: string): ProxyHeader {
  const parts = line.split(" ");
  if (parts[0] !== "PROXY") throw new ProxyHeaderError("not a PROXY header");
  if (parts[1] === "UNKNOWN") return { protocol: "UNKNOWN" };
  const [, protocol, srcIP, dstIP, sp, dp] = parts;
  if (parts.length !== 6 || (protocol !== "TCP4" && protocol !== "TCP6")) {
    throw new ProxyHeaderError(`malformed PROXY header: ${JSON.stringify(line)}`);
  }
  const isIP = protocol === "TCP4" ? isIPv4 : isIPv6;
  const srcPort = parsePort(sp!);
  const dstPort = parsePort(dp!);
  if (!isIP(srcIP!) || !isIP(dstIP!) || srcPort === undefined || dstPort === undefined) {
    throw new ProxyHeaderError(`malformed PROXY header: ${JSON.stringify(line)}`);
  }
  return { protocol, srcIP: srcIP!, dstIP: dstIP!, srcPort, dstPort };
}

type Scan = { kind: "more" } | { kind: "none" } | { kind: "header"; header: ProxyHeader; length: number };

function scan(buf: Buffer): Scan {
  const n = Math.min(buf.length, SIGNATURE.length);
  if (buf.compare(SIGNATURE, 0, n, 0, n) !== 0) return { kind: "none" };
  const end = buf.subarray(0, PROXY_V1_MAX_LENGTH).indexOf("\r\n");
  if (end < 0) {
    if (buf.length >= PROXY_V1_MAX_LENGTH) throw new ProxyHeaderError("PROXY header longer than 107 bytes");
    return { kind: "more" };
  }
  return { kind: "header", header: parseProxyHeader(buf.toString("latin1", 0, end)), length: end + 2 };
}

/**
 * Reads a PROXY v1 header from the start of a socket (call it before attaching any 'data'
 * listener). Resolves the header, with every byte after it left in the socket; or undefined,
 * with every byte left in the socket, when the stream does not start with "PROXY ", ends first,
 * or sends nothing for timeoutMs. Rejects with ProxyHeaderError for a malformed header.
 */
export function readProxyHeader(
  socket: Readable,
  opts: { timeoutMs?: number } = {},
): Promise<ProxyHeader | undefined> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      socket.off("readable", onReadable);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onEnd);
      if (timer) clearTimeout(timer);
    };
    const giveBack = (rest: Buffer) => {
      if (rest.length > 0 && !socket.readableEnded) socket.unshift(rest);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        let r: Scan;
        try {
          r = scan(buf);
        } catch (err) {
          cleanup();
          reject(err as Error);
          return;
        }
        if (r.kind === "more") continue;
        cleanup();
        if (r.kind === "none") {
          giveBack(buf);
          resolve(undefined);
        } else {
          giveBack(buf.subarray(r.length));
          resolve(r.header);
        }
        return;
      }
    };
    // The stream ended (or failed) before a decision: whatever partial bytes came are lost with it.
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        giveBack(buf);
        resolve(undefined);
      }, opts.timeoutMs);
    }
    socket.on("readable", onReadable);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.once("error", onEnd);
  });
}
