import { describe, expect, it } from "vitest";
import { makeNode, NOW, type TestNode } from "./fixtures.ts";
import { nodePrinter } from "./nodes.ts";

function row(node: TestNode): unknown[] {
  return nodePrinter.cells(node, NOW);
}

describe("nodes", () => {
  it("nodes: column definitions match printers.go", () => {
    expect(nodePrinter.columns.map((c) => [c.name, c.priority])).toEqual([
      ["Name", 0],
      ["Status", 0],
      ["Roles", 0],
      ["Age", 0],
      ["Version", 0],
      ["Internal-IP", 1],
      ["External-IP", 1],
      ["OS-Image", 1],
      ["Kernel-Version", 1],
      ["Container-Runtime", 1],
    ]);
    expect(nodePrinter.columns[1]?.description).toBe("The status of the node");
  });

  it("nodes: a ready worker, full wide row", () => {
    expect(row(makeNode("node-1"))).toEqual([
      "node-1",
      "Ready",
      "<none>",
      "5m",
      "v1.32.0",
      "172.18.0.2",
      "<none>",
      "Debian GNU/Linux 12 (bookworm)",
      "6.8.0-45-generic",
      "containerd://1.7.18",
    ]);
  });

  it("nodes: Ready False and Ready Unknown are both NotReady", () => {
    for (const status of ["False", "Unknown"]) {
      const node = makeNode("node-1", (n) => {
        n.status.conditions = [{ type: "Ready", status }];
      });
      expect(row(node)[1]).toBe("NotReady");
    }
  });

  it("nodes: no Ready condition is Unknown; other conditions do not count", () => {
    const node = makeNode("node-1", (n) => {
      n.status.conditions = [{ type: "MemoryPressure", status: "True" }];
    });
    expect(row(node)[1]).toBe("Unknown");
  });

  it("nodes: the last Ready condition wins", () => {
    const node = makeNode("node-1", (n) => {
      n.status.conditions = [
        { type: "Ready", status: "True" },
        { type: "Ready", status: "False" },
      ];
    });
    expect(row(node)[1]).toBe("NotReady");
  });

  it("nodes: cordoned nodes append SchedulingDisabled", () => {
    expect(row(makeNode("node-1", (n) => (n.spec.unschedulable = true)))[1]).toBe("Ready,SchedulingDisabled");
    const notReady = makeNode("node-2", (n) => {
      n.spec.unschedulable = true;
      n.status.conditions = [];
    });
    expect(row(notReady)[1]).toBe("Unknown,SchedulingDisabled");
  });

  it("nodes: roles come from node-role.kubernetes.io/* keys and kubernetes.io/role, sorted and unique", () => {
    const node = makeNode("node-1", (n) => {
      n.metadata.labels = {
        "node-role.kubernetes.io/worker": "",
        "node-role.kubernetes.io/control-plane": "",
        "node-role.kubernetes.io/": "",
        "kubernetes.io/role": "worker",
      };
    });
    expect(row(node)[2]).toBe("control-plane,worker");
    expect(row(makeNode("node-2", (n) => (n.metadata.labels = { "kubernetes.io/role": "" })))[2]).toBe(
      "<none>",
    );
    expect(row(makeNode("node-3", (n) => (n.metadata.labels = { "kubernetes.io/role": "master" })))[2]).toBe(
      "master",
    );
  });

  it("nodes: missing node info prints <unknown> in the wide columns and an empty VERSION", () => {
    const node = makeNode("node-1", (n) => {
      n.status.nodeInfo = undefined;
      n.status.addresses = [
        { type: "ExternalIP", address: "203.0.113.7" },
        { type: "InternalIP", address: "172.18.0.3" },
        { type: "InternalIP", address: "172.18.0.4" },
      ];
    });
    expect(row(node).slice(4)).toEqual([
      "",
      "172.18.0.3",
      "203.0.113.7",
      "<unknown>",
      "<unknown>",
      "<unknown>",
    ]);
  });
});
