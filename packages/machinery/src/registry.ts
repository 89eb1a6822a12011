/**
 * The one table of kinds, and the entry points the API server calls: applyDefaults and validate.
 * Unknown kinds pass through untouched and validate clean.
 */
import type { FieldError } from "./errors.ts";
import { configMapHandler } from "./kinds/configmap.ts";
import { daemonSetHandler } from "./kinds/daemonset.ts";
import { deploymentHandler } from "./kinds/deployment.ts";
import { endpointsHandler } from "./kinds/endpoints.ts";
import { endpointSliceHandler } from "./kinds/endpointslice.ts";
import { eventHandler } from "./kinds/event.ts";
import type { KindHandler, Operation } from "./kinds/handler.ts";
import { leaseHandler } from "./kinds/lease.ts";
import { namespaceHandler } from "./kinds/namespace.ts";
import { nodeHandler } from "./kinds/node.ts";
import { podHandler } from "./kinds/pod.ts";
import { replicaSetHandler } from "./kinds/replicaset.ts";
import { secretHandler } from "./kinds/secret.ts";
import { serviceHandler } from "./kinds/service.ts";

// Handler methods are bivariant in their object type, so each kind's handler fits the table.
const HANDLERS: readonly KindHandler<object>[] = [
  podHandler,
  serviceHandler,
  deploymentHandler,
  replicaSetHandler,
  daemonSetHandler,
  namespaceHandler,
  nodeHandler,
  endpointsHandler,
  endpointSliceHandler,
  eventHandler,
  configMapHandler,
  secretHandler,
  leaseHandler,
];

function key(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

const TABLE = new Map(HANDLERS.map((h) => [key(h.group, h.version, h.kind), h]));

/** The group/version/kinds this package knows. */
export function supportedKinds(): { group: string; version: string; kind: string }[] {
  return HANDLERS.map(({ group, version, kind }) => ({ group, version, kind }));
}

/**
 * Returns a defaulted copy of `obj`, as kube-apiserver stores it: SetDefaults_* plus, on create (the
 * default), what admission and the registry strategy add (pod tolerations, priority and service account;
 * namespace finalizer; initial status).
 */
export function applyDefaults<T extends object>(
  group: string,
  version: string,
  kind: string,
  obj: T,
  op: Operation = "create",
): T {
  const copy = structuredClone(obj);
  TABLE.get(key(group, version, kind))?.defaults(copy, op);
  return copy;
}

/** Field errors for a create (`old` undefined) or an update of `obj`, in upstream's order. */
export function validate(
  group: string,
  version: string,
  kind: string,
  obj: object,
  old?: object,
): FieldError[] {
  return TABLE.get(key(group, version, kind))?.validate(obj, old) ?? [];
}
