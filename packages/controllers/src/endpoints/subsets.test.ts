import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { makePod, makeService, setReady } from "../endpointslice/fixtures.ts";
import { parseTime } from "../endpointslice/util.ts";
import {
  MAX_CAPACITY,
  computeSubsets,
  desiredEndpoints,
  repackSubsets,
  truncateSubsets,
  type EndpointAddress,
  type EndpointSubset,
} from "./subsets.ts";

const addr = (ip: string, uid = `uid-${ip}`): EndpointAddress => ({
  ip,
  targetRef: { kind: "Pod", namespace: "ns1", name: `pod-${ip}`, uid },
});
const tcp = (port: number, name?: string) =>
  name ? { name, port, protocol: "TCP" } : { port, protocol: "TCP" };

const web = (mutate?: (svc: KObject) => void) =>
  makeService("ns1", "web", (s) => {
    s["spec"]["selector"] = { app: "web" };
    mutate?.(s);
  });

/** A pod with a given IP. */
const pod = (name: string, ip: string, mutate?: (p: KObject) => void) =>
  makePod("ns1", name, (p) => {
    p["status"]["podIP"] = ip;
    p["status"]["podIPs"] = [{ ip }];
    mutate?.(p);
  });

describe("endpoints repackSubsets", () => {
  it("endpoints: addresses are grouped by the ports they offer, sorted and deduplicated", () => {
    const subsets: EndpointSubset[] = [
      { addresses: [addr("10.0.0.3")], ports: [tcp(80, "http")] },
      { addresses: [addr("10.0.0.1")], ports: [tcp(80, "http")] },
      { addresses: [addr("10.0.0.1")], ports: [tcp(443, "https")] },
      { addresses: [addr("10.0.0.3")], ports: [tcp(443, "https")] },
      { addresses: [addr("10.0.0.2")], ports: [tcp(8080, "alt")] },
      // The same address twice is one address.
      { addresses: [addr("10.0.0.2")], ports: [tcp(8080, "alt")] },
      { addresses: [addr("10.0.0.4")], ports: [tcp(80, "http")] },
    ];
    expect(repackSubsets(subsets)).toEqual([
      { addresses: [addr("10.0.0.1"), addr("10.0.0.3"), addr("10.0.0.4")], ports: [tcp(80, "http")] },
      { addresses: [addr("10.0.0.1"), addr("10.0.0.3")], ports: [tcp(443, "https")] },
      { addresses: [addr("10.0.0.2")], ports: [tcp(8080, "alt")] },
    ]);
    // Ports offered by exactly the same addresses share one subset.
    expect(repackSubsets(subsets.slice(0, 4))).toEqual([
      { addresses: [addr("10.0.0.1"), addr("10.0.0.3")], ports: [tcp(80, "http"), tcp(443, "https")] },
    ]);
  });

  it("endpoints: not ready trumps ready for the same address and port", () => {
    expect(
      repackSubsets([
        { addresses: [addr("10.0.0.1")], ports: [tcp(80)] },
        { notReadyAddresses: [addr("10.0.0.1")], ports: [tcp(80)] },
        { addresses: [addr("10.0.0.1")], ports: [tcp(80)] },
      ]),
    ).toEqual([{ notReadyAddresses: [addr("10.0.0.1")], ports: [tcp(80)] }]);
  });

  it("endpoints: the same IP from two pods is two addresses, ordered by UID", () => {
    expect(
      repackSubsets([
        { addresses: [addr("10.0.0.1", "b")], ports: [tcp(80)] },
        { addresses: [addr("10.0.0.1", "a")], ports: [tcp(80)] },
      ]),
    ).toEqual([{ addresses: [addr("10.0.0.1", "a"), addr("10.0.0.1", "b")], ports: [tcp(80)] }]);
  });

  it("endpoints: addresses without ports are kept (headless Service without ports)", () => {
    expect(repackSubsets([{ addresses: [addr("10.0.0.2")] }, { addresses: [addr("10.0.0.1")] }])).toEqual([
      { addresses: [addr("10.0.0.1"), addr("10.0.0.2")] },
    ]);
  });

  it("endpoints: repacking is idempotent and independent of input order", () => {
    const subsets: EndpointSubset[] = [
      { addresses: [addr("10.0.0.9")], ports: [tcp(53, "dns")] },
      { notReadyAddresses: [addr("10.0.0.4")], ports: [tcp(80, "http")] },
      { addresses: [addr("10.0.0.5")], ports: [tcp(80, "http"), tcp(53, "dns")] },
    ];
    const once = repackSubsets(subsets);
    expect(repackSubsets(once)).toEqual(once);
    expect(repackSubsets([...subsets].reverse())).toEqual(once);
  });
});

