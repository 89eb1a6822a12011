/**
 * The cluster DNS resolver: a pure function from Services, EndpointSlices and a question to an
 * answer, following the Kubernetes DNS-Based Service Discovery spec (schema 1.1.0) and what
 * CoreDNS's kubernetes plugin does with the default Corefile (`pods insecure`, `fallthrough
 * in-addr.arpa ip6.arpa`). buildZone turns the objects into a name table once; lookup answers
 * questions from it; resolve does both.
 *
 * Limitations vs Kubernetes/CoreDNS:
 * - No wildcard queries (`*.svc.<zone>`), no `<svc>.<ns>` search-path tricks (clients expand
 *   search paths), no AAAA/IPv6 pod names (`a--1.<ns>.pod.<zone>`), no `endpoint_pod_names`.
 * - Intermediate names (`<ns>.svc.<zone>`, `svc.<zone>`) exist only while something lives below
 *   them (empty non-terminals); CoreDNS answers NOERROR for any existing namespace.
 * - SRV on a bare service name (without `_port._proto`) is NODATA; CoreDNS lists every port.
 * - A CNAME to a name in the zone is chased one step; CoreDNS also resolves external targets.
 * - The SOA serial is whatever the caller passes, not CoreDNS's last-modified time.
 */
import { isIP } from "node:net";
import type { KObject } from "@kemu/controllers";
import { RRType, Rcode, ipv6Bytes, type Question, type RData, type ResourceRecord } from "./packet.ts";

/** Options of buildZone. */
export interface ZoneOptions {
  /** The cluster domain, e.g. "cluster.local". */
  zone: string;
  /** TTL of every record, seconds (CoreDNS's default is 5). */
  ttl?: number;
  /** The SOA serial. */
  serial?: number;
}

/** The schema version the `dns-version` TXT record announces. */
export const SCHEMA_VERSION = "1.1.0";

/** The name table of a zone, built by buildZone. */
export interface ZoneData {
  readonly zone: string;
  readonly ttl: number;
  readonly serial: number;
  /** Records by lower-case owner name (zone names and reverse names). */
  readonly names: ReadonlyMap<string, readonly RData[]>;
  /** Names that own nothing but have names below them. */
  readonly emptyNonTerminals: ReadonlySet<string>;
}

/** The outcome of a lookup: an authoritative answer, or "not ours, forward it". */
export type Resolution =
  | {
      kind: "answer";
      rcode: number;
      answers: ResourceRecord[];
      authority: ResourceRecord[];
      additional: ResourceRecord[];
    }
  | { kind: "forward" };

const norm = (name: string) => name.toLowerCase().replace(/\.$/, "");

/** The reverse-lookup name of an IPv4 or IPv6 address. */
export function reverseName(ip: string): string {
  if (!ip.includes(":")) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
  const nibbles = [...ipv6Bytes(ip).toString("hex")].reverse();
  return `${nibbles.join(".")}.ip6.arpa`;
}

/** The label CoreDNS gives an endpoint without a hostname: its IP with dashes. */
export function dashedIp(ip: string): string {
  return ip.replace(/[.:]/g, "-");
}

function addressRecord(ip: string): RData {
  return ip.includes(":") ? { type: "AAAA", address: ip } : { type: "A", address: ip };
}

interface Endpoint {
  ip: string;
  label: string;
  ports: { name: string; port: number; protocol: string }[];
}

/** Ready endpoints of a headless service, deduplicated by IP across its slices. */
function endpointsOf(svc: KObject, slices: KObject[]): Endpoint[] {
  const publishNotReady = svc["spec"]?.["publishNotReadyAddresses"] === true;
  const byIp = new Map<string, Endpoint>();
  for (const slice of slices) {
    const ports = ((slice["ports"] ?? []) as KObject[])
      .filter((p) => typeof p["name"] === "string" && p["name"] !== "" && typeof p["port"] === "number")
      .map((p) => ({
        name: String(p["name"]),
        port: Number(p["port"]),
        protocol: String(p["protocol"] ?? "TCP"),
      }));
    for (const ep of (slice["endpoints"] ?? []) as KObject[]) {
      // EndpointSlice semantics: an unset ready condition means ready.
      if (ep["conditions"]?.["ready"] === false && !publishNotReady) continue;
      for (const ip of (ep["addresses"] ?? []) as string[]) {
        if (byIp.has(ip) || !isIP(ip)) continue;
        const hostname = typeof ep["hostname"] === "string" && ep["hostname"] ? ep["hostname"] : undefined;
        byIp.set(ip, { ip, label: (hostname ?? dashedIp(ip)).toLowerCase(), ports });
      }
    }
  }
  return [...byIp.values()];
}

