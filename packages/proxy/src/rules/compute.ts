/**
 * computeRules: what kube-proxy programs on one node, as a pure function of the Services and
 * EndpointSlices it has seen (kubernetes pkg/proxy: serviceToServiceMap, EndpointSliceCache,
 * CategorizeEndpoints; pkg/proxy/iptables syncProxyRules for what each list is used for).
 * No I/O, clock or NATS: the sync machine decides when to call it, a data plane applies the
 * result in one step.
 *
 * What it follows from upstream:
 * - Services without an IPv4 ClusterIP (headless `None`, unallocated, IPv6-only) and
 *   ExternalName Services get no rules (ShouldSkipService).
 * - One ServicePortRule per Service port, named "ns/name:portName" (ServicePortName).
 * - Endpoints are merged from every IPv4 EndpointSlice labelled kubernetes.io/service-name, and
 *   matched to the Service port by port name and protocol; only the first address of each
 *   endpoint counts; duplicates (an endpoint moving between slices) are merged, preferring a
 *   non-terminating copy; ports without a number are ignored.
 * - Conditions: a nil ready means ready, a nil serving means serving (kube-proxy's reading, and
 *   the current API documentation's), a nil terminating means not terminating.
 * - CategorizeEndpoints: Cluster policy uses ready endpoints (narrowed by same-zone topology
 *   hints when every ready endpoint has one and some hint names this node's zone), falling back
 *   to serving-and-terminating ones when no endpoint is ready; Local policy uses this node's
 *   ready endpoints, falling back to its serving-and-terminating ones; hasEndpoints says whether
 *   any usable endpoint exists anywhere.
 * - externalTrafficPolicy Local applies to NodePort and LoadBalancer Services only;
 *   healthCheckNodePort only to LoadBalancer Services with externalTrafficPolicy Local.
 * - LoadBalancer ingress IPs are used unless their ipMode is "Proxy".
 * - localReadyEndpoints counts, per Service (summed over its ports, as
 *   EndpointsMap.LocalReadyEndpoints does), the ready endpoints on this node.
 *
 * Limitations vs Kubernetes:
 * - IPv4 only (kube-proxy runs one proxier per IP family; kemu's cluster is single-stack).
 * - Same-node topology hints (PreferSameTrafficDistribution, beta after 1.32) are ignored.
 * - loadBalancerSourceRanges are not modelled (RuleSet has no field for them).
 * - Endpoints with several addresses use the first, as kube-proxy does; FQDN slices are ignored.
 */
