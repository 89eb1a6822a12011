/**
 * The Endpoints object a Service should have, as a pure function of the Service, its pods and the
 * current object (upstream's syncService without the I/O): one subset per (pod, port) is built,
 * then repacked into the canonical form (endpoints.RepackSubsets: addresses grouped by the set of
 * ports they offer, deduplicated by IP and pod UID, a not-ready address never counted as ready),
 * truncated at 1000 addresses, and compared with what exists so that nothing is written when
 * nothing changed.
 */
import type { KObject } from "../client.ts";
import {
  ANNOTATION_TRIGGER_TIME,
  LABEL_HEADLESS,
  canonicalJSON,
  findPort,
  formatRFC3339Nano,
  isIPv6,
  isPodReady,
  isServiceIPSet,
  labelsEqual,
  podIPs,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from "../endpointslice/util.ts";

/** core/v1 EndpointAddress as this controller writes it. */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace: string; name: string; uid: string; resourceVersion?: string };
}

/** core/v1 EndpointPort. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** core/v1 EndpointSubset. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** maxCapacity: addresses an Endpoints object holds before it is truncated. */
export const MAX_CAPACITY = 1000;
/** v1.EndpointsOverCapacity. */
export const ANNOTATION_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";

/**
 * podToEndpointAddressForService: the pod's IP of the Service's (first) family, or undefined
 * when the pod has none of that family.
 */
export function podAddress(svc: KObject, pod: KObject): EndpointAddress | undefined {
  const families = (svc["spec"]?.["ipFamilies"] ?? []) as string[];
  let v6: boolean;
  if (families.length > 0) v6 = families[0] === "IPv6";
  else if (isServiceIPSet(svc)) v6 = isIPv6(String(svc["spec"]["clusterIP"]));
  else v6 = isIPv6(String(pod["status"]?.["podIP"] ?? ""));
  const ip = podIPs(pod).find((x) => isIPv6(x) === v6);
  if (ip === undefined) return undefined;
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) addr.hostname = pod["spec"]["hostname"];
  if (pod["spec"]?.["nodeName"]) addr.nodeName = pod["spec"]["nodeName"];
  addr.targetRef = {
    kind: "Pod",
    namespace: pod["metadata"]["namespace"],
    name: pod["metadata"]["name"],
    uid: pod["metadata"]["uid"],
  };
  return addr;
}