/** Builds the name table of a zone from Services and EndpointSlices (pure). */
export function buildZone(services: KObject[], slices: KObject[], opts: ZoneOptions): ZoneData {
  const zone = norm(opts.zone);
  const names = new Map<string, RData[]>();
  const seen = new Set<string>();
  const add = (name: string, rd: RData) => {
    const k = norm(name);
    const id = `${k} ${JSON.stringify(rd)}`;
    if (seen.has(id)) return;
    seen.add(id);
    const list = names.get(k);
    if (list) list.push(rd);
    else names.set(k, [rd]);
  };
  add(`dns-version.${zone}`, { type: "TXT", text: [SCHEMA_VERSION] });

  const slicesBySvc = new Map<string, KObject[]>();
  for (const s of slices) {
    const svcName = s["metadata"]?.["labels"]?.["kubernetes.io/service-name"];
    if (typeof svcName !== "string") continue;
    const k = `${s["metadata"]?.["namespace"]}/${svcName}`;
    slicesBySvc.set(k, [...(slicesBySvc.get(k) ?? []), s]);
  }

  // SRV targets collected per owner first: weights depend on how many share a name.
  const srv = new Map<string, { port: number; target: string }[]>();
  const addSrv = (owner: string, port: number, target: string) => {
    const k = norm(owner);
    const id = `${k} ${port} ${target}`;
    if (seen.has(id)) return;
    seen.add(id);
    const list = srv.get(k) ?? [];
    list.push({ port, target });
    srv.set(k, list);
  };

  for (const svc of services) {
    const ns = svc["metadata"]?.["namespace"];
    const name = svc["metadata"]?.["name"];
    if (typeof ns !== "string" || typeof name !== "string") continue;
    const spec = svc["spec"] ?? {};
    const svcName = `${name}.${ns}.svc.${zone}`.toLowerCase();
    if (spec["type"] === "ExternalName") {
      if (typeof spec["externalName"] === "string" && spec["externalName"]) {
        add(svcName, { type: "CNAME", target: norm(spec["externalName"]) });
      }
      continue;
    }
    const clusterIPs: string[] = spec["clusterIPs"] ?? (spec["clusterIP"] ? [spec["clusterIP"]] : []);
    if (clusterIPs[0] === "None") {
      for (const ep of endpointsOf(svc, slicesBySvc.get(`${ns}/${name}`) ?? [])) {
        const epName = `${ep.label}.${svcName}`;
        add(svcName, addressRecord(ep.ip));
        add(epName, addressRecord(ep.ip));
        add(reverseName(ep.ip), { type: "PTR", target: epName });
        for (const p of ep.ports) addSrv(`_${p.name}._${p.protocol}.${svcName}`, p.port, epName);
      }
      continue;
    }
    for (const ip of clusterIPs) {
      // Stored objects are validated; anything else (a hand-fed source) is skipped, not served.
      if (!ip || !isIP(ip)) continue;
      add(svcName, addressRecord(ip));
      add(reverseName(ip), { type: "PTR", target: svcName });
    }
    if (!clusterIPs.some((ip) => ip && isIP(ip))) continue;
    for (const p of (spec["ports"] ?? []) as KObject[]) {
      if (typeof p["name"] !== "string" || !p["name"]) continue;
      addSrv(`_${p["name"]}._${String(p["protocol"] ?? "TCP")}.${svcName}`, Number(p["port"]), svcName);
    }
  }
  for (const [owner, list] of srv) {
    // CoreDNS: records of one priority share a weight of 100 equally.
    const weight = Math.floor(100 / list.length);
    for (const s of list) add(owner, { type: "SRV", priority: 0, weight, port: s.port, target: s.target });
  }

  const emptyNonTerminals = new Set<string>();
  for (const n of names.keys()) {
    if (!n.endsWith(`.${zone}`)) continue;
    let parent = n.slice(n.indexOf(".") + 1);
    while (parent !== zone && !names.has(parent) && parent.endsWith(`.${zone}`)) {
      emptyNonTerminals.add(parent);
      parent = parent.slice(parent.indexOf(".") + 1);
    }
  }
  return { zone, ttl: opts.ttl ?? 5, serial: opts.serial ?? 1, names, emptyNonTerminals };
}

