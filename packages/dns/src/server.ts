/**
 * ClusterDNS: the cluster's DNS server (what CoreDNS is in a real cluster). It follows Services
 * and EndpointSlices with informers whose handlers only mark the zone dirty; the next query
 * rebuilds it (buildZone is pure and cheap), so a new Service resolves as soon as its watch
 * event arrives. It serves UDP and TCP on one port, speaks EDNS0, truncates UDP answers that do
 * not fit (clients retry over TCP), forwards names outside the zone to an upstream over UDP, and
 * answers malformed queries with FORMERR (or drops them when even the header is unreadable).
 * Messages are decoded and encoded by packet.ts (over dns-packet); peekQuestionType, for metrics,
 * reads the question type by hand, as dns-packet can only decode a whole message.
 *
 * Limitations vs Kubernetes/CoreDNS:
 * - Truncated UDP answers carry no records at all (CoreDNS keeps as many as fit).
 * - Forwarding goes to one upstream (UDP, or TCP when the client used TCP), one connection per
 *   query, 2 s timeout, no cache or health checks; without an upstream, outside names are REFUSED.
 * - No cache, metrics, health or ready endpoints, no DNSSEC, no zone transfers, no DoT/DoH.
 * - See resolver.ts for the naming limitations.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Logger } from "@kemu/common";
import { Informer, R, type ApiClient, type KObject } from "@kemu/controllers";
import {
  CLASS_IN,
  DnsFormatError,
  RRType,
  Rcode,
  decodeMessage,
  encodeMessage,
  peekHeader,
  type DnsMessage,
  type OutMessage,
} from "./packet.ts";
import { buildZone, lookup, type ZoneData } from "./resolver.ts";
import { exchangeTcp, frameTcp } from "./tcp.ts";

/** Where the server gets Services and EndpointSlices from. */
export interface ObjectSource {
  /** Starts following; onChange is called on every change. Resolves once the first lists are in. */
  start(onChange: () => void): Promise<void>;
  /** Stops following. */
  stop(): void;
  /** All Services now. */
  services(): KObject[];
  /** All EndpointSlices now. */
  endpointSlices(): KObject[];
}

/** Follows Services and EndpointSlices over the API with informers. */
export class InformerSource implements ObjectSource {
  readonly #services: Informer;
  readonly #slices: Informer;

  constructor(api: ApiClient, log: Logger) {
    this.#services = new Informer(api, R.services, log.child("services"));
    this.#slices = new Informer(api, R.endpointslices, log.child("endpointslices"));
  }

  /** Handlers only record that something changed; the zone is rebuilt on the next query. */
  async start(onChange: () => void): Promise<void> {
    const handlers = { add: onChange, update: onChange, delete: onChange };
    this.#services.addHandlers(handlers);
    this.#slices.addHandlers(handlers);
    await Promise.all([this.#services.start(), this.#slices.start()]);
  }

  /** Stops both informers. */
  stop(): void {
    this.#services.stop();
    this.#slices.stop();
  }

  /** The cached Services. */
  services(): KObject[] {
    return this.#services.list();
  }

  /** The cached EndpointSlices. */
  endpointSlices(): KObject[] {
    return this.#slices.list();
  }
}

/** Options of ClusterDNS. */
export interface ClusterDNSOptions {
  log: Logger;
  /** The API the informers follow; or give source instead. */
  api?: ApiClient;
  /** Overrides api (tests, or a runtime that already has the objects). */
  source?: ObjectSource;
  /** The cluster domain; "cluster.local" by default. */
  zone?: string;
  /** Record TTL in seconds; 5 by default. */
  ttl?: number;
  /** Where names outside the zone go ("host:port", port 53 by default); none means REFUSED. */
  upstream?: string;
  /** How long to wait for the upstream, ms. */
  upstreamTimeoutMs?: number;
  /** Called once per answered query (for metrics). */
  onAnswer?: (a: AnswerInfo) => void;
}

/** What onAnswer learns about one answered query. */
export interface AnswerInfo {
  transport: Transport;
  /** The question's type number, when the query had a readable question. */
  qtype: number | undefined;
  rcode: number;
  seconds: number;
}

/**
 * The type of a query's first question, read without decoding it (undefined if unreadable).
 * Hand-written: it runs on every answered query, and dns-packet has no cheaper way than a decode.
 */
export function peekQuestionType(msg: Buffer): number | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  let at = 12;
  while (at < msg.length) {
    const len = msg[at]!;
    if (len === 0) return at + 5 <= msg.length ? msg.readUInt16BE(at + 1) : undefined;
    // Queries have no reason to compress their only name.
    if (len & 0xc0) return undefined;
    at += 1 + len;
  }
  return undefined;
}

/** Where to listen. */
export interface ListenOptions {
  host: string;
  /** 0 lets the kernel pick one port free for both UDP and TCP. */
  port: number;
}

/** The transport a query came over. */
export type Transport = "udp" | "tcp";

const MIN_UDP = 512;
/** The largest UDP answer we send, whatever the client advertises (a common EDNS ceiling). */
const MAX_UDP = 4096;
const TCP_IDLE_MS = 10_000;
const OPCODE_QUERY = 0;

/** Parses "host", "host:port", "[v6]:port" or a bare IPv6 address; port 53 by default. */
export function parseUpstream(s: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  const m = bracketed ?? (s.split(":").length > 2 ? [s, s] : /^([^:]+)(?::(\d+))?$/.exec(s));
  const port = m?.[2] ? Number(m[2]) : 53;
  if (!m?.[1] || !(port > 0 && port < 65536)) throw new Error(`bad DNS upstream ${JSON.stringify(s)}`);
  return { host: m[1], port };
}

/** The cluster DNS server. */
export class ClusterDNS {
  readonly #log: Logger;
  readonly #source: ObjectSource;
  readonly #zone: string;
  readonly #ttl: number;
  readonly #upstream: { host: string; port: number } | undefined;
  readonly #upstreamTimeoutMs: number;
  readonly #onAnswer: ((a: AnswerInfo) => void) | undefined;
  #data: ZoneData | undefined;
  #dirty = true;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  readonly #conns = new Set<Socket>();
  #port = 0;

