import { describe, expect, it } from "vitest";
import { makeOutcome, makeReport } from "./fixtures.ts";
import { evaluateThresholds, parseThreshold, validateThresholds } from "./thresholds.ts";

/** 100 requests: 50 on a, 30 on b, 19 on c (node-2), one 503; latencies 1..100 ms. */
function spreadReport() {
  const outcomes = Array.from({ length: 100 }, (_, i) => {
    const pod = i < 50 ? "a" : i < 80 ? "b" : "c";
    return makeOutcome(pod, (o) => {
      o.durationMs = i + 1;
      o.client = `vu-${(i % 4) + 1}`;
      if (pod === "c") o.landing = { pod, node: "node-2" };
      if (i === 99) Object.assign(o, { status: 503, error: "http_5xx", landing: undefined });
    });
  });
  return makeReport(outcomes);
}

describe("thresholds", () => {
  it("thresholds: k6's metrics and aggregations read the report", () => {
    const r = spreadReport();
    const v = evaluateThresholds(r, {
      http_req_failed: ["rate<0.02", "rate<0.01"],
      http_req_duration: ["p(95)<100", "p(99.9)>=99", "avg==50.5", "med<=50.5", "max===100", "min!=1"],
      http_reqs: ["count>=100", { threshold: "rate>9", abortOnFail: true }],
      dropped_iterations: ["count==0"],
    });
    expect(
      v.results.map((x) => `${x.metric} ${x.expression} ${x.ok} ${Number(x.observed?.toFixed(6))}`),
    ).toEqual([
      "http_req_failed rate<0.02 true 0.01",
      "http_req_failed rate<0.01 false 0.01",
      "http_req_duration p(95)<100 true 95.05",
      "http_req_duration p(99.9)>=99 true 99.901",
      "http_req_duration avg==50.5 true 50.5",
      "http_req_duration med<=50.5 true 50.5",
      "http_req_duration max===100 true 100",
      "http_req_duration min!=1 false 1",
      "http_reqs count>=100 true 100",
      "http_reqs rate>9 true 10",
      "dropped_iterations count==0 true 0",
    ]);
    expect(v.ok).toBe(false);
    expect(v.results.find((x) => x.expression === "rate>9")?.unit).toBe("per_s");
  });

  it("thresholds: kemu's share, pod and stickiness metrics", () => {
    const r = spreadReport();
    const v = evaluateThresholds(r, {
      every_pod_share: ["min>0.15", "max<0.6"],
      "pod_share{pod:a}": ["rate>0.5"],
      "pod_share{pod:gone}": ["rate>0"],
      "node_share{node:node-2}": ["rate>0.19"],
      pods_seen: ["count==3"],
      clients_sticky: ["rate==1"],
      same_pod_as_first: ["rate>0.5"],
    });
    expect(v.results.map((x) => [x.metric, x.ok])).toEqual([
      ["every_pod_share", true],
      ["every_pod_share", true],
      ["pod_share{pod:a}", true],
      ["pod_share{pod:gone}", false],
      ["node_share{node:node-2}", true],
      ["pods_seen", true],
      ["clients_sticky", false],
      ["same_pod_as_first", true],
    ]);
    // A pod the caller expects but that never answered is a 0 share.
    const expecting = makeReport([makeOutcome("a"), makeOutcome("b")], (x) => (x.expectedPods = 3));
    expect(evaluateThresholds(expecting, { every_pod_share: ["min>0"] }).results[0]).toMatchObject({
      ok: false,
      observed: 0,
    });
  });

  it("thresholds: nothing measured fails, as in k6", () => {
    const empty = makeReport([]);
    const v = evaluateThresholds(empty, {
      http_req_failed: ["rate<0.01"],
      http_req_duration: ["p(95)<500"],
      clients_sticky: ["rate==1"],
    });
    expect(v.results.map((x) => [x.ok, x.observed])).toEqual([
      [false, null],
      [false, null],
      [false, null],
    ]);
  });

  it("thresholds: malformed thresholds are refused with what is wrong", () => {
    expect(() => parseThreshold("http_req_duration", "p(95) 500")).toThrow(
      /<aggregation> <operator> <value>/,
    );
    expect(() => parseThreshold("http_req_duration", "p(101)<5")).toThrow(/percentile must be 0-100/);
    expect(() => parseThreshold("http_req_failed", "p(95)<5")).toThrow(/has no percentiles/);
    expect(() => parseThreshold("http_req_failed", "avg<5")).toThrow(/takes rate, not avg/);
    expect(() => parseThreshold("http_req_waiting", "avg<5")).toThrow(/unknown/);
    expect(() => parseThreshold("pod_share", "rate>0")).toThrow(/needs \{pod:\.\.\.\}/);
    expect(() => parseThreshold("http_reqs{pod:a}", "count>0")).toThrow(/has no tag "pod"/);
    expect(parseThreshold("pod_share{pod:web-7d4b9-x2x9k}", " rate >= 0.05 ")).toEqual({
      metric: "pod_share",
      tags: { pod: "web-7d4b9-x2x9k" },
      stat: "rate",
      op: ">=",
      value: 0.05,
    });
    expect(() => validateThresholds({ http_req_failed: ["rate<0.01", "rate<<1"] })).toThrow(/rate<<1/);
  });
});
