/**
 * EndpointSlice mirroring controller (kube-controller-manager's
 * "endpointslice-mirroring-controller"): the Endpoints of a Service without a selector, made by
 * hand or by another controller, are mirrored into EndpointSlices managed by
 * endpointslicemirroring-controller.k8s.io, so that everything reading slices (kube-proxy,
 * cluster DNS, `kubectl describe svc`) sees them. One slice per set of ports and address family,
 * with up to 1000 addresses of each subset; ready addresses become ready endpoints and
 * notReadyAddresses not ready ones. The slice copies the Endpoints' labels (plus
 * kubernetes.io/service-name and the managed-by label) and annotations (except
 * last-change-trigger-time and kubectl's last-applied-configuration), and is owned by the
 * Endpoints object. Mirrored slices go when the Endpoints go, when the Service goes or gets a
 * selector, or when the Endpoints are labelled endpointslice.kubernetes.io/skip-mirror=true.
 *
 * Limitations vs Kubernetes: no mirroring controller metrics.
 */
import { isValidIP } from "@kemu/machinery";
import { R, keyOf, splitKey, type KObject } from "../client.ts";
import type { Controller } from "../controller.ts";
import { WorkQueue } from "../queue.ts";
import { EndpointSet, portMapKey, sameBeyondHash } from "./reconcile.ts";
import { RecentWrites } from "./tracker.ts";
import {
  ANNOTATION_TRIGGER_TIME,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  canonicalJSON,
  isIPv6,
  isNamespaceGone,
  labelsEqual,
  serviceSelector,
} from "./util.ts";

/** The managed-by value of mirrored slices. */
export const MIRRORING_CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io";
/** --mirroring-max-endpoints-per-subset's default. */
export const MAX_ENDPOINTS_PER_SUBSET = 1000;
/** discovery.LabelSkipMirror. */
export const LABEL_SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";
const COMPONENT = "endpointslice-mirroring-controller";
const MIRROR_INDEX = "endpointslicemirroring/endpoints";

type AddressType = "IPv4" | "IPv6";

/** The writes that make an Endpoints object's mirrored slices right. */
export interface MirrorPlan {
  create: KObject[];
  update: KObject[];
  delete: KObject[];
  /** Addresses that are not IPs, and addresses beyond the per-subset limit (invalid included). */
  invalid: number;
  skipped: number;
}

/** shouldMirror: not a leader-election lock and not labelled skip-mirror. */
export function shouldMirror(ep: KObject | undefined): boolean {
  if (!ep) return false;
  if (ep["metadata"]?.["labels"]?.[LABEL_SKIP_MIRROR] === "true") return false;
  return ep["metadata"]?.["annotations"]?.[LEADER_ANNOTATION] === undefined;
}

function mirroredAnnotations(ep: KObject): Record<string, string> {
  const out: Record<string, string> = { ...(ep["metadata"]?.["annotations"] ?? {}) };
  delete out[ANNOTATION_TRIGGER_TIME];
  delete out[LAST_APPLIED];
  return out;
}

