/**
 * Service (core/v1): SetDefaults_Service, the stateless part of the registry's create path (clusterIPs
 * mirrors clusterIP; single-stack IPv4 families), ValidateService / ValidateServiceUpdate, and the
 * allocator's error messages for the caller that allocates ClusterIPs and NodePorts.
 *
 * Limitations vs Kubernetes: IPv4 single-stack only: ipFamilyPolicy defaults to SingleStack (headless
 * Services without a selector get RequireDualStack, as upstream documents, but still only IPv4);
 * ClusterIP and NodePort allocation and their range checks are the caller's (see the message helpers).
 */
import { duplicate, forbidden, internalError, invalid, notSupported, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { GoRepr, goQuote, goStringSlice } from "../gofmt.ts";
import {
  child,
  validateDNS1123Label,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateQualifiedName,
} from "../meta.ts";
import { isDNS1123Subdomain, isValidIP, isValidPortNum, nameIsDNS1035Label, parseIPv4 } from "../names.ts";
import type { Service, ServicePort } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";
import { SUPPORTED_PORT_PROTOCOLS, validatePortNumOrName } from "./podspec.ts";

/** Default ClientIP affinity timeout: three hours. */
export const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;
/** Largest ClientIP affinity timeout: one day. */
export const MAX_CLIENT_IP_TIMEOUT_SECONDS = 86400;

/** Whether traffic from outside the cluster reaches the Service (apiservice.ExternallyAccessible). */
export function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return (
    t === "LoadBalancer" ||
    t === "NodePort" ||
    (t === "ClusterIP" && (svc.spec?.externalIPs ?? []).length > 0)
  );
}

/** Whether the Service needs a health-check node port (LoadBalancer with externalTrafficPolicy Local). */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec?.type === "LoadBalancer" && svc.spec.externalTrafficPolicy === "Local";
}

/** A headless Service: clusterIPs is exactly ["None"]. */
export function isHeadless(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === "None";
}

function defaultService(svc: Service, op: Operation): void {
  svc.spec ??= {};
  const spec = svc.spec;
  if (!spec.sessionAffinity) spec.sessionAffinity = "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (!spec.type) spec.type = "ClusterIP";
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = "TCP";
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port ?? 0;
  }
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = "Cluster";
  if (!spec.internalTrafficPolicy && ["NodePort", "LoadBalancer", "ClusterIP"].includes(spec.type)) {
    spec.internalTrafficPolicy = "Cluster";
  }
  if (
    spec.type === "LoadBalancer" &&
    (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)
  ) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  if (
    spec.sessionAffinity === "ClientIP" &&
    (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined ||
      spec.sessionAffinityConfig.clientIP.timeoutSeconds === null)
  ) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT_SECONDS } };
  }
  // The strategy keeps clusterIP and clusterIPs[0] in step (normalizeClusterIPs).
  if (spec.clusterIP && (spec.clusterIPs ?? []).length === 0) spec.clusterIPs = [spec.clusterIP];
  if (op === "create" && spec.type !== "ExternalName") {
    if (!spec.ipFamilyPolicy) {
      const selectorless = Object.keys(spec.selector ?? {}).length === 0;
      spec.ipFamilyPolicy = spec.clusterIP === "None" && selectorless ? "RequireDualStack" : "SingleStack";
    }
    if ((spec.ipFamilies ?? []).length === 0) spec.ipFamilies = ["IPv4"];
  }
  if (spec.type === "LoadBalancer") {
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (ing.ip && !ing.ipMode) ing.ipMode = "VIP";
    }
  }
  svc.status ??= {};
  svc.status.loadBalancer ??= {};
}

