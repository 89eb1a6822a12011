import { describe, expect, it } from "vitest";
import { kubeletSettings } from "./config.ts";
import { goArch, leaseObject, microTime, nodeObject, nodeStatus, nodeStatusChanged } from "./node.ts";

const settings = kubeletSettings({
  nodeName: "node-2",
  nodeIndex: 2,
  cpu: "4",
  memory: "8Gi",
  nodeLabels: { "topology.kubernetes.io/zone": "z1" },
});
const T0 = Date.parse("2026-01-01T00:00:00Z");

describe("node: the Node object", () => {
  it("node: labels, pod CIDR, addresses, capacity and nodeInfo", () => {
    const n = nodeObject(settings, "127.0.1.2", T0);
    expect(n["metadata"]["labels"]).toEqual({
      "beta.kubernetes.io/arch": goArch(),
      "beta.kubernetes.io/os": "linux",
      "kubernetes.io/arch": goArch(),
      "kubernetes.io/hostname": "node-2",
      "kubernetes.io/os": "linux",
      "topology.kubernetes.io/zone": "z1",
    });
    expect(n["spec"]).toEqual({ podCIDR: "10.244.2.0/24", podCIDRs: ["10.244.2.0/24"] });
    expect(n["status"]["addresses"]).toEqual([
      { type: "InternalIP", address: "127.0.1.2" },
      { type: "Hostname", address: "node-2" },
    ]);
    expect(n["status"]["capacity"]).toEqual({
      cpu: "4",
      "ephemeral-storage": "100Gi",
      memory: "8Gi",
      pods: "110",
    });
    expect(n["status"]["allocatable"]).toEqual(n["status"]["capacity"]);
    expect(n["status"]["nodeInfo"]).toMatchObject({
      kubeletVersion: "v1.32.0-kemu",
      containerRuntimeVersion: "kemu://0.1.0",
      operatingSystem: "linux",
      architecture: goArch(),
      osImage: "kemu emulated node",
    });
  });

  it("node: Ready with KubeletReady, pressure conditions False, heartbeat now", () => {
    const s = nodeStatus(settings, "127.0.1.2", undefined, T0);
    expect(
      s["conditions"].map((c: Record<string, string>) => `${c["type"]}=${c["status"]}/${c["reason"]}`),
    ).toEqual([
      "MemoryPressure=False/KubeletHasSufficientMemory",
      "DiskPressure=False/KubeletHasNoDiskPressure",
      "PIDPressure=False/KubeletHasSufficientPID",
      "Ready=True/KubeletReady",
    ]);
    const ready = s["conditions"][3];
    expect(ready).toMatchObject({
      message: "kubelet is posting ready status",
      lastHeartbeatTime: "2026-01-01T00:00:00Z",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    });
  });

  it("node: a later status keeps transition times and only heartbeats change; NotReady set by others is a change", () => {
    const first = nodeStatus(settings, "127.0.1.2", undefined, T0);
    const next = nodeStatus(settings, "127.0.1.2", first, T0 + 10_000);
    expect(next["conditions"][3]["lastTransitionTime"]).toBe("2026-01-01T00:00:00Z");
    expect(next["conditions"][3]["lastHeartbeatTime"]).toBe("2026-01-01T00:00:10Z");
    expect(nodeStatusChanged(first, next)).toBe(false);
    const unknown = structuredClone(first);
    unknown["conditions"][3] = {
      ...unknown["conditions"][3],
      status: "Unknown",
      reason: "NodeStatusUnknown",
    };
    expect(nodeStatusChanged(unknown, nodeStatus(settings, "127.0.1.2", unknown, T0 + 20_000))).toBe(true);
  });

  it("node: the Lease is owned by the Node, with microsecond renewTime", () => {
    const l = leaseObject({ metadata: { name: "node-2", uid: "u-1" } }, 40, T0 + 123);
    expect(l).toEqual({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: "node-2",
        namespace: "kube-node-lease",
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "node-2", uid: "u-1" }],
      },
      spec: { holderIdentity: "node-2", leaseDurationSeconds: 40, renewTime: "2026-01-01T00:00:00.123000Z" },
    });
    expect(microTime(T0)).toBe("2026-01-01T00:00:00.000000Z");
  });
});