/** newEndpointSlice of the mirroring controller: named after the Endpoints and owned by them. */
function newMirrorSlice(ep: KObject, ports: KObject[], addressType: AddressType, name?: string): KObject {
  const md = ep["metadata"];
  const labels: Record<string, string> = {
    ...(md["labels"] ?? {}),
    [LABEL_SERVICE_NAME]: md["name"],
    [LABEL_MANAGED_BY]: MIRRORING_CONTROLLER_NAME,
  };
  const meta: KObject = {
    namespace: md["namespace"],
    labels,
    ownerReferences: [
      {
        apiVersion: "v1",
        kind: "Endpoints",
        name: md["name"],
        uid: md["uid"],
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  const annotations = mirroredAnnotations(ep);
  if (Object.keys(annotations).length > 0) meta["annotations"] = annotations;
  if (name) meta["name"] = name;
  else meta["generateName"] = `${md["name"]}-`;
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: meta,
    addressType,
    endpoints: [],
    ports,
  };
}

/** addressToEndpoint: an Endpoints address as a slice endpoint, or undefined when it is no IP. */
function addressToEndpoint(addr: KObject, ready: boolean): { ep: KObject; type: AddressType } | undefined {
  const ip = String(addr["ip"] ?? "");
  if (isValidIP(ip).length > 0) return undefined;
  const ep: KObject = { addresses: [ip], conditions: { ready } };
  if (addr["hostname"]) ep["hostname"] = addr["hostname"];
  if (addr["targetRef"]) ep["targetRef"] = addr["targetRef"];
  if (addr["nodeName"]) ep["nodeName"] = addr["nodeName"];
  return { ep, type: isIPv6(ip) ? "IPv6" : "IPv4" };
}

/** The mirroring reconciler as a pure function: (Endpoints, its mirrored slices) -> writes. */
export function reconcileMirror(
  ep: KObject,
  existing: readonly KObject[],
  maxPerSubset = MAX_ENDPOINTS_PER_SUBSET,
): MirrorPlan {
  // Desired endpoints by address type and port set.
  const desired = new Map<string, { type: AddressType; ports: KObject[]; set: EndpointSet }>();
  let invalid = 0;
  let skipped = 0;
  for (const ss of (ep["subsets"] ?? []) as KObject[]) {
    const ports = ((ss["ports"] ?? []) as KObject[]).map((p) => {
      const out: KObject = { name: p["name"] ?? "", port: p["port"], protocol: p["protocol"] ?? "TCP" };
      if (p["appProtocol"] != null) out["appProtocol"] = p["appProtocol"];
      return out;
    });
    const keys = {} as Record<AddressType, string>;
    for (const type of ["IPv4", "IPv6"] as const) {
      keys[type] = `${type}/${portMapKey(ports)}`;
      const d = desired.get(keys[type]);
      if (d) d.ports = ports;
      else desired.set(keys[type], { type, ports, set: new EndpointSet() });
    }
    const all: [KObject, boolean][] = [
      ...((ss["addresses"] ?? []) as KObject[]).map((a): [KObject, boolean] => [a, true]),
      ...((ss["notReadyAddresses"] ?? []) as KObject[]).map((a): [KObject, boolean] => [a, false]),
    ];
    let added = 0;
    for (const [addr, ready] of all) {
      if (added >= maxPerSubset) break;
      const e = addressToEndpoint(addr, ready);
      if (!e) {
        invalid++;
        continue;
      }
      desired.get(keys[e.type])!.set.add(e.ep);
      added++;
    }
    skipped += all.length - added;
  }

  const existingByKey = new Map<string, KObject[]>();
  for (const s of [...existing].sort((a, b) =>
    String(a["metadata"]["name"]).localeCompare(b["metadata"]["name"]),
  )) {
    const k = `${s["addressType"]}/${portMapKey(s["ports"])}`;
    existingByKey.set(k, [...(existingByKey.get(k) ?? []), s]);
  }

  const create: KObject[] = [];
  const update: KObject[] = [];
  const del: KObject[] = [];
  const wantLabels = ep["metadata"]?.["labels"] ?? {};
  const wantAnnotations = mirroredAnnotations(ep);
  for (const [k, { type, ports, set }] of desired) {
    const slices = existingByKey.get(k) ?? [];
    if (set.size === 0) {
      del.push(...slices);
      continue;
    }
    const first = slices[0];
    if (first) {
      del.push(...slices.slice(1));
      const {
        [LABEL_MANAGED_BY]: _m,
        [LABEL_SERVICE_NAME]: _s,
        ...labels
      } = first["metadata"]["labels"] ?? {};
      const eps = (first["endpoints"] ?? []) as KObject[];
      const unchanged =
        eps.length === set.size &&
        eps.every((e) => {
          const want = set.get(e);
          return want !== undefined && sameBeyondHash(want, e);
        }) &&
        labelsEqual(wantLabels, labels) &&
        canonicalJSON(wantAnnotations) === canonicalJSON(first["metadata"]["annotations"] ?? {});
      if (unchanged) continue;
    }
    const slice = newMirrorSlice(ep, ports, type, first?.["metadata"]["name"]);
    if (first) slice["metadata"]["resourceVersion"] = first["metadata"]["resourceVersion"];
    slice["endpoints"] = set.take(maxPerSubset);
    (first ? update : create).push(slice);
  }
  for (const [k, slices] of existingByKey) if (!desired.has(k)) del.push(...slices);

  // recycleSlices: a create and a delete of the same address type become one update.
  for (const type of ["IPv4", "IPv6"]) {
    for (;;) {
      const c = create.findIndex((s) => s["addressType"] === type);
      const d = del.findIndex((s) => s["addressType"] === type);
      if (c < 0 || d < 0) break;
      const [slice] = create.splice(c, 1);
      const [old] = del.splice(d, 1);
      delete slice!["metadata"]["generateName"];
      slice!["metadata"]["name"] = old!["metadata"]["name"];
      slice!["metadata"]["resourceVersion"] = old!["metadata"]["resourceVersion"];
      update.push(slice!);
    }
  }
  return {
    create: ep["metadata"]["deletionTimestamp"] ? [] : create,
    update,
    delete: del,
    invalid,
    skipped,
  };
}

/** The EndpointSlice mirroring controller. */
export const endpointSliceMirroringController: Controller = {
  name: COMPONENT,
  setup(ctx) {
    const endpoints = ctx.informers.for(R.endpoints);
    const services = ctx.informers.for(R.services);
    const slices = ctx.informers.for(R.endpointslices);
    slices.addIndex(MIRROR_INDEX, (s) => {
      const labels = s["metadata"]?.["labels"] ?? {};
      if (labels[LABEL_MANAGED_BY] !== MIRRORING_CONTROLLER_NAME || !labels[LABEL_SERVICE_NAME]) return [];
      return [`${s["metadata"]["namespace"]}/${labels[LABEL_SERVICE_NAME]}`];
    });
    const recent = new RecentWrites((k) => slices.get(k));
    const recorder = ctx.recorder(COMPONENT);
    const queue = new WorkQueue(COMPONENT, ctx.log);
    const mirroredKey = (s: KObject) => {
      const labels = s["metadata"]?.["labels"] ?? {};
      if (labels[LABEL_MANAGED_BY] !== MIRRORING_CONTROLLER_NAME || !labels[LABEL_SERVICE_NAME])
        return undefined;
      return `${s["metadata"]["namespace"]}/${labels[LABEL_SERVICE_NAME]}`;
    };

    services.addHandlers({
      add: (s) => !serviceSelector(s) && queue.add(keyOf(s)),
      update: (o, s) => !serviceSelector(o) !== !serviceSelector(s) && queue.add(keyOf(s)),
      delete: (s) => !serviceSelector(s) && queue.add(keyOf(s)),
    });
    endpoints.addHandlers({
      add: (ep) => shouldMirror(ep) && queue.add(keyOf(ep)),
      update: (o, ep) => (shouldMirror(o) || shouldMirror(ep)) && queue.add(keyOf(ep)),
      delete: (ep) => shouldMirror(ep) && queue.add(keyOf(ep)),
    });
    slices.addHandlers({
      add: (s) => {
        const k = mirroredKey(s);
        if (k && recent.observe(s) === "foreign") queue.add(k);
      },
      update: (o, s) => {
        const before = mirroredKey(o);
        const now = mirroredKey(s);
        const own = now !== undefined && recent.observe(s) !== "foreign";
        if (before && before !== now) queue.add(before);
        if (now && (before !== now || !own)) queue.add(now);
      },
      delete: (s) => {
        const k = mirroredKey(s);
        if (k && recent.observeDelete(s) === "foreign") queue.add(k);
      },
    });

    async function deleteMirrored(key: string, ns: string): Promise<void> {
      for (const s of recent.list(key, slices.byIndex(MIRROR_INDEX, key))) {
        await ctx.client.delete(R.endpointslices, ns, s["metadata"]["name"]);
        recent.deleted(key, s);
      }
    }

    async function sync(key: string): Promise<void> {
      const { namespace } = splitKey(key);
      const ns = namespace!;
      const ep = endpoints.get(key);
      const svc = services.get(key);
      // Nothing to mirror: no Endpoints, not to be mirrored, no Service, or a Service the
      // EndpointSlice controller handles.
      if (!ep || !shouldMirror(ep) || !svc || serviceSelector(svc)) return deleteMirrored(key, ns);

      const existing = recent
        .list(key, slices.byIndex(MIRROR_INDEX, key))
        .filter((s) => !s["metadata"]["deletionTimestamp"]);
      const plan = reconcileMirror(ep, existing);
      const epRef = { apiVersion: "v1", kind: "Endpoints", ...ep };
      if (plan.invalid > 0) {
        recorder.event(
          epRef,
          "Warning",
          "InvalidIPAddress",
          `Skipped ${plan.invalid} invalid IP addresses when mirroring to EndpointSlices`,
        );
      }
      if (plan.skipped > plan.invalid) {
        recorder.event(
          epRef,
          "Warning",
          "TooManyAddressesToMirror",
          `A max of ${MAX_ENDPOINTS_PER_SUBSET} addresses can be mirrored to EndpointSlices per Endpoints subset. ${plan.skipped} addresses were skipped`,
        );
      }
      for (const s of plan.create) {
        try {
          recent.wrote(key, await ctx.client.create(R.endpointslices, ns, s));
        } catch (err) {
          if (isNamespaceGone(err)) return;
          throw err;
        }
      }
      for (const s of plan.update) recent.wrote(key, await ctx.client.update(R.endpointslices, ns, s));
      for (const s of plan.delete) {
        await ctx.client.delete(R.endpointslices, ns, s["metadata"]["name"]);
        recent.deleted(key, s);
      }
    }

    return {
      run: () => void queue.run(ctx.settings.workers, sync),
      stop: () => queue.stop(),
    };
  },
};
