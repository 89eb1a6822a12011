/**
 * A canonical text dump of a RuleSet: one block per service port in RuleSet order, one line per
 * endpoint, optional parts only when set. Equal RuleSets give equal text, so golden files and
 * `kemu rules` output diff well (kube-proxy's tests compare sorted iptables-save dumps the same
 * way).
 */
import type { RuleEndpoint, RuleSet, ServicePortRule } from "../types.ts";

function endpointLine(ep: RuleEndpoint): string {
  const flags: string[] = [];
  if (ep.ready) flags.push("ready");
  else if (ep.serving) flags.push("serving");
  else flags.push("not-ready");
  if (ep.terminating) flags.push("terminating");
  if (ep.isLocal) flags.push("local");
  if (ep.nodeName) flags.push(`node=${ep.nodeName}`);
  if (ep.zone) flags.push(`zone=${ep.zone}`);
  if (ep.podRef) flags.push(`pod=${ep.podRef}`);
  return `    ${ep.ip}:${ep.port} ${flags.join(" ")}`;
}

function endpointBlock(title: string, eps: readonly RuleEndpoint[]): string[] {
  if (eps.length === 0) return [`  ${title}: -`];
  return [`  ${title}:`, ...eps.map(endpointLine)];
}

function ruleBlock(r: ServicePortRule): string[] {
  const head = [`${r.id} ${r.protocol} ${r.clusterIP}:${r.port}`];
  if (r.nodePort !== undefined) head.push(`nodePort=${r.nodePort}`);
  if (r.healthCheckNodePort !== undefined) head.push(`healthCheckNodePort=${r.healthCheckNodePort}`);
  if (r.affinityTimeoutSeconds !== undefined) head.push(`affinity=ClientIP/${r.affinityTimeoutSeconds}s`);
  const lines = [head.join(" ")];
  if (r.externalIPs.length > 0) lines.push(`  externalIPs: ${r.externalIPs.join(" ")}`);
  if (r.loadBalancerIPs.length > 0) lines.push(`  loadBalancerIPs: ${r.loadBalancerIPs.join(" ")}`);
  lines.push(
    `  policy: internal=${r.internalPolicyLocal ? "Local" : "Cluster"}` +
      ` external=${r.externalPolicyLocal ? "Local" : "Cluster"}` +
      ` hasEndpoints=${r.hasEndpoints} localReady=${r.localReadyEndpoints}`,
  );
  lines.push(...endpointBlock("cluster", r.clusterEndpoints));
  const external = r.nodePort !== undefined || r.externalIPs.length > 0 || r.loadBalancerIPs.length > 0;
  if (external) lines.push(...endpointBlock("external", r.externalEndpoints));
  if (r.clusterPolicyEndpoints) lines.push(...endpointBlock("cluster-policy", r.clusterPolicyEndpoints));
  return lines;
}

/** The canonical text of a RuleSet, ending in a newline. */
export function dumpRules(rules: RuleSet): string {
  const n = rules.node;
  const mode = rules.mode === "ipvs" ? `ipvs/${rules.ipvsScheduler}` : rules.mode;
  const lines = [`# node ${n.name} ip=${n.ip}${n.zone ? ` zone=${n.zone}` : ""} mode=${mode}`];
  for (const r of rules.rules) lines.push(...ruleBlock(r));
  return lines.join("\n") + "\n";
}
