// k8s.io/apimachinery/pkg/apis/meta/v1 (generated.proto / types.go), as of Kubernetes 1.32.
// Format: see ../schema.ts.

import type { MessageTable } from "../schema.ts";

/** meta/v1 messages used by the served kinds. */
export const META: MessageTable = {
  "meta.ObjectMeta": [
    [1, "name", "string", "o"],
    [2, "generateName", "string", "o"],
    [3, "namespace", "string", "o"],
    [4, "selfLink", "string", "o"],
    [5, "uid", "string", "o"],
    [6, "resourceVersion", "string", "o"],
    [7, "generation", "int64", "o"],
    [8, "creationTimestamp", "Time", "o"],
    [9, "deletionTimestamp", "Time", "po"],
    [10, "deletionGracePeriodSeconds", "int64", "po"],
    [11, "labels", "map<string,string>", "o"],
    [12, "annotations", "map<string,string>", "o"],
    [13, "ownerReferences", "meta.OwnerReference", "ro"],
    [14, "finalizers", "string", "ro"],
    // 15 was clusterName (removed in 1.25).
    [17, "managedFields", "meta.ManagedFieldsEntry", "ro"],
  ],
  "meta.OwnerReference": [
    [5, "apiVersion", "string"],
    [1, "kind", "string"],
    [3, "name", "string"],
    [4, "uid", "string"],
    [6, "controller", "bool", "po"],
    [7, "blockOwnerDeletion", "bool", "po"],
  ],
  "meta.ManagedFieldsEntry": [
    [1, "manager", "string", "o"],
    [2, "operation", "string", "o"],
    [3, "apiVersion", "string", "o"],
    [4, "time", "Time", "po"],
    [6, "fieldsType", "string", "o"],
    [7, "fieldsV1", "FieldsV1", "po"],
    [8, "subresource", "string", "o"],
  ],
  "meta.LabelSelector": [
    [1, "matchLabels", "map<string,string>", "o"],
    [2, "matchExpressions", "meta.LabelSelectorRequirement", "ro"],
  ],
  "meta.LabelSelectorRequirement": [
    [1, "key", "string"],
    [2, "operator", "string"],
    [3, "values", "string", "ro"],
  ],
  "meta.Condition": [
    [1, "type", "string"],
    [2, "status", "string"],
    [3, "observedGeneration", "int64", "o"],
    [4, "lastTransitionTime", "Time"],
    [5, "reason", "string"],
    [6, "message", "string"],
  ],
  "meta.ListMeta": [
    [1, "selfLink", "string", "o"],
    [2, "resourceVersion", "string", "o"],
    [3, "continue", "string", "o"],
    [4, "remainingItemCount", "int64", "po"],
  ],
  "meta.Status": [
    [1, "metadata", "meta.ListMeta", "o"],
    [2, "status", "string", "o"],
    [3, "message", "string", "o"],
    [4, "reason", "string", "o"],
    [5, "details", "meta.StatusDetails", "po"],
    [6, "code", "int32", "o"],
  ],
  "meta.StatusDetails": [
    [1, "name", "string", "o"],
    [2, "group", "string", "o"],
    [3, "kind", "string", "o"],
    [6, "uid", "string", "o"],
    [4, "causes", "meta.StatusCause", "ro"],
    [5, "retryAfterSeconds", "int32", "o"],
  ],
  "meta.StatusCause": [
    [1, "reason", "string", "o"],
    [2, "message", "string", "o"],
    [3, "field", "string", "o"],
  ],
  "meta.DeleteOptions": [
    [1, "gracePeriodSeconds", "int64", "po"],
    [2, "preconditions", "meta.Preconditions", "po"],
    [3, "orphanDependents", "bool", "po"],
    [4, "propagationPolicy", "string", "po"],
    [5, "dryRun", "string", "ro"],
    [6, "ignoreStoreReadErrorWithClusterBreakingPotential", "bool", "po"],
  ],
  "meta.Preconditions": [
    [1, "uid", "string", "po"],
    [2, "resourceVersion", "string", "po"],
  ],
};
