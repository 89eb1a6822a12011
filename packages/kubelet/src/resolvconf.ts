/**
 * A pod's resolver, as the kubelet writes its /etc/resolv.conf (pkg/kubelet/network/dns) and as
 * glibc then uses it: dnsPolicy picks the nameservers (ClusterFirst: the cluster DNS, kube-dns's
 * ClusterIP; Default: the node's own resolver; None: only spec.dnsConfig), the search path is
 * `<ns>.svc.<zone> svc.<zone> <zone>` with `ndots:5`, and spec.dnsConfig adds nameservers and
 * searches and overrides options. Names with fewer dots than ndots are tried with each search
 * domain first, then as they are.
 *
 * Queries go as glibc sends them: over UDP, and again over TCP (a fresh connection) when the
 * answer comes back truncated. The caller routes both: for exec, the node's data plane, so a pod's
 * lookup of `web` is kube-proxy balancing a datagram (or a connection) to a CoreDNS pod, as on a
 * real node. A caller that gives no UDP route gets TCP only.
 *
 * Limitations vs glibc: A records only (IPv4), no /etc/hosts beyond localhost, no caching, the
 * first address of an answer is used, nameservers are tried in order with one attempt each (glibc
 * makes two, 5 s apart); the UDP datagram's source is the node's, not the pod's IP.
 */
import type { Socket } from "node:net";
import { lookup as hostLookup } from "node:dns/promises";
import { createSocket } from "node:dgram";
import type { KObject } from "@kemu/controllers";
import {
  CLASS_IN,
  decodeMessage,
  encodeMessage,
  exchangeTcp,
  Rcode,
  RRType,
  type DnsMessage,
} from "@kemu/dns";

/** What a pod's resolv.conf says. */
export interface PodResolvConf {
  /** "host" means the node's own resolver (dnsPolicy Default). */
  nameservers: string[] | "host";
  searches: string[];
  ndots: number;
}

/** The kubelet's DNS settings (its --cluster-dns and --cluster-domain). */
export interface ClusterDnsSettings {
  clusterDNS: string[];
  clusterDomain: string;
}

export const DEFAULT_CLUSTER_DNS: ClusterDnsSettings = {
  clusterDNS: ["10.96.0.10"],
  clusterDomain: "cluster.local",
};

/** The resolv.conf the kubelet would write for pod. */
export function podResolvConf(pod: KObject, dns: ClusterDnsSettings = DEFAULT_CLUSTER_DNS): PodResolvConf {
  const spec = pod["spec"] ?? {};
  const ns = String(pod["metadata"]?.["namespace"] ?? "default");
  let policy = String(spec["dnsPolicy"] ?? "ClusterFirst");
  // A host-network pod with ClusterFirst gets the node's resolver, as the kubelet does.
  if (policy === "ClusterFirst" && spec["hostNetwork"] === true) policy = "Default";
  if (policy === "ClusterFirstWithHostNet") policy = "ClusterFirst";
  const conf: PodResolvConf =
    policy === "ClusterFirst"
      ? {
          nameservers: [...dns.clusterDNS],
          searches: [`${ns}.svc.${dns.clusterDomain}`, `svc.${dns.clusterDomain}`, dns.clusterDomain],
          ndots: 5,
        }
      : policy === "None"
        ? { nameservers: [], searches: [], ndots: 1 }
        : { nameservers: "host", searches: [], ndots: 1 };
  const extra = spec["dnsConfig"] as
    { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] } | undefined;
  if (extra) {
    if (extra.nameservers?.length)
      conf.nameservers =
        conf.nameservers === "host" ? [...extra.nameservers] : [...conf.nameservers, ...extra.nameservers];
    for (const s of extra.searches ?? []) if (!conf.searches.includes(s)) conf.searches.push(s);
    const ndots = extra.options?.find((o) => o.name === "ndots")?.value;
    if (ndots !== undefined && /^\d+$/.test(ndots)) conf.ndots = Number(ndots);
  }
  return conf;
}

