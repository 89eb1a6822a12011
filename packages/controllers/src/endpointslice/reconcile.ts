/**
 * The EndpointSlice reconciler as a pure function, after upstream's k8s.io/endpointslice
 * Reconciler: (Service, selected pods, its existing slices, nodes) -> slices to create, update
 * and delete. Pods are grouped by the ports they resolve (a named targetPort may resolve
 * differently, or not at all, per pod); each group fills slices of at most maxEndpointsPerSlice
 * endpoints, keeping endpoints where they are, updating only slices whose endpoints or labels
 * changed, filling the fullest changed slices first, and turning a create plus a delete into one
 * update. A Service with no endpoints keeps one empty placeholder slice.
 */
import type { KObject } from "../client.ts";
import {
  ANNOTATION_TRIGGER_TIME,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  LABEL_ZONE,
  canonicalJSON,
  compareIPs,
  findPort,
  formatRFC3339Nano,
  isIPv6,
  isPodReady,
  isServiceIPSet,
  labelsEqual,
  podIPs,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from "./util.ts";

/** The managed-by value of slices this controller owns. */
export const CONTROLLER_NAME = "endpointslice-controller.k8s.io";
/** Upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** What reconcile needs besides the Service. */
export interface ReconcileInput {
  service: KObject;
  /** Pods the Service's selector matches. */
  pods: readonly KObject[];
  /** Slices labelled for the Service and managed by this controller, none being deleted. */
  existing: readonly KObject[];
  node(name: string): KObject | undefined;
  maxEndpointsPerSlice?: number;
  /** The last-change-trigger-time to stamp on written slices (undefined: remove it). */
  triggerTime?: bigint | undefined;
}

/** The writes that bring the slices to the desired state. */
export interface SlicePlan {
  /** New slices (generateName set, no name). */
  create: KObject[];
  /** Full replacements of existing slices (name and resourceVersion set). */
  update: KObject[];
  delete: KObject[];
  /** Pods skipped because their Node is unknown: the sync should be retried. */
  errors: string[];
}

type AddressType = "IPv4" | "IPv6";

interface Port {
  name: string;
  protocol: string;
  port: number;
  appProtocol?: string;
}

/** Endpoint fields upstream compares beyond the hash (EndpointsEqualBeyondHash). */
export function sameBeyondHash(a: KObject, b: KObject): boolean {
  const c1 = a["conditions"] ?? {};
  const c2 = b["conditions"] ?? {};
  const ref = (r: KObject | undefined) => {
    if (!r) return null;
    const { resourceVersion: _rv, ...rest } = r;
    return canonicalJSON(rest);
  };
  return (
    (a["nodeName"] ?? null) === (b["nodeName"] ?? null) &&
    (a["zone"] ?? null) === (b["zone"] ?? null) &&
    (c1["ready"] ?? null) === (c2["ready"] ?? null) &&
    (c1["serving"] ?? null) === (c2["serving"] ?? null) &&
    (c1["terminating"] ?? null) === (c2["terminating"] ?? null) &&
    ref(a["targetRef"]) === ref(b["targetRef"])
  );
}

/** The identity of an endpoint within a slice (upstream's hashEndpoint). */
function endpointKey(ep: KObject): string {
  const addrs = [...((ep["addresses"] ?? []) as string[])].sort();
  const ref = ep["targetRef"] ?? {};
  return canonicalJSON([addrs, ep["hostname"] ?? "", ref["namespace"] ?? "", ref["name"] ?? ""]);
}

function normalizePort(p: KObject): Port {
  const out: Port = { name: p["name"] ?? "", protocol: p["protocol"] ?? "TCP", port: p["port"] };
  if (p["appProtocol"] != null) out.appProtocol = p["appProtocol"];
  return out;
}

/** NewPortMapKey: the same ports in any order give the same key. */
export function portMapKey(ports: readonly KObject[] | null | undefined): string {
  return canonicalJSON((ports ?? []).map((p) => canonicalJSON(normalizePort(p))).sort());
}

/** getEndpointPorts: the Service's ports this pod resolves (headless without ports: none). */
export function endpointPorts(svc: KObject, pod: KObject): Port[] {
  const out: Port[] = [];
  for (const sp of (svc["spec"]?.["ports"] ?? []) as KObject[]) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: Port = { name: sp["name"] ?? "", protocol: sp["protocol"] ?? "TCP", port };
    if (sp["appProtocol"] != null) p.appProtocol = sp["appProtocol"];
    out.push(p);
  }
  return out;
}

