// The one table of top-level kinds: which message a runtime.Unknown envelope's apiVersion/kind
// names. Add a row here (and its messages under messages/) to serve another kind.

import { META } from "./messages/meta.ts";
import { CORE } from "./messages/core.ts";
import { APPS, COORDINATION, DISCOVERY, EVENTS, SUBRESOURCES } from "./messages/groups.ts";
import { compile, type Message } from "./schema.ts";

/** Every message the codec knows, compiled and checked once at load. */
export const MESSAGES: ReadonlyMap<string, Message> = compile([
  META,
  CORE,
  APPS,
  DISCOVERY,
  COORDINATION,
  EVENTS,
  SUBRESOURCES,
]);

/** [apiVersion, kind, message] for each kind a body may carry. */
const KINDS: readonly (readonly [apiVersion: string, kind: string, message: string])[] = [
  ["v1", "Namespace", "core.Namespace"],
  ["v1", "ConfigMap", "core.ConfigMap"],
  ["v1", "Secret", "core.Secret"],
  ["v1", "ServiceAccount", "core.ServiceAccount"],
  ["v1", "Service", "core.Service"],
  ["v1", "Pod", "core.Pod"],
  ["v1", "Endpoints", "core.Endpoints"],
  ["v1", "Event", "core.Event"],
  ["v1", "Node", "core.Node"],
  ["v1", "Binding", "core.Binding"],
  ["v1", "Status", "meta.Status"],
  ["v1", "DeleteOptions", "meta.DeleteOptions"],
  ["meta.k8s.io/v1", "Status", "meta.Status"],
  ["meta.k8s.io/v1", "DeleteOptions", "meta.DeleteOptions"],
  ["apps/v1", "Deployment", "apps.Deployment"],
  ["apps/v1", "ReplicaSet", "apps.ReplicaSet"],
  ["apps/v1", "DaemonSet", "apps.DaemonSet"],
  ["apps/v1", "ControllerRevision", "apps.ControllerRevision"],
  ["discovery.k8s.io/v1", "EndpointSlice", "discovery.EndpointSlice"],
  ["coordination.k8s.io/v1", "Lease", "coordination.Lease"],
  ["events.k8s.io/v1", "Event", "events.Event"],
  ["policy/v1", "Eviction", "policy.Eviction"],
  ["autoscaling/v1", "Scale", "autoscaling.Scale"],
];

const BY_KIND = new Map(KINDS.map(([apiVersion, kind, message]) => [`${apiVersion}/${kind}`, message]));

/** The message for an apiVersion/kind, or undefined when the kind is not served. */
export function messageFor(apiVersion: string, kind: string): Message | undefined {
  let name = BY_KIND.get(`${apiVersion}/${kind}`);
  // client-go encodes DeleteOptions in whatever group version the typed client talks to.
  if (name === undefined && kind === "DeleteOptions") name = "meta.DeleteOptions";
  return name === undefined ? undefined : MESSAGES.get(name);
}

/** The "apiVersion/kind" pairs the codec supports. */
export function supportedProtobufKinds(): string[] {
  return KINDS.map(([apiVersion, kind]) => `${apiVersion}/${kind}`);
}