/** The names glibc tries for name, in order. */
export function candidates(name: string, conf: PodResolvConf): string[] {
  if (name.endsWith(".")) return [name.slice(0, -1)];
  const dots = name.split(".").length - 1;
  const searched = conf.searches.map((s) => `${name}.${s}`);
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

/** Opens a TCP connection to a nameserver (port 53) as the pod would. */
export type DialDns = (ip: string, port: number) => Promise<Socket>;

/** An A query for name with a fresh random id, as a stub resolver sends it (recursion desired). */
function aQuery(name: string): { id: number; query: Buffer } {
  const id = Math.floor(Math.random() * 0x10000);
  return {
    id,
    query: encodeMessage({ id, rd: true, questions: [{ name, type: RRType.A, class: CLASS_IN }] }),
  };
}

/**
 * Where a pod's datagram to ip:port really goes (what DNAT does to it on a real node); release,
 * if given, is called once the exchange is over.
 */
export type RouteDnsUdp = (
  ip: string,
  port: number,
) => Promise<{ host: string; port: number; release?: () => void }>;

/** Sends one A query in a datagram and waits for the reply with its id (others are ignored). */
async function queryUdp(
  route: RouteDnsUdp,
  server: string,
  name: string,
  timeoutMs: number,
): Promise<DnsMessage> {
  const at = await route(server, 53);
  const { id, query } = aQuery(name);
  const sock = createSocket("udp4");
  try {
    return await new Promise<DnsMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer from ${server} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      sock.on("message", (m) => {
        let msg: DnsMessage;
        try {
          msg = decodeMessage(m);
        } catch {
          return;
        }
        if (msg.id !== id || !msg.qr) return;
        clearTimeout(timer);
        resolve(msg);
      });
      sock.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.send(query, at.port, at.host);
    });
  } finally {
    sock.close();
    at.release?.();
  }
}

/** Sends one A query over a fresh TCP connection and reads the reply. */
async function queryTcp(dial: DialDns, server: string, name: string, timeoutMs: number): Promise<DnsMessage> {
  const { id, query } = aQuery(name);
  const reply = decodeMessage(await exchangeTcp(await dial(server, 53), query, timeoutMs));
  if (reply.id !== id) throw new Error("reply id mismatch");
  return reply;
}

/** The first IPv4 address for name in an answer, following CNAMEs within it. */
function addressIn(msg: DnsMessage, name: string): { ip?: string; cname?: string } {
  const start = name.toLowerCase().replace(/\.$/, "");
  let owner = start;
  for (let hop = 0; hop < 8; hop++) {
    const rrs = msg.answers.filter((rr) => rr.name.toLowerCase().replace(/\.$/, "") === owner);
    const a = rrs.find((rr) => rr.type === "A");
    if (a && a.type === "A") return { ip: a.address };
    const c = rrs.find((rr) => rr.type === "CNAME");
    if (!c || c.type !== "CNAME") break;
    owner = c.target.toLowerCase().replace(/\.$/, "");
  }
  return owner === start ? {} : { cname: owner };
}

/**
 * Resolves name to an IPv4 address as the pod's resolver would, or undefined when it does not
 * resolve (NXDOMAIN or no address for every candidate, or no nameserver answering).
 */
export async function resolveInPod(
  name: string,
  conf: PodResolvConf,
  dial: DialDns,
  timeoutMs = 5_000,
  udp?: RouteDnsUdp,
): Promise<string | undefined> {
  if (conf.nameservers === "host") {
    try {
      return (await hostLookup(name, { family: 4 })).address;
    } catch {
      return undefined;
    }
  }
  let queue = candidates(name, conf);
  for (let hops = 0; hops < 8 && queue.length > 0; hops++) {
    let cname: string | undefined;
    for (const fqdn of queue) {
      let reply: DnsMessage | undefined;
      for (const server of conf.nameservers) {
        try {
          reply = udp ? await queryUdp(udp, server, fqdn, timeoutMs) : undefined;
          // Truncated (or no UDP route): the same question over TCP, as glibc retries.
          if (!reply || reply.tc) reply = await queryTcp(dial, server, fqdn, timeoutMs);
          if (reply.rcode === Rcode.NOERROR || reply.rcode === Rcode.NXDOMAIN) break;
        } catch {
          reply = undefined;
        }
      }
      if (!reply || reply.rcode !== Rcode.NOERROR) continue;
      const found = addressIn(reply, fqdn);
      if (found.ip) return found.ip;
      if (found.cname) {
        cname = found.cname;
        break;
      }
    }
    // A CNAME whose target the answer did not carry: look the target up as an absolute name.
    queue = cname ? [cname] : [];
  }
  return undefined;
}
