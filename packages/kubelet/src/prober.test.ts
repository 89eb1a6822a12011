import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { normalizeProbe, ProbeWorker, type ProbeKind, type ProbeOutcome } from "./prober.ts";

/** A worker whose probe answers from `answers` (last one repeats), on a ManualClock. */
function harness(
  kind: ProbeKind,
  probe: Record<string, unknown>,
  answers: ProbeOutcome["result"][],
  opts: { started?: () => boolean; slowMs?: number } = {},
) {
  const clock = new ManualClock();
  const startedAt = clock.now();
  const runs: number[] = [];
  const results: string[] = [];
  const failures: string[] = [];
  let i = 0;
  const w = new ProbeWorker({
    kind,
    spec: normalizeProbe({ exec: { command: ["true"] }, ...probe })!,
    clock,
    target: { startedAt, started: opts.started ?? (() => true) },
    run: async () => {
      runs.push((clock.now() - startedAt) / 1000);
      if (opts.slowMs) await new Promise<void>((r) => clock.setTimeout(r, opts.slowMs!));
      const result = answers[Math.min(i++, answers.length - 1)]!;
      return { result, message: result === "failure" ? "HTTP probe failed with statuscode: 503" : "" };
    },
    onAttemptFailed: (m) => failures.push(m),
    onResult: (r) => results.push(`${(clock.now() - startedAt) / 1000}:${r}`),
  });
  return { clock, w, runs, results, failures };
}

describe("prober: ProbeWorker", () => {
  it("prober: defaults are the API's (period 10 s, timeout 1 s, thresholds 1 and 3)", () => {
    expect(normalizeProbe({ httpGet: { port: 80 } })).toMatchObject({
      handler: { type: "httpGet", path: "/", scheme: "HTTP", port: 80 },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(normalizeProbe(undefined)).toBeUndefined();
  });

  it("prober: probes at once and then every periodSeconds", async () => {
    const h = harness("readiness", { periodSeconds: 5 }, ["success"]);
    expect(h.w.result).toBe("failure");
    h.w.start();
    await h.clock.advance(16_000);
    expect(h.runs).toEqual([0, 5, 10, 15]);
    expect(h.results).toEqual(["0:success"]);
    h.w.stop();
  });

  it("prober: nothing is probed before initialDelaySeconds (the first tick after it probes)", async () => {
    const h = harness("liveness", { initialDelaySeconds: 7, periodSeconds: 5 }, ["success"]);
    h.w.start();
    await h.clock.advance(11_000);
    expect(h.runs).toEqual([10]);
    h.w.stop();
  });

  it("prober: readiness flips only after failureThreshold failures and successThreshold successes in a row", async () => {
    const h = harness("readiness", { periodSeconds: 1, failureThreshold: 3, successThreshold: 2 }, [
      "success",
      "success",
      "failure",
      "failure",
      "success",
      "failure",
      "failure",
      "failure",
      "success",
      "success",
    ]);
    h.w.start();
    await h.clock.advance(9_500);
    // Successes at 0,1 (ready at 1); failures at 2,3 do not reach 3; 4 succeeds once; 5,6,7 fail (unready at 7);
    // 8,9 succeed (ready at 9).
    expect(h.results).toEqual(["1:success", "7:failure", "9:success"]);
    expect(h.failures).toHaveLength(5);
    expect(h.failures[0]).toBe("HTTP probe failed with statuscode: 503");
    h.w.stop();
  });

  it("prober: a liveness failure at the threshold puts the worker on hold", async () => {
    const h = harness("liveness", { periodSeconds: 2, failureThreshold: 2 }, ["success", "failure"]);
    expect(h.w.result).toBe("success");
    h.w.start();
    await h.clock.advance(20_000);
    expect(h.results).toEqual(["4:failure"]);
    expect(h.runs).toEqual([0, 2, 4]);
  });

  it("prober: readiness and liveness wait for the startup probe; startup stops once it succeeded", async () => {
    let started = false;
    const r = harness("readiness", { periodSeconds: 1 }, ["success"], { started: () => started });
    const s = harness("startup", { periodSeconds: 1 }, ["success"], { started: () => started });
    r.w.start();
    s.w.start();
    await r.clock.advance(2_500);
    await s.clock.advance(2_500);
    // The container marks itself started when the startup probe succeeds; until then only it probes.
    expect(r.runs).toEqual([]);
    expect(s.runs).toEqual([0, 1, 2]);
    started = true;
    await r.clock.advance(1_000);
    await s.clock.advance(1_000);
    expect(r.runs).toEqual([3]);
    expect(s.runs).toEqual([0, 1, 2]);
    r.w.stop();
    s.w.stop();
  });

  it("prober: a probe slower than the period delays the next one rather than overlapping it", async () => {
    const h = harness("readiness", { periodSeconds: 1 }, ["success"], { slowMs: 2_500 });
    h.w.start();
    await h.clock.advance(6_000);
    expect(h.runs).toEqual([0, 2.5, 5]);
    h.w.stop();
  });
});
