/**
 * The events the kubelet records (source component "kubelet", host the node), with upstream's
 * reasons and messages.
 *
 * Limitations vs Kubernetes: the shared EventRecorder does not set involvedObject.fieldPath, so
 * container events lack "spec.containers{name}" (kubectl get events -o wide SUBOBJECT is empty).
 */
import type { EventRecorder, KObject } from "@kemu/controllers";

/** Event reasons the kubelet uses (pkg/kubelet/events). */
export const Reason = {
  Pulled: "Pulled",
  Created: "Created",
  Started: "Started",
  Killing: "Killing",
  Unhealthy: "Unhealthy",
  BackOff: "BackOff",
  Failed: "Failed",
  FailedPreStopHook: "FailedPreStopHook",
  FailedCreatePodSandBox: "FailedCreatePodSandBox",
  Starting: "Starting",
  NodeReady: "NodeReady",
  NodeAllocatableEnforced: "NodeAllocatableEnforced",
} as const;

/** Where the kubelet's pod and node events go. */
export interface KubeletEvents {
  /** An event about a pod, or one of its containers when container is given. */
  pod(
    pod: KObject,
    container: string | undefined,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): void;
  /** An event about the node. */
  node(nodeName: string, type: "Normal" | "Warning", reason: string, message: string): void;
}

/** KubeletEvents over the shared EventRecorder. */
export function recorderEvents(recorder: EventRecorder): KubeletEvents {
  return {
    pod(pod, container, type, reason, message) {
      // List items carry no kind; the event's involvedObject needs it.
      const fieldPath = container ? `spec.containers{${container}}` : undefined;
      recorder.event({ ...pod, apiVersion: "v1", kind: "Pod" }, type, reason, message, fieldPath);
    },
    node(nodeName, type, reason, message) {
      // The kubelet refers to its node with the node's name as UID, in the default namespace.
      recorder.event(
        { apiVersion: "v1", kind: "Node", metadata: { name: nodeName, uid: nodeName } },
        type,
        reason,
        message,
      );
    },
  };
}

/** format.Pod: "name_namespace(uid)", as kubelet messages name a pod. */
export function formatPod(pod: KObject): string {
  const md = pod["metadata"] ?? {};
  return `${md["name"]}_${md["namespace"]}(${md["uid"]})`;
}
