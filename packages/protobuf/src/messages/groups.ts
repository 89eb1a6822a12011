// k8s.io/api apps/v1, discovery/v1, coordination/v1, events/v1, policy/v1 and autoscaling/v1
// (generated.proto / types.go), as of Kubernetes 1.32. Format: see ../schema.ts.

import type { MessageTable } from "../schema.ts";

const META = [1, "metadata", "meta.ObjectMeta", "o"] as const;

/** apps/v1 workloads. */
export const APPS: MessageTable = {
  "apps.Deployment": [
    META,
    [2, "spec", "apps.DeploymentSpec", "o"],
    [3, "status", "apps.DeploymentStatus", "o"],
  ],
  // selector is a pointer without omitempty: absent is written as null.
  "apps.DeploymentSpec": [
    [1, "replicas", "int32", "po"],
    [2, "selector", "meta.LabelSelector", "p"],
    [3, "template", "core.PodTemplateSpec"],
    [4, "strategy", "apps.DeploymentStrategy", "o"],
    [5, "minReadySeconds", "int32", "o"],
    [6, "revisionHistoryLimit", "int32", "po"],
    [7, "paused", "bool", "o"],
    [9, "progressDeadlineSeconds", "int32", "po"],
  ],
  "apps.DeploymentStrategy": [
    [1, "type", "string", "o"],
    [2, "rollingUpdate", "apps.RollingUpdateDeployment", "po"],
  ],
  "apps.RollingUpdateDeployment": [
    [1, "maxUnavailable", "IntOrString", "po"],
    [2, "maxSurge", "IntOrString", "po"],
  ],
  "apps.DeploymentStatus": [
    [1, "observedGeneration", "int64", "o"],
    [2, "replicas", "int32", "o"],
    [3, "updatedReplicas", "int32", "o"],
    [7, "readyReplicas", "int32", "o"],
    [4, "availableReplicas", "int32", "o"],
    [5, "unavailableReplicas", "int32", "o"],
    [6, "conditions", "apps.DeploymentCondition", "ro"],
    [8, "collisionCount", "int32", "po"],
  ],
  "apps.DeploymentCondition": [
    [1, "type", "string"],
    [2, "status", "string"],
    [6, "lastUpdateTime", "Time", "o"],
    [7, "lastTransitionTime", "Time", "o"],
    [4, "reason", "string", "o"],
    [5, "message", "string", "o"],
  ],
  "apps.ReplicaSet": [
    META,
    [2, "spec", "apps.ReplicaSetSpec", "o"],
    [3, "status", "apps.ReplicaSetStatus", "o"],
  ],
  "apps.ReplicaSetSpec": [
    [1, "replicas", "int32", "po"],
    [4, "minReadySeconds", "int32", "o"],
    [2, "selector", "meta.LabelSelector", "p"],
    [3, "template", "core.PodTemplateSpec", "o"],
  ],
  "apps.ReplicaSetStatus": [
    [1, "replicas", "int32"],
    [2, "fullyLabeledReplicas", "int32", "o"],
    [4, "readyReplicas", "int32", "o"],
    [5, "availableReplicas", "int32", "o"],
    [3, "observedGeneration", "int64", "o"],
    [6, "conditions", "apps.ReplicaSetCondition", "ro"],
  ],
  "apps.ReplicaSetCondition": [
    [1, "type", "string"],
    [2, "status", "string"],
    [3, "lastTransitionTime", "Time", "o"],
    [4, "reason", "string", "o"],
    [5, "message", "string", "o"],
  ],
  "apps.DaemonSet": [
    META,
    [2, "spec", "apps.DaemonSetSpec", "o"],
    [3, "status", "apps.DaemonSetStatus", "o"],
  ],
  "apps.DaemonSetSpec": [
    [1, "selector", "meta.LabelSelector", "p"],
    [2, "template", "core.PodTemplateSpec"],
    [3, "updateStrategy", "apps.DaemonSetUpdateStrategy", "o"],
    [4, "minReadySeconds", "int32", "o"],
    [6, "revisionHistoryLimit", "int32", "po"],
  ],
  "apps.DaemonSetUpdateStrategy": [
    [1, "type", "string", "o"],
    [2, "rollingUpdate", "apps.RollingUpdateDaemonSet", "po"],
  ],
  "apps.RollingUpdateDaemonSet": [
    [1, "maxUnavailable", "IntOrString", "po"],
    [2, "maxSurge", "IntOrString", "po"],
  ],
  "apps.DaemonSetStatus": [
    [1, "currentNumberScheduled", "int32"],
    [2, "numberMisscheduled", "int32"],
    [3, "desiredNumberScheduled", "int32"],
    [4, "numberReady", "int32"],
    [5, "observedGeneration", "int64", "o"],
    [6, "updatedNumberScheduled", "int32", "o"],
    [7, "numberAvailable", "int32", "o"],
    [8, "numberUnavailable", "int32", "o"],
    [9, "collisionCount", "int32", "po"],
    [10, "conditions", "apps.DaemonSetCondition", "ro"],
  ],
  "apps.DaemonSetCondition": [
    [1, "type", "string"],
    [2, "status", "string"],
    [3, "lastTransitionTime", "Time", "o"],
    [4, "reason", "string", "o"],
    [5, "message", "string", "o"],
  ],
  "apps.ControllerRevision": [META, [2, "data", "RawExtension", "o"], [3, "revision", "int64"]],
};