/** Renders a port key as Go's %#v of core.ServicePort, as the duplicate-port error prints it. */
function goServicePortKey(protocol: string, port: number): string {
  return (
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, ` +
    `TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`
  );
}

function validateServicePort(
  sp: ServicePort,
  requireName: boolean,
  names: Set<string>,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) {
    errs.push(required(child(field, "name")));
  } else if (sp.name) {
    errs.push(...validateDNS1123Label(sp.name, child(field, "name")));
    if (names.has(sp.name)) errs.push(duplicate(child(field, "name"), sp.name));
    else names.add(sp.name);
  }
  errs.push(...isValidPortNum(sp.port ?? 0).map((m) => invalid(child(field, "port"), sp.port ?? 0, m)));
  if (!sp.protocol) errs.push(required(child(field, "protocol")));
  else if (!(SUPPORTED_PORT_PROTOCOLS as readonly string[]).includes(sp.protocol)) {
    errs.push(notSupported(child(field, "protocol"), sp.protocol, SUPPORTED_PORT_PROTOCOLS));
  }
  errs.push(...validatePortNumOrName(sp.targetPort, child(field, "targetPort")));
  if (sp.appProtocol !== undefined && sp.appProtocol !== null) {
    errs.push(...validateQualifiedName(sp.appProtocol, child(field, "appProtocol")));
  }
  return errs;
}

/** ValidateNonSpecialIP: no unspecified, loopback or link-local addresses (IPv4 rules). */
export function validateNonSpecialIP(ip: string, field: string): FieldError[] {
  const v4 = parseIPv4(ip);
  if (!v4) return isValidIP(ip).length > 0 ? [invalid(field, ip, "must be a valid IP address")] : [];
  const errs: FieldError[] = [];
  const [a, b, c] = v4;
  if (v4.every((x) => x === 0)) errs.push(invalid(field, ip, `may not be unspecified (${ip})`));
  if (a === 127) errs.push(invalid(field, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
  if (a === 169 && b === 254)
    errs.push(invalid(field, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
  if (a === 224 && b === 0 && c === 0) {
    errs.push(invalid(field, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"));
  }
  return errs;
}

/** IsValidCIDR (IPv4 and IPv6 prefixes). */
function validateCIDR(value: string, field: string): FieldError[] {
  const [ip, bits, ...rest] = value.split("/");
  const max = parseIPv4(ip ?? "") ? 32 : 128;
  const ok =
    rest.length === 0 &&
    bits !== undefined &&
    /^[0-9]+$/.test(bits) &&
    Number(bits) <= max &&
    isValidIP(ip ?? "").length === 0;
  return ok ? [] : [invalid(field, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")];
}

function validateClusterIPsRelatedFields(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === "ExternalName") return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  const ipsShown = new GoRepr(goStringSlice(spec.clusterIPs ?? undefined));
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(required("spec.clusterIPs"));
    else if (ips[0] !== spec.clusterIP)
      errs.push(invalid("spec.clusterIPs", ipsShown, "first value must match `clusterIP`"));
  } else if (ips.length > 0) {
    errs.push(invalid("spec.clusterIPs", ipsShown, "must be empty when `clusterIP` is not specified"));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (f !== "IPv4" && f !== "IPv6") errs.push(notSupported(`spec.ipFamilies[${i}]`, f, ["IPv4", "IPv6"]));
    if (seen.has(f)) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
    const policies = ["PreferDualStack", "RequireDualStack", "SingleStack"];
    if (!policies.includes(spec.ipFamilyPolicy))
      errs.push(notSupported("spec.ipFamilyPolicy", spec.ipFamilyPolicy, policies));
  }
  let hasInvalid = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === "None") {
      if (ips.length > 1) {
        hasInvalid = true;
        errs.push(invalid("spec.clusterIPs", ipsShown, "'None' must be the first and only value"));
      }
      return;
    }
    const msgs = isValidIP(ip);
    if (msgs.length > 0) hasInvalid = true;
    errs.push(...msgs.map((m) => invalid(`spec.clusterIPs[${i}]`, ip, m)));
  });
  if (ips.length > 2) errs.push(invalid("spec.clusterIPs", ipsShown, "may only hold up to 2 values"));
  if (hasInvalid) return errs;
  if (ips.length > 1) {
    const v4 = ips.filter((ip) => parseIPv4(ip) !== undefined).length;
    if (v4 !== 1 || ips.length !== 2) {
      errs.push(invalid("spec.clusterIPs", ipsShown, "may specify no more than one IP for each IP family"));
    }
  }
  if (!isHeadless(svc) && ips.length > 0) {
    const fams = spec.ipFamilies ?? [];
    ips.forEach((ip, i) => {
      if (i > fams.length - 1) return;
      const isV6 = parseIPv4(ip) === undefined;
      if (fams[i] === "IPv4" && isV6) {
        errs.push(
          invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``),
        );
      }
      if (fams[i] === "IPv6" && !isV6) {
        errs.push(
          invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``),
        );
      }
    });
  }
  return errs;
}

/** ValidateService. */
export function validateServiceSpec(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  const headless = isHeadless(svc);
  if (ports.length === 0 && !headless && spec.type !== "ExternalName") errs.push(required("spec.ports"));
  switch (spec.type) {
    case "LoadBalancer":
      if (headless)
        errs.push(
          invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services"),
        );
      break;
    case "NodePort":
      if (headless)
        errs.push(invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services"));
      break;
    case "ExternalName": {
      if ((spec.clusterIPs ?? []).length > 0)
        errs.push(forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
      if ((spec.ipFamilies ?? []).length > 0)
        errs.push(forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
        errs.push(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
      }
      const cname = (spec.externalName ?? "").replace(/\.$/, "");
      if (cname.length > 0)
        errs.push(...isDNS1123Subdomain(cname).map((m) => invalid("spec.externalName", cname, m)));
      else errs.push(required("spec.externalName"));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)));
  if (spec.selector !== undefined && spec.selector !== null)
    errs.push(...validateLabels(spec.selector, "spec.selector"));
  if (!spec.sessionAffinity) errs.push(required("spec.sessionAffinity"));
  else if (!["ClientIP", "None"].includes(spec.sessionAffinity)) {
    errs.push(notSupported("spec.sessionAffinity", spec.sessionAffinity, ["ClientIP", "None"]));
  }
  if (spec.sessionAffinity === "ClientIP") {
    const cfg = spec.sessionAffinityConfig;
    const why = "when session affinity type is ClientIP";
    if (!cfg) errs.push(required("spec.sessionAffinityConfig", why));
    else if (!cfg.clientIP) errs.push(required("spec.sessionAffinityConfig.clientIP", why));
    else if (cfg.clientIP.timeoutSeconds === undefined || cfg.clientIP.timeoutSeconds === null) {
      errs.push(required("spec.sessionAffinityConfig.clientIP.timeoutSeconds", why));
    } else {
      const t = cfg.clientIP.timeoutSeconds;
      if (t <= 0 || t > MAX_CLIENT_IP_TIMEOUT_SECONDS) {
        errs.push(
          invalid(
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
            t,
            `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT_SECONDS}`,
          ),
        );
      }
    }
  } else if (spec.sessionAffinity === "None" && spec.sessionAffinityConfig) {
    errs.push(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"));
  }
  errs.push(...validateClusterIPsRelatedFields(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const p = `spec.externalIPs[${i}]`;
    const msgs = isValidIP(ip);
    if (msgs.length > 0) errs.push(...msgs.map((m) => invalid(p, ip, m)));
    else errs.push(...validateNonSpecialIP(ip, p));
  });
  const types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
  if (!spec.type) errs.push(required("spec.type"));
  else if (!types.includes(spec.type)) errs.push(notSupported("spec.type", spec.type, types));
  if (spec.type === "ClusterIP") {
    ports.forEach((p, i) => {
      if (p.nodePort)
        errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol ?? ""}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(key);
  });
  const seenPorts = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol ?? ""}/${p.port ?? 0}`;
    if (seenPorts.has(key))
      errs.push(duplicate(`spec.ports[${i}]`, new GoRepr(goServicePortKey(p.protocol ?? "", p.port ?? 0))));
    seenPorts.add(key);
  });
  if ((spec.loadBalancerSourceRanges ?? []).length > 0) {
    const p = "spec.LoadBalancerSourceRanges";
    if (spec.type !== "LoadBalancer")
      errs.push(forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    (spec.loadBalancerSourceRanges ?? []).forEach((r, i) =>
      errs.push(...validateCIDR(r.trim(), `${p}[${i}]`)),
    );
  }
  if (
    spec.allocateLoadBalancerNodePorts !== undefined &&
    spec.allocateLoadBalancerNodePorts !== null &&
    spec.type !== "LoadBalancer"
  ) {
    errs.push(
      forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"),
    );
  }
  if (
    spec.type === "LoadBalancer" &&
    (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)
  ) {
    // Upstream reports this one without the `spec.` prefix.
    errs.push(required("allocateLoadBalancerNodePorts"));
  }
  if (spec.type === "LoadBalancer") {
    if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
      errs.push(...validateQualifiedName(spec.loadBalancerClass, "spec.loadBalancerClass"));
    }
  } else if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    errs.push(forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"));
  }
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) {
      errs.push(
        invalid(
          "spec.externalTrafficPolicy",
          spec.externalTrafficPolicy,
          "may only be set for externally-accessible services",
        ),
      );
    }
  } else if (!spec.externalTrafficPolicy) {
    errs.push(required("spec.externalTrafficPolicy"));
  } else if (!["Cluster", "Local"].includes(spec.externalTrafficPolicy)) {
    errs.push(notSupported("spec.externalTrafficPolicy", spec.externalTrafficPolicy, ["Cluster", "Local"]));
  }
  if (!needsHealthCheck(svc)) {
    if (spec.healthCheckNodePort) {
      errs.push(
        invalid(
          "spec.healthCheckNodePort",
          spec.healthCheckNodePort,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (!spec.healthCheckNodePort) {
    errs.push(required("spec.healthCheckNodePort"));
  } else {
    errs.push(
      ...isValidPortNum(spec.healthCheckNodePort).map((m) =>
        invalid("spec.healthCheckNodePort", spec.healthCheckNodePort, m),
      ),
    );
  }
  if (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null) {
    if (["NodePort", "LoadBalancer", "ClusterIP"].includes(spec.type ?? ""))
      errs.push(required("spec.internalTrafficPolicy"));
  } else if (!["Cluster", "Local"].includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported("spec.internalTrafficPolicy", spec.internalTrafficPolicy, ["Cluster", "Local"]));
  }
  if (
    spec.trafficDistribution !== undefined &&
    spec.trafficDistribution !== null &&
    spec.trafficDistribution !== "PreferClose"
  ) {
    errs.push(notSupported("spec.trafficDistribution", spec.trafficDistribution, ["PreferClose"]));
  }
  return errs;
}

function validateUpgradeDowngradeClusterIPs(old: Service, svc: Service): FieldError[] {
  if (svc.spec?.type === "ExternalName" || old.spec?.type === "ExternalName") return [];
  if (isHeadless(old) && isHeadless(svc)) return [];
  const errs: FieldError[] = [];
  const oldIPs = old.spec?.clusterIPs ?? [];
  const newIPs = svc.spec?.clusterIPs ?? [];
  const shown = new GoRepr(goStringSlice(svc.spec?.clusterIPs ?? undefined));
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, shown, "may not change once set"));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0)
      errs.push(invalid("spec.clusterIPs[0]", shown, "primary clusterIP can not be unset"));
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
      errs.push(invalid("spec.clusterIPs[0]", shown, "may not change once set"));
    }
    if (newIPs.length === 1 && svc.spec?.ipFamilyPolicy !== "SingleStack") {
      errs.push(
        invalid(
          "spec.ipFamilyPolicy",
          svc.spec?.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary clusterIP",
        ),
      );
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalid("spec.clusterIPs[0]", shown, "may not change once set"));
  }
  return errs;
}