describe("endpoints computeSubsets", () => {
  it("endpoints: ready pods in addresses, unready in notReadyAddresses, with nodeName and targetRef", () => {
    const subsets = computeSubsets(web(), [
      pod("a", "10.244.1.2"),
      pod("b", "10.244.2.2", (p) => {
        setReady(p, false);
        p["spec"]["nodeName"] = "node-2";
      }),
    ]);
    expect(subsets).toEqual([
      {
        addresses: [
          {
            ip: "10.244.1.2",
            nodeName: "node-1",
            targetRef: { kind: "Pod", namespace: "ns1", name: "a", uid: "uid-pod-ns1-a" },
          },
        ],
        notReadyAddresses: [
          {
            ip: "10.244.2.2",
            nodeName: "node-2",
            targetRef: { kind: "Pod", namespace: "ns1", name: "b", uid: "uid-pod-ns1-b" },
          },
        ],
        ports: [{ port: 8080, protocol: "TCP" }],
      },
    ]);
  });

  it("endpoints: terminal, IP-less and terminating pods are left out; publishNotReadyAddresses keeps terminating", () => {
    const pods = [
      pod("ok", "10.244.1.2"),
      pod("done", "10.244.1.3", (p) => (p["status"]["phase"] = "Failed")),
      makePod("ns1", "pending", (p) => {
        p["status"] = { phase: "Pending" };
      }),
      pod("going", "10.244.1.4", (p) => (p["metadata"]["deletionTimestamp"] = "2026-01-01T00:03:00Z")),
      pod("unready", "10.244.1.5", (p) => setReady(p, false)),
    ];
    const ips = (ss: EndpointSubset[]) => ({
      ready: ss.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)),
      notReady: ss.flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)),
    });
    expect(ips(computeSubsets(web(), pods))).toEqual({ ready: ["10.244.1.2"], notReady: ["10.244.1.5"] });
    expect(
      ips(
        computeSubsets(
          web((s) => (s["spec"]["publishNotReadyAddresses"] = true)),
          pods,
        ),
      ),
    ).toEqual({
      ready: ["10.244.1.2", "10.244.1.4", "10.244.1.5"],
      notReady: [],
    });
  });

  it("endpoints: named targetPorts resolve per pod; pods without the name are skipped for that port", () => {
    const svc = web((s) => {
      s["spec"]["ports"] = [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        { name: "admin", port: 81, targetPort: 9000, protocol: "TCP" },
      ];
    });
    const subsets = computeSubsets(svc, [
      pod("std", "10.244.1.2"),
      pod("alt", "10.244.1.3", (p) => {
        p["spec"]["containers"][0]["ports"] = [{ name: "http", containerPort: 8081, protocol: "TCP" }];
      }),
      pod("sidecar", "10.244.1.4", (p) => {
        p["spec"]["containers"][0]["ports"] = [];
        p["spec"]["initContainers"] = [
          { name: "proxy", restartPolicy: "Always", ports: [{ name: "http", containerPort: 15001 }] },
        ];
      }),
      pod("plain-init", "10.244.1.5", (p) => {
        p["spec"]["containers"][0]["ports"] = [];
        p["spec"]["initContainers"] = [{ name: "setup", ports: [{ name: "http", containerPort: 7000 }] }];
      }),
    ]);
    const view = Object.fromEntries(
      subsets.map((s) => [(s.addresses ?? []).map((a) => a.targetRef!.name).join(), s.ports]),
    );
    expect(view).toEqual({
      // Every pod offers the numeric port; each offers "http" on its own container port.
      "std,alt,sidecar,plain-init": [tcp(9000, "admin")],
      std: [{ name: "http", port: 8080, protocol: "TCP" }],
      alt: [{ name: "http", port: 8081, protocol: "TCP" }],
      // A sidecar (restartable init container) serves named ports; a plain init container does not.
      sidecar: [{ name: "http", port: 15001, protocol: "TCP" }],
    });
  });

  it("endpoints: hostname is set when the pod's subdomain is the Service", () => {
    const svc = web((s) => (s["spec"]["clusterIP"] = "None"));
    const [ss] = computeSubsets(svc, [
      pod("a", "10.244.1.2", (p) => {
        p["spec"]["hostname"] = "a";
        p["spec"]["subdomain"] = "web";
      }),
      pod("b", "10.244.1.3", (p) => {
        p["spec"]["hostname"] = "b";
        p["spec"]["subdomain"] = "other";
      }),
    ]);
    expect(ss!.addresses!.map((a) => [a.ip, a.hostname])).toEqual([
      ["10.244.1.2", "a"],
      ["10.244.1.3", undefined],
    ]);
  });

  it("endpoints: a headless Service without ports lists addresses; a ClusterIP one without ports lists none", () => {
    const pods = [pod("a", "10.244.1.2")];
    const headless = web((s) => {
      s["spec"]["clusterIP"] = "None";
      s["spec"]["ports"] = [];
    });
    expect(computeSubsets(headless, pods)).toEqual([
      { addresses: [expect.objectContaining({ ip: "10.244.1.2" })] },
    ]);
    expect(
      computeSubsets(
        web((s) => (s["spec"]["ports"] = [])),
        pods,
      ),
    ).toEqual([]);
  });
});

