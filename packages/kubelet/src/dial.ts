/**
 * Connecting to a pod's port through the fabric, as something on the node (the kubelet's probes
 * and hooks) or in a pod (exec) would: the fabric says where podIP:port really listens, and a
 * PROXY header tells the app the cluster address the connection comes from (the node's bridge
 * gateway 10.244.N.1 for the kubelet, the client pod's IP for exec). Errors read as Go's net
 * package words them ("dial tcp 10.244.1.5:80: connect: connection refused").
 */
import { connect, type Socket } from "node:net";
import { request } from "node:http";
import type { Fabric } from "@kemu/fabric";
import { formatProxyHeader } from "./proxyproto.ts";

/** A failed dial or request, with Go's wording in message. */
export class DialError extends Error {
  readonly kind: "refused" | "timeout" | "other";
  constructor(message: string, kind: "refused" | "timeout" | "other") {
    super(message);
    this.kind = kind;
  }
}

let ephemeral = 32768 + Math.floor(Math.random() * 28000);
/** A source port for a cluster-side connection (the Linux ephemeral range). */
export function ephemeralPort(): number {
  ephemeral = ephemeral >= 60999 ? 32768 : ephemeral + 1;
  return ephemeral;
}

/** Connects to host:port within timeoutMs; errors become DialError naming dst. */
export function dialAddress(host: string, port: number, dst: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new DialError(`dial tcp ${dst}: i/o timeout`, "timeout"));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      if (err.code === "ECONNREFUSED")
        reject(new DialError(`dial tcp ${dst}: connect: connection refused`, "refused"));
      else reject(new DialError(`dial tcp ${dst}: ${err.message}`, "other"));
    });
  });
}

/**
 * Connects to podIP:port over the fabric, announcing src with a PROXY header. A port nobody
 * serves is refused, as a closed port on a real pod is.
 */
export async function dialPod(
  fabric: Fabric,
  podIP: string,
  port: number,
  src: { ip: string; port?: number } | undefined,
  timeoutMs: number,
): Promise<Socket> {
  const dst = `${podIP}:${port}`;
  const at = fabric.resolvePodPort(podIP, port, "TCP");
  if (!at) throw new DialError(`dial tcp ${dst}: connect: connection refused`, "refused");
  const s = await dialAddress(at.host, at.port, dst, timeoutMs);
  if (src)
    s.write(
      formatProxyHeader({ srcIP: src.ip, dstIP: podIP, srcPort: src.port ?? ephemeralPort(), dstPort: port }),
    );
  return s;
}

/** An HTTP response, its body cut at a limit. */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends one HTTP/1.1 request over a connected socket and reads the response (body up to
 * maxBody bytes). Rejects with DialError on timeout or a broken response.
 */
export function httpOverSocket(
  socket: Socket,
  opts: {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    maxBody?: number;
  },
): Promise<HttpResult> {
  const maxBody = opts.maxBody ?? 10 * 1024;
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (e: DialError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      socket.destroy();
      reject(e);
    };
    const where = `${opts.method === "GET" ? "Get" : opts.method[0] + opts.method.slice(1).toLowerCase()} "${opts.url.href}"`;
    const timer = setTimeout(
      () =>
        fail(
          new DialError(
            `${where}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
            "timeout",
          ),
        ),
      opts.timeoutMs,
    );
    const req = request(
      {
        method: opts.method,
        path: opts.url.pathname + opts.url.search,
        headers: opts.headers,
        createConnection: () => socket,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (d: Buffer) => {
          if (size < maxBody) chunks.push(d.subarray(0, maxBody - size));
          size += d.length;
        });
        res.on("end", () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          socket.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          });
        });
        res.on("error", (err) => fail(new DialError(`${where}: ${err.message}`, "other")));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) =>
      fail(
        new DialError(
          err.code === "ECONNRESET" || err.message === "socket hang up"
            ? `${where}: EOF`
            : `${where}: ${err.message}`,
          "other",
        ),
      ),
    );
    req.end(opts.body);
  });
}
