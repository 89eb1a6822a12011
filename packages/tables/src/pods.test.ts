import { describe, expect, it } from "vitest";
import { ago, M, makePod, NOW, S, type TestPod } from "./fixtures.ts";
import { podPrinter } from "./pods.ts";

function cells(pod: TestPod): unknown[] {
  return podPrinter.cells(pod, NOW);
}

// NAME, READY, STATUS, RESTARTS: the columns the STATUS logic decides.
function summary(pod: TestPod): unknown[] {
  return cells(pod).slice(0, 4);
}

function waiting(reason: string) {
  return { waiting: { reason } };
}

function terminated(exitCode: number, reason?: string, signal?: number) {
  return { terminated: { exitCode, ...(reason ? { reason } : {}), ...(signal ? { signal } : {}) } };
}

describe("pods", () => {
  it("pods: column definitions match printers.go", () => {
    expect(podPrinter.columns.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
      ["Name", "string", "name", 0],
      ["Ready", "string", "", 0],
      ["Status", "string", "", 0],
      ["Restarts", "string", "", 0],
      ["Age", "string", "", 0],
      ["IP", "string", "", 1],
      ["Node", "string", "", 1],
      ["Nominated Node", "string", "", 1],
      ["Readiness Gates", "string", "", 1],
    ]);
    expect(podPrinter.columns[0]?.description).toMatch(/^Name must be unique within a namespace\. /);
    expect(podPrinter.columns[4]?.description).toContain("in UTC.\n\nPopulated by the system.");
  });

  it("pods: running and ready pod, full wide row", () => {
    expect(cells(makePod("ns1", "redis-7d4f8b9c6d-x2x9z"))).toEqual([
      "redis-7d4f8b9c6d-x2x9z",
      "1/1",
      "Running",
      "0",
      "5m",
      "10.244.1.5",
      "node-1",
      "<none>",
      "<none>",
    ]);
  });

  it("pods: unscheduled pod is Pending with <none> IP and node", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.spec.nodeName = undefined;
      p.status = {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }],
      };
    });
    expect(cells(pod)).toEqual(["p1", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"]);
  });

  it("pods: scheduling gates show SchedulingGated", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status = {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }],
      };
    });
    expect(summary(pod)).toEqual(["p1", "0/1", "SchedulingGated", "0"]);
  });

  it("pods: a waiting container shows its reason (ContainerCreating)", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status.phase = "Pending";
      p.status.containerStatuses = [
        { name: "app", ready: false, restartCount: 0, state: waiting("ContainerCreating") },
      ];
    });
    expect(summary(pod)).toEqual(["p1", "0/1", "ContainerCreating", "0"]);
  });

  it("pods: running but not ready counts 0/1 and stays Running", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status.containerStatuses = [{ name: "app", ready: false, restartCount: 0, state: { running: {} } }];
    });
    expect(summary(pod)).toEqual(["p1", "0/1", "Running", "0"]);
  });

  it("pods: CrashLoopBackOff with restarts shows when the last one was", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status.containerStatuses = [
        {
          name: "app",
          ready: false,
          restartCount: 5,
          state: waiting("CrashLoopBackOff"),
          lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(3 * M) } },
        },
      ];
    });
    expect(summary(pod)).toEqual(["p1", "0/1", "CrashLoopBackOff", "5 (3m ago)"]);
  });

  it("pods: restarts without a last termination time print the bare count", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status.containerStatuses = [{ name: "app", ready: true, restartCount: 2, state: { running: {} } }];
    });
    expect(summary(pod)).toEqual(["p1", "1/1", "Running", "2"]);
  });

  it("pods: restarts add up over containers and take the latest finish time", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.spec.containers = [{ name: "a" }, { name: "b" }];
      p.status.containerStatuses = [
        {
          name: "a",
          ready: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * M) } },
        },
        {
          name: "b",
          ready: true,
          restartCount: 2,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(90 * S) } },
        },
      ];
    });
    expect(summary(pod)).toEqual(["p1", "2/2", "Running", "3 (90s ago)"]);
  });

  it("pods: the first container with a reason decides the status", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.spec.containers = [{ name: "a" }, { name: "b" }];
      p.status.containerStatuses = [
        { name: "a", ready: false, restartCount: 0, state: waiting("ImagePullBackOff") },
        { name: "b", ready: false, restartCount: 0, state: waiting("ErrImagePull") },
      ];
    });
    expect(summary(pod)).toEqual(["p1", "0/2", "ImagePullBackOff", "0"]);
  });

  it("pods: a succeeded pod is Completed and carries the Completed row condition", () => {
    const pod = makePod("ns1", "job-1", (p) => {
      p.status.phase = "Succeeded";
      p.status.conditions = [{ type: "Ready", status: "False", reason: "PodCompleted" }];
      p.status.containerStatuses = [
        { name: "app", ready: false, restartCount: 0, state: terminated(0, "Completed") },
      ];
    });
    expect(summary(pod)).toEqual(["job-1", "0/1", "Completed", "0"]);
    expect(podPrinter.conditions?.(pod)).toEqual([
      {
        type: "Completed",
        status: "True",
        reason: "Succeeded",
        message: "The pod has completed successfully.",
      },
    ]);
  });

  it("pods: a failed container shows Error and the pod the Failed row condition", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status.phase = "Failed";
      p.status.containerStatuses = [
        { name: "app", ready: false, restartCount: 0, state: terminated(1, "Error") },
      ];
    });
    expect(summary(pod)).toEqual(["p1", "0/1", "Error", "0"]);
    expect(podPrinter.conditions?.(pod)).toEqual([
      { type: "Completed", status: "True", reason: "Failed", message: "The pod failed." },
    ]);
    expect(podPrinter.conditions?.(makePod("ns1", "p2"))).toBeUndefined();
  });

  it("pods: a terminated container without a reason shows ExitCode or Signal", () => {
    const exit = makePod("ns1", "p1", (p) => {
      p.status.containerStatuses = [{ name: "app", ready: false, restartCount: 0, state: terminated(137) }];
    });
    expect(summary(exit)).toEqual(["p1", "0/1", "ExitCode:137", "0"]);
    const signal = makePod("ns1", "p2", (p) => {
      p.status.containerStatuses = [
        { name: "app", ready: false, restartCount: 0, state: terminated(137, "", 9) },
      ];
    });
    expect(summary(signal)).toEqual(["p2", "0/1", "Signal:9", "0"]);
  });

  it("pods: status.reason overrides the phase (Evicted)", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status = { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." };
    });
    expect(summary(pod)).toEqual(["p1", "0/1", "Evicted", "0"]);
  });

  it("pods: a completed container next to a running one reads Running or NotReady", () => {
    const mutate = (p: TestPod) => {
      p.spec.containers = [{ name: "main" }, { name: "helper" }];
      p.status.containerStatuses = [
        { name: "main", ready: false, restartCount: 0, state: terminated(0, "Completed") },
        { name: "helper", ready: true, restartCount: 0, state: { running: {} } },
      ];
    };
    expect(summary(makePod("ns1", "ready", mutate))).toEqual(["ready", "1/2", "Running", "0"]);
    const notReady = makePod("ns1", "not-ready", (p) => {
      mutate(p);
      p.status.conditions = [{ type: "Ready", status: "False" }];
    });
    expect(summary(notReady)).toEqual(["not-ready", "1/2", "NotReady", "0"]);
  });

  it("pods: a pod being deleted is Terminating", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.metadata = { ...p.metadata, deletionTimestamp: ago(-30 * S), deletionGracePeriodSeconds: 30 };
    });
    expect(summary(pod)).toEqual(["p1", "1/1", "Terminating", "0"]);
  });

  it("pods: a finished pod being deleted keeps its terminal status", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.metadata = { ...p.metadata, deletionTimestamp: ago(0) };
      p.status.phase = "Succeeded";
      p.status.containerStatuses = [
        { name: "app", ready: false, restartCount: 0, state: terminated(0, "Completed") },
      ];
    });
    expect(summary(pod)).toEqual(["p1", "0/1", "Completed", "0"]);
  });

  it("pods: a pod on a lost node is NodeLost, and Unknown once deleted", () => {
    const lost = (p: TestPod) => {
      p.status.reason = "NodeLost";
      p.status.containerStatuses = [];
    };
    expect(summary(makePod("ns1", "p1", lost))).toEqual(["p1", "0/1", "NodeLost", "0"]);
    const deleted = makePod("ns1", "p2", (p) => {
      lost(p);
      p.metadata = { ...p.metadata, deletionTimestamp: ago(0) };
    });
    expect(summary(deleted)).toEqual(["p2", "0/1", "Unknown", "0"]);
  });

  describe("init containers", () => {
    function initPod(name: string, mutate: (p: TestPod) => void): TestPod {
      return makePod("ns1", name, (p) => {
        p.spec.initContainers = [{ name: "init-a" }, { name: "init-b" }];
        p.status.phase = "Pending";
        p.status.conditions = [{ type: "Initialized", status: "False" }];
        p.status.containerStatuses = [
          { name: "app", ready: false, restartCount: 0, state: waiting("PodInitializing") },
        ];
        mutate(p);
      });
    }

    it("pods: the first running init container shows Init:0/2", () => {
      const pod = initPod("p1", (p) => {
        p.status.initContainerStatuses = [
          { name: "init-a", ready: false, restartCount: 0, state: { running: {} } },
          { name: "init-b", ready: false, restartCount: 0, state: waiting("PodInitializing") },
        ];
      });
      expect(summary(pod)).toEqual(["p1", "0/1", "Init:0/2", "0"]);
    });

    it("pods: a finished first init container moves on to Init:1/2", () => {
      const pod = initPod("p1", (p) => {
        p.status.initContainerStatuses = [
          { name: "init-a", ready: true, restartCount: 0, state: terminated(0, "Completed") },
          { name: "init-b", ready: false, restartCount: 0, state: { running: {} } },
        ];
      });
      expect(summary(pod)).toEqual(["p1", "0/1", "Init:1/2", "0"]);
    });

    it("pods: PodInitializing is not shown as an init reason", () => {
      const pod = initPod("p1", (p) => {
        p.status.initContainerStatuses = [
          { name: "init-a", ready: false, restartCount: 0, state: waiting("PodInitializing") },
        ];
      });
      expect(summary(pod)).toEqual(["p1", "0/1", "Init:0/2", "0"]);
    });

    it("pods: a crashing init container shows Init:CrashLoopBackOff and its restarts", () => {
      const pod = initPod("p1", (p) => {
        p.status.initContainerStatuses = [
          {
            name: "init-a",
            ready: false,
            restartCount: 4,
            state: waiting("CrashLoopBackOff"),
            lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(20 * S) } },
          },
        ];
      });
      expect(summary(pod)).toEqual(["p1", "0/1", "Init:CrashLoopBackOff", "4 (20s ago)"]);
    });

    it("pods: a failed init container shows Init:<reason>, Init:ExitCode or Init:Signal", () => {
      const status = (state: ReturnType<typeof terminated>) => (p: TestPod) => {
        p.status.initContainerStatuses = [{ name: "init-a", ready: false, restartCount: 0, state }];
      };
      expect(summary(initPod("p1", status(terminated(1, "Error"))))[2]).toBe("Init:Error");
      expect(summary(initPod("p2", status(terminated(3))))[2]).toBe("Init:ExitCode:3");
      expect(summary(initPod("p3", status(terminated(137, "", 9))))[2]).toBe("Init:Signal:9");
      // exit code 0 means the init container finished, whatever the signal: the app's reason shows
      expect(summary(initPod("p4", status(terminated(0, "", 9))))[2]).toBe("PodInitializing");
    });

    it("pods: a started sidecar counts as a container and as ready", () => {
      const pod = makePod("ns1", "p1", (p) => {
        p.spec.initContainers = [{ name: "proxy", restartPolicy: "Always" }];
        p.status.initContainerStatuses = [
          { name: "proxy", ready: true, started: true, restartCount: 1, state: { running: {} } },
        ];
      });
      expect(summary(pod)).toEqual(["p1", "2/2", "Running", "1"]);
    });

    it("pods: a sidecar that has not started keeps the pod initialising", () => {
      const pod = initPod("p1", (p) => {
        p.spec.initContainers = [{ name: "proxy", restartPolicy: "Always" }];
        p.status.initContainerStatuses = [
          { name: "proxy", ready: false, started: false, restartCount: 0, state: { running: {} } },
        ];
      });
      expect(summary(pod)).toEqual(["p1", "0/2", "Init:0/1", "0"]);
    });
  });

  it("pods: readiness gates count the conditions that are True", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.spec.readinessGates = [{ conditionType: "example.com/lb" }, { conditionType: "example.com/dns" }];
      p.status.conditions = [...(p.status.conditions ?? []), { type: "example.com/lb", status: "True" }];
    });
    expect(cells(pod)[8]).toBe("1/2");
  });

  it("pods: IP falls back to podIP and NOMINATED NODE is shown", () => {
    const pod = makePod("ns1", "p1", (p) => {
      p.status.podIPs = undefined;
      p.status.podIP = "10.244.2.3";
      p.status.nominatedNodeName = "node-2";
    });
    expect(cells(pod).slice(5)).toEqual(["10.244.2.3", "node-1", "node-2", "<none>"]);
  });
});
