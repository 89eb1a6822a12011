/**
 * A tiny in-pod HTTP client, served on `kemu.node.<node>.exec` (nodeSubject(node, "exec")):
 * what `kubectl exec <pod> -- curl <url>` would do, for `kemu` commands that reach ClusterIPs
 * from inside the cluster.
 *
 * Request (JSON): { namespace, pod, url, method?, headers?, body?, timeoutSeconds?, insecure? }.
 * Reply: { ok: { exitCode: 0, status, headers, body } } when an HTTP response came back (any
 * status), { ok: { exitCode, error } } with curl's exit code and message when it did not
 * (6 could not resolve host, 7 connection refused, 28 timeout, 35 TLS error, 52 empty reply,
 * 60 certificate not trusted), or
 * { error: <Status> } when the request itself is wrong (unknown pod: 404).
 *
 * Addresses: pod IPs (10.244.0.0/16) are dialled over the fabric with a PROXY header naming the
 * client pod; 127.0.0.1/localhost is the pod itself; other addresses go through the node's data
 * plane (DataPlane.connect, which picks the endpoint; the header then names the source IP it
 * returns), or, without one, straight to real sockets (node IPs 127.0.1.N). Names resolve as the
 * pod's resolv.conf says (resolvconf.ts): with dnsPolicy ClusterFirst, queries to kube-dns's
 * ClusterIP through the data plane and the `<ns>.svc.cluster.local ...` search path.
 *
 * http and https (certificates are checked against the system's CAs, so a cluster's self-signed
 * API server needs insecure, curl's -k).
 *
 * Limitations: HTTP/1.1 only; one request per call; the first address of an answer is used; no
 * CA bundle of the pod's own (a real pod would mount the service account's ca.crt).
 */
