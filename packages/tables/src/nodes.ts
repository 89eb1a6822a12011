// Nodes: printers.go printNode.

import type { V1Node } from "@kubernetes/client-node";
import { ageColumn, column, doc, nameColumn } from "./columns.ts";
import { translateTimestampSince } from "./format.ts";
import type { Plain, Printer } from "./types.ts";

type Node = Plain<V1Node>;

const LABEL_NODE_ROLE_PREFIX = "node-role.kubernetes.io/";
const NODE_LABEL_ROLE = "kubernetes.io/role";

// printers.go findNodeRoles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, sorted.
function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(LABEL_NODE_ROLE_PREFIX)) {
      const role = k.slice(LABEL_NODE_ROLE_PREFIX.length);
      if (role.length > 0) roles.add(role);
    } else if (k === NODE_LABEL_ROLE && v) {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

function nodeStatus(node: Node): string {
  // Only the Ready condition counts; a later duplicate wins, as with Go's map.
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === "Ready").at(-1);
  const status: string[] = [];
  if (ready) status.push(ready.status === "True" ? "Ready" : "NotReady");
  else status.push("Unknown");
  if (node.spec?.unschedulable) status.push("SchedulingDisabled");
  return status.join(",");
}

function address(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? "<none>";
}

function nodeCells(node: Node, now: Date): unknown[] {
  const info = node.status?.nodeInfo ?? {};
  const roles = nodeRoles(node).join(",");
  return [
    node.metadata?.name ?? "",
    nodeStatus(node),
    roles === "" ? "<none>" : roles,
    translateTimestampSince(node.metadata?.creationTimestamp, now),
    info.kubeletVersion ?? "",
    address(node, "InternalIP"),
    address(node, "ExternalIP"),
    info.osImage || "<unknown>",
    info.kernelVersion || "<unknown>",
    info.containerRuntimeVersion || "<unknown>",
  ];
}

/** core/v1 nodes. */
export const nodePrinter: Printer = {
  columns: [
    nameColumn,
    column("Status", "string", "The status of the node"),
    column("Roles", "string", "The roles of the node"),
    ageColumn,
    column("Version", "string", doc["NodeSystemInfo.kubeletVersion"]),
    column("Internal-IP", "string", doc["NodeStatus.addresses"], { priority: 1 }),
    column("External-IP", "string", doc["NodeStatus.addresses"], { priority: 1 }),
    column("OS-Image", "string", doc["NodeSystemInfo.osImage"], { priority: 1 }),
    column("Kernel-Version", "string", doc["NodeSystemInfo.kernelVersion"], { priority: 1 }),
    column("Container-Runtime", "string", doc["NodeSystemInfo.containerRuntimeVersion"], { priority: 1 }),
  ],
  cells: (obj: Node, now) => nodeCells(obj, now),
};
