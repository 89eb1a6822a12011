import { describe, expect, it } from "vitest";
import { SchedulingQueue } from "./schedulingqueue.ts";

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("scheduling queue", () => {
  it("queue: higher priority first, then first come first served", () => {
    const q = new SchedulingQueue();
    q.add("ns/a", 0);
    q.add("ns/b", 100);
    q.add("ns/c", 0);
    expect([q.tryPop()?.key, q.tryPop()?.key, q.tryPop()?.key, q.tryPop()]).toEqual([
      "ns/b",
      "ns/a",
      "ns/c",
      undefined,
    ]);
  });

  it("queue: an unschedulable pod waits for a cluster change, then backs off 1 s doubling to 10 s", () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add("ns/p", 0);
    expect(q.tryPop()).toEqual({ key: "ns/p", attempts: 1 });
    q.unschedulable("ns/p");
    q.flushBackoff();
    expect(q.tryPop()).toBeUndefined();
    q.moveAllToActiveOrBackoff();
    expect(q.stats()).toMatchObject({ backoff: 1 });
    clock.advance(999);
    q.flushBackoff();
    expect(q.tryPop()).toBeUndefined();
    clock.advance(1);
    q.flushBackoff();
    expect(q.tryPop()).toEqual({ key: "ns/p", attempts: 2 });
    // Second failure: 2 s of backoff from this attempt.
    q.retry("ns/p");
    clock.advance(1_999);
    q.flushBackoff();
    expect(q.tryPop()).toBeUndefined();
    clock.advance(1);
    q.flushBackoff();
    expect(q.tryPop()?.attempts).toBe(3);
    for (let i = 0; i < 10; i++) {
      q.retry("ns/p");
      clock.advance(10_000);
      q.flushBackoff();
      expect(q.tryPop()).toBeDefined();
    }
  });

  it("queue: a cluster change during the attempt sends the pod to backoff, not to wait", () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add("ns/p", 0);
    q.tryPop();
    q.moveAllToActiveOrBackoff();
    q.unschedulable("ns/p");
    expect(q.stats()).toMatchObject({ backoff: 1, unschedulable: 0 });
  });

  it("queue: unschedulable pods are retried after the timeout anyway", () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now, unschedulableTimeoutMs: 60_000 });
    q.add("ns/p", 0);
    q.tryPop();
    q.unschedulable("ns/p");
    clock.advance(60_000);
    q.flushUnschedulable();
    expect(q.tryPop()?.key).toBe("ns/p");
  });

  it("queue: a pod deleted during its attempt is dropped, an updated unschedulable one retried", () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add("ns/p", 0);
    q.tryPop();
    q.delete("ns/p");
    q.unschedulable("ns/p");
    expect(q.has("ns/p")).toBe(false);
    q.add("ns/u", 0);
    q.tryPop();
    q.unschedulable("ns/u");
    clock.advance(5_000);
    q.add("ns/u", 0); // e.g. a toleration was added
    expect(q.tryPop()?.key).toBe("ns/u");
  });

  it("queue: pop() waits for a pod and resolves undefined once closed", async () => {
    const q = new SchedulingQueue();
    const waiting = q.pop();
    q.add("ns/p", 0);
    expect(await waiting).toEqual({ key: "ns/p", attempts: 1 });
    const pending = q.pop();
    q.close();
    expect(await pending).toBeUndefined();
  });
});
