/**
 * What the Endpoints and EndpointSlice controllers share, as upstream's k8s.io/endpointslice/util
 * is shared by both: which pods belong in endpoints, port resolution, the pod/service membership
 * index, and the last-change-trigger-time tracker. Everything here is pure or works on informer
 * caches only; nothing calls the API.
 */
import type { Informer } from "../informer.ts";
import type { KObject } from "../client.ts";

/** discovery.LabelServiceName. */
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";
/** discovery.LabelManagedBy. */
export const LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
/** v1.IsHeadlessService: set on Endpoints and EndpointSlices of headless Services. */
export const LABEL_HEADLESS = "service.kubernetes.io/headless";
/** v1.LabelTopologyZone. */
export const LABEL_ZONE = "topology.kubernetes.io/zone";
/** v1.EndpointsLastChangeTriggerTime. */
export const ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

/** The Ready condition of a pod is True (podutil.IsPodReady). */
export function isPodReady(pod: KObject): boolean {
  const conds: KObject[] = pod["status"]?.["conditions"] ?? [];
  return conds.some((c) => c["type"] === "Ready" && c["status"] === "True");
}

/** The pod's Ready condition, if it has one. */
function readyCondition(pod: KObject): KObject | undefined {
  const conds: KObject[] = pod["status"]?.["conditions"] ?? [];
  return conds.find((c) => c["type"] === "Ready");
}

/** Succeeded or Failed: the pod's containers have stopped for good. */
export function isPodTerminal(pod: KObject): boolean {
  const phase = pod["status"]?.["phase"];
  return phase === "Succeeded" || phase === "Failed";
}

/**
 * The pod's IPs: status.podIPs, or status.podIP alone when podIPs is missing (the API server's
 * conversion fills podIPs from podIP, so both forms mean the same).
 */
export function podIPs(pod: KObject): string[] {
  const ips = (pod["status"]?.["podIPs"] ?? []) as KObject[];
  const out = ips.map((p) => String(p["ip"] ?? "")).filter((ip) => ip !== "");
  if (out.length === 0 && pod["status"]?.["podIP"]) out.push(String(pod["status"]["podIP"]));
  return out;
}

/** True for an IPv6 address (enough to tell the two families apart). */
export function isIPv6(ip: string): boolean {
  return ip.includes(":");
}

/**
 * ShouldPodBeInEndpoints: terminal pods and pods without an IP never are; pods being deleted are
 * only when includeTerminating is set.
 */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod["metadata"]?.["deletionTimestamp"]) return false;
  return true;
}

/** ShouldSetHostname: the pod names itself into this Service's DNS subdomain. */
export function shouldSetHostname(pod: KObject, svc: KObject): boolean {
  const hostname = pod["spec"]?.["hostname"];
  return (
    typeof hostname === "string" &&
    hostname.length > 0 &&
    pod["spec"]?.["subdomain"] === svc["metadata"]["name"] &&
    pod["metadata"]["namespace"] === svc["metadata"]["namespace"]
  );
}

/**
 * FindPort: a numeric targetPort is used as is; a named one is looked up among the containers'
 * ports (then sidecar init containers') with the Service port's protocol. Undefined when the
 * name does not resolve on this pod.
 */
export function findPort(pod: KObject, svcPort: KObject): number | undefined {
  const target = svcPort["targetPort"] ?? svcPort["port"];
  const protocol = svcPort["protocol"] ?? "TCP";
  if (typeof target === "number") return target;
  if (typeof target !== "string") return undefined;
  if (/^\d+$/.test(target)) return Number(target);
  const spec = pod["spec"] ?? {};
  const containers: KObject[] = [
    ...((spec["containers"] ?? []) as KObject[]),
    ...((spec["initContainers"] ?? []) as KObject[]).filter((c) => c["restartPolicy"] === "Always"),
  ];
  for (const c of containers) {
    for (const p of (c["ports"] ?? []) as KObject[]) {
      if (p["name"] === target && (p["protocol"] ?? "TCP") === protocol) return Number(p["containerPort"]);
    }
  }
  return undefined;
}

/**
 * The Service's selector, or undefined when it selects nothing for these controllers. An empty
 * selector is treated as none: kube-apiserver drops empty maps when it stores a Service, so a
 * real cluster never sees `selector: {}` either.
 */