function validateUpgradeDowngradeIPFamilies(old: Service, svc: Service): FieldError[] {
  if (svc.spec?.type === "ExternalName" || old.spec?.type === "ExternalName") return [];
  if (isHeadless(old) !== isHeadless(svc) || isHeadless(svc)) return [];
  const errs: FieldError[] = [];
  const oldF = old.spec?.ipFamilies ?? [];
  const newF = svc.spec?.ipFamilies ?? [];
  const shownF = new GoRepr(`[]core.IPFamily{${newF.map(goQuote).join(", ")}}`);
  const shownIPs = new GoRepr(goStringSlice(svc.spec?.clusterIPs ?? undefined));
  if (oldF.length === newF.length) {
    oldF.forEach((f, i) => {
      if (f !== newF[i]) errs.push(invalid("spec.ipFamilies[0]", shownF, "may not change once set"));
    });
  } else if (oldF.length > newF.length) {
    if ((svc.spec?.clusterIPs ?? []).length === 0)
      errs.push(invalid("spec.ipFamilies[0]", shownF, "primary ipFamily can not be unset"));
    if (newF.length > 0 && newF[0] !== oldF[0])
      errs.push(invalid("spec.ipFamilies[0]", shownIPs, "may not change once set"));
    if (newF.length === 1 && svc.spec?.ipFamilyPolicy !== "SingleStack") {
      errs.push(
        invalid(
          "spec.ipFamilyPolicy",
          svc.spec?.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary ipFamily",
        ),
      );
    }
  } else if (oldF.length > 0 && newF.length > 0 && newF[0] !== oldF[0]) {
    errs.push(invalid("spec.ipFamilies[0]", shownIPs, "may not change once set"));
  }
  return errs;
}

