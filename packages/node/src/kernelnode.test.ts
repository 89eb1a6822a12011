/** podRoutes: the host-gw routes a node derives from the Node objects. */
import { describe, expect, it } from "vitest";
import type { KObject } from "@kemu/controllers";
import { podRoutes } from "./kernelnode.ts";

const node = (name: string, podCIDR: string | undefined, ip: string | undefined): KObject => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
  status: {
    addresses: ip
      ? [
          { type: "Hostname", address: name },
          { type: "InternalIP", address: ip },
        ]
      : [],
  },
});

describe("podRoutes", () => {
  it("podRoutes: every other node's pod CIDR via its InternalIP, sorted; itself and incomplete nodes left out", () => {
    expect(
      podRoutes(
        [
          node("node-3", "10.244.3.0/24", "172.18.0.6"),
          node("node-1", "10.244.1.0/24", "172.18.0.5"),
          node("node-2", "10.244.2.0/24", "172.18.0.4"),
          node("node-5", undefined, "172.18.0.8"),
          node("node-6", "10.244.6.0/24", undefined),
        ],
        "node-1",
      ),
    ).toEqual([
      { cidr: "10.244.2.0/24", via: "172.18.0.4" },
      { cidr: "10.244.3.0/24", via: "172.18.0.6" },
    ]);
  });
});
