// Pods: printers.go printPod, the logic behind `kubectl get pods` READY, STATUS and RESTARTS.

import type { V1Container, V1Pod, V1PodCondition } from "@kubernetes/client-node";
import { ageColumn, column, doc, nameColumn } from "./columns.ts";
import { timestampMillis, translateTimestampSince } from "./format.ts";
import type { Plain, Printer, TableRowCondition } from "./types.ts";

type Pod = Plain<V1Pod>;

// node.NodeUnreachablePodReason: set by the node lifecycle controller on pods of a lost node.
const NODE_UNREACHABLE_POD_REASON = "NodeLost";

function isRestartableInitContainer(c: Plain<V1Container> | undefined): boolean {
  return c?.restartPolicy === "Always";
}

function hasCondition(conditions: Plain<V1PodCondition>[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === "True");
}

// isPodInitializedConditionTrue: the first Initialized condition decides.
function isInitialized(conditions: Plain<V1PodCondition>[] | undefined): boolean {
  const c = (conditions ?? []).find((c) => c.type === "Initialized");
  return c?.status === "True";
}

// Go's metav1.Time.Before on the zero-initialised "last restart" accumulator.
function later(current: number | undefined, candidate: unknown): number | undefined {
  const ms = timestampMillis(candidate);
  if (ms === undefined) return current;
  return current === undefined || ms > current ? ms : current;
}

function podCells(pod: Pod, now: Date): unknown[] {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;

  let reason = status.phase ?? "";
  if (status.reason) reason = status.reason;
  for (const c of status.conditions ?? []) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }

  const initContainers = new Map<string, Plain<V1Container>>();
  for (const c of spec.initContainers ?? []) {
    initContainers.set(c.name ?? "", c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [i, container] of initStatuses.entries()) {
    restarts += container.restartCount ?? 0;
    lastRestart = later(lastRestart, container.lastState?.terminated?.finishedAt);
    const restartable = isRestartableInitContainer(initContainers.get(container.name ?? ""));
    if (restartable) {
      restartableInitRestarts += container.restartCount ?? 0;
      lastRestartableInitRestart = later(
        lastRestartableInitRestart,
        container.lastState?.terminated?.finishedAt,
      );
    }
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (restartable && container.started === true) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      // initialization has failed
      if (!terminated.reason) {
        reason = terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting?.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isInitialized(status.conditions)) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walks backwards so the first container with a waiting/terminated reason wins.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i];
      if (!container) continue;
      restarts += container.restartCount ?? 0;
      lastRestart = later(lastRestart, container.lastState?.terminated?.finishedAt);
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      } else if (container.ready && container.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod with a container still running is not "Completed" yet.
    if (reason === "Completed" && hasRunning) {
      reason = hasCondition(status.conditions, "Ready") ? "Running" : "NotReady";
    }
  }

  const deleting = timestampMillis(pod.metadata?.deletionTimestamp) !== undefined;
  const terminal = status.phase === "Succeeded" || status.phase === "Failed";
  if (deleting && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = "Unknown";
  } else if (deleting && !terminal) {
    reason = "Terminating";
  }

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsCell = `${restarts} (${translateTimestampSince(new Date(lastRestart), now)} ago)`;
  }

  // Internal pods always carry podIPs; a v1 object may only have podIP (conversion fills one from the other).
  const podIP = status.podIPs?.[0]?.ip ?? status.podIP ?? "";
  let readinessGates = "<none>";
  const gates = spec.readinessGates ?? [];
  if (gates.length > 0) {
    let trueConditions = 0;
    for (const gate of gates) {
      const c = (status.conditions ?? []).find((c) => c.type === gate.conditionType);
      if (c?.status === "True") trueConditions++;
    }
    readinessGates = `${trueConditions}/${gates.length}`;
  }

  return [
    pod.metadata?.name ?? "",
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsCell,
    translateTimestampSince(pod.metadata?.creationTimestamp, now),
    podIP || "<none>",
    spec.nodeName || "<none>",
    status.nominatedNodeName || "<none>",
    readinessGates,
  ];
}

function podConditions(pod: Pod): TableRowCondition[] | undefined {
  switch (pod.status?.phase) {
    case "Succeeded":
      return [
        {
          type: "Completed",
          status: "True",
          reason: "Succeeded",
          message: "The pod has completed successfully.",
        },
      ];
    case "Failed":
      return [{ type: "Completed", status: "True", reason: "Failed", message: "The pod failed." }];
    default:
      return undefined;
  }
}

/** core/v1 pods. */
export const podPrinter: Printer = {
  columns: [
    nameColumn,
    column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    column("Status", "string", "The aggregate status of the containers in this pod."),
    column(
      "Restarts",
      "string",
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    ageColumn,
    column("IP", "string", doc["PodStatus.podIP"], { priority: 1 }),
    column("Node", "string", doc["PodSpec.nodeName"], { priority: 1 }),
    column("Nominated Node", "string", doc["PodStatus.nominatedNodeName"], { priority: 1 }),
    column("Readiness Gates", "string", doc["PodSpec.readinessGates"], { priority: 1 }),
  ],
  cells: (obj: Pod, now) => podCells(obj, now),
  conditions: (obj: Pod) => podConditions(obj),
};