/** The subsets for a Service and the pods its selector matches, repacked. */
export function computeSubsets(svc: KObject, pods: readonly KObject[]): EndpointSubset[] {
  const publishNotReady = !!svc["spec"]?.["publishNotReadyAddresses"];
  const svcPorts = (svc["spec"]?.["ports"] ?? []) as KObject[];
  const headless = svc["spec"]?.["clusterIP"] === "None";
  const subsets: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    const ready = publishNotReady || isPodReady(pod);
    const subset = (ports: EndpointPort[]): EndpointSubset =>
      ready ? { addresses: [addr], ports } : { notReadyAddresses: [addr], ports };
    if (svcPorts.length === 0) {
      // A headless Service may have no ports: its addresses are still published.
      if (headless) subsets.push(subset([]));
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const epp: EndpointPort = { port, protocol: sp["protocol"] ?? "TCP" };
      if (sp["name"]) epp.name = sp["name"];
      if (sp["appProtocol"] != null) epp.appProtocol = sp["appProtocol"];
      subsets.push(subset([{ ...epp }]));
    }
  }
  return repackSubsets(subsets);
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ""}`;
}

/** LessEndpointAddress: by IP (as bytes), then by pod UID. */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid;
  const ub = b.targetRef?.uid;
  if (ub === undefined) return ua === undefined ? 0 : 1;
  if (ua === undefined) return -1;
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (
    a.port - b.port ||
    (a.name ?? "").localeCompare(b.name ?? "") ||
    a.protocol.localeCompare(b.protocol) ||
    (a.appProtocol ?? "").localeCompare(b.appProtocol ?? "")
  );
}

/**
 * RepackSubsets: expands subsets to (address, port, ready) and packs them back canonically.
 * Addresses are sorted by IP then UID, as upstream; ports and subsets, which upstream orders by
 * a hash of their Go representation, are sorted by value here.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, EndpointAddress>();
  // Port (by value, "" for the no-ports sentinel) -> address key -> ready.
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Map<string, boolean> }>();
  const map = (addr: EndpointAddress, port: EndpointPort | undefined, ready: boolean) => {
    const key = addressKey(addr);
    if (!allAddrs.has(key)) allAddrs.set(key, structuredClone(addr));
    const pk = port ? canonicalJSON(port) : "";
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { port, addrs: new Map() }));
    // Not ready always trumps ready.
    const was = entry.addrs.get(key);
    if (was === undefined || was) entry.addrs.set(key, ready);
  };
  for (const ss of subsets) {
    const ports: (EndpointPort | undefined)[] = ss.ports && ss.ports.length > 0 ? ss.ports : [undefined];
    for (const port of ports) {
      for (const a of ss.addresses ?? []) map(a, port, true);
      for (const a of ss.notReadyAddresses ?? []) map(a, port, false);
    }
  }
  // Group the ports by the exact set of (address, ready) offering them.
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const sig = [...addrs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, r]) => `${k}\u0000${r}`)
      .join("\u0001");
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { addrs, ports: [] }));
    if (port) g.ports.push(structuredClone(port));
  }
  const out: EndpointSubset[] = [];
  for (const { addrs, ports } of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of addrs) (r ? ready : notReady).push(allAddrs.get(k)!);
    const ss: EndpointSubset = {};
    if (ready.length > 0) ss.addresses = ready.sort(compareAddresses);
    if (notReady.length > 0) ss.notReadyAddresses = notReady.sort(compareAddresses);
    if (ports.length > 0) ss.ports = ports.sort(comparePorts);
    out.push(ss);
  }
  const keyed = out.map((ss) => [canonicalJSON(ss), ss] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, ss]) => ss);
}

function count(subsets: readonly EndpointSubset[] | undefined): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const ss of subsets ?? []) {
    ready += ss.addresses?.length ?? 0;
    notReady += ss.notReadyAddresses?.length ?? 0;
  }
  return { ready, notReady };
}

/**
 * truncateEndpoints: keeps at most MAX_CAPACITY addresses, spread over the subsets in
 * proportion and ready ones first. Returns whether anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  const { ready, notReady } = count(subsets);
  if (ready + notReady <= MAX_CAPACITY) return false;
  const truncateReady = ready > MAX_CAPACITY;
  const max = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - ready;
  const total = truncateReady ? ready : notReady;
  let canBeAdded = max;
  for (const ss of subsets) {
    const n = truncateReady ? (ss.addresses?.length ?? 0) : (ss.notReadyAddresses?.length ?? 0);
    const toAdd = Math.min(Math.ceil((n / total) * max), canBeAdded);
    if (truncateReady) {
      ss.addresses = (ss.addresses ?? []).slice(0, toAdd);
      delete ss.notReadyAddresses;
      canBeAdded -= ss.addresses.length;
      if (ss.addresses.length === 0) delete ss.addresses;
    } else {
      ss.notReadyAddresses = (ss.notReadyAddresses ?? []).slice(0, toAdd);
      canBeAdded -= ss.notReadyAddresses.length;
      if (ss.notReadyAddresses.length === 0) delete ss.notReadyAddresses;
    }
  }
  return true;
}

/** The subsets with empty lists dropped and targetRef resourceVersions ignored, for comparing. */
function normalized(subsets: readonly KObject[] | null | undefined): string {
  const addr = (a: KObject) => {
    const out: KObject = { ...a };
    if (out["targetRef"]) {
      const { resourceVersion: _rv, ...ref } = out["targetRef"];
      out["targetRef"] = ref;
    }
    for (const k of Object.keys(out)) if (out[k] === null || out[k] === undefined) delete out[k];
    return out;
  };
  return canonicalJSON(
    (subsets ?? []).map((ss) => {
      const out: KObject = {};
      for (const f of ["addresses", "notReadyAddresses"]) {
        const list = (ss[f] ?? []) as KObject[];
        if (list.length > 0) out[f] = list.map(addr);
      }
      const ports = (ss["ports"] ?? []) as KObject[];
      if (ports.length > 0) out["ports"] = ports.map((p) => ({ ...p, protocol: p["protocol"] ?? "TCP" }));
      return out;
    }),
  );
}

/** endpointSubsetsEqualIgnoreResourceVersion. */
export function subsetsEqual(
  a: readonly KObject[] | null | undefined,
  b: readonly KObject[] | null | undefined,
) {
  return normalized(a) === normalized(b);
}

/** capacityAnnotationSetCorrectly. */
function capacityAnnotationOK(current: KObject): boolean {
  const { ready, notReady } = count(current["subsets"]);
  if (ready + notReady > MAX_CAPACITY) return false;
  return !(ANNOTATION_OVER_CAPACITY in (current["metadata"]?.["annotations"] ?? {}));
}

/**
 * The Endpoints to write for a Service, or undefined when current already says it: a copy of
 * current (keeping its resourceVersion) or a new object, with the subsets, the Service's labels
 * plus service.kubernetes.io/headless for a headless Service, and the trigger-time and
 * over-capacity annotations.
 */
export function desiredEndpoints(
  svc: KObject,
  current: KObject | undefined,
  subsets: EndpointSubset[],
  triggerTime: bigint | undefined,
): KObject | undefined {
  const svcLabels = (svc["metadata"]?.["labels"] ?? {}) as Record<string, string>;
  if (current) {
    const { [LABEL_HEADLESS]: _h, ...compareLabels } = (current["metadata"]?.["labels"] ?? {}) as Record<
      string,
      string
    >;
    if (
      subsetsEqual(current["subsets"], subsets as KObject[]) &&
      labelsEqual(compareLabels, svcLabels) &&
      capacityAnnotationOK(current)
    ) {
      return undefined;
    }
  }
  const next: KObject = current
    ? structuredClone(current)
    : { apiVersion: "v1", kind: "Endpoints", metadata: { name: svc["metadata"]["name"] } };
  const md = next["metadata"];
  const out = structuredClone(subsets);
  const annotations: Record<string, string> = { ...(md["annotations"] ?? {}) };
  if (triggerTime !== undefined) annotations[ANNOTATION_TRIGGER_TIME] = formatRFC3339Nano(triggerTime);
  else delete annotations[ANNOTATION_TRIGGER_TIME];
  if (truncateSubsets(out)) annotations[ANNOTATION_OVER_CAPACITY] = "truncated";
  else delete annotations[ANNOTATION_OVER_CAPACITY];
  const labels: Record<string, string> = { ...svcLabels };
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = "";
  else delete labels[LABEL_HEADLESS];
  if (Object.keys(labels).length > 0) md["labels"] = labels;
  else delete md["labels"];
  if (Object.keys(annotations).length > 0) md["annotations"] = annotations;
  else delete md["annotations"];
  if (out.length > 0) next["subsets"] = out;
  else delete next["subsets"];
  return next;
}
