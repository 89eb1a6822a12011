/**
 * Every NATS subject and stream name kemu uses is defined here, and nowhere else.
 *
 * Objects live in one JetStream stream, one subject per object:
 *   kemu.obj.<resource>.<namespace>.<name>
 * where <resource> is "pods" or "deployments.apps" with the dots escaped, <namespace> is "_" for
 * cluster-scoped objects, and names are escaped so that any Kubernetes name is one subject token.
 */

/** The JetStream stream that is the cluster's store (etcd's role). */
export const STORE_STREAM = "KEMU";

/** Prefix of every object subject. */
export const OBJECT_PREFIX = "kemu.obj";

/** Token used in place of a namespace for cluster-scoped objects ("_" is not valid in namespace names). */
export const CLUSTER_SCOPE = "_";

/**
 * Escapes a string into one subject token. Reversible: characters other than [A-Za-z0-9-.] are
 * percent-encoded (so "_" becomes "%5F"), then "." becomes "_".
 */
export function escapeToken(s: string): string {
  if (s === "") return "%";
  return s
    .replace(/[^A-Za-z0-9.-]/g, (c) =>
      encodeURIComponent(c).replace(/[^%0-9A-F]/g, (x) => "%" + x.charCodeAt(0).toString(16).toUpperCase()),
    )
    .replace(/\./g, "_");
}

/** Inverse of escapeToken. */
export function unescapeToken(t: string): string {
  if (t === "%") return "";
  return decodeURIComponent(t.replace(/_/g, "."));
}

/** The storage token of a resource: "pods", or "deployments.apps" escaped. */
export function resourceToken(resource: string, group: string): string {
  return escapeToken(group ? `${resource}.${group}` : resource);
}

/** The subject of one object. */
export function objectSubject(resourceTok: string, namespace: string | undefined, name: string): string {
  return `${OBJECT_PREFIX}.${resourceTok}.${namespace ? escapeToken(namespace) : CLUSTER_SCOPE}.${escapeToken(name)}`;
}

/** Parses an object subject back into its parts; undefined if it is not one. */
export function parseObjectSubject(
  subject: string,
): { resourceTok: string; namespace: string | undefined; name: string } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 5 || `${parts[0]}.${parts[1]}` !== OBJECT_PREFIX) return undefined;
  const [, , resourceTok, ns, name] = parts as [string, string, string, string, string];
  return {
    resourceTok,
    namespace: ns === CLUSTER_SCOPE ? undefined : unescapeToken(ns),
    name: unescapeToken(name),
  };
}

/** Subjects of the Kubernetes API served over NATS (request/reply), one per verb. */
export const API_PREFIX = "kemu.api";

/** The request subject for an API verb, e.g. "kemu.api.get". */
export function apiSubject(verb: string): string {
  return `${API_PREFIX}.${verb}`;
}

/** Queue group shared by every API server replica, so each request is served once. */
export const API_QUEUE = "kemu-apiserver";

/** The KV bucket of the loopback fabric: where each pod port really listens. */
export const FABRIC_BUCKET = "KEMU_FABRIC";

/** Subject prefix of one node agent's services (logs, exec, status): `kemu.node.<node>.<what>`. */
export function nodeSubject(node: string, what: string): string {
  return `kemu.node.${escapeToken(node)}.${what}`;
}