import { isIPv4 } from "node:net";
import type { V1EndpointSlice, V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { Protocol } from "@kemu/fabric";
import type { NodeInfo, ProxyConfig, RuleEndpoint, RuleSet, ServicePortRule } from "../types.ts";

/** The label that ties an EndpointSlice to its Service (discovery.LabelServiceName). */
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";

/** The session affinity timeout when a ClientIP Service does not set one (3 hours, as the API defaults it). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

/** kube-proxy's view of one endpoint before categorisation: a RuleEndpoint plus its zone hints. */
interface EndpointInfo extends RuleEndpoint {
  zoneHints: Set<string> | undefined;
}

/** The key kube-proxy groups endpoints under (ServicePortName with its protocol). */
function portKey(namespace: string, service: string, portName: string, protocol: string): string {
  return `${namespace}/${service}:${portName}/${protocol}`;
}

/** The IPv4 ClusterIP of a Service, or undefined when kube-proxy would skip it. */
export function serviceClusterIPv4(svc: V1Service): string | undefined {
  const spec = svc.spec;
  if (!spec || spec.type === "ExternalName") return undefined;
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  // "None" (headless) and "" (not allocated) are not IPs, so they fall out here.
  return ips.find((ip) => isIPv4(ip));
}

/** Numeric order of dotted-quad IPv4 addresses (non-IPv4 strings sort after, by text). */
export function compareIPs(a: string, b: string): number {
  const na = ipv4ToNumber(a);
  const nb = ipv4ToNumber(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ipv4ToNumber(ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

/** Canonical endpoint order: by IP (numerically), then port. */
export function compareEndpoints(a: Pick<RuleEndpoint, "ip" | "port">, b: Pick<RuleEndpoint, "ip" | "port">) {
  return compareIPs(a.ip, b.ip) || a.port - b.port;
}

/** Endpoints of every IPv4 slice, grouped by ServicePortName and deduplicated by ip:port. */
function endpointsByServicePort(slices: readonly V1EndpointSlice[], nodeName: string) {
  const out = new Map<string, Map<string, EndpointInfo>>();
  // Slices in a stable order, so that which duplicate wins does not depend on informer order.
  const sorted = [...slices].sort((a, b) => {
    const ka = `${a.metadata?.namespace ?? ""}/${a.metadata?.name ?? ""}`;
    const kb = `${b.metadata?.namespace ?? ""}/${b.metadata?.name ?? ""}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const slice of sorted) {
    const namespace = slice.metadata?.namespace;
    const service = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (!namespace || !service || slice.addressType !== "IPv4") continue;
    for (const port of slice.ports ?? []) {
      if (!port.port) continue;
      const key = portKey(namespace, service, port.name ?? "", port.protocol ?? "TCP");
      let set = out.get(key);
      if (!set) out.set(key, (set = new Map()));
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (!ip || !isIPv4(ip)) continue;
        const ready = ep.conditions?.ready ?? true;
        const serving = ep.conditions?.serving ?? true;
        const terminating = ep.conditions?.terminating ?? false;
        const ref = ep.targetRef;
        const info: EndpointInfo = {
          ip,
          port: port.port,
          nodeName: ep.nodeName,
          zone: ep.zone,
          ready,
          serving,
          terminating,
          isLocal: nodeName !== "" && ep.nodeName === nodeName,
          podRef: ref?.name ? `${ref.namespace ?? namespace}/${ref.name}` : undefined,
          zoneHints: ep.hints?.forZones?.length ? new Set(ep.hints.forZones.map((z) => z.name)) : undefined,
        };
        const k = `${ip}:${port.port}`;
        // An IP reused by a new pod while the old one terminates: prefer the running one.
        if (!set.has(k) || !terminating) set.set(k, info);
      }
    }
  }
  return out;
}

/** What CategorizeEndpoints needs to know about a service port. */
interface PolicyInfo {
  internalPolicyLocal: boolean;
  externalPolicyLocal: boolean;
  externallyAccessible: boolean;
}

/** kube-proxy's CategorizeEndpoints, without the allReachable union nobody here needs. */
export function categorizeEndpoints<E extends RuleEndpoint & { zoneHints?: Set<string> | undefined }>(
  endpoints: readonly E[],
  svc: PolicyInfo,
  zone: string | undefined,
): { clusterEndpoints: E[] | undefined; localEndpoints: E[] | undefined; hasEndpoints: boolean } {
  let clusterEndpoints: E[] | undefined;
  let localEndpoints: E[] | undefined;
  let hasEndpoints = false;
  if (endpoints.length === 0) return { clusterEndpoints, localEndpoints, hasEndpoints };

  const usesClusterEndpoints = !svc.internalPolicyLocal || svc.externallyAccessible;
  const usesLocalEndpoints = svc.internalPolicyLocal || (svc.externalPolicyLocal && svc.externallyAccessible);

  if (usesClusterEndpoints) {
    const sameZone = useZoneHints(endpoints, zone);
    clusterEndpoints = endpoints.filter((ep) => ep.ready && (!sameZone || ep.zoneHints?.has(zone!)));
    // No ready endpoint anywhere (topology never empties the list: it is only used when some
    // ready endpoint is hinted for this zone): fall back to serving, terminating ones.
    if (clusterEndpoints.length === 0) {
      clusterEndpoints = endpoints.filter((ep) => ep.serving && ep.terminating);
    }
    if (clusterEndpoints.length > 0) hasEndpoints = true;
  }
  if (!usesLocalEndpoints) return { clusterEndpoints, localEndpoints, hasEndpoints };

  let localReady = false;
  let localServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasEndpoints = true;
      if (ep.isLocal) localReady = true;
    } else if (ep.serving && ep.terminating) {
      hasEndpoints = true;
      if (ep.isLocal) localServingTerminating = true;
    }
  }
  if (localReady) localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.ready);
  else if (localServingTerminating) {
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.serving && ep.terminating);
  }
  return { clusterEndpoints, localEndpoints, hasEndpoints };
}

/** topologyModeFromHints, same-zone only: every ready endpoint hinted, and one for our zone. */
function useZoneHints(
  endpoints: readonly { ready: boolean; zoneHints?: Set<string> | undefined }[],
  zone?: string,
) {
  if (!zone) return false;
  let anyReady = false;
  let forZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    anyReady = true;
    if (!ep.zoneHints || ep.zoneHints.size === 0) return false;
    if (ep.zoneHints.has(zone)) forZone = true;
  }
  return anyReady && forZone;
}

function strip(eps: readonly EndpointInfo[] | undefined): RuleEndpoint[] {
  return (eps ?? []).map(({ zoneHints: _zoneHints, ...ep }) => ep).sort(compareEndpoints);
}

function sortedIPv4(ips: Iterable<string>): string[] {
  return [...new Set([...ips].filter((ip) => isIPv4(ip)))].sort(compareIPs);
}

/** The rule of one Service port; endpoints come from the grouped slices. */
function servicePortRule(
  svc: V1Service,
  clusterIP: string,
  sp: V1ServicePort,
  endpoints: readonly EndpointInfo[],
  node: NodeInfo,
  localReadyEndpoints: number,
): ServicePortRule {
  const spec = svc.spec!;
  const namespace = svc.metadata?.namespace ?? "";
  const name = svc.metadata?.name ?? "";
  const portName = sp.name ?? "";
  const type = spec.type ?? "ClusterIP";
  const externalPolicyLocal =
    (type === "NodePort" || type === "LoadBalancer") && spec.externalTrafficPolicy === "Local";
  const internalPolicyLocal = spec.internalTrafficPolicy === "Local";
  const nodePort = sp.nodePort ? sp.nodePort : undefined;
  const externalIPs = sortedIPv4(spec.externalIPs ?? []);
  const loadBalancerIPs = sortedIPv4(
    (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip && i.ipMode !== "Proxy").map((i) => i.ip!),
  );
  const externallyAccessible = nodePort !== undefined || externalIPs.length > 0 || loadBalancerIPs.length > 0;
  const policy = { internalPolicyLocal, externalPolicyLocal, externallyAccessible };
  const { clusterEndpoints, localEndpoints, hasEndpoints } = categorizeEndpoints(
    endpoints,
    policy,
    node.zone,
  );

  const rule: ServicePortRule = {
    id: `${namespace}/${name}:${portName}`,
    namespace,
    name,
    portName,
    protocol: (sp.protocol ?? "TCP") as Protocol,
    clusterIP,
    port: sp.port,
    nodePort,
    externalIPs,
    loadBalancerIPs,
    healthCheckNodePort:
      type === "LoadBalancer" && externalPolicyLocal && spec.healthCheckNodePort
        ? spec.healthCheckNodePort
        : undefined,
    affinityTimeoutSeconds:
      spec.sessionAffinity === "ClientIP"
        ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS)
        : undefined,
    externalPolicyLocal,
    internalPolicyLocal,
    clusterEndpoints: strip(internalPolicyLocal ? localEndpoints : clusterEndpoints),
    externalEndpoints: externallyAccessible
      ? strip(externalPolicyLocal ? localEndpoints : clusterEndpoints)
      : [],
    hasEndpoints,
    localReadyEndpoints,
  };
  // The EXT chain short-circuits traffic from pods and from the node itself to the Cluster-policy
  // endpoints, whatever externalTrafficPolicy says; say which ones when they can differ.
  if (externalPolicyLocal && externallyAccessible) rule.clusterPolicyEndpoints = strip(clusterEndpoints);
  return rule;
}

/**
 * The rules of one node: one ServicePortRule per port of every proxied Service, sorted by id,
 * endpoints sorted by IP then port. Pure: same inputs, same output.
 */
export function computeRules(
  services: readonly V1Service[],
  endpointSlices: readonly V1EndpointSlice[],
  node: NodeInfo,
  config: ProxyConfig,
): RuleSet {
  const byPort = endpointsByServicePort(endpointSlices, node.name);
  const rules: ServicePortRule[] = [];
  for (const svc of services) {
    const clusterIP = serviceClusterIPv4(svc);
    const namespace = svc.metadata?.namespace;
    const name = svc.metadata?.name;
    if (!clusterIP || !namespace || !name) continue;
    const ports = svc.spec?.ports ?? [];
    const endpointsOf = (sp: V1ServicePort) => [
      ...(byPort.get(portKey(namespace, name, sp.name ?? "", sp.protocol ?? "TCP"))?.values() ?? []),
    ];
    // Per Service, not per port: what the health check node port server reports.
    let localReady = 0;
    for (const sp of ports) localReady += endpointsOf(sp).filter((ep) => ep.isLocal && ep.ready).length;
    for (const sp of ports)
      rules.push(servicePortRule(svc, clusterIP, sp, endpointsOf(sp), node, localReady));
  }
  rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { node: { ...node }, mode: config.mode, ipvsScheduler: config.ipvsScheduler, rules };
}