const REVERSE_ZONES = ["in-addr.arpa", "ip6.arpa"];

function soa(z: ZoneData, owner: string): ResourceRecord {
  return {
    name: owner,
    ttl: z.ttl,
    type: "SOA",
    mname: `ns.dns.${z.zone}`,
    rname: `hostmaster.${z.zone}`,
    serial: z.serial,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: z.ttl,
  };
}

/** Matches `a-b-c-d.<ns>.pod.<zone>` and returns the IPv4 address it spells. */
function podAddress(name: string, zone: string): string | undefined {
  const suffix = `.pod.${zone}`;
  if (!name.endsWith(suffix)) return undefined;
  const labels = name.slice(0, -suffix.length).split(".");
  if (labels.length !== 2) return undefined;
  const octets = labels[0]!.split("-");
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined;
  return octets.map(Number).join(".");
}

function matches(rd: RData, qtype: number): boolean {
  return qtype === RRType.ANY || (rd.type !== "UNKNOWN" && RRType[rd.type] === qtype);
}

/** Answers one question from a zone's name table (pure). */
export function lookup(z: ZoneData, q: Question): Resolution {
  const owner = q.name.replace(/\.$/, "");
  const name = norm(owner);
  const inZone = name === z.zone || name.endsWith(`.${z.zone}`);
  const reverseZone = REVERSE_ZONES.find((r) => name === r || name.endsWith(`.${r}`));
  const soaOwner = inZone ? z.zone : (reverseZone ?? z.zone);
  const rr = (rd: RData, n = owner): ResourceRecord => ({ name: n, ttl: z.ttl, ...rd });
  const result = (
    rcode: number,
    answers: ResourceRecord[],
    additional: ResourceRecord[] = [],
  ): Resolution => ({
    kind: "answer",
    rcode,
    answers,
    authority: answers.length === 0 ? [soa(z, soaOwner)] : [],
    additional,
  });

  let records = z.names.get(name);
  if (!records) {
    const pod = inZone ? podAddress(name, z.zone) : undefined;
    if (pod) records = [{ type: "A", address: pod }];
  }
  if (!records) {
    if (name === z.zone) {
      if (q.type === RRType.SOA || q.type === RRType.ANY) return result(Rcode.NOERROR, [soa(z, owner)]);
      if (q.type === RRType.NS)
        return result(Rcode.NOERROR, [rr({ type: "NS", target: `ns.dns.${z.zone}` })]);
      return result(Rcode.NOERROR, []);
    }
    if (z.emptyNonTerminals.has(name)) return result(Rcode.NOERROR, []);
    // Reverse names of no cluster IP fall through to the upstream, as with CoreDNS's default Corefile.
    if (!inZone) return { kind: "forward" };
    return result(Rcode.NXDOMAIN, []);
  }

  const cname = records.find((r) => r.type === "CNAME");
  if (cname && cname.type === "CNAME" && q.type !== RRType.CNAME && q.type !== RRType.ANY) {
    const chased = (z.names.get(cname.target) ?? []).filter((r) => matches(r, q.type) && r.type !== "CNAME");
    return result(Rcode.NOERROR, [rr(cname), ...chased.map((r) => rr(r, cname.target))]);
  }
  const answers = records.filter((r) => matches(r, q.type)).map((r) => rr(r));
  const additional: ResourceRecord[] = [];
  for (const a of answers) {
    if (a.type !== "SRV") continue;
    for (const t of z.names.get(a.target) ?? []) {
      if (t.type === "A" || t.type === "AAAA") additional.push(rr(t, a.target));
    }
  }
  return result(Rcode.NOERROR, answers, additional);
}

/** Answers one question straight from Services and EndpointSlices: buildZone then lookup. */
export function resolve(
  services: KObject[],
  slices: KObject[],
  zone: string,
  q: Question,
  opts: Omit<ZoneOptions, "zone"> = {},
): Resolution {
  return lookup(buildZone(services, slices, { ...opts, zone }), q);
}
