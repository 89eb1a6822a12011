import { describe, expect, it } from "vitest";
import type { KObject } from "@kemu/controllers";
import { makePod } from "./fixtures.ts";
import { computePodStatus, podPhase, type ContainerView, type PodStatusInput } from "./status.ts";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:00:10Z";

function view(name: string, mutate?: (c: ContainerView) => void): ContainerView {
  const c: ContainerView = {
    name,
    image: "docker.io/kemu/echo:1",
    imageID: "docker.io/kemu/echo@sha256:00",
    containerID: `kemu://${name}-id`,
    state: { running: { startedAt: T0 } },
    lastState: {},
    ready: true,
    started: true,
    restartCount: 0,
  };
  mutate?.(c);
  return c;
}

function input(mutate?: (i: PodStatusInput) => void): PodStatusInput {
  const i: PodStatusInput = {
    pod: makePod("ns1", "web"),
    previous: undefined,
    sandboxReady: true,
    podIP: "10.244.1.5",
    hostIP: "127.0.1.1",
    startTime: T0,
    initContainers: [],
    containers: [view("app")],
    terminal: false,
    now: T1,
  };
  mutate?.(i);
  return i;
}

const terminated = (exitCode: number) => ({
  terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", startedAt: T0, finishedAt: T1 },
});

describe("status: pod phase", () => {
  it("status: Pending until every container started, then Running", () => {
    const waiting = view("b", (c) => (c.state = { waiting: { reason: "ContainerCreating" } }));
    expect(podPhase("Always", [], [view("a"), waiting], false)).toBe("Pending");
    expect(podPhase("Always", [], [view("a"), view("b")], false)).toBe("Running");
  });

  it("status: a restarting container (waiting with a last state) keeps the pod Running", () => {
    const crashLoop = view("a", (c) => {
      c.state = { waiting: { reason: "CrashLoopBackOff" } };
      c.lastState = terminated(1);
    });
    expect(podPhase("Always", [], [crashLoop], false)).toBe("Running");
  });

  it("status: stopped containers: Succeeded, Failed or Running by restart policy", () => {
    const ok = view("a", (c) => (c.state = terminated(0)));
    const bad = view("b", (c) => (c.state = terminated(1)));
    expect(podPhase("Never", [], [ok], false)).toBe("Succeeded");
    expect(podPhase("Never", [], [ok, bad], false)).toBe("Failed");
    expect(podPhase("OnFailure", [], [ok], false)).toBe("Succeeded");
    expect(podPhase("OnFailure", [], [bad], false)).toBe("Running");
    expect(podPhase("Always", [], [ok], false)).toBe("Running");
    // A pod torn down for deletion ends Succeeded or Failed whatever its policy.
    expect(podPhase("Always", [], [ok], true)).toBe("Succeeded");
    expect(podPhase("Always", [], [bad], true)).toBe("Failed");
  });

  it("status: init containers not done keep the pod Pending", () => {
    const init = view("init", (c) => (c.state = { running: { startedAt: T0 } }));
    expect(podPhase("Always", [init], [view("a")], false)).toBe("Pending");
    expect(podPhase("Always", [view("init", (c) => (c.state = terminated(0)))], [view("a")], false)).toBe(
      "Running",
    );
  });
});

describe("status: computePodStatus", () => {
  it("status: a running ready pod, with conditions in the kubelet's order", () => {
    const s = computePodStatus(input());
    expect(s["phase"]).toBe("Running");
    expect(s["conditions"].map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
    ]);
    expect(s).toMatchObject({
      podIP: "10.244.1.5",
      podIPs: [{ ip: "10.244.1.5" }],
      hostIP: "127.0.1.1",
      hostIPs: [{ ip: "127.0.1.1" }],
      startTime: T0,
    });
    expect(s["containerStatuses"][0]).toEqual({
      name: "app",
      state: { running: { startedAt: T0 } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: "docker.io/kemu/echo:1",
      imageID: "docker.io/kemu/echo@sha256:00",
      containerID: "kemu://app-id",
      started: true,
    });
  });

  it("status: unready containers are named in Ready and ContainersReady", () => {
    const s = computePodStatus(
      input(
        (i) => (i.containers = [view("a", (c) => (c.ready = false)), view("b", (c) => (c.ready = false))]),
      ),
    );
    const ready = s["conditions"].find((c: { type: string }) => c.type === "Ready");
    expect(ready).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
      message: "containers with unready status: [a b]",
    });
  });

  it("status: a new pod: no sandbox yet, containers creating", () => {
    const s = computePodStatus(
      input((i) => {
        i.sandboxReady = false;
        i.podIP = undefined;
        i.containers = [
          view("app", (c) => {
            c.state = { waiting: { reason: "ContainerCreating" } };
            c.ready = false;
            c.started = false;
            c.containerID = undefined;
            c.imageID = "";
          }),
        ];
      }),
    );
    expect(s["phase"]).toBe("Pending");
    expect(s["podIP"]).toBeUndefined();
    expect(s["conditions"][0]).toMatchObject({ type: "PodReadyToStartContainers", status: "False" });
    expect(s["containerStatuses"][0]["containerID"]).toBeUndefined();
  });

  it("status: lastTransitionTime moves only when a condition's status changes", () => {
    const first = computePodStatus(input((i) => (i.containers = [view("app", (c) => (c.ready = false))])));
    const later = "2026-01-01T00:01:00Z";
    const second = computePodStatus(input((i) => ((i.previous = first), (i.now = later))));
    const at = (s: KObject, t: string) =>
      (s["conditions"] as KObject[]).find((c) => c["type"] === t)!["lastTransitionTime"];
    expect(at(second, "Ready")).toBe(later);
    expect(at(second, "Initialized")).toBe(T1);
  });

  it("status: the scheduler's PodScheduled time and others' conditions are kept", () => {
    const s = computePodStatus(
      input((i) => {
        i.pod["status"]["conditions"] = [
          { type: "PodScheduled", status: "True", lastTransitionTime: "2025-12-31T23:59:59Z" },
          {
            type: "DisruptionTarget",
            status: "True",
            reason: "EvictionByEvictionAPI",
            lastTransitionTime: T0,
          },
        ];
      }),
    );
    expect(s["conditions"][0]).toMatchObject({ type: "DisruptionTarget", reason: "EvictionByEvictionAPI" });
    expect(s["conditions"].at(-1)).toMatchObject({
      type: "PodScheduled",
      lastTransitionTime: "2025-12-31T23:59:59Z",
    });
  });

  it("status: readiness gates hold Ready back", () => {
    const s = computePodStatus(
      input((i) => {
        i.pod["spec"]["readinessGates"] = [{ conditionType: "example.com/lb" }];
      }),
    );
    expect(s["conditions"].find((c: { type: string }) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ReadinessGatesNotReady",
      message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
    });
  });

  it("status: a finished pod is not ready, with PodCompleted or PodFailed", () => {
    const s = computePodStatus(
      input(
        (i) => (
          (i.terminal = true),
          (i.containers = [view("app", (c) => ((c.state = terminated(0)), (c.ready = false)))])
        ),
      ),
    );
    expect(s["phase"]).toBe("Succeeded");
    expect(s["conditions"].find((c: { type: string }) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "PodCompleted",
    });
    expect(s["conditions"].find((c: { type: string }) => c.type === "Initialized")).toMatchObject({
      status: "True",
      reason: "PodCompleted",
    });
  });
});