function validateService(svc: Service, old?: Service): FieldError[] {
  if (!old)
    return [...validateObjectMeta(svc.metadata, true, nameIsDNS1035Label), ...validateServiceSpec(svc)];
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  errs.push(...validateUpgradeDowngradeClusterIPs(old, svc));
  errs.push(...validateUpgradeDowngradeIPFamilies(old, svc));
  if (old.spec?.type === "LoadBalancer" && svc.spec?.type === "LoadBalancer") {
    if ((old.spec.loadBalancerClass ?? null) !== (svc.spec.loadBalancerClass ?? null)) {
      errs.push(
        invalid("spec.loadBalancerClass", svc.spec.loadBalancerClass ?? null, "may not change once set"),
      );
    }
  }
  if (
    needsHealthCheck(old) &&
    needsHealthCheck(svc) &&
    old.spec?.healthCheckNodePort !== svc.spec?.healthCheckNodePort
  ) {
    errs.push(forbidden("spec.healthCheckNodePort", "field is immutable"));
  }
  errs.push(...validateObjectMeta(svc.metadata, true, nameIsDNS1035Label), ...validateServiceSpec(svc));
  return errs;
}

/**
 * What the Service strategy does on update before validation: values the server allocated (clusterIP,
 * clusterIPs, ipFamilies, ipFamilyPolicy, nodePorts, healthCheckNodePort) carry over when the update leaves
 * them empty (patchAllocatedValues), and fields a type change makes meaningless are dropped when the user
 * left them unchanged (dropTypeDependentFields). Mutates and returns `next`.
 */
