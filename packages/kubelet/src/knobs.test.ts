import { describe, expect, it } from "vitest";
import { DEFAULT_KNOBS, KnobError, parseDuration, parseKnobs } from "./knobs.ts";
import { makePod } from "./fixtures.ts";

describe("knobs", () => {
  it("knobs: durations are Go durations or seconds", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("2")).toBe(2000);
    expect(parseDuration("0.25")).toBe(250);
    expect(parseDuration("5 seconds")).toBeUndefined();
    expect(parseDuration("-1s")).toBeUndefined();
  });

  it("knobs: nothing set gives the defaults (drain on SIGTERM, exit code 0)", () => {
    const pod = makePod("ns", "p");
    expect(parseKnobs(pod, pod["spec"]["containers"][0])).toEqual(DEFAULT_KNOBS);
    expect(DEFAULT_KNOBS.shutdown).toBe("drain");
  });

  it("knobs: annotations apply to every container; a container's env var wins", () => {
    const pod = makePod("ns", "p", (p) => {
      p["metadata"]["annotations"] = {
        "kemu.dev/latency": "50ms",
        "kemu.dev/error-rate": "10%",
        "kemu.dev/shutdown": "immediate",
        "kemu.dev/fail-readiness": "true",
      };
      p["spec"]["containers"][0]["env"] = [
        { name: "KEMU_LATENCY", value: "2s" },
        { name: "KEMU_EXIT_CODE", value: "143" },
        { name: "KEMU_FAIL_LIVENESS_AFTER", value: "10s" },
        { name: "KEMU_EXIT_AFTER", value: "1m" },
        { name: "KEMU_STARTUP_DELAY", value: "3" },
        { name: "KEMU_READINESS_DELAY", value: "500ms" },
        { name: "OTHER", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ];
    });
    expect(parseKnobs(pod, pod["spec"]["containers"][0])).toEqual({
      startupDelayMs: 3000,
      readinessDelayMs: 500,
      latencyMs: 2000,
      errorRate: 0.1,
      failReadiness: true,
      failLivenessAfterMs: 10_000,
      exitAfterMs: 60_000,
      shutdown: "immediate",
      exitCode: 143,
    });
  });

  it("knobs: a bad value names the env var or annotation it came from", () => {
    const bad = (ann: Record<string, string>, env: { name: string; value: string }[] = []) => {
      const pod = makePod("ns", "p", (p) => {
        p["metadata"]["annotations"] = ann;
        p["spec"]["containers"][0]["env"] = env;
      });
      return () => parseKnobs(pod, pod["spec"]["containers"][0]);
    };
    expect(bad({ "kemu.dev/latency": "fast" })).toThrow(KnobError);
    expect(bad({ "kemu.dev/latency": "fast" })).toThrow(
      'invalid annotation kemu.dev/latency: "fast" is not a duration (e.g. 500ms, 2s, 1m)',
    );
    expect(bad({}, [{ name: "KEMU_ERROR_RATE", value: "1.5" }])).toThrow(
      'invalid env KEMU_ERROR_RATE: "1.5" is not a rate between 0 and 1 (or 0% and 100%)',
    );
    expect(bad({ "kemu.dev/shutdown": "later" })).toThrow(
      'invalid annotation kemu.dev/shutdown: must be "immediate" or "drain"',
    );
    expect(bad({ "kemu.dev/fail-readiness": "maybe" })).toThrow("is not true or false");
    expect(bad({ "kemu.dev/exit-code": "300" })).toThrow("invalid annotation kemu.dev/exit-code");
  });
});
