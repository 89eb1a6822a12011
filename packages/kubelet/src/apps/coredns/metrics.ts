/**
 * CoreDNS's Prometheus metrics (its `prometheus :9153` plugin), under CoreDNS's own names and
 * labels so dashboards and alerts written for CoreDNS read them: requests by protocol and type,
 * responses by rcode, request duration (CoreDNS's buckets, 0.25 ms doubling ×16), build info.
 *
 * Limitations vs CoreDNS: the server label is always "dns://:53" and zone "."; no cache,
 * forward or plugin-chain metrics, no request/response size histograms.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AnswerInfo } from "@kemu/dns";

const SERVER = "dns://:53";
const ZONE = ".";
const TYPES: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  255: "ANY",
};
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/** CoreDNS's metrics for one server. */
export class CorednsMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"server" | "zone" | "proto" | "family" | "type">;
  readonly #responses: Counter<"server" | "zone" | "rcode" | "plugin">;
  readonly #duration: Histogram<"server" | "zone" | "type">;

  constructor(version: string) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "coredns_dns_requests_total",
      help: "Counter of DNS requests made per zone, protocol and family.",
      labelNames: ["server", "zone", "proto", "family", "type"],
      registers,
    });
    this.#responses = new Counter({
      name: "coredns_dns_responses_total",
      help: "Counter of response status codes.",
      labelNames: ["server", "zone", "rcode", "plugin"],
      registers,
    });
    this.#duration = new Histogram({
      name: "coredns_dns_request_duration_seconds",
      help: "Histogram of the time (in seconds) each request took per zone.",
      labelNames: ["server", "zone", "type"],
      buckets: Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i),
      registers,
    });
    new Gauge({
      name: "coredns_build_info",
      help: "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.",
      labelNames: ["version", "revision", "goversion"],
      registers,
    }).set({ version, revision: "kemu", goversion: `node${process.versions.node}` }, 1);
  }

  /** Counts one answered query. */
  observe(a: AnswerInfo): void {
    // CoreDNS reports unusual types as "other".
    const type = a.qtype === undefined ? "other" : (TYPES[a.qtype] ?? "other");
    this.#requests.inc({ server: SERVER, zone: ZONE, proto: a.transport, family: "1", type });
    this.#responses.inc({
      server: SERVER,
      zone: ZONE,
      rcode: RCODES[a.rcode] ?? String(a.rcode),
      plugin: "",
    });
    this.#duration.observe({ server: SERVER, zone: ZONE, type }, a.seconds);
  }
}
