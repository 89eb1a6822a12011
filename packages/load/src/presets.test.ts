import { describe, expect, it } from "vitest";
import { LOAD_SETTING_SOURCES, parseLoadSettings } from "./config.ts";
import { pickPodToDelete, planScenario, PRESETS } from "./presets.ts";
import { validateThresholds } from "./thresholds.ts";

const TARGETS = "127.0.1.1:31180,127.0.1.2:31180";

describe("presets", () => {
  it("presets: settings have defaults; flags win over the k6 scripts' variables", () => {
    const s = parseLoadSettings(
      { targets: TARGETS, vus: "3" },
      { K6_RUN_VUS: "7", K6_PATH: "/linuxea.html" },
    );
    expect(s).toMatchObject({
      targets: [
        { host: "127.0.1.1", port: 31180 },
        { host: "127.0.1.2", port: 31180 },
      ],
      path: "/linuxea.html",
      vus: 3,
      durationMs: 30_000,
      keepAlive: false,
      timeoutMs: 10_000,
      churnEveryMs: 2_000,
      namespace: "default",
    });
    const env = parseLoadSettings(
      {},
      { K6_TARGETS: TARGETS, K6_KEEPALIVE: "1", K6_LOCAL_IPS: "127.0.0.2-127.0.0.3", K6_RUN_DURATION: "1m" },
    );
    expect([env.keepAlive, env.localIps, env.durationMs]).toEqual([true, ["127.0.0.2", "127.0.0.3"], 60_000]);
    expect(parseLoadSettings({ targets: TARGETS, keepAlive: true }, {}).keepAlive).toBe(true);
  });

  it("presets: a bad setting is reported with the flag or variable that gave it", () => {
    expect(() => parseLoadSettings({}, {})).toThrow("invalid --targets: is required");
    expect(() => parseLoadSettings({ targets: "nope" }, {})).toThrow(
      'invalid --targets: target "nope" is not host:port',
    );
    expect(() => parseLoadSettings({ targets: TARGETS }, { K6_RUN_DURATION: "soon" })).toThrow(
      /invalid K6_RUN_DURATION: duration "soon"/,
    );
    expect(() => parseLoadSettings({ targets: TARGETS, rate: "-1" }, {})).toThrow(/invalid --rate/);
    expect(() => parseLoadSettings({ targets: TARGETS }, { K6_KEEPALIVE: "perhaps" })).toThrow(
      /invalid K6_KEEPALIVE: "perhaps" is not true or false/,
    );
  });

  it("presets: every scenario plans valid options and thresholds", () => {
    const s = parseLoadSettings({ targets: TARGETS, expectPods: "3" }, {});
    for (const name of Object.keys(PRESETS)) {
      const plan = planScenario(name, s);
      expect(plan.options.scenario).toBe(name);
      expect(plan.options.expectedPods).toBe(3);
      expect(() => validateThresholds(plan.thresholds)).not.toThrow();
    }
    expect(planScenario("nodeport-spread", s).options).toMatchObject({
      keepAlive: false,
      executor: { kind: "constant-vus", vus: 10, durationMs: 30_000 },
    });
    expect(planScenario("nodeport-spread", s).thresholds).toEqual({
      http_req_failed: ["rate<0.01"],
      every_pod_share: ["min>0.05"],
      pods_seen: ["count>=3"],
    });
    expect(planScenario("nodeport-spread-keepalive", s).options.keepAlive).toBe(true);
    expect(
      planScenario("session-affinity", { ...s, localIps: ["127.0.0.2", "127.0.0.3"] }).options,
    ).toMatchObject({
      executor: { kind: "per-vu-iterations", vus: 10, iterations: 20 },
      localAddresses: ["127.0.0.2", "127.0.0.3"],
    });
    expect(() => planScenario("nodeport-sprad", s)).toThrow(/unknown scenario "nodeport-sprad"/);
  });

  it("presets: pod-churn runs at a constant rate and deletes pods through the caller's action", async () => {
    const s = parseLoadSettings({ targets: TARGETS, churnEveryMs: "5s" }, {});
    const action = async () => "deleted default/web-1";
    const plan = planScenario("pod-churn", s, { chaosAction: action });
    expect(plan.options.executor).toEqual({
      kind: "constant-arrival-rate",
      rate: 50,
      durationMs: 30_000,
      maxInFlight: 100,
    });
    expect(plan.options.chaos).toEqual({ everyMs: 5_000, action });
    expect(plan.thresholds).toEqual({ http_req_failed: ["rate<0.01"], http_req_duration: ["p(95)<500"] });
    expect(planScenario("pod-churn", s).options.chaos).toBeUndefined();
  });

  it("presets: a churn step deletes a Running pod that is not already going", () => {
    const pods = [
      { metadata: { name: "a", deletionTimestamp: "2026-11-24T22:00:00Z" }, status: { phase: "Running" } },
      { metadata: { name: "b" }, status: { phase: "Pending" } },
      { metadata: { name: "c" }, status: { phase: "Running" } },
      { metadata: { name: "d" }, status: { phase: "Running" } },
    ];
    expect(pickPodToDelete(pods, () => 0)?.metadata.name).toBe("c");
    expect(pickPodToDelete(pods, () => 0.99)?.metadata.name).toBe("d");
    expect(pickPodToDelete(pods.slice(0, 2))).toBeUndefined();
  });

  it("presets: every setting has a flag and a K6_ variable that k6 itself does not read", () => {
    const k6Options = ["K6_DURATION", "K6_VUS", "K6_ITERATIONS", "K6_STAGES", "K6_RPS"];
    for (const src of Object.values(LOAD_SETTING_SOURCES)) {
      expect(src.flag).toMatch(/^--[a-z][a-z0-9-]+$/);
      expect(src.env).toMatch(/^K6_[A-Z0-9_]+$/);
      expect(k6Options).not.toContain(src.env);
    }
  });
});
