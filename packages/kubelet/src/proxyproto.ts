/**
 * The client address an emulated app reports: the data plane starts each proxied connection
 * with a PROXY v1 line (`PROXY TCP4 <src> <dst> <sport> <dport>\r\n`, @kemu/common's
 * proxyprotocol.ts), so the pod sees the client a real cluster would show it (kube-proxy only
 * rewrites the destination). A connection without one (a pod dialled directly) shows its peer.
 *
 * Limitations: version 2 (binary) headers are not recognised; they pass through as data.
 */
import type { Socket } from "node:net";
import { readProxyHeader, unmapIPv4 } from "@kemu/common";

export { formatProxyHeader, type ProxyHeader } from "@kemu/common";

/** The client a connection came from. */
export interface ClientAddress {
  ip: string;
  port: number;
}

/**
 * Reads an optional PROXY header from a fresh socket; the bytes after it (or all bytes, when there
 * is none) stay in the socket for whoever reads it next. Resolves with the header's source, else
 * the socket's peer; undefined when the socket ended first or sent a malformed header (the
 * socket is then destroyed).
 */
export async function readClientAddress(socket: Socket): Promise<ClientAddress | undefined> {
  let header: Awaited<ReturnType<typeof readProxyHeader>>;
  try {
    header = await readProxyHeader(socket);
  } catch {
    socket.destroy();
    return undefined;
  }
  if (socket.destroyed || (header === undefined && socket.readableEnded)) return undefined;
  socket.pause();
  if (header && header.protocol !== "UNKNOWN") return { ip: header.srcIP, port: header.srcPort };
  return { ip: unmapIPv4(socket.remoteAddress ?? ""), port: socket.remotePort ?? 0 };
}