export function serviceSelector(svc: KObject): Record<string, string> | undefined {
  const sel = svc["spec"]?.["selector"];
  if (!sel || typeof sel !== "object" || Object.keys(sel).length === 0) return undefined;
  return sel as Record<string, string>;
}

/** labels.SelectorFromSet(selector).Matches(labels). */
export function selectorMatches(
  sel: Record<string, string>,
  labels: Record<string, string> | undefined,
): boolean {
  for (const [k, v] of Object.entries(sel)) if (labels?.[k] !== v) return false;
  return true;
}

/** The Service has a ClusterIP (is not headless). */
export function isServiceIPSet(svc: KObject): boolean {
  const ip = svc["spec"]?.["clusterIP"];
  return typeof ip === "string" && ip !== "" && ip !== "None";
}

/** Two label maps hold the same pairs (nil and empty are equal). */
export function labelsEqual(
  a: Record<string, string> | undefined | null,
  b: Record<string, string> | undefined | null,
): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a?.[k] === b?.[k]);
}

/**
 * podEndpointsChanged: [podChanged, labelsChanged]. podChanged is a change that may alter the
 * pod's endpoint (deletion, readiness, IPs; also a terminal phase, which upstream only sees
 * through the Ready condition); labelsChanged one that may alter which Services select it.
 */
export function podEndpointsChanged(oldPod: KObject, newPod: KObject): [boolean, boolean] {
  const labelsChanged =
    !labelsEqual(oldPod["metadata"]?.["labels"], newPod["metadata"]?.["labels"]) ||
    oldPod["spec"]?.["hostname"] !== newPod["spec"]?.["hostname"] ||
    oldPod["spec"]?.["subdomain"] !== newPod["spec"]?.["subdomain"];
  const changed =
    oldPod["metadata"]?.["deletionTimestamp"] !== newPod["metadata"]?.["deletionTimestamp"] ||
    isPodReady(oldPod) !== isPodReady(newPod) ||
    isPodTerminal(oldPod) !== isPodTerminal(newPod) ||
    podIPs(oldPod).join(",") !== podIPs(newPod).join(",");
  return [changed, labelsChanged];
}

const POD_LABEL_INDEX = "endpoints/pod-label";
const SERVICE_SELECTOR_INDEX = "endpoints/service-selector";

function pairKey(namespace: string, key: string, value: string): string {
  return `${namespace}\u0000${key}\u0000${value}`;
}

/**
 * Which Services select which pods, answered from two informer indexes instead of scanning:
 * pods by each (namespace, label) pair, and Services by the first pair of their selector (a
 * Service can only select a pod that carries that pair). So a pod event costs a few lookups and
 * a Service sync reads only the pods sharing its first selector pair.
 */
export class ServiceMembership {
  readonly #pods: Informer;
  readonly #services: Informer;

  constructor(pods: Informer, services: Informer) {
    this.#pods = pods;
    this.#services = services;
    // Both controllers register the same indexes under the same names: the second call just
    // rebuilds an identical one.
    pods.addIndex(POD_LABEL_INDEX, (p) => {
      const ns = String(p["metadata"]?.["namespace"] ?? "");
      return Object.entries((p["metadata"]?.["labels"] ?? {}) as Record<string, string>).map(([k, v]) =>
        pairKey(ns, k, v),
      );
    });
    services.addIndex(SERVICE_SELECTOR_INDEX, (s) => {
      const sel = serviceSelector(s);
      if (!sel) return [];
      const first = Object.keys(sel).sort()[0]!;
      return [pairKey(String(s["metadata"]?.["namespace"] ?? ""), first, sel[first]!)];
    });
  }

  /** The pods a Service selects (none when it has no selector). */
  podsFor(svc: KObject): KObject[] {
    const sel = serviceSelector(svc);
    if (!sel) return [];
    const ns = String(svc["metadata"]["namespace"]);
    const first = Object.keys(sel).sort()[0]!;
    return this.#pods
      .byIndex(POD_LABEL_INDEX, pairKey(ns, first, sel[first]!))
      .filter((p) => selectorMatches(sel, p["metadata"]?.["labels"]));
  }

  /** Keys of the Services whose selector matches labels in a namespace (GetPodServiceMemberships). */
  servicesFor(namespace: string, labels: Record<string, string> | undefined): Set<string> {
    const out = new Set<string>();
    for (const [k, v] of Object.entries(labels ?? {})) {
      for (const s of this.#services.byIndex(SERVICE_SELECTOR_INDEX, pairKey(namespace, k, v))) {
        const sel = serviceSelector(s);
        if (sel && selectorMatches(sel, labels)) out.add(`${namespace}/${s["metadata"]["name"]}`);
      }
    }
    return out;
  }