  constructor(opts: ClusterDNSOptions) {
    this.#log = opts.log;
    if (opts.source) this.#source = opts.source;
    else if (opts.api) this.#source = new InformerSource(opts.api, opts.log);
    else throw new Error("ClusterDNS needs api or source");
    this.#zone = (opts.zone ?? "cluster.local").toLowerCase().replace(/\.$/, "");
    this.#ttl = opts.ttl ?? 5;
    this.#upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 2_000;
    if (opts.upstream) this.#upstream = parseUpstream(opts.upstream);
    this.#onAnswer = opts.onAnswer;
  }

  /** The port UDP and TCP listen on (after start with listen). */
  get port(): number {
    return this.#port;
  }

  /** Starts following the API; with listen, also binds UDP and TCP on one port. Resolves once serving. */
  async start(listen?: ListenOptions): Promise<void> {
    await this.#source.start(() => {
      this.#dirty = true;
    });
    if (listen) await this.#bind(listen);
    this.#log.info("serving", { zone: this.#zone, port: this.#port });
  }

  /** Stops serving and following the API. */
  async stop(): Promise<void> {
    this.#source.stop();
    for (const c of this.#conns) c.destroy();
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    await Promise.all([
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }

  async #bind(listen: ListenOptions): Promise<void> {
    // With port 0 the UDP port may be taken for TCP; try a few kernel-picked ports.
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: listen.host.includes(":") ? "udp6" : "udp4" });
      await new Promise<void>((res, rej) => {
        udp.once("error", rej);
        udp.bind(listen.port, listen.host, () => {
          udp.off("error", rej);
          res();
        });
      });
      const port = udp.address().port;
      const tcp = createServer((s) => this.serveConnection(s));
      try {
        await new Promise<void>((res, rej) => {
          tcp.once("error", rej);
          tcp.listen(port, listen.host, () => {
            tcp.off("error", rej);
            res();
          });
        });
      } catch (err) {
        udp.close();
        if (listen.port !== 0 || attempt >= 10) throw err;
        continue;
      }
      udp.on("error", (err) => this.#log.warn("udp socket error", { err: String(err) }));
      tcp.on("error", (err) => this.#log.warn("tcp server error", { err: String(err) }));
      udp.on("message", (msg, rinfo) => {
        void this.handle(msg, "udp").then((out) => {
          if (out && this.#udp === udp) udp.send(out, rinfo.port, rinfo.address);
        });
      });
      this.#udp = udp;
      this.#tcp = tcp;
      this.#port = port;
      return;
    }
  }

  /**
   * Serves DNS over one TCP connection (length-prefixed messages, pipelined). Exposed for
   * runtimes that own the listening socket and hand over accepted connections.
   */
  serveConnection(s: Socket): void {
    this.#conns.add(s);
    s.setTimeout(TCP_IDLE_MS, () => s.destroy());
    s.on("error", () => {});
    s.on("close", () => this.#conns.delete(s));
    let pending = Buffer.alloc(0);
    s.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void this.handle(Buffer.from(msg), "tcp").then((out) => {
          if (!out || s.destroyed) return;
          s.write(frameTcp(out));
        });
      }
    });
  }

  /** The zone's name table now, rebuilt if Services or EndpointSlices changed since the last query. */
  zoneData(): ZoneData {
    if (this.#dirty || !this.#data) {
      this.#dirty = false;
      this.#data = buildZone(this.#source.services(), this.#source.endpointSlices(), {
        zone: this.#zone,
        ttl: this.#ttl,
        serial: Math.floor(Date.now() / 1000),
      });
    }
    return this.#data;
  }

  /**
   * Answers one DNS message as it arrived over transport (no TCP length prefix); undefined
   * means drop it. Never throws: it is also the entry point for runtimes that own the sockets.
   */
  async handle(msg: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const started = this.#onAnswer ? performance.now() : 0;
    try {
      const out = await this.#handle(msg, transport);
      if (out && this.#onAnswer)
        this.#onAnswer({
          transport,
          qtype: peekQuestionType(msg),
          rcode: out[3]! & 0x0f,
          seconds: (performance.now() - started) / 1000,
        });
      return out;
    } catch (err) {
      this.#log.warn("query failed", { err: String(err) });
      const h = peekHeader(msg);
      if (!h || h.flags & 0x8000) return undefined;
      return encodeMessage({ id: h.id, qr: true, opcode: (h.flags >> 11) & 0xf, rcode: Rcode.SERVFAIL });
    }
  }

  async #handle(msg: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const h = peekHeader(msg);
    // Unreadable headers and responses (QR set) are dropped: answering could start a loop.
    if (!h || h.flags & 0x8000) return undefined;
    const opcode = (h.flags >> 11) & 0xf;
    const rd = (h.flags & 0x0100) !== 0;
    let q: DnsMessage;
    try {
      q = decodeMessage(msg);
    } catch (err) {
      if (!(err instanceof DnsFormatError)) throw err;
      return encodeMessage({ id: h.id, qr: true, opcode, rd, rcode: Rcode.FORMERR });
    }
    const edns = q.edns ? { udpSize: MAX_UDP } : undefined;
    const base: OutMessage = { id: q.id, qr: true, opcode, rd, ra: this.#upstream !== undefined };
    if (q.rawQuestions) base.rawQuestions = { bytes: q.rawQuestions, count: q.questions.length };
    else base.questions = q.questions;
    if (edns) base.edns = edns;
    if (q.edns && q.edns.version !== 0) return encodeMessage({ ...base, rcode: Rcode.BADVERS });
    if (opcode !== OPCODE_QUERY) return encodeMessage({ ...base, rcode: Rcode.NOTIMP });
    const question = q.questions[0];
    if (q.questions.length !== 1 || !question) return encodeMessage({ ...base, rcode: Rcode.FORMERR });
    if (question.class !== CLASS_IN && question.class !== RRType.ANY) {
      return encodeMessage({ ...base, rcode: Rcode.REFUSED });
    }

    const res = lookup(this.zoneData(), question);
    if (res.kind === "forward") {
      if (!this.#upstream) return encodeMessage({ ...base, rcode: Rcode.REFUSED });
      const out = transport === "tcp" ? await this.#forwardTcp(msg) : await this.#forward(msg);
      return out ?? encodeMessage({ ...base, rcode: Rcode.SERVFAIL });
    }
    const full = encodeMessage({
      ...base,
      aa: true,
      rcode: res.rcode,
      answers: res.answers,
      authority: res.authority,
      additional: res.additional,
    });
    const limit = transport === "tcp" ? 65535 : Math.min(MAX_UDP, Math.max(MIN_UDP, q.edns?.udpSize ?? 0));
    if (full.length <= limit) return full;
    // Too big: an empty truncated answer makes the client retry over TCP.
    return encodeMessage({ ...base, aa: true, tc: true, rcode: res.rcode });
  }

  /** Relays a query that came over TCP to the upstream over TCP; undefined on timeout or error. */
  async #forwardTcp(msg: Buffer): Promise<Buffer | undefined> {
    const up = this.#upstream!;
    try {
      return await exchangeTcp(connect(up.port, up.host), msg, this.#upstreamTimeoutMs);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (reason === "timed out")
        this.#log.warn("upstream timed out", { upstream: `${up.host}:${up.port}`, transport: "tcp" });
      else this.#log.warn("upstream failed", { err: reason, transport: "tcp" });
      return undefined;
    }
  }

  /** Relays a query to the upstream over UDP; undefined on timeout or error. */
  #forward(msg: Buffer): Promise<Buffer | undefined> {
    const up = this.#upstream!;
    return new Promise((resolvePromise) => {
      const sock = createSocket(up.host.includes(":") ? "udp6" : "udp4");
      const id = msg.readUInt16BE(0);
      let settled = false;
      const done = (out: Buffer | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.close();
        resolvePromise(out);
      };
      const timer = setTimeout(() => {
        this.#log.warn("upstream timed out", { upstream: `${up.host}:${up.port}` });
        done(undefined);
      }, this.#upstreamTimeoutMs);
      sock.on("error", (err) => {
        this.#log.warn("upstream failed", { err: String(err) });
        done(undefined);
      });
      sock.on("message", (reply) => {
        if (reply.length >= 2 && reply.readUInt16BE(0) === id) done(reply);
      });
      sock.send(msg, up.port, up.host);
    });
  }
}
