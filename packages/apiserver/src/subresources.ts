/**
 * Subresources other than status (which the generic verbs handle): scale, binding, eviction,
 * finalize and log. Each maps onto the main object through the same Api verbs.
 */
import type { KObject } from "@kemu/store";
import { labelSelectorFromObject } from "@kemu/machinery";
import type { Api, PatchType } from "./api.ts";
import { ApiError } from "./errors.ts";
import { mergePatch, clone } from "./meta.ts";
import type { ResourceDef } from "./resources.ts";

/** A subresource request, already decoded by its transport. */
export interface SubresourceRequest {
  api: Api;
  def: ResourceDef;
  namespace: string | undefined;
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | string;
  /** The decoded body (an object, or a JSON patch array). */
  body: unknown;
  /** For PATCH. */
  patchType?: PatchType;
}

/** A subresource response. */
export interface SubresourceResponse {
  code: number;
  obj: unknown;
}

type Handler = (r: SubresourceRequest) => Promise<SubresourceResponse>;

function bodyObject(r: SubresourceRequest): KObject {
  const v = r.body;
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw ApiError.badRequest("Object 'Kind' is missing");
  return v as KObject;
}

/** The autoscaling/v1 Scale of a workload. */
function toScale(obj: KObject): KObject {
  const sel = obj["spec"]?.["selector"];
  let selector: string;
  try {
    selector = sel ? labelSelectorFromObject(sel).toString() : "";
  } catch {
    selector = "";
  }
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: obj["metadata"]["name"],
      namespace: obj["metadata"]["namespace"],
      uid: obj["metadata"]["uid"],
      resourceVersion: obj["metadata"]["resourceVersion"],
      creationTimestamp: obj["metadata"]["creationTimestamp"],
    },
    spec: { replicas: obj["spec"]?.["replicas"] ?? 0 },
    status: { replicas: obj["status"]?.["replicas"] ?? 0, selector },
  };
}

const scale: Handler = async (r) => {
  const { api, def, namespace, name } = r;
  const cur = await api.get(def, namespace, name);
  if (r.method === "GET") return { code: 200, obj: toScale(cur) };
  let desired: KObject;
  if (r.method === "PUT") desired = bodyObject(r);
  else if (r.method === "PATCH") {
    if (r.patchType === "json") throw ApiError.badRequest("json patch is not supported on scale");
    desired = mergePatch(toScale(cur), r.body) as KObject;
  } else throw ApiError.methodNotAllowed();
  const replicas = desired["spec"]?.["replicas"];
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw ApiError.invalid("autoscaling", "Scale", name, [
      {
        type: "FieldValueInvalid",
        field: "spec.replicas",
        badValue: replicas,
        detail: "must be greater than or equal to 0",
      },
    ]);
  }
  const rv = desired["metadata"]?.["resourceVersion"];
  const next = clone(cur);
  next["spec"] = { ...(next["spec"] ?? {}), replicas };
  if (rv && r.method === "PUT") next["metadata"]["resourceVersion"] = rv;
  else delete next["metadata"]["resourceVersion"];
  const out = await api.update(def, namespace, name, next);
  return { code: 200, obj: toScale(out.obj) };
};

const binding: Handler = async (r) => {
  if (r.method !== "POST") throw ApiError.methodNotAllowed();
  const b = bodyObject(r);
  const target = b["target"] ?? {};
  if (!target["name"]) {
    throw ApiError.invalid("", "Binding", name(b, r.name), [
      { type: "FieldValueRequired", field: "target.name", detail: "" },
    ]);
  }
  const { api, def, namespace } = r;
  const pod = await api.get(def, namespace, r.name);
  if (pod["metadata"]["deletionTimestamp"]) {
    throw ApiError.conflict(def, r.name, "pod is being deleted, cannot be assigned to a host");
  }
  if (pod["spec"]?.["nodeName"]) {
    throw ApiError.conflict(
      def,
      r.name,
      `pod ${r.name} is already assigned to node "${pod["spec"]["nodeName"]}"`,
    );
  }
  const uidPre = b["metadata"]?.["uid"];
  if (uidPre && uidPre !== pod["metadata"]["uid"]) {
    throw ApiError.conflict(
      def,
      r.name,
      `Precondition failed: UID in precondition: ${uidPre}, UID in object meta: ${pod["metadata"]["uid"]}`,
    );
  }
  const next = clone(pod);
  next["spec"]["nodeName"] = target["name"];
  // The whole PodScheduled condition is replaced, dropping an Unschedulable reason and message.
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const conds: KObject[] = ((next["status"] ??= {})["conditions"] ?? []).filter(
    (c: KObject) => c["type"] !== "PodScheduled",
  );
  conds.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now });
  next["status"]["conditions"] = conds;
  // Binding sets spec.nodeName and the PodScheduled condition in one write, as upstream's assignPod does.
  await api.update(def, namespace, r.name, next, {}, "binding");
  return { code: 201, obj: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 } };
};

function name(b: KObject, fallback: string): string {
  return String(b["metadata"]?.["name"] ?? fallback);
}

const eviction: Handler = async (r) => {
  if (r.method !== "POST") throw ApiError.methodNotAllowed();
  const b = bodyObject(r);
  const opts = b["deleteOptions"] ?? {};
  const del: Parameters<Api["delete"]>[3] = {};
  if (opts["gracePeriodSeconds"] !== undefined) del.gracePeriodSeconds = Number(opts["gracePeriodSeconds"]);
  if (opts["preconditions"]) del.preconditions = opts["preconditions"];
  await r.api.delete(r.def, r.namespace, r.name, del);
  return { code: 201, obj: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 } };
};

const finalize: Handler = async (r) => {
  if (r.method !== "PUT") throw ApiError.methodNotAllowed();
  const b = bodyObject(r);
  const { api, def, name: n } = r;
  const cur = await api.get(def, undefined, n);
  const next = clone(cur);
  next["spec"] = { ...(next["spec"] ?? {}), finalizers: b["spec"]?.["finalizers"] ?? [] };
  const out = await api.update(def, undefined, n, next, {}, "finalize");
  return { code: 200, obj: out.obj };
};

/** Handlers by subresource name. */
export const subresourceHandlers: Record<string, Handler> = { scale, binding, eviction, finalize };

/** Serves a subresource other than status; 404 when the resource has no such subresource. */
export function serveSubresource(
  r: SubresourceRequest & { subresource: string },
): Promise<SubresourceResponse> {
  const handler = subresourceHandlers[r.subresource];
  if (!handler || !r.def.subresources.includes(r.subresource as never)) throw ApiError.noResource();
  return handler(r);
}