  /** GetServicesToUpdateOnPodChange: the Services a pod update may affect. */
  servicesToUpdate(oldPod: KObject, newPod: KObject): Set<string> {
    if (oldPod["metadata"]?.["resourceVersion"] === newPod["metadata"]?.["resourceVersion"]) return new Set();
    const [podChanged, labelsChanged] = podEndpointsChanged(oldPod, newPod);
    if (!podChanged && !labelsChanged) return new Set();
    const ns = String(newPod["metadata"]["namespace"]);
    const now = this.servicesFor(ns, newPod["metadata"]?.["labels"]);
    if (!labelsChanged) return now;
    const before = this.servicesFor(ns, oldPod["metadata"]?.["labels"]);
    if (podChanged) return new Set([...now, ...before]);
    // Only the labels changed: the Services that gained or lost the pod.
    const out = new Set<string>();
    for (const k of now) if (!before.has(k)) out.add(k);
    for (const k of before) if (!now.has(k)) out.add(k);
    // hostname/subdomain changes keep membership but change the endpoint itself.
    if (
      oldPod["spec"]?.["hostname"] !== newPod["spec"]?.["hostname"] ||
      oldPod["spec"]?.["subdomain"] !== newPod["spec"]?.["subdomain"]
    ) {
      for (const k of now) out.add(k);
    }
    return out;
  }
}

/** Nanoseconds since the epoch of an RFC 3339 time; undefined when absent or unparsable. */
export function parseTime(s: unknown): bigint | undefined {
  if (typeof s !== "string") return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0") || "0");
}

/** time.RFC3339Nano in UTC: fractional seconds with trailing zeros dropped, none when whole. */
export function formatRFC3339Nano(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, "");
  const f = frac === 0n ? "" : "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}${f}Z`;
}

/**
 * TriggerTimeTracker: the EndpointsLastChangeTriggerTime of a sync is the earliest of the
 * trigger times that changed since the previous sync of the Service (a pod's Ready condition
 * lastTransitionTime, the Service's creationTimestamp), or the Service's creationTimestamp on
 * its first sync. Like upstream it can be wrong when one object changes twice between syncs.
 * Calls for one Service must not overlap (the work queue guarantees that).
 */
export class TriggerTimeTracker {
  readonly #states = new Map<string, { service: bigint | undefined; pods: Map<string, bigint> }>();

  /** Updates the Service's state and returns the trigger time to publish (undefined: none). */
  compute(svc: KObject, pods: readonly KObject[]): bigint | undefined {
    const key = `${svc["metadata"]["namespace"]}/${svc["metadata"]["name"]}`;
    const state = this.#states.get(key);
    let min: bigint | undefined;
    const podTimes = new Map<string, bigint>();
    for (const pod of pods) {
      const t = parseTime(readyCondition(pod)?.["lastTransitionTime"]);
      if (t === undefined) continue;
      const name = String(pod["metadata"]["name"]);
      podTimes.set(name, t);
      const last = state?.pods.get(name);
      if (last === undefined || t > last) min = min === undefined || t < min ? t : min;
    }
    const svcTime = parseTime(svc["metadata"]["creationTimestamp"]);
    if (svcTime !== undefined && (state?.service === undefined || svcTime > state.service)) {
      min = min === undefined || svcTime < min ? svcTime : min;
    }
    this.#states.set(key, { service: svcTime, pods: podTimes });
    return state === undefined ? svcTime : min;
  }

  /** Forgets a deleted Service. */
  delete(namespace: string, name: string): void {
    this.#states.delete(`${namespace}/${name}`);
  }
}

/** JSON with object keys sorted, for comparing API objects regardless of key order. */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === "object" && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return x;
  });
}

/** Numeric order of dotted IPv4 addresses (others by string), for readable endpoint order. */
export function compareIPs(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when err is the API refusing creation in a namespace that is being deleted (or is gone). */
export function isNamespaceGone(err: unknown): boolean {
  const e = err as { code?: number; message?: string; details?: { causes?: { type?: string }[] } };
  if (e?.code === 403) {
    if (e.details?.causes?.some((c) => c.type === "NamespaceTerminating")) return true;
    return /because it is being terminated/.test(String(e.message));
  }
  return false;
}