import type { Logger } from "@kemu/common";
import type { ApiClient, KObject } from "@kemu/controllers";
import type { Fabric } from "@kemu/fabric";
import { nodeSubject, type Msg, type NatsConnection, type Subscription } from "@kemu/nats";
import type { DataPlane } from "@kemu/proxy";
import { isIP, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { DialError, dialAddress, dialPod, ephemeralPort, httpOverSocket } from "./dial.ts";
import { cidrContains } from "@kemu/common";
import { callNodeService, failure, NodeServiceError, type PodLookup } from "./logs.ts";
import { formatProxyHeader } from "./proxyproto.ts";
import { podResolvConf, resolveInPod, type ClusterDnsSettings } from "./resolvconf.ts";

/** An exec request. */
export interface ExecRequest {
  namespace: string;
  pod: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutSeconds?: number;
  /** https: skip verifying the server's certificate (curl -k); otherwise a self-signed one fails. */
  insecure?: boolean;
}

/** An exec result: an HTTP response, or curl's failure. */
export type ExecResult =
  | { exitCode: 0; status: number; headers: Record<string, string | string[] | undefined>; body: string }
  | { exitCode: number; error: string };

/** The cluster's pod network. */
export const CLUSTER_POD_CIDR = "10.244.0.0/16";
const MAX_BODY = 1024 * 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();

class CurlError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** What the exec service needs. */
export interface ExecServiceOptions {
  nc: NatsConnection;
  node: string;
  lookup: PodLookup;
  api: ApiClient;
  fabric: Fabric;
  dataPlane: DataPlane | undefined;
  log: Logger;
  /** The kubelet's --cluster-dns and --cluster-domain; kube-dns at 10.96.0.10 by default. */
  clusterDns?: ClusterDnsSettings;
}

/** Serves exec requests for one node. */
export class ExecService {
  readonly #o: ExecServiceOptions;
  #sub: Subscription | undefined;

  constructor(o: ExecServiceOptions) {
    this.#o = o;
  }

  /** Starts answering. */
  start(): void {
    this.#sub = this.#o.nc.subscribe(nodeSubject(this.#o.node, "exec"), {
      callback: (err, msg) => {
        if (!err) void this.#onRequest(msg);
      },
    });
  }

  /** Stops answering. */
  stop(): void {
    this.#sub?.unsubscribe();
  }

  async #onRequest(msg: Msg): Promise<void> {
    let reply: unknown;
    try {
      const req = JSON.parse(dec.decode(msg.data)) as ExecRequest;
      if (typeof req.namespace !== "string" || typeof req.pod !== "string" || typeof req.url !== "string")
        throw new NodeServiceError(failure(400, "BadRequest", "namespace, pod and url are required"));
      reply = { ok: await this.run(req) };
    } catch (err) {
      reply = {
        error:
          err instanceof NodeServiceError
            ? err.status
            : err instanceof SyntaxError
              ? failure(400, "BadRequest", err.message)
              : failure(500, "InternalError", String(err)),
      };
    }
    msg.respond(enc.encode(JSON.stringify(reply)));
  }

  /** Runs one request from inside pod. */
  async run(req: ExecRequest): Promise<ExecResult> {
    const w = this.#o.lookup(req.namespace, req.pod);
    if (!w) throw new NodeServiceError(failure(404, "NotFound", `pods "${req.pod}" not found`));
    const podIP = w.ip();
    if (!podIP || !w.containerNames.some((n) => w.container(n)?.running))
      throw new NodeServiceError(
        failure(
          400,
          "BadRequest",
          `unable to upgrade connection: container not found ("${w.containerNames[0] ?? ""}")`,
        ),
      );
    let url: URL;
    try {
      url = new URL(req.url.includes("://") ? req.url : `http://${req.url}`);
    } catch {
      return { exitCode: 3, error: `curl: (3) URL rejected: Malformed input to a URL function` };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { exitCode: 1, error: `curl: (1) Protocol "${url.protocol.replace(":", "")}" not supported` };
    const timeoutMs = (req.timeoutSeconds ?? 10) * 1000;
    const tlsOn = url.protocol === "https:";
    const port = Number(url.port || (tlsOn ? 443 : 80));
    try {
      const ip = await this.#resolve(url.hostname, w.pod(), podIP, timeoutMs);
      const raw = await this.#dial(ip, port, podIP, timeoutMs);
      const socket = tlsOn ? await startTls(raw, url.hostname, req.insecure === true, timeoutMs) : raw;
      const headers: Record<string, string> = {
        Host: url.host,
        "User-Agent": "curl/8.5.0",
        Accept: "*/*",
        ...req.headers,
      };
      const init: Parameters<typeof httpOverSocket>[1] = {
        method: (req.method ?? "GET").toUpperCase(),
        url,
        headers,
        timeoutMs,
        maxBody: MAX_BODY,
      };
      if (req.body !== undefined) init.body = req.body;
      const res = await httpOverSocket(socket, init);
      return { exitCode: 0, status: res.status, headers: res.headers, body: res.body };
    } catch (err) {
      if (err instanceof CurlError) return { exitCode: err.exitCode, error: err.message };
      if (err instanceof DialError) {
        if (err.kind === "refused")
          return {
            exitCode: 7,
            error: `curl: (7) Failed to connect to ${url.hostname} port ${port} after 0 ms: Couldn't connect to server`,
          };
        if (err.kind === "timeout")
          return { exitCode: 28, error: `curl: (28) Operation timed out after ${timeoutMs} milliseconds` };
        return { exitCode: 52, error: "curl: (52) Empty reply from server" };
      }
      throw err;
    }
  }

  /** An IP for host: a literal, localhost, or what the pod's resolver (resolvconf.ts) answers. */
  async #resolve(host: string, pod: KObject, podIP: string, timeoutMs: number): Promise<string> {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host;
    if (host === "localhost") return "127.0.0.1";
    const ip = await resolveInPod(
      host,
      podResolvConf(pod, this.#o.clusterDns),
      (server, port) => this.#dial(server, port, podIP, timeoutMs),
      timeoutMs,
      this.#o.dataPlane ? (server, port) => this.#routeUdp(server, port, podIP) : undefined,
    );
    if (!ip) throw new CurlError(6, `curl: (6) Could not resolve host: ${host}`);
    return ip;
  }

  /** Where a datagram from the pod to ip:port goes: through the node's data plane, or the pod network. */
  async #routeUdp(
    ip: string,
    port: number,
    podIP: string,
  ): Promise<{ host: string; port: number; release?: () => void }> {
    const { fabric, dataPlane } = this.#o;
    if (cidrContains(CLUSTER_POD_CIDR, ip)) {
      const at = fabric.resolvePodPort(ip, port, "UDP");
      if (!at) throw new DialError(`dial udp ${ip}:${port}: no such port`, "refused");
      return at;
    }
    const at = await dataPlane!.connect(
      { ip: podIP, port: ephemeralPort(), origin: "local-pod" },
      ip,
      port,
      "UDP",
    );
    const release = (at as { release?: () => void }).release;
    return { host: at.host, port: at.port, ...(release ? { release } : {}) };
  }

  async #dial(ip: string, port: number, podIP: string, timeoutMs: number): Promise<Socket> {
    const { fabric, dataPlane } = this.#o;
    if (ip === "127.0.0.1" || ip === podIP)
      return dialPod(fabric, podIP, port, { ip: ip === podIP ? podIP : "127.0.0.1" }, timeoutMs);
    if (cidrContains(CLUSTER_POD_CIDR, ip)) return dialPod(fabric, ip, port, { ip: podIP }, timeoutMs);
    if (dataPlane) {
      const srcPort = ephemeralPort();
      let at: Awaited<ReturnType<DataPlane["connect"]>>;
      try {
        at = await dataPlane.connect({ ip: podIP, port: srcPort, origin: "local-pod" }, ip, port, "TCP");
      } catch (err) {
        throw new DialError(
          `dial tcp ${ip}:${port}: ${err instanceof Error ? err.message : String(err)}`,
          "refused",
        );
      }
      const s = await dialAddress(at.host, at.port, `${ip}:${port}`, timeoutMs);
      s.write(formatProxyHeader({ srcIP: at.sourceIP, dstIP: ip, srcPort, dstPort: port }));
      return s;
    }
    if (ip.startsWith("127.")) return dialAddress(ip, port, `${ip}:${port}`, timeoutMs);
    throw new DialError(`dial tcp ${ip}:${port}: connect: connection refused`, "refused");
  }
}