/** getAddressTypesForService: from ipFamilies, else the ClusterIP's family, else both. */
export function addressTypes(svc: KObject): Set<AddressType> {
  const out = new Set<AddressType>();
  for (const f of (svc["spec"]?.["ipFamilies"] ?? []) as string[]) {
    if (f === "IPv4") out.add("IPv4");
    if (f === "IPv6") out.add("IPv6");
  }
  if (out.size > 0) return out;
  if (isServiceIPSet(svc)) return new Set([isIPv6(svc["spec"]["clusterIP"]) ? "IPv6" : "IPv4"]);
  return new Set(["IPv4", "IPv6"]);
}

/**
 * podToEndpoint: serving is readiness, terminating is deletion, and ready is serving and not
 * terminating (or always, with publishNotReadyAddresses).
 */
export function podToEndpoint(
  pod: KObject,
  node: KObject | undefined,
  svc: KObject,
  addressType: AddressType,
): KObject {
  const serving = isPodReady(pod);
  const terminating = !!pod["metadata"]["deletionTimestamp"];
  const ready = !!svc["spec"]?.["publishNotReadyAddresses"] || (serving && !terminating);
  const ep: KObject = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === "IPv6")),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, svc)) ep["hostname"] = pod["spec"]["hostname"];
  ep["targetRef"] = {
    kind: "Pod",
    namespace: pod["metadata"]["namespace"],
    name: pod["metadata"]["name"],
    uid: pod["metadata"]["uid"],
  };
  if (pod["spec"]?.["nodeName"]) ep["nodeName"] = pod["spec"]["nodeName"];
  const zone = node?.["metadata"]?.["labels"]?.[LABEL_ZONE];
  if (zone) ep["zone"] = zone;
  return ep;
}

/** The slice's labels for the Service, and whether its non-reserved labels differ from them. */
export function sliceLabels(slice: KObject, svc: KObject): [Record<string, string>, boolean] {
  const reserved = (k: string) => k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS;
  const mine: Record<string, string> = {};
  for (const [k, v] of Object.entries((slice["metadata"]?.["labels"] ?? {}) as Record<string, string>))
    if (!reserved(k)) mine[k] = v;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries((svc["metadata"]?.["labels"] ?? {}) as Record<string, string>))
    if (!reserved(k)) labels[k] = v;
  const changed = !labelsEqual(mine, labels);
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = "";
  labels[LABEL_SERVICE_NAME] = svc["metadata"]["name"];
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return [labels, changed];
}

/** ownedBy: the slice names this Service (this incarnation of it) as an owner. */
export function ownedBy(slice: KObject, svc: KObject): boolean {
  return ((slice["metadata"]?.["ownerReferences"] ?? []) as KObject[]).some(
    (o) => o["uid"] === svc["metadata"]["uid"] && o["kind"] === "Service" && o["apiVersion"] === "v1",
  );
}

/** getEndpointSlicePrefix: `<service>-`, unless that is not a valid name prefix. */
function slicePrefix(name: string): string {
  const prefix = `${name}-`;
  return prefix.length <= 253 - 5 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?-$/.test(prefix) ? prefix : name;
}

/** newEndpointSlice: an empty slice owned by the Service. */
export function newSlice(svc: KObject, ports: Port[], addressType: AddressType): KObject {
  const slice: KObject = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      generateName: slicePrefix(svc["metadata"]["name"]),
      namespace: svc["metadata"]["namespace"],
      labels: {},
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "Service",
          name: svc["metadata"]["name"],
          uid: svc["metadata"]["uid"],
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType,
    endpoints: [],
    ports,
  };
  slice["metadata"]["labels"] = sliceLabels(slice, svc)[0];
  return slice;
}

function endpointsOf(slice: KObject): KObject[] {
  return (slice["endpoints"] ?? []) as KObject[];
}

/** The first address of an endpoint, for a readable order. */
function firstAddress(ep: KObject): string {
  return String((ep["addresses"] as string[])[0] ?? "");
}