export function prepareServiceUpdate(next: Service, old: Service): Service {
  next.spec ??= {};
  const spec = next.spec;
  const o = old.spec ?? {};
  const needsIP = (t: string | undefined) => t !== "ExternalName";
  if (needsIP(o.type) && needsIP(spec.type)) {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (o.clusterIPs ?? []).length > 0)
      spec.clusterIPs = [...(o.clusterIPs ?? [])];
    if ((spec.ipFamilies ?? []).length === 0 && (o.ipFamilies ?? []).length > 0)
      spec.ipFamilies = [...(o.ipFamilies ?? [])];
    if (!spec.ipFamilyPolicy && o.ipFamilyPolicy) spec.ipFamilyPolicy = o.ipFamilyPolicy;
  }
  const usesNodePorts = (t: string | undefined) => t === "NodePort" || t === "LoadBalancer";
  if (usesNodePorts(o.type) && usesNodePorts(spec.type)) {
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const match = (o.ports ?? []).find(
        (q) => q.port === p.port && (q.protocol ?? "TCP") === (p.protocol ?? "TCP"),
      );
      if (match?.nodePort) p.nodePort = match.nodePort;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(next) && !spec.healthCheckNodePort && o.healthCheckNodePort) {
    spec.healthCheckNodePort = o.healthCheckNodePort;
  }
  if (spec.type === "ExternalName" && o.type !== "ExternalName") {
    if (spec.clusterIP === o.clusterIP) delete spec.clusterIP;
    if (JSON.stringify(spec.clusterIPs ?? []) === JSON.stringify(o.clusterIPs ?? [])) delete spec.clusterIPs;
    if (JSON.stringify(spec.ipFamilies ?? []) === JSON.stringify(o.ipFamilies ?? [])) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === o.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (!usesNodePorts(spec.type) && usesNodePorts(o.type)) {
    for (const p of spec.ports ?? []) {
      const match = (o.ports ?? []).find(
        (q) => q.port === p.port && (q.protocol ?? "TCP") === (p.protocol ?? "TCP"),
      );
      if (p.nodePort && match?.nodePort === p.nodePort) delete p.nodePort;
    }
  }
  if (
    !needsHealthCheck(next) &&
    needsHealthCheck(old) &&
    spec.healthCheckNodePort === o.healthCheckNodePort
  ) {
    delete spec.healthCheckNodePort;
  }
  return next;
}

