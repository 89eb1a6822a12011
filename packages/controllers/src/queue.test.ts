import { describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { WorkQueue } from "./queue.ts";

const log = new TestLog().logger();

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("workqueue", () => {
  it("workqueue: a key waiting in the queue is added once", async () => {
    const q = new WorkQueue("t", log);
    const seen: string[] = [];
    q.add("a");
    q.add("a");
    q.add("b");
    const done = deferred();
    void q.run(1, async (k) => {
      seen.push(k);
      if (seen.length === 2) done.resolve();
    });
    await done.promise;
    q.stop();
    expect(seen).toEqual(["a", "b"]);
  });

  it("workqueue: a key added while it is processed runs again afterwards, never concurrently", async () => {
    const q = new WorkQueue("t", log);
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const first = deferred();
    const second = deferred();
    q.add("k");
    void q.run(4, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      if (runs === 1) {
        q.add("k");
        q.add("k");
        await new Promise((r) => setImmediate(r));
        first.resolve();
      } else second.resolve();
      running--;
    });
    await first.promise;
    await second.promise;
    q.stop();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it("workqueue: failures are retried with backoff until they succeed", async () => {
    const q = new WorkQueue("t", log);
    let attempts = 0;
    const ok = deferred();
    q.add("flaky");
    void q.run(1, async () => {
      attempts++;
      if (attempts < 4) throw new Error("not yet");
      ok.resolve();
    });
    await ok.promise;
    q.stop();
    expect(attempts).toBe(4);
  });
});