/** Desired endpoints of one port group, keyed as upstream's EndpointSet, popped in address order. */
export class EndpointSet {
  readonly #m = new Map<string, KObject>();
  /** Adds (or replaces) an endpoint. */
  add(ep: KObject): void {
    this.#m.set(endpointKey(ep), ep);
  }
  /** The desired endpoint with ep's identity. */
  get(ep: KObject): KObject | undefined {
    return this.#m.get(endpointKey(ep));
  }
  /** Removes the endpoint with ep's identity. */
  delete(ep: KObject): void {
    this.#m.delete(endpointKey(ep));
  }
  /** Number of endpoints. */
  get size(): number {
    return this.#m.size;
  }
  /** Takes up to n endpoints, lowest address first. */
  take(n: number): KObject[] {
    const all = [...this.#m.entries()].sort(([, a], [, b]) => compareIPs(firstAddress(a), firstAddress(b)));
    const out = all.slice(0, Math.max(0, n));
    for (const [k] of out) this.#m.delete(k);
    return out.map(([, ep]) => ep);
  }
}

/** reconcileByPortMapping: fits one port group's desired endpoints into its existing slices. */
function reconcilePortGroup(
  svc: KObject,
  existing: readonly KObject[],
  desired: EndpointSet,
  ports: Port[],
  addressType: AddressType,
  max: number,
): { create: KObject[]; update: KObject[]; delete: KObject[] } {
  const byName = new Map<string, KObject>();
  const unchanged: string[] = [];
  const toUpdate: string[] = [];
  const toDelete: string[] = [];

  // 1. Keep desired endpoints where they are; drop the rest; refresh changed ones and labels.
  for (const slice of existing) {
    const name = String(slice["metadata"]["name"]);
    byName.set(name, slice);
    const kept: KObject[] = [];
    let changed = false;
    for (const ep of endpointsOf(slice)) {
      const want = desired.get(ep);
      if (!want) continue;
      kept.push(want);
      if (!sameBeyondHash(want, ep)) changed = true;
      desired.delete(ep);
    }
    const [labels, labelsChanged] = sliceLabels(slice, svc);
    if (changed || kept.length !== endpointsOf(slice).length) {
      if (kept.length === 0) {
        toDelete.push(name);
      } else {
        const copy = structuredClone(slice);
        copy["endpoints"] = kept;
        copy["metadata"]["labels"] = labels;
        byName.set(name, copy);
        toUpdate.push(name);
      }
    } else if (labelsChanged) {
      const copy = structuredClone(slice);
      copy["metadata"]["labels"] = labels;
      byName.set(name, copy);
      toUpdate.push(name);
    } else {
      unchanged.push(name);
    }
  }

  // 2. Fill the slices being updated anyway, fullest first.
  if (desired.size > 0 && toUpdate.length > 0) {
    const slices = toUpdate
      .map((n) => byName.get(n)!)
      .sort((a, b) => endpointsOf(b).length - endpointsOf(a).length);
    for (const s of slices)
      s["endpoints"] = [...endpointsOf(s), ...desired.take(max - endpointsOf(s).length)];
  }

  // 3. Put what is left in the unchanged slice it fills best, or in new slices.
  const create: KObject[] = [];
  while (desired.size > 0) {
    let fill: KObject | undefined;
    if (desired.size < max && unchanged.length > 0) {
      let best = max;
      for (const n of unchanged) {
        const diff = max - (desired.size + endpointsOf(byName.get(n)!).length);
        if (diff >= 0 && diff < best) {
          best = diff;
          fill = byName.get(n);
          if (diff === 0) break;
        }
      }
    }
    if (!fill) {
      fill = newSlice(svc, ports, addressType);
    } else {
      fill = structuredClone(fill);
      byName.set(String(fill["metadata"]["name"]), fill);
    }
    fill["endpoints"] = [...endpointsOf(fill), ...desired.take(max - endpointsOf(fill).length)];
    const name = fill["metadata"]["name"];
    if (name) {
      if (!toUpdate.includes(name)) toUpdate.push(name);
      unchanged.splice(unchanged.indexOf(name), 1);
    } else {
      create.push(fill);
    }
  }
  return {
    create,
    update: toUpdate.map((n) => byName.get(n)!),
    delete: toDelete.map((n) => byName.get(n)!),
  };
}

/** A placeholder matches another when namespace, labels, owners, type, endpoints and ports do. */
function samePlaceholder(a: KObject, b: KObject): boolean {
  const owners = (s: KObject) => canonicalJSON(s["metadata"]?.["ownerReferences"] ?? []);
  return (
    a["metadata"]?.["namespace"] === b["metadata"]?.["namespace"] &&
    labelsEqual(a["metadata"]?.["labels"], b["metadata"]?.["labels"]) &&
    owners(a) === owners(b) &&
    a["addressType"] === b["addressType"] &&
    endpointsOf(a).length === 0 &&
    endpointsOf(b).length === 0 &&
    ((a["ports"] ?? []) as KObject[]).length === 0 &&
    ((b["ports"] ?? []) as KObject[]).length === 0
  );
}

/** reconcileByAddressType. */
function reconcileAddressType(
  input: ReconcileInput,
  existing: readonly KObject[],
  addressType: AddressType,
  max: number,
  errors: string[],
): { create: KObject[]; update: KObject[]; delete: KObject[] } {
  const svc = input.service;
  const toCreate: KObject[] = [];
  const toUpdate: KObject[] = [];
  const toDelete: KObject[] = [];

  const existingByPorts = new Map<string, KObject[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, svc)) {
      toDelete.push(slice);
      continue;
    }
    const k = portMapKey(slice["ports"]);
    existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), slice]);
  }

  const desired = new Map<string, { ports: Port[]; set: EndpointSet }>();
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const k = portMapKey(ports as unknown as KObject[]);
    let group = desired.get(k);
    if (!group) desired.set(k, (group = { ports, set: new EndpointSet() }));
    const nodeName = pod["spec"]?.["nodeName"];
    const node = nodeName ? input.node(nodeName) : undefined;
    if (!node && !svc["spec"]?.["publishNotReadyAddresses"]) {
      errors.push(
        `skipping Pod ${pod["metadata"]["name"]} for Service ${svc["metadata"]["namespace"]}/${svc["metadata"]["name"]}: Node ${nodeName ?? ""} Not Found`,
      );
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, addressType);
    if ((ep["addresses"] as string[]).length > 0) group.set.add(ep);
  }

  for (const [k, { ports, set }] of desired) {
    const r = reconcilePortGroup(svc, existingByPorts.get(k) ?? [], set, ports, addressType, max);
    toCreate.push(...r.create);
    toUpdate.push(...r.update);
    toDelete.push(...r.delete);
  }
  for (const [k, slices] of existingByPorts) if (!desired.has(k)) toDelete.push(...slices);

  // With no endpoints at all, keep (or make) one empty placeholder slice.
  if (existing.length === toDelete.length && toCreate.length === 0) {
    const placeholder = newSlice(svc, [], addressType);
    if (toDelete.length === 1 && samePlaceholder(toDelete[0]!, placeholder)) toDelete.length = 0;
    else toCreate.push(placeholder);
  }
  return { create: toCreate, update: toUpdate, delete: toDelete };
}