/** discovery/v1 EndpointSlice. */
export const DISCOVERY: MessageTable = {
  "discovery.EndpointSlice": [
    META,
    [4, "addressType", "string"],
    [2, "endpoints", "discovery.Endpoint", "r"],
    [3, "ports", "discovery.EndpointPort", "r"],
  ],
  "discovery.Endpoint": [
    [1, "addresses", "string", "r"],
    [2, "conditions", "discovery.EndpointConditions", "o"],
    [3, "hostname", "string", "po"],
    [4, "targetRef", "core.ObjectReference", "po"],
    [5, "deprecatedTopology", "map<string,string>", "o"],
    [6, "nodeName", "string", "po"],
    [7, "zone", "string", "po"],
    [8, "hints", "discovery.EndpointHints", "po"],
  ],
  "discovery.EndpointConditions": [
    [1, "ready", "bool", "po"],
    [2, "serving", "bool", "po"],
    [3, "terminating", "bool", "po"],
  ],
  "discovery.EndpointHints": [[1, "forZones", "discovery.ForZone", "ro"]],
  "discovery.ForZone": [[1, "name", "string"]],
  "discovery.EndpointPort": [
    [1, "name", "string", "po"],
    [2, "protocol", "string", "po"],
    [3, "port", "int32", "po"],
    [4, "appProtocol", "string", "po"],
  ],
};

/** coordination/v1 Lease. */
export const COORDINATION: MessageTable = {
  "coordination.Lease": [META, [2, "spec", "coordination.LeaseSpec", "o"]],
  "coordination.LeaseSpec": [
    [1, "holderIdentity", "string", "po"],
    [2, "leaseDurationSeconds", "int32", "po"],
    [3, "acquireTime", "MicroTime", "po"],
    [4, "renewTime", "MicroTime", "po"],
    [5, "leaseTransitions", "int32", "po"],
    [6, "strategy", "string", "po"],
    [7, "preferredHolder", "string", "po"],
  ],
};

/** events/v1 Event. */
export const EVENTS: MessageTable = {
  "events.Event": [
    META,
    [2, "eventTime", "MicroTime"],
    [3, "series", "events.EventSeries", "po"],
    [4, "reportingController", "string", "o"],
    [5, "reportingInstance", "string", "o"],
    [6, "action", "string", "o"],
    [7, "reason", "string", "o"],
    [8, "regarding", "core.ObjectReference", "o"],
    [9, "related", "core.ObjectReference", "po"],
    [10, "note", "string", "o"],
    [11, "type", "string", "o"],
    [12, "deprecatedSource", "core.EventSource", "o"],
    [13, "deprecatedFirstTimestamp", "Time", "o"],
    [14, "deprecatedLastTimestamp", "Time", "o"],
    [15, "deprecatedCount", "int32", "o"],
  ],
  "events.EventSeries": [
    [1, "count", "int32"],
    [2, "lastObservedTime", "MicroTime"],
  ],
};

/** policy/v1 Eviction and autoscaling/v1 Scale: the subresource bodies. */
export const SUBRESOURCES: MessageTable = {
  "policy.Eviction": [META, [2, "deleteOptions", "meta.DeleteOptions", "po"]],
  "autoscaling.Scale": [
    META,
    [2, "spec", "autoscaling.ScaleSpec", "o"],
    [3, "status", "autoscaling.ScaleStatus", "o"],
  ],
  "autoscaling.ScaleSpec": [[1, "replicas", "int32", "o"]],
  "autoscaling.ScaleStatus": [
    [1, "replicas", "int32"],
    [2, "selector", "string", "o"],
  ],
};
