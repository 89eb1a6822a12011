import { describe, expect, it } from "vitest";
import { Backoff, goDuration } from "./backoff.ts";
import { ManualClock } from "./clock.ts";

describe("backoff: CrashLoopBackOff", () => {
  it("backoff: 10 s doubling to 5 min, as the kubelet's", () => {
    const clock = new ManualClock();
    const b = new Backoff(10_000, 300_000, clock);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.next("pod/app", clock.now());
      seen.push(b.get("pod/app"));
    }
    expect(seen).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it("backoff: a restart is held back until the delay has passed since the exit", async () => {
    const clock = new ManualClock();
    const b = new Backoff(10_000, 300_000, clock);
    expect(b.isInBackOffSince("k", clock.now())).toBe(false);
    b.next("k", clock.now());
    const exit = clock.now();
    expect(b.isInBackOffSince("k", exit)).toBe(true);
    await clock.advance(9_999);
    expect(b.isInBackOffSince("k", exit)).toBe(true);
    await clock.advance(1);
    expect(b.isInBackOffSince("k", exit)).toBe(false);
  });

  it("backoff: a container that stayed up for twice the maximum starts from the initial delay again", async () => {
    const clock = new ManualClock();
    const b = new Backoff(10_000, 300_000, clock);
    b.next("k", clock.now());
    b.next("k", clock.now());
    expect(b.get("k")).toBe(20_000);
    await clock.advance(600_001);
    expect(b.isInBackOffSince("k", clock.now())).toBe(false);
    b.next("k", clock.now());
    expect(b.get("k")).toBe(10_000);
  });

  it("backoff: durations print as Go prints them", () => {
    expect([10_000, 20_000, 80_000, 160_000, 300_000, 500, 1_500].map(goDuration)).toEqual([
      "10s",
      "20s",
      "1m20s",
      "2m40s",
      "5m0s",
      "500ms",
      "1.5s",
    ]);
  });
});
