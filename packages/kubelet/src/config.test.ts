import { describe, expect, it } from "vitest";
import { kubeletSettings, KubeletSettingsError, parseKubeletSettings } from "./config.ts";

describe("config: kubelet settings", () => {
  it("config: upstream defaults for leases, status and back-off", () => {
    const s = parseKubeletSettings({}, { KEMU_NODE_NAME: "node-2", KEMU_NODE_INDEX: "2" });
    expect(s).toMatchObject({
      nodeName: "node-2",
      nodeIndex: 2,
      nodeLeaseDurationSeconds: 40,
      nodeLeaseRenewIntervalSeconds: 10,
      nodeStatusUpdateFrequencySeconds: 10,
      nodeStatusReportFrequencySeconds: 300,
      crashLoopBackOffInitialSeconds: 10,
      crashLoopBackOffMaxSeconds: 300,
      containerLogLines: 10_000,
      maxPods: 110,
      nodeLabels: {},
    });
  });

  it("config: flags win over the environment; labels parse from k=v lists", () => {
    const s = parseKubeletSettings(
      { nodeName: "node-3", nodeLabels: "topology.kubernetes.io/zone=z1,tier=edge" },
      { KEMU_NODE_NAME: "node-2", KEMU_NODE_INDEX: "3" },
    );
    expect(s.nodeName).toBe("node-3");
    expect(s.nodeLabels).toEqual({ "topology.kubernetes.io/zone": "z1", tier: "edge" });
  });

  it("config: errors name the flag or variable", () => {
    expect(() => parseKubeletSettings({}, { KEMU_NODE_NAME: "node-1" })).toThrow(
      "invalid --node-index: is required",
    );
    expect(() => parseKubeletSettings({}, { KEMU_NODE_NAME: "node-1", KEMU_NODE_INDEX: "300" })).toThrow(
      /^invalid KEMU_NODE_INDEX: /,
    );
    expect(() => parseKubeletSettings({ nodeName: "Node_1", nodeIndex: "1" }, {})).toThrow(
      "invalid --node-name: must be a lowercase RFC 1123 subdomain",
    );
    expect(() => kubeletSettings({ nodeName: "n", nodeIndex: 0 })).toThrow(KubeletSettingsError);
  });
});