/**
 * TLS over a connected socket, as curl does it: SNI for names, the certificate checked against the
 * system's CAs unless insecure (-k); failures end as curl's exit 60 (certificate) or 35 (handshake).
 */
function startTls(raw: Socket, host: string, insecure: boolean, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      socket: raw,
      rejectUnauthorized: !insecure,
      ...(isIP(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new CurlError(28, `curl: (28) SSL connection timeout after ${timeoutMs} milliseconds`));
    }, timeoutMs);
    s.once("secureConnect", () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      raw.destroy();
      reject(
        /CERT|SELF_SIGNED|UNABLE_TO|certificate/i.test(`${err.code ?? ""} ${err.message}`)
          ? new CurlError(
              60,
              `curl: (60) SSL certificate problem: ${err.message}\n` +
                "More details here: https://curl.se/docs/sslcerts.html (use -k to skip verification)",
            )
          : new CurlError(35, `curl: (35) TLS connect error: ${err.message}`),
      );
    });
  });
}

/** Runs an HTTP request from inside a pod on node (what `kemu` commands call). */
export function execInPod(
  nc: NatsConnection,
  node: string,
  req: ExecRequest,
  timeoutMs = 15_000,
): Promise<ExecResult> {
  return callNodeService<ExecResult>(nc, node, "exec", req, timeoutMs);
}
