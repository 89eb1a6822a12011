/**
 * traceFlow: what a node's rules do with a new connection, replayed from a RuleSet the way
 * kube-proxy's iptables rules would treat it (pkg/proxy/iptables syncProxyRules; the shape of
 * kube-proxy's own packet-flow tests). It answers which rule matches, the candidate endpoints,
 * whether the source is masqueraded, or why the connection is rejected or dropped.
 *
 * The rules it replays:
 * - Destinations are matched in KUBE-SERVICES order: ClusterIP, external IPs and LoadBalancer
 *   IPs (each on the Service port), then NodePorts on a local address of the node.
 * - A service port with no usable endpoint anywhere REJECTs every destination of it.
 * - ClusterIP: Cluster policy uses clusterEndpoints; internalTrafficPolicy Local with no local
 *   endpoint DROPs. Traffic from outside the pod network (the node itself, or a routed
 *   external client) is masqueraded.
 * - External destinations with externalTrafficPolicy Cluster: externalEndpoints, always
 *   masqueraded.
 * - External destinations with externalTrafficPolicy Local: traffic from pods short-circuits to
 *   the Cluster-policy endpoints without masquerade; traffic from the node itself does too, but
 *   masqueraded; other traffic uses the local endpoints with its source kept, and is DROPped
 *   when the node has none.
 * - Hairpin: a pod that lands on itself is masqueraded (see snatFor).
 *
 * Limitations vs Kubernetes:
 * - The pod network is told by FlowSource.origin ("local-pod"/"remote-pod"), standing for
 *   kube-proxy's cluster-CIDR local-traffic detector.
 * - Only the node's InternalIP is a local address for NodePorts: localhost NodePorts (iptables
 *   mode's route_localnet) and --nodeport-addresses are not modelled.
 * - loadBalancerSourceRanges and the firewall chain are not modelled.
 */
import type { Protocol } from "@kemu/fabric";
import type { FlowSource, FlowVerdict, RuleEndpoint, RuleSet, ServicePortRule } from "../types.ts";

/** Which kind of destination of a service port a connection matched. */
type Destination = "cluster IP" | "external IP" | "loadbalancer IP" | "node port";

function fromPod(src: FlowSource): boolean {
  return src.origin === "local-pod" || src.origin === "remote-pod";
}

function match(
  rules: RuleSet,
  dstIP: string,
  dstPort: number,
  proto: Protocol,
): { rule: ServicePortRule; dst: Destination } | undefined {
  for (const rule of rules.rules) {
    if (rule.protocol !== proto || rule.port !== dstPort) continue;
    if (rule.clusterIP === dstIP) return { rule, dst: "cluster IP" };
    if (rule.externalIPs.includes(dstIP)) return { rule, dst: "external IP" };
    if (rule.loadBalancerIPs.includes(dstIP)) return { rule, dst: "loadbalancer IP" };
  }
  if (dstIP !== rules.node.ip) return undefined;
  for (const rule of rules.rules) {
    if (rule.protocol === proto && rule.nodePort === dstPort) return { rule, dst: "node port" };
  }
  return undefined;
}

function forward(
  rule: ServicePortRule,
  src: FlowSource,
  candidates: RuleEndpoint[],
  snat: boolean,
): FlowVerdict {
  // When the only place to land is the source itself, the connection is a hairpin.
  const hairpin = fromPod(src) && candidates.length > 0 && candidates.every((ep) => ep.ip === src.ip);
  return { kind: "forward", rule: rule.id, candidates, snat: snat || hairpin };
}

/** What happens to a new connection from src to dstIP:dstPort/proto on the node these rules are for. */
export function traceFlow(
  rules: RuleSet,
  src: FlowSource,
  dstIP: string,
  dstPort: number,
  proto: Protocol,
): FlowVerdict {
  const m = match(rules, dstIP, dstPort, proto);
  if (!m) return { kind: "no-rule" };
  const { rule, dst } = m;
  if (!rule.hasEndpoints) return { kind: "reject", rule: rule.id, reason: `${rule.id} has no endpoints` };

  if (dst === "cluster IP") {
    if (rule.internalPolicyLocal && rule.clusterEndpoints.length === 0) {
      return { kind: "drop", rule: rule.id, reason: `${rule.id} has no local endpoints` };
    }
    // Masquerade off-cluster traffic to a service VIP (it may be bounced to another node).
    return forward(rule, src, rule.clusterEndpoints, !fromPod(src));
  }

  if (!rule.externalPolicyLocal) return forward(rule, src, rule.externalEndpoints, true);
  const short = rule.clusterPolicyEndpoints ?? rule.clusterEndpoints;
  if (fromPod(src)) return forward(rule, src, short, false);
  if (src.origin === "host") return forward(rule, src, short, true);
  if (rule.externalEndpoints.length === 0) {
    return { kind: "drop", rule: rule.id, reason: `${rule.id} has no local endpoints` };
  }
  return forward(rule, src, rule.externalEndpoints, false);
}

/** Whether a forwarded connection that lands on endpoint is masqueraded (the verdict's SNAT, or hairpin). */
export function snatFor(verdict: FlowVerdict, src: FlowSource, endpoint: RuleEndpoint): boolean {
  if (verdict.kind !== "forward") return false;
  return verdict.snat || (fromPod(src) && endpoint.ip === src.ip);
}