describe("endpoints truncation and desiredEndpoints", () => {
  it("endpoints: over 1000 addresses are truncated, ready ones kept first", () => {
    const many = (n: number, base: number) =>
      Array.from({ length: n }, (_, i) => addr(`10.${base}.${i >> 8}.${i & 255}`));
    const subsets: EndpointSubset[] = [
      { addresses: many(600, 1), notReadyAddresses: many(300, 2), ports: [tcp(80)] },
      { addresses: many(200, 3), notReadyAddresses: many(100, 4), ports: [tcp(81)] },
    ];
    expect(truncateSubsets(subsets)).toBe(true);
    const n = subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]);
    expect(n).toEqual([
      [600, 150],
      [200, 50],
    ]);
    expect(n.flat().reduce((a, b) => a + b)).toBe(MAX_CAPACITY);
    expect(truncateSubsets([{ addresses: many(10, 5) }])).toBe(false);
  });

  it("endpoints: a new object carries the Service's labels, the headless label and the trigger time", () => {
    const svc = web((s) => {
      s["metadata"]["labels"] = { app: "web", tier: "front" };
      s["spec"]["clusterIP"] = "None";
    });
    const subsets = computeSubsets(svc, [pod("a", "10.244.1.2")]);
    const ep = desiredEndpoints(svc, undefined, subsets, parseTime("2026-01-01T00:01:00.123456Z"))!;
    expect(ep["metadata"]).toEqual({
      name: "web",
      labels: { app: "web", tier: "front", "service.kubernetes.io/headless": "" },
      annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:01:00.123456Z" },
    });
    expect(ep["subsets"]).toEqual(subsets);
  });

  it("endpoints: nothing is written when subsets and labels already match, whatever the trigger time", () => {
    const svc = web();
    const subsets = computeSubsets(svc, [pod("a", "10.244.1.2")]);
    const current = desiredEndpoints(svc, undefined, subsets, parseTime("2026-01-01T00:01:00Z"))!;
    current["metadata"]["namespace"] = "ns1";
    current["metadata"]["resourceVersion"] = "42";
    // The API may hand back a targetRef with a resourceVersion: it does not count.
    current["subsets"][0]["addresses"][0]["targetRef"]["resourceVersion"] = "7";
    expect(desiredEndpoints(svc, current, subsets, parseTime("2026-01-01T00:09:00Z"))).toBeUndefined();
    // A label change on the Service is written, as an update of the current object.
    const relabelled = web((s) => (s["metadata"]["labels"] = { owner: "x" }));
    const next = desiredEndpoints(relabelled, current, subsets, undefined)!;
    expect(next["metadata"]["resourceVersion"]).toBe("42");
    expect(next["metadata"]["labels"]).toEqual({ owner: "x" });
    expect(next["metadata"]["annotations"]).toBeUndefined();
    // So is a change of subsets: here the last pod went away.
    const emptied = desiredEndpoints(svc, current, [], undefined)!;
    expect(emptied["subsets"]).toBeUndefined();
  });
});