function stampTriggerTime(slice: KObject, t: bigint | undefined): void {
  const md = slice["metadata"];
  const annotations: Record<string, string> = { ...(md["annotations"] ?? {}) };
  if (t !== undefined) annotations[ANNOTATION_TRIGGER_TIME] = formatRFC3339Nano(t);
  else delete annotations[ANNOTATION_TRIGGER_TIME];
  if (Object.keys(annotations).length > 0) md["annotations"] = annotations;
  else delete md["annotations"];
}

/** Reconcile plus finalize's bookkeeping: what to write for one Service. */
export function reconcileSlices(input: ReconcileInput): SlicePlan {
  const max = input.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const errors: string[] = [];
  const supported = addressTypes(input.service);
  let create: KObject[] = [];
  const update: KObject[] = [];
  const del: KObject[] = [];
  const byType = new Map<AddressType, KObject[]>();
  for (const slice of input.existing) {
    const t = slice["addressType"] as AddressType;
    if (!supported.has(t)) del.push(slice);
    else byType.set(t, [...(byType.get(t) ?? []), slice]);
  }
  for (const t of [...supported].sort()) {
    const r = reconcileAddressType(input, byType.get(t) ?? [], t, max, errors);
    create.push(...r.create);
    update.push(...r.update);
    del.push(...r.delete);
  }

  // A create and a delete of an owned slice of the same type become one update.
  for (let i = 0; i < del.length && create.length > 0;) {
    const old = del[i]!;
    const slice = create[create.length - 1]!;
    if (old["addressType"] === slice["addressType"] && ownedBy(old, input.service)) {
      slice["metadata"]["name"] = old["metadata"]["name"];
      slice["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"];
      create.pop();
      update.push(slice);
      del.splice(i, 1);
    } else {
      i++;
    }
  }
  // No new slices for a Service being deleted: the garbage collector is removing them.
  if (input.service["metadata"]["deletionTimestamp"]) create = [];
  for (const s of [...create, ...update]) stampTriggerTime(s, input.triggerTime);
  return { create, update, delete: del, errors };
}
