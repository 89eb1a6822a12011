// apps/v1 workloads: printers.go printDeployment, printReplicaSet, printDaemonSet and
// printControllerRevision.

import type { V1ControllerRevision, V1DaemonSet, V1Deployment, V1ReplicaSet } from "@kubernetes/client-node";
import { ageColumn, column, containersColumn, doc, imagesColumn, nameColumn } from "./columns.ts";
import {
  formatLabelSelector,
  formatLabels,
  labelSelectorString,
  layoutContainerCells,
  translateTimestampSince,
} from "./format.ts";
import type { Plain, Printer } from "./types.ts";

// spec.replicas defaults to 1 for Deployments and ReplicaSets; stored objects always have it set.
const DEFAULT_REPLICAS = 1;

function deploymentCells(d: Plain<V1Deployment>, now: Date): unknown[] {
  const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
  // Unlike the other workloads, Deployments print the raw selector string: "" when empty.
  const selector = labelSelectorString(d.spec?.selector) ?? "<invalid>";
  return [
    d.metadata?.name ?? "",
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? DEFAULT_REPLICAS}`,
    d.status?.updatedReplicas ?? 0,
    d.status?.availableReplicas ?? 0,
    translateTimestampSince(d.metadata?.creationTimestamp, now),
    names,
    images,
    selector,
  ];
}

/** apps/v1 deployments. */
export const deploymentPrinter: Printer = {
  columns: [
    nameColumn,
    column("Ready", "string", "Number of the pod with ready state"),
    column("Up-to-date", "string", doc["DeploymentStatus.updatedReplicas"]),
    column("Available", "string", doc["DeploymentStatus.availableReplicas"]),
    ageColumn,
    containersColumn,
    imagesColumn,
    column("Selector", "string", doc["DeploymentSpec.selector"], { priority: 1 }),
  ],
  cells: (obj: Plain<V1Deployment>, now) => deploymentCells(obj, now),
};

/** apps/v1 replicasets. */
export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn,
    column("Desired", "integer", doc["ReplicaSetSpec.replicas"]),
    column("Current", "integer", doc["ReplicaSetStatus.replicas"]),
    column("Ready", "integer", doc["ReplicaSetStatus.readyReplicas"]),
    ageColumn,
    containersColumn,
    imagesColumn,
    column("Selector", "string", doc["ReplicaSetSpec.selector"], { priority: 1 }),
  ],
  cells: (rs: Plain<V1ReplicaSet>, now) => {
    const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata?.name ?? "",
      rs.spec?.replicas ?? DEFAULT_REPLICAS,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      translateTimestampSince(rs.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

/** apps/v1 daemonsets. */
export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn,
    column("Desired", "integer", doc["DaemonSetStatus.desiredNumberScheduled"]),
    column("Current", "integer", doc["DaemonSetStatus.currentNumberScheduled"]),
    column("Ready", "integer", doc["DaemonSetStatus.numberReady"]),
    column("Up-to-date", "integer", doc["DaemonSetStatus.updatedNumberScheduled"]),
    column("Available", "integer", doc["DaemonSetStatus.numberAvailable"]),
    column("Node Selector", "string", doc["PodSpec.nodeSelector"]),
    ageColumn,
    containersColumn,
    imagesColumn,
    column("Selector", "string", doc["DaemonSetSpec.selector"], { priority: 1 }),
  ],
  cells: (ds: Plain<V1DaemonSet>, now) => {
    const status = ds.status ?? {};
    const [names, images] = layoutContainerCells(ds.spec?.template?.spec?.containers);
    return [
      ds.metadata?.name ?? "",
      status.desiredNumberScheduled ?? 0,
      status.currentNumberScheduled ?? 0,
      status.numberReady ?? 0,
      status.updatedNumberScheduled ?? 0,
      status.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      translateTimestampSince(ds.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

// metav1.GetControllerOf plus formatResourceName(gvk.GroupKind(), name, true): "daemonset.apps/web".
function controllerName(cr: Plain<V1ControllerRevision>): string {
  const ref = (cr.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return "<none>";
  const apiVersion = ref.apiVersion ?? "";
  // schema.ParseGroupVersion: "v1" has no group, "apps/v1" has group "apps".
  const slash = apiVersion.indexOf("/");
  const group = slash === -1 ? "" : apiVersion.slice(0, slash);
  const kind = ref.kind ?? "";
  const name = ref.name ?? "";
  if (group === "" && kind === "") return name;
  const groupKind = group === "" ? kind : `${kind}.${group}`;
  return `${groupKind.toLowerCase()}/${name}`;
}

/** apps/v1 controllerrevisions. */
export const controllerRevisionPrinter: Printer = {
  columns: [
    nameColumn,
    column("Controller", "string", "Controller of the object"),
    column("Revision", "string", doc["ControllerRevision.revision"]),
    ageColumn,
  ],
  cells: (cr: Plain<V1ControllerRevision>, now) => [
    cr.metadata?.name ?? "",
    controllerName(cr),
    cr.revision ?? 0,
    translateTimestampSince(cr.metadata?.creationTimestamp, now),
  ],
};
