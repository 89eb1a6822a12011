/**
 * Defaulting, validation, strict field checks and strategic merge patch, bridged from the
 * stateless packages (@kemu/machinery, @kemu/openapi, @kemu/smp) to the verbs.
 */
import type { KObject } from "@kemu/store";
import { applyDefaults, prepareServiceUpdate, validate } from "@kemu/machinery";
import { definitionName, unknownFields } from "@kemu/openapi";
import { knownPatchSchema, SmpError, strategicMergePatch } from "@kemu/smp";
import { ApiError } from "./errors.ts";
import type { ResourceDef } from "./resources.ts";

/**
 * Returns obj defaulted (as decoding defaults it upstream), with what an update carries over
 * from the old object. Validation is separate: allocation (upstream's BeginCreate/BeginUpdate)
 * runs between the two.
 */
export function defaultObject(def: ResourceDef, obj: KObject, old: KObject | undefined): KObject {
  if (old && def.kind === "Service" && !def.group) {
    prepareServiceUpdate(obj as never, old as never);
    dropTypeDependentFields(obj, old);
  }
  const defaulted = applyDefaults(def.group, def.version, def.kind, obj, old ? "update" : "create");
  normalize(def, defaulted);
  return defaulted;
}

/** Validates a create (old undefined) or an update; throws 422 Invalid with field causes. */
export function validateObject(def: ResourceDef, obj: KObject, old: KObject | undefined): void {
  const errors = validate(def.group, def.version, def.kind, obj, old);
  if (errors.length > 0) {
    throw ApiError.invalid(def.group, def.kind, String(obj["metadata"]?.["name"] ?? ""), errors);
  }
}

/** Paths of fields the kind's schema does not have (for fieldValidation), e.g. `spec.foo`. */
export function strictFieldCheck(def: ResourceDef, obj: KObject): string[] {
  return unknownFields(def.group, def.version, def.kind, obj);
}

/** Applies a strategic merge patch with the kind's merge keys and strategies. */
export function strategicPatch(def: ResourceDef, current: KObject, patch: object): KObject {
  const type = definitionName(def.group, def.version, def.kind);
  try {
    return strategicMergePatch(current, patch, type ? knownPatchSchema(type) : undefined) as KObject;
  } catch (err) {
    if (err instanceof SmpError) {
      if (err.status === 422) {
        throw ApiError.invalid(def.group, def.kind, String(current["metadata"]?.["name"] ?? ""), [
          { type: "FieldValueInvalid", field: "", badValue: "", detail: err.message },
        ]);
      }
      if (err.status === 400) throw ApiError.badRequest(err.message);
      throw ApiError.internal(err.message);
    }
    throw err;
  }
}

/** Removes the fields at paths like `spec.foo` or `spec.ports[0].bogus` from obj (in place). */
export function pruneFields(obj: KObject, paths: string[]): KObject {
  for (const path of paths) {
    const parts = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
    let cur: unknown = obj;
    for (let i = 0; i < parts.length - 1 && cur !== undefined; i++) {
      const p = parts[i]!;
      const idx = /^\[(\d+)\]$/.exec(p);
      cur = idx ? (cur as unknown[])[Number(idx[1])] : (cur as KObject)?.[p];
    }
    const last = parts[parts.length - 1];
    if (cur && typeof cur === "object" && last !== undefined && !last.startsWith("["))
      delete (cur as KObject)[last];
  }
  return obj;
}

/**
 * What v1 conversion and Go's omitempty do to every stored object: plural fields mirror their
 * singular forms (podIPs from podIP, hostIPs from hostIP, podCIDRs from podCIDR), node
 * allocatable defaults to capacity, and empty
 * label and annotation maps are omitted.
 */
export function normalize(def: ResourceDef, obj: KObject): void {
  const md = obj["metadata"];
  if (md) {
    for (const f of ["labels", "annotations"]) {
      if (md[f] && typeof md[f] === "object" && Object.keys(md[f]).length === 0) delete md[f];
    }
  }
  if (def.group !== "") return;
  if (def.kind === "Pod" && obj["status"]) {
    const st = obj["status"];
    if (st["podIP"] && !st["podIPs"]?.length) st["podIPs"] = [{ ip: st["podIP"] }];
    if (st["hostIP"] && !st["hostIPs"]?.length) st["hostIPs"] = [{ ip: st["hostIP"] }];
  } else if (def.kind === "Node") {
    if (obj["spec"]?.["podCIDR"] && !obj["spec"]["podCIDRs"]?.length)
      obj["spec"]["podCIDRs"] = [obj["spec"]["podCIDR"]];
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    const st = obj["status"];
    if (st?.["capacity"] && !st["allocatable"]) st["allocatable"] = { ...st["capacity"] };
  }
}

const needsClusterIP = (s: KObject) => s["spec"]?.["type"] !== "ExternalName";
const needsNodePort = (s: KObject) =>
  s["spec"]?.["type"] === "NodePort" || s["spec"]?.["type"] === "LoadBalancer";
const needsHCNodePort = (s: KObject) =>
  s["spec"]?.["type"] === "LoadBalancer" && s["spec"]?.["externalTrafficPolicy"] === "Local";
const needsExternalTrafficPolicy = needsNodePort;

/**
 * A Service changing type drops the fields its old type needed, when this update left them as
 * they were (kube-apiserver's dropTypeDependentFields): a LoadBalancer patched to ClusterIP
 * loses its nodePorts, healthCheckNodePort, allocateLoadBalancerNodePorts and
 * externalTrafficPolicy instead of failing validation.
 */
export function dropTypeDependentFields(svc: KObject, old: KObject): void {
  const spec = (svc["spec"] ??= {}) as KObject;
  const ospec = (old["spec"] ?? {}) as KObject;
  const same = (f: string) => JSON.stringify(spec[f]) === JSON.stringify(ospec[f]);
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (same("clusterIPs") || same("clusterIP")) {
      delete spec["clusterIP"];
      delete spec["clusterIPs"];
    }
    if (same("ipFamilies")) delete spec["ipFamilies"];
    if (same("ipFamilyPolicy")) delete spec["ipFamilyPolicy"];
  }
  if (needsNodePort(old) && !needsNodePort(svc)) {
    const oldPorts: KObject[] = ospec["ports"] ?? [];
    for (const p of (spec["ports"] ?? []) as KObject[]) {
      const o = oldPorts.find(
        (x) => x["port"] === p["port"] && (x["protocol"] ?? "TCP") === (p["protocol"] ?? "TCP"),
      );
      if (o && o["nodePort"] === p["nodePort"]) delete p["nodePort"];
    }
  }
  if (needsHCNodePort(old) && !needsHCNodePort(svc) && same("healthCheckNodePort"))
    delete spec["healthCheckNodePort"];
  if (ospec["type"] === "LoadBalancer" && spec["type"] !== "LoadBalancer") {
    if (same("allocateLoadBalancerNodePorts")) delete spec["allocateLoadBalancerNodePorts"];
    if (same("loadBalancerClass")) delete spec["loadBalancerClass"];
  }
  if (needsExternalTrafficPolicy(old) && !needsExternalTrafficPolicy(svc) && same("externalTrafficPolicy")) {
    delete spec["externalTrafficPolicy"];
  }
}
