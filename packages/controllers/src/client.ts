/**
 * The API client controllers use: the Kubernetes API over NATS (NatsApiClient), with
 * resource identities and typed helpers. Controllers use nothing else to reach the cluster.
 */
import { ApiError, NatsApiClient, type NatsApiRequest, type WatchEvent } from "@kemu/apiserver";
import type { NatsConnection } from "@kemu/nats";

/** A Kubernetes object as plain JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary Kubernetes JSON, narrowed where read
export type KObject = Record<string, any>;

/** A group/version/resource. */
export interface Gvr {
  group: string;
  version: string;
  resource: string;
}

/** The resources controllers work with. */
export const R = {
  namespaces: { group: "", version: "v1", resource: "namespaces" },
  nodes: { group: "", version: "v1", resource: "nodes" },
  pods: { group: "", version: "v1", resource: "pods" },
  services: { group: "", version: "v1", resource: "services" },
  endpoints: { group: "", version: "v1", resource: "endpoints" },
  events: { group: "", version: "v1", resource: "events" },
  configmaps: { group: "", version: "v1", resource: "configmaps" },
  secrets: { group: "", version: "v1", resource: "secrets" },
  serviceaccounts: { group: "", version: "v1", resource: "serviceaccounts" },
  leases: { group: "coordination.k8s.io", version: "v1", resource: "leases" },
  endpointslices: { group: "discovery.k8s.io", version: "v1", resource: "endpointslices" },
  deployments: { group: "apps", version: "v1", resource: "deployments" },
  replicasets: { group: "apps", version: "v1", resource: "replicasets" },
  daemonsets: { group: "apps", version: "v1", resource: "daemonsets" },
  controllerrevisions: { group: "apps", version: "v1", resource: "controllerrevisions" },
} as const satisfies Record<string, Gvr>;

/** Options of a write. */
export interface WriteOpts {
  dryRun?: boolean;
  fieldManager?: string;
}

/** DeleteOptions. */
export interface DeleteOpts {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** List options. */
export interface ListOpts {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  limit?: number;
  continue?: string;
}

/** The client. Every call has a timeout; failures are ApiError with the server's Status. */
export class ApiClient {
  readonly #api: NatsApiClient;
  readonly nc: NatsConnection;

  constructor(nc: NatsConnection, timeoutMs = 10_000) {
    this.nc = nc;
    this.#api = new NatsApiClient(nc, timeoutMs);
  }

  #req(gvr: Gvr, namespace: string | undefined, extra: Partial<NatsApiRequest> = {}): NatsApiRequest {
    const r: NatsApiRequest = { group: gvr.group, version: gvr.version, resource: gvr.resource, ...extra };
    if (namespace) r.namespace = namespace;
    return r;
  }

  /** GET one object; undefined when it does not exist. */
  async get(gvr: Gvr, namespace: string | undefined, name: string): Promise<KObject | undefined> {
    try {
      return await this.#api.call("get", this.#req(gvr, namespace, { name }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** LIST. */
  list(gvr: Gvr, namespace: string | undefined, opts: ListOpts = {}): Promise<KObject> {
    return this.#api.call("list", this.#req(gvr, namespace, { options: { ...opts } }));
  }

  /** POST. */
  create(gvr: Gvr, namespace: string | undefined, obj: KObject, opts: WriteOpts = {}): Promise<KObject> {
    return this.#api.call("create", this.#req(gvr, namespace, { body: obj, options: { ...opts } }));
  }

  /** PUT, optionally of a subresource ("status"). */
  update(gvr: Gvr, namespace: string | undefined, obj: KObject, subresource?: string): Promise<KObject> {
    const extra: Partial<NatsApiRequest> = { name: obj["metadata"]["name"], body: obj };
    if (subresource) extra.subresource = subresource;
    return this.#api.call("update", this.#req(gvr, namespace, extra));
  }

  /** PATCH (merge by default), optionally of a subresource. */
  patch(
    gvr: Gvr,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: { type?: "json" | "merge" | "strategic"; subresource?: string } = {},
  ): Promise<KObject> {
    const extra: Partial<NatsApiRequest> = { name, body: patch, patchType: opts.type ?? "merge" };
    if (opts.subresource) extra.subresource = opts.subresource;
    return this.#api.call("patch", this.#req(gvr, namespace, extra));
  }

  /** POST to a subresource (binding, eviction). */
  createSubresource(
    gvr: Gvr,
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: KObject,
  ): Promise<KObject> {
    return this.#api.call("create", this.#req(gvr, namespace, { name, subresource, body }));
  }

  /** DELETE; resolves false when the object was already gone. */
  async delete(
    gvr: Gvr,
    namespace: string | undefined,
    name: string,
    opts: DeleteOpts = {},
  ): Promise<boolean> {
    try {
      await this.#api.call("delete", this.#req(gvr, namespace, { name, options: { ...opts } }));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return false;
      throw err;
    }
  }

  /** WATCH; see NatsApiClient.watch. */
  watch(
    gvr: Gvr,
    namespace: string | undefined,
    opts: ListOpts & { allowWatchBookmarks?: boolean },
    onEvent: (ev: WatchEvent) => void,
    onEnd: () => void,
  ): Promise<{ stop(): void }> {
    return this.#api.watch(this.#req(gvr, namespace, { options: { ...opts } }), onEvent, onEnd);
  }
}

/** "ns/name", or "name" for cluster-scoped objects: the work-queue key. */
export function keyOf(obj: KObject): string {
  const md = obj["metadata"] ?? {};
  return md["namespace"] ? `${md["namespace"]}/${md["name"]}` : String(md["name"]);
}

/** Splits a key made by keyOf. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
