/**
 * Pod status as the kubelet generates it (generateAPIPodStatus, getPhase and status/generate.go),
 * computed from the runtime's view of the containers: a pure function, with no I/O or clock.
 *
 * - phase: Pending while a container has not started yet; Running once all have started and
 *   one runs (or all are restarting, with restartPolicy Always or a failure under OnFailure);
 *   Succeeded when all stopped with exit code 0 and will not restart; Failed otherwise.
 * - conditions, kubelet-owned ones after any others (DisruptionTarget, readiness gates'):
 *   PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled, each keeping
 *   its lastTransitionTime until its status changes.
 *
 * Limitations vs Kubernetes: restartable init containers (sidecars) are treated as ordinary
 * init containers; no resize status, no observedGeneration on conditions.
 */
import type { KObject } from "@kemu/controllers";

/** The runtime's view of one container, in core/v1 ContainerStatus terms. */
export interface ContainerView {
  name: string;
  image: string;
  imageID: string;
  containerID: string | undefined;
  /** { waiting: {...} } | { running: {...} } | { terminated: {...} } */
  state: KObject;
  /** {} or { terminated: {...} } */
  lastState: KObject;
  ready: boolean;
  started: boolean;
  restartCount: number;
}

/** Everything the status is computed from. */
export interface PodStatusInput {
  /** The pod as last seen (spec, and conditions others own). */
  pod: KObject;
  /** The status this kubelet last wrote, if any (for lastTransitionTime). */
  previous: KObject | undefined;
  sandboxReady: boolean;
  podIP: string | undefined;
  hostIP: string;
  startTime: string;
  initContainers: ContainerView[];
  containers: ContainerView[];
  /** The pod is being torn down and will not restart anything (deletion, or a terminal phase). */
  terminal: boolean;
  /** RFC 3339, to the second. */
  now: string;
}

const KUBELET_CONDITIONS = new Set([
  "PodReadyToStartContainers",
  "Initialized",
  "Ready",
  "ContainersReady",
  "PodScheduled",
]);

const goList = (names: string[]) => `[${names.join(" ")}]`;

/** The pod phase (kubelet getPhase). */
export function podPhase(
  restartPolicy: string,
  initContainers: ContainerView[],
  containers: ContainerView[],
  terminal: boolean,
): "Pending" | "Running" | "Succeeded" | "Failed" {
  for (const c of initContainers) {
    const t = c.state["terminated"];
    if (t && t["exitCode"] === 0) continue;
    if (t && restartPolicy === "Never") return "Failed";
    return "Pending";
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if (c.state["running"]) running++;
    else if (c.state["terminated"]) {
      stopped++;
      if (c.state["terminated"]["exitCode"] === 0) succeeded++;
    } else if (c.lastState["terminated"]) stopped++;
    else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (terminal) return stopped === succeeded ? "Succeeded" : "Failed";
    if (restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (restartPolicy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

interface Cond {
  type: string;
  status: "True" | "False";
  reason?: string;
  message?: string;
}

/** The kubelet-owned conditions, in the kubelet's order. */
export function kubeletConditions(
  pod: KObject,
  others: KObject[],
  in_: Pick<PodStatusInput, "sandboxReady" | "initContainers" | "containers">,
  phase: string,
): Cond[] {
  const out: Cond[] = [];
  out.push({ type: "PodReadyToStartContainers", status: in_.sandboxReady ? "True" : "False" });

  const anyStarted = in_.containers.some(
    (c) => c.state["running"] || c.state["terminated"] || c.lastState["terminated"],
  );
  const incomplete = in_.initContainers.filter(
    (c) => !(c.state["terminated"] && c.state["terminated"]["exitCode"] === 0),
  );
  if (phase === "Succeeded") out.push({ type: "Initialized", status: "True", reason: "PodCompleted" });
  else if (anyStarted || incomplete.length === 0) out.push({ type: "Initialized", status: "True" });
  else
    out.push({
      type: "Initialized",
      status: "False",
      reason: "ContainersNotInitialized",
      message: `containers with incomplete status: ${goList(incomplete.map((c) => c.name))}`,
    });

  let containersReady: Cond;
  if (phase === "Succeeded" || phase === "Failed") {
    containersReady = {
      type: "ContainersReady",
      status: "False",
      reason: phase === "Succeeded" ? "PodCompleted" : "PodFailed",
    };
  } else {
    const unready = in_.containers.filter((c) => !c.ready).map((c) => c.name);
    containersReady =
      unready.length > 0
        ? {
            type: "ContainersReady",
            status: "False",
            reason: "ContainersNotReady",
            message: `containers with unready status: ${goList(unready)}`,
          }
        : { type: "ContainersReady", status: "True" };
  }
  let ready: Cond = { ...containersReady, type: "Ready" };
  if (containersReady.status === "True") {
    const gateMessages: string[] = [];
    for (const g of (pod["spec"]?.["readinessGates"] ?? []) as KObject[]) {
      const t = String(g["conditionType"]);
      const c = others.find((x) => x["type"] === t);
      if (!c) gateMessages.push(`corresponding condition of pod readiness gate "${t}" does not exist.`);
      else if (c["status"] !== "True")
        gateMessages.push(`the status of pod readiness gate "${t}" is not "True", but ${c["status"]}`);
    }
    if (gateMessages.length > 0)
      ready = {
        type: "Ready",
        status: "False",
        reason: "ReadinessGatesNotReady",
        message: gateMessages.join(", "),
      };
  }
  out.push(ready, containersReady, { type: "PodScheduled", status: "True" });
  return out;
}

function containerStatus(c: ContainerView): KObject {
  const s: KObject = {
    name: c.name,
    state: c.state,
    lastState: c.lastState,
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
  };
  if (c.containerID) s["containerID"] = c.containerID;
  s["started"] = c.started;
  return s;
}

/** The full status to write. */
export function computePodStatus(in_: PodStatusInput): KObject {
  const restartPolicy = in_.pod["spec"]?.["restartPolicy"] ?? "Always";
  const phase = podPhase(restartPolicy, in_.initContainers, in_.containers, in_.terminal);
  const current: KObject[] = in_.pod["status"]?.["conditions"] ?? [];
  const others = current.filter((c) => !KUBELET_CONDITIONS.has(c["type"]));
  const mine = kubeletConditions(in_.pod, others, in_, phase);
  const before = (type: string): KObject | undefined =>
    ((in_.previous?.["conditions"] ?? []) as KObject[]).find((c) => c["type"] === type) ??
    current.find((c) => c["type"] === type);
  const conditions: KObject[] = [
    ...others,
    ...mine.map((c) => {
      const prev = before(c.type);
      const out: KObject = { type: c.type, status: c.status, lastProbeTime: null };
      out["lastTransitionTime"] =
        prev && prev["status"] === c.status && prev["lastTransitionTime"]
          ? prev["lastTransitionTime"]
          : in_.now;
      if (c.reason) out["reason"] = c.reason;
      if (c.message) out["message"] = c.message;
      return out;
    }),
  ];
  const status: KObject = {
    phase,
    conditions,
    hostIP: in_.hostIP,
    hostIPs: [{ ip: in_.hostIP }],
    startTime: in_.startTime,
    containerStatuses: in_.containers.map(containerStatus),
  };
  if (in_.podIP) {
    status["podIP"] = in_.podIP;
    status["podIPs"] = [{ ip: in_.podIP }];
  }
  if (in_.initContainers.length > 0)
    status["initContainerStatuses"] = in_.initContainers.map(containerStatus);
  return status;
}
