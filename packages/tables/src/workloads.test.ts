import { describe, expect, it } from "vitest";
import { makeControllerRevision, makeDaemonSet, makeDeployment, makeReplicaSet, NOW } from "./fixtures.ts";
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
} from "./workloads.ts";

describe("workloads", () => {
  it("deployments: column definitions match printers.go", () => {
    expect(deploymentPrinter.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ["Name", "string", 0],
      ["Ready", "string", 0],
      ["Up-to-date", "string", 0],
      ["Available", "string", 0],
      ["Age", "string", 0],
      ["Containers", "string", 1],
      ["Images", "string", 1],
      ["Selector", "string", 1],
    ]);
  });

  it("deployments: READY is ready/desired, full wide row", () => {
    const d = makeDeployment("default", "redis", (d) => {
      d.spec.replicas = 3;
      d.status = { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 };
    });
    expect(deploymentPrinter.cells(d, NOW)).toEqual([
      "redis",
      "2/3",
      3,
      2,
      "5m",
      "redis",
      "redis:7",
      "app=redis,role=Logstorage",
    ]);
  });

  it("deployments: a fresh deployment without status and replicas reads 0/1", () => {
    const d = makeDeployment("default", "web", (d) => {
      d.spec.replicas = undefined;
      d.status = {};
    });
    expect(deploymentPrinter.cells(d, NOW).slice(0, 4)).toEqual(["web", "0/1", 0, 0]);
  });

  it("deployments: the selector is printed raw: empty stays empty, invalid is <invalid>", () => {
    const empty = makeDeployment("default", "web", (d) => (d.spec.selector = {}));
    expect(deploymentPrinter.cells(empty, NOW)[7]).toBe("");
    const invalid = makeDeployment("default", "web", (d) => {
      d.spec.selector = { matchExpressions: [{ key: "app", operator: "In", values: [] }] };
    });
    expect(deploymentPrinter.cells(invalid, NOW)[7]).toBe("<invalid>");
    const multi = makeDeployment("default", "web", (d) => {
      d.spec.template = {
        spec: {
          containers: [
            { name: "app", image: "nginx:1.27" },
            { name: "sidecar", image: "envoy:1.30" },
          ],
        },
      };
    });
    expect(deploymentPrinter.cells(multi, NOW).slice(5, 7)).toEqual(["app,sidecar", "nginx:1.27,envoy:1.30"]);
  });

  it("replicasets: DESIRED, CURRENT, READY as integers, full wide row", () => {
    expect(replicaSetPrinter.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ["Name", "string", 0],
      ["Desired", "integer", 0],
      ["Current", "integer", 0],
      ["Ready", "integer", 0],
      ["Age", "string", 0],
      ["Containers", "string", 1],
      ["Images", "string", 1],
      ["Selector", "string", 1],
    ]);
    expect(replicaSetPrinter.cells(makeReplicaSet("default", "redis-7d4f8b9c6d"), NOW)).toEqual([
      "redis-7d4f8b9c6d",
      1,
      1,
      1,
      "5m",
      "redis",
      "redis:7",
      "app=redis,pod-template-hash=7d4f8b9c6d,role=Logstorage",
    ]);
    const scaledDown = makeReplicaSet("default", "old", (rs) => {
      rs.spec.replicas = 0;
      rs.spec.selector = {};
      rs.status = { replicas: 0 };
    });
    expect(replicaSetPrinter.cells(scaledDown, NOW)).toEqual([
      "old",
      0,
      0,
      0,
      "5m",
      "redis",
      "redis:7",
      "<none>",
    ]);
  });

  it("daemonsets: counts, NODE SELECTOR and the wide columns", () => {
    expect(daemonSetPrinter.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ["Name", "string", 0],
      ["Desired", "integer", 0],
      ["Current", "integer", 0],
      ["Ready", "integer", 0],
      ["Up-to-date", "integer", 0],
      ["Available", "integer", 0],
      ["Node Selector", "string", 0],
      ["Age", "string", 0],
      ["Containers", "string", 1],
      ["Images", "string", 1],
      ["Selector", "string", 1],
    ]);
    expect(daemonSetPrinter.cells(makeDaemonSet("default", "nginx-linuxea"), NOW)).toEqual([
      "nginx-linuxea",
      3,
      3,
      3,
      3,
      3,
      "<none>",
      "5m",
      "nginx",
      "nginx:1.27",
      "app=nginx,release=www",
    ]);
    const linuxOnly = makeDaemonSet("kube-system", "kube-proxy", (ds) => {
      if (ds.spec.template?.spec) ds.spec.template.spec.nodeSelector = { "kubernetes.io/os": "linux" };
      ds.status = {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 2,
        numberReady: 1,
        numberMisscheduled: 0,
      };
    });
    expect(daemonSetPrinter.cells(linuxOnly, NOW).slice(1, 7)).toEqual([
      3,
      2,
      1,
      0,
      0,
      "kubernetes.io/os=linux",
    ]);
  });

  it("controllerrevisions: CONTROLLER is kind.group/name of the controller owner", () => {
    expect(controllerRevisionPrinter.columns.map((c) => [c.name, c.type])).toEqual([
      ["Name", "string"],
      ["Controller", "string"],
      ["Revision", "string"],
      ["Age", "string"],
    ]);
    expect(
      controllerRevisionPrinter.cells(makeControllerRevision("default", "nginx-linuxea-6d5b8c7f9"), NOW),
    ).toEqual(["nginx-linuxea-6d5b8c7f9", "daemonset.apps/nginx-linuxea", 1, "5m"]);
    const core = makeControllerRevision("default", "r2", (cr) => {
      cr.metadata = {
        ...cr.metadata,
        ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "p", uid: "u", controller: true }],
      };
      cr.revision = 7;
    });
    expect(controllerRevisionPrinter.cells(core, NOW)).toEqual(["r2", "pod/p", 7, "5m"]);
    const orphan = makeControllerRevision("default", "r3", (cr) => {
      cr.metadata = {
        ...cr.metadata,
        ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "d", uid: "u" }],
      };
    });
    expect(controllerRevisionPrinter.cells(orphan, NOW)[1]).toBe("<none>");
  });
});
