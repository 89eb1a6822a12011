import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { desiredTaints, evictionTime, tolerates } from "./index.ts";

const unreachable = (timeAdded = "2026-01-01T00:00:00Z") => ({
  key: "node.kubernetes.io/unreachable",
  effect: "NoExecute",
  timeAdded,
});

function makeNode(mutate: (n: KObject) => void = () => {}): KObject {
  const n: KObject = {
    metadata: { name: "n1" },
    spec: {},
    status: { conditions: [{ type: "Ready", status: "True" }] },
  };
  mutate(n);
  return n;
}

describe("nodelifecycle", () => {
  it("nodelifecycle: tolerations match taints by key, value, operator and effect", () => {
    const taint = { key: "k", value: "v", effect: "NoExecute" };
    expect(tolerates({ key: "k", operator: "Equal", value: "v", effect: "NoExecute" }, taint)).toBe(true);
    expect(tolerates({ key: "k", value: "v" }, taint)).toBe(true);
    expect(tolerates({ key: "k", operator: "Exists" }, taint)).toBe(true);
    expect(tolerates({ operator: "Exists" }, taint)).toBe(true);
    expect(tolerates({ key: "k", value: "w" }, taint)).toBe(false);
    expect(tolerates({ key: "k", operator: "Exists", effect: "NoSchedule" }, taint)).toBe(false);
  });

  it("nodelifecycle: eviction is immediate without a toleration, after tolerationSeconds with one, never without seconds", () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    expect(evictionTime({ spec: {} }, [unreachable()])).toBe(0);
    const tol = (s?: number) => ({
      spec: {
        tolerations: [
          {
            key: "node.kubernetes.io/unreachable",
            operator: "Exists",
            effect: "NoExecute",
            ...(s === undefined ? {} : { tolerationSeconds: s }),
          },
        ],
      },
    });
    expect(evictionTime(tol(300), [unreachable()])).toBe(t0 + 300_000);
    expect(evictionTime(tol(), [unreachable()])).toBe(Infinity);
    expect(evictionTime({ spec: {} }, [{ key: "x", effect: "NoSchedule" }])).toBe(Infinity);
  });

  it("nodelifecycle: taints follow the Ready condition and keep the user's own", () => {
    const now = new Date("2026-01-02T00:00:00Z");
    expect(desiredTaints(makeNode(), now)).toEqual([]);
    const lost = desiredTaints(
      makeNode((n) => {
        n["status"].conditions[0].status = "Unknown";
        n["spec"].taints = [
          { key: "dedicated", value: "db", effect: "NoSchedule" },
          unreachable("2026-01-01T12:00:00Z"),
        ];
      }),
      now,
    );
    expect(lost).toEqual([
      { key: "dedicated", value: "db", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unreachable", effect: "NoSchedule", timeAdded: "2026-01-02T00:00:00Z" },
      unreachable("2026-01-01T12:00:00Z"),
    ]);
    const notReady = desiredTaints(
      makeNode((n) => (n["status"].conditions[0].status = "False")),
      now,
    );
    expect(notReady.map((t) => `${t["key"]}:${t["effect"]}`)).toEqual([
      "node.kubernetes.io/not-ready:NoSchedule",
      "node.kubernetes.io/not-ready:NoExecute",
    ]);
    const cordoned = desiredTaints(
      makeNode((n) => (n["spec"].unschedulable = true)),
      now,
    );
    expect(cordoned.map((t) => `${t["key"]}:${t["effect"]}`)).toEqual([
      "node.kubernetes.io/unschedulable:NoSchedule",
    ]);
  });
});
