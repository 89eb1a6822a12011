import { describe, expect, it } from "vitest";
import { fieldErrorMessage } from "../errors.ts";
import { makeWorkload } from "../fixtures.ts";
import { applyDefaults, validate } from "../registry.ts";
import type { Workload } from "../types.ts";

type W = Workload & { spec: NonNullable<Workload["spec"]> };
type Kind = "Deployment" | "ReplicaSet" | "DaemonSet";
const defaulted = (w: Workload, kind: Kind) => applyDefaults("apps", "v1", kind, w) as W;
const errors = (w: Workload, kind: Kind, old?: Workload) =>
  validate("apps", "v1", kind, w, old).map(fieldErrorMessage);
const make = (kind: Kind, mutate?: (w: W) => void) =>
  defaulted(makeWorkload(kind, "ns1", "web", mutate), kind);

const mismatch =
  'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`';

describe("workload: defaults", () => {
  it("workload: Deployment gets replicas, strategy, history and deadline", () => {
    const d = make("Deployment");
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template?.metadata?.creationTimestamp).toBeNull();
    expect(d.spec.template?.spec).toMatchObject({
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      securityContext: {},
      terminationGracePeriodSeconds: 30,
    });
    // enableServiceLinks, tolerations and priority are Pod-only.
    expect(d.spec.template?.spec?.enableServiceLinks).toBeUndefined();
    expect(d.spec.template?.spec?.tolerations).toBeUndefined();
  });

  it("workload: Recreate gets no rollingUpdate", () => {
    const d = make("Deployment", (d) => (d.spec.strategy = { type: "Recreate" }));
    expect(d.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("workload: ReplicaSet gets one replica", () => {
    expect(make("ReplicaSet").spec.replicas).toBe(1);
  });

  it("workload: DaemonSet gets RollingUpdate 1/0 and history 10", () => {
    const ds = make("DaemonSet");
    expect(ds.spec.updateStrategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
    expect(ds.spec.replicas).toBeUndefined();
  });
});

describe("workload: Deployment and ReplicaSet validation", () => {
  it.each<[Kind, string, (w: W) => void, string[]]>([
    ["Deployment", "valid", () => {}, []],
    ["ReplicaSet", "valid", () => {}, []],
    [
      "Deployment",
      "selector required",
      (w) => delete w.spec.selector,
      ["spec.selector: Required value", mismatch],
    ],
    [
      "ReplicaSet",
      "selector required",
      (w) => delete w.spec.selector,
      ["spec.selector: Required value", mismatch],
    ],
    [
      "Deployment",
      "selector must match template",
      (w) => (w.spec.selector = { matchLabels: { app: "db" } }),
      [mismatch],
    ],
    [
      "Deployment",
      "empty selector",
      (w) => (w.spec.selector = {}),
      [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
      ],
    ],
    [
      "Deployment",
      "negative replicas",
      (w) => (w.spec.replicas = -1),
      ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "ReplicaSet",
      "negative replicas",
      (w) => (w.spec.replicas = -1),
      ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "Deployment",
      "restartPolicy must be Always",
      (w) => (w.spec.template!.spec!.restartPolicy = "Never"),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      "Deployment",
      "maxUnavailable and maxSurge both zero",
      (w) => (w.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }),
      ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"],
    ],
    [
      "Deployment",
      "bad percent",
      (w) =>
        (w.spec.strategy = {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: "x", maxSurge: "150%" },
        }),
      [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: x: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ],
    ],
    [
      "Deployment",
      "maxUnavailable over 100%",
      (w) =>
        (w.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "150%", maxSurge: 1 } }),
      ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%"],
    ],
    [
      "Deployment",
      "progress deadline after minReadySeconds",
      (w) => {
        w.spec.minReadySeconds = 600;
      },
      ["spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"],
    ],
    [
      "Deployment",
      "unknown strategy",
      (w) => (w.spec.strategy = { type: "BlueGreen" }),
      [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
      ],
    ],
    [
      "Deployment",
      "containers required in template",
      (w) => (w.spec.template!.spec!.containers = []),
      ["spec.template.spec.containers: Required value"],
    ],
  ])("workload: %s %s", (kind, _name, mutate, want) => {
    expect(errors(make(kind, mutate), kind)).toEqual(want);
  });

  it.each<Kind>(["Deployment", "ReplicaSet", "DaemonSet"])(
    "workload: %s selector is immutable in apps/v1",
    (kind) => {
      const old = make(kind, (w) => (w.metadata!.resourceVersion = "1"));
      const next = structuredClone(old);
      next.spec.selector = { matchLabels: { app: "web", tier: "front" } };
      next.spec.template!.metadata!.labels = { app: "web", tier: "front" };
      expect(errors(next, kind, old)).toEqual([
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      ]);
      const scaled = structuredClone(old);
      scaled.spec.replicas = 3;
      expect(errors(scaled, kind, old)).toEqual([]);
    },
  );
});

describe("workload: DaemonSet validation", () => {
  it.each<[string, (w: W) => void, string[]]>([
    ["valid", () => {}, []],
    ["selector must match template", (w) => (w.spec.selector = { matchLabels: { app: "db" } }), [mismatch]],
    [
      "empty selector",
      (w) => (w.spec.selector = {}),
      [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset",
      ],
    ],
    [
      "maxUnavailable and maxSurge both zero",
      (w) =>
        (w.spec.updateStrategy = {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: 0, maxSurge: 0 },
        }),
      ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"],
    ],
    [
      "maxSurge with maxUnavailable",
      (w) =>
        (w.spec.updateStrategy = {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: 1, maxSurge: 1 },
        }),
      [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero",
      ],
    ],
    ["OnDelete is fine", (w) => (w.spec.updateStrategy = { type: "OnDelete" }), []],
  ])("workload: DaemonSet %s", (_name, mutate, want) => {
    expect(errors(make("DaemonSet", mutate), "DaemonSet")).toEqual(want);
  });
});