/** The allocator's error for a ClusterIP outside the service CIDR. */
export function clusterIPNotInRange(ips: string[], ip: string, cidr: string): FieldError {
  return invalid(
    "spec.clusterIPs",
    new GoRepr(goStringSlice(ips)),
    `failed to allocate IP ${ip}: provided IP is not in the valid range. The range of valid IPs is ${cidr}`,
  );
}

/** The allocator's error for a ClusterIP already in use. */
export function clusterIPAllocated(ips: string[], ip: string): FieldError {
  return invalid(
    "spec.clusterIPs",
    new GoRepr(goStringSlice(ips)),
    `failed to allocate IP ${ip}: provided IP is already allocated`,
  );
}

/** The allocator's error for a NodePort outside the node-port range, e.g. 30000-32767. */
export function nodePortNotInRange(portIndex: number, nodePort: number, range: string): FieldError {
  return invalid(
    `spec.ports[${portIndex}].nodePort`,
    nodePort,
    `provided port is not in the valid range. The range of valid ports is ${range}`,
  );
}

/** The allocator's error for a NodePort already in use. */
export function nodePortAllocated(portIndex: number, nodePort: number): FieldError {
  return invalid(`spec.ports[${portIndex}].nodePort`, nodePort, "provided port is already allocated");
}

/** The allocator's error when no ClusterIP is left. */
export function clusterIPRangeFull(): FieldError {
  return internalError("spec.clusterIPs", "failed to allocate a serviceIP: range is full");
}

/** Service handler. */
export const serviceHandler = {
  group: "",
  version: "v1",
  kind: "Service",
  defaults: defaultService,
  validate: validateService,
} satisfies KindHandler<Service>;
