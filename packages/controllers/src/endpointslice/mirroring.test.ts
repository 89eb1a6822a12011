import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { MIRRORING_CONTROLLER_NAME, reconcileMirror, shouldMirror } from "./mirroring.ts";

/** Hand-made Endpoints for Service "ext" in ns1: one subset, port 80. */
function makeEndpoints(mutate?: (ep: KObject) => void): KObject {
  const ep: KObject = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "ext", namespace: "ns1", uid: "uid-ep", resourceVersion: "5" },
    subsets: [
      { addresses: [{ ip: "192.0.2.1" }, { ip: "192.0.2.2" }], ports: [{ port: 80, protocol: "TCP" }] },
    ],
  };
  mutate?.(ep);
  return ep;
}

let rv = 100;
function created(s: KObject, name: string): KObject {
  const out = structuredClone(s);
  delete out["metadata"]["generateName"];
  out["metadata"]["name"] = name;
  out["metadata"]["resourceVersion"] = String(++rv);
  return out;
}

describe("endpointslice mirroring", () => {
  it("mirroring: hand-made Endpoints become one owned slice with their labels and annotations", () => {
    const ep = makeEndpoints((e) => {
      e["metadata"]["labels"] = { env: "prod" };
      e["metadata"]["annotations"] = {
        note: "kept",
        "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00Z",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
      };
      e["subsets"][0]["notReadyAddresses"] = [{ ip: "192.0.2.3", nodeName: "node-1", hostname: "h3" }];
    });
    const plan = reconcileMirror(ep, []);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toEqual([
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          namespace: "ns1",
          generateName: "ext-",
          labels: {
            env: "prod",
            "kubernetes.io/service-name": "ext",
            "endpointslice.kubernetes.io/managed-by": MIRRORING_CONTROLLER_NAME,
          },
          annotations: { note: "kept" },
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "Endpoints",
              name: "ext",
              uid: "uid-ep",
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        addressType: "IPv4",
        endpoints: [
          { addresses: ["192.0.2.1"], conditions: { ready: true } },
          { addresses: ["192.0.2.2"], conditions: { ready: true } },
          { addresses: ["192.0.2.3"], conditions: { ready: false }, hostname: "h3", nodeName: "node-1" },
        ],
        ports: [{ name: "", port: 80, protocol: "TCP" }],
      },
    ]);
    // Once it exists, nothing more is written.
    expect(reconcileMirror(ep, [created(plan.create[0]!, "ext-abcde")])).toEqual({
      create: [],
      update: [],
      delete: [],
      invalid: 0,
      skipped: 0,
    });
  });

  it("mirroring: subsets are grouped by ports and address family; invalid IPs and overflow are skipped", () => {
    const ep = makeEndpoints((e) => {
      e["subsets"] = [
        { addresses: [{ ip: "192.0.2.1" }, { ip: "2001:db8::1" }], ports: [{ port: 80, protocol: "TCP" }] },
        { addresses: [{ ip: "192.0.2.9" }, { ip: "not-an-ip" }], ports: [{ port: 80, protocol: "TCP" }] },
        {
          addresses: [{ ip: "192.0.2.5" }, { ip: "192.0.2.6" }, { ip: "192.0.2.7" }],
          ports: [{ name: "dns", port: 53, protocol: "UDP" }],
        },
      ];
    });
    const plan = reconcileMirror(ep, [], 2);
    const view = plan.create.map((s) => [
      s["addressType"],
      (s["ports"] as KObject[]).map((p) => `${p["port"]}/${p["protocol"]}`).join(),
      (s["endpoints"] as KObject[]).map((e) => e["addresses"][0]),
    ]);
    expect(view).toEqual([
      ["IPv4", "80/TCP", ["192.0.2.1", "192.0.2.9"]],
      ["IPv6", "80/TCP", ["2001:db8::1"]],
      ["IPv4", "53/UDP", ["192.0.2.5", "192.0.2.6"]],
    ]);
    expect(plan.invalid).toBe(1);
    expect(plan.skipped).toBe(2);
  });

  it("mirroring: a changed address or label updates the slice; a changed port set reuses it", () => {
    const ep = makeEndpoints();
    const slice = created(reconcileMirror(ep, []).create[0]!, "ext-abcde");
    const moved = makeEndpoints((e) => (e["subsets"][0]["addresses"] = [{ ip: "192.0.2.1" }]));
    const p1 = reconcileMirror(moved, [slice]);
    expect(p1.update.map((s) => [s["metadata"]["name"], s["endpoints"].length])).toEqual([["ext-abcde", 1]]);
    const relabelled = makeEndpoints((e) => (e["metadata"]["labels"] = { env: "dev" }));
    expect(reconcileMirror(relabelled, [slice]).update[0]!["metadata"]["labels"]["env"]).toBe("dev");
    const reported = makeEndpoints((e) => (e["subsets"][0]["ports"] = [{ port: 8080, protocol: "TCP" }]));
    const p2 = reconcileMirror(reported, [slice]);
    expect(p2.create).toEqual([]);
    expect(p2.delete).toEqual([]);
    expect(p2.update.map((s) => [s["metadata"]["name"], s["ports"][0]["port"]])).toEqual([
      ["ext-abcde", 8080],
    ]);
    // With no addresses left, the slice goes.
    const emptied = makeEndpoints((e) => delete e["subsets"]);
    expect(reconcileMirror(emptied, [slice]).delete.map((s) => s["metadata"]["name"])).toEqual(["ext-abcde"]);
  });

  it("mirroring: skip-mirror Endpoints and leader-election locks are not mirrored", () => {
    expect(shouldMirror(makeEndpoints())).toBe(true);
    expect(
      shouldMirror(
        makeEndpoints(
          (e) => (e["metadata"]["labels"] = { "endpointslice.kubernetes.io/skip-mirror": "true" }),
        ),
      ),
    ).toBe(false);
    expect(
      shouldMirror(
        makeEndpoints(
          (e) => (e["metadata"]["annotations"] = { "control-plane.alpha.kubernetes.io/leader": "{}" }),
        ),
      ),
    ).toBe(false);
  });
});
