/**
 * The routing table the data plane switches to in one step on every apply: a RuleSet indexed by
 * the addresses traffic arrives at, and the routing decision for one new flow. Pure: no sockets,
 * no clock.
 *
 * Frontends, as kube-proxy's iptables/nftables chains arrange them:
 * - cluster (ClusterIP:port): clusterEndpoints; off-cluster sources (the node itself) are
 *   masqueraded to the node IP, pod sources keep their IP.
 * - external (NodePort on the node IP, externalIPs, LoadBalancer ingress IPs):
 *   externalTrafficPolicy Cluster uses externalEndpoints and masquerades every source;
 *   Local uses externalEndpoints (the local ones) and keeps the client IP, except that traffic
 *   from pods is short-circuited to the cluster endpoints unmasqueraded and traffic from the node
 *   itself to the cluster endpoints masqueraded ("pod traffic for ... external destinations").
 * - no endpoints at all: REJECT; endpoints, but none for this frontend: DROP.
 * - a pod reaching itself through a service (hairpin) is always masqueraded.
 *
 * This is the same reading of kube-proxy as rules/trace.ts (traceFlow), indexed for per-connection
 * use; one difference: a service IP at a port no service has is dropped (iptables) or rejected
 * (nftables, ipvs) here, where traceFlow answers no-rule.
 *
 * Limitations vs Kubernetes: SCTP rules are skipped.
 */
import type { Protocol } from "@kemu/fabric";
import type {
  FlowSource,
  IpvsScheduler,
  ProxyMode,
  RuleEndpoint,
  RuleSet,
  ServicePortRule,
} from "../types.ts";
import type { HealthCheckTarget } from "./healthcheck.ts";

/** Which chain a flow enters. */
export type Frontend = "cluster" | "external";

/** A RuleSet indexed for lookups; replaced as a whole, never mutated. */
export interface RoutingTable {
  mode: ProxyMode;
  ipvsScheduler: IpvsScheduler;
  /** Rules by id. */
  rules: Map<string, ServicePortRule>;
  /** "PROTO ip:port" of a ClusterIP, external IP or LoadBalancer IP -> rule and frontend. */
  vips: Map<string, { rule: ServicePortRule; frontend: Frontend }>;
  /** Every ClusterIP, external IP and LoadBalancer IP with at least one rule. */
  vipIPs: Set<string>;
  /** "PROTO port" of a NodePort -> rule. */
  nodePorts: Map<string, ServicePortRule>;
  /** healthCheckNodePort -> what it reports. */
  health: Map<number, HealthCheckTarget>;
  /** Rules left out because the userspace data plane cannot carry their protocol. */
  skipped: string[];
}

/** The key of a service address in RoutingTable.vips. */
export function vipKey(proto: Protocol, ip: string, port: number): string {
  return `${proto} ${ip}:${port}`;
}

/** The key of a NodePort in RoutingTable.nodePorts. */
export function nodePortKey(proto: Protocol, port: number): string {
  return `${proto} ${port}`;
}

/** Indexes a RuleSet. */
export function buildTable(rs: RuleSet): RoutingTable {
  const t: RoutingTable = {
    mode: rs.mode,
    ipvsScheduler: rs.ipvsScheduler,
    rules: new Map(),
    vips: new Map(),
    vipIPs: new Set(),
    nodePorts: new Map(),
    health: new Map(),
    skipped: [],
  };
  for (const r of rs.rules) {
    if (r.protocol === "SCTP") {
      t.skipped.push(r.id);
      continue;
    }
    t.rules.set(r.id, r);
    t.vips.set(vipKey(r.protocol, r.clusterIP, r.port), { rule: r, frontend: "cluster" });
    t.vipIPs.add(r.clusterIP);
    for (const ip of [...r.externalIPs, ...r.loadBalancerIPs]) {
      t.vips.set(vipKey(r.protocol, ip, r.port), { rule: r, frontend: "external" });
      t.vipIPs.add(ip);
    }
    if (r.nodePort !== undefined) t.nodePorts.set(nodePortKey(r.protocol, r.nodePort), r);
    if (r.healthCheckNodePort !== undefined) {
      // One server per service: its ports share the count (kube-proxy counts distinct local IPs).
      const prev = t.health.get(r.healthCheckNodePort);
      const localEndpoints = Math.max(prev?.localEndpoints ?? 0, r.localReadyEndpoints);
      t.health.set(r.healthCheckNodePort, { namespace: r.namespace, name: r.name, localEndpoints });
    }
  }
  return t;
}

/** The routing decision for one new flow (kube-proxy's FlowVerdict, with the rule itself). */
export type Decision =
  | { kind: "forward"; rule: ServicePortRule; candidates: RuleEndpoint[]; snat: boolean }
  | { kind: "reject"; rule: ServicePortRule; reason: string }
  | { kind: "drop"; rule: ServicePortRule; reason: string };

const fromPod = (o: FlowSource["origin"]) => o === "local-pod" || o === "remote-pod";

/** Decides a new flow entering rule through frontend from a source of the given origin. */
export function decide(rule: ServicePortRule, frontend: Frontend, origin: FlowSource["origin"]): Decision {
  if (!rule.hasEndpoints) return { kind: "reject", rule, reason: "service has no endpoints" };
  let candidates: RuleEndpoint[];
  let snat: boolean;
  if (frontend === "cluster") {
    candidates = rule.clusterEndpoints;
    snat = !fromPod(origin);
  } else if (!rule.externalPolicyLocal) {
    candidates = rule.externalEndpoints;
    snat = true;
  } else if (origin === "external") {
    candidates = rule.externalEndpoints;
    snat = false;
  } else {
    // kube-proxy's Cluster-policy endpoints (clusterEndpoints has internalTrafficPolicy applied).
    candidates = rule.clusterPolicyEndpoints ?? rule.clusterEndpoints;
    snat = origin === "host";
  }
  if (candidates.length === 0) {
    const reason =
      candidates === rule.externalEndpoints
        ? "externalTrafficPolicy Local and no local endpoints"
        : "internalTrafficPolicy Local and no local endpoints";
    return { kind: "drop", rule, reason };
  }
  return { kind: "forward", rule, candidates, snat };
}
