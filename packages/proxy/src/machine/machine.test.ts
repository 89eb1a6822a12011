import { describe, expect, it } from "vitest";
import { SimulatedClock, createActor, fromCallback, fromPromise, type Actor } from "xstate";
import {
  proxySyncMachine,
  syncStatus,
  type SyncEvent,
  type SyncInput,
  type SyncOutput,
  type SyncState,
} from "./machine.ts";

/** Lets promise callbacks (the sync actor settling) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A fake event source a callback actor forwards from (an informer, or nc.status()). */
class FakeSource {
  readonly #listeners = new Set<(e: SyncEvent) => void>();
  cleanups = 0;
  /** The callback actor that forwards this source's events. */
  actor() {
    return fromCallback<SyncEvent>(({ sendBack }) => {
      this.#listeners.add(sendBack);
      return () => {
        this.#listeners.delete(sendBack);
        this.cleanups++;
      };
    });
  }
  emit(e: SyncEvent): void {
    for (const l of this.#listeners) l(e);
  }
}

/** A fake sync actor: records calls, takes durationMs of simulated time, fails when told. */
class FakeSync {
  readonly calls: { input: SyncInput; at: number }[] = [];
  durationMs = 0;
  failWith: string | undefined;
  readonly clock: SimulatedClock;
  constructor(clock: SimulatedClock) {
    this.clock = clock;
  }
  actor() {
    return fromPromise<SyncOutput, SyncInput>(async ({ input }) => {
      const startedAt = this.clock.now();
      this.calls.push({ input, at: startedAt });
      const fail = this.failWith;
      if (this.durationMs > 0) await new Promise<void>((r) => this.clock.setTimeout(r, this.durationMs));
      if (fail) throw new Error(fail);
      return { startedAt, finishedAt: this.clock.now(), ruleCount: 3 };
    });
  }
  reasons(): string[] {
    return this.calls.map((c) => `${c.input.reason}@${c.at}`);
  }
}

interface Harness {
  clock: SimulatedClock;
  sync: FakeSync;
  informers: FakeSource;
  nats: FakeSource;
  actor: Actor<typeof proxySyncMachine>;
  state(): SyncState;
  /** Moves simulated time forward in steps, letting sync promises settle in between. */
  advance(ms: number): Promise<void>;
  /** Sends an event from the informers or from NATS, and lets the machine react. */
  emit(source: "informers" | "nats", e: SyncEvent): Promise<void>;
}

async function start(opts: { minSyncPeriodMs?: number; syncPeriodMs?: number } = {}): Promise<Harness> {
  const clock = new SimulatedClock();
  const sync = new FakeSync(clock);
  const informers = new FakeSource();
  const nats = new FakeSource();
  const machine = proxySyncMachine.provide({
    actors: { sync: sync.actor(), watch: informers.actor(), connection: nats.actor() },
  });
  const actor = createActor(machine, {
    clock,
    input: { minSyncPeriodMs: opts.minSyncPeriodMs ?? 1_000, syncPeriodMs: opts.syncPeriodMs ?? 30_000 },
  });
  actor.start();
  const h: Harness = {
    clock,
    sync,
    informers,
    nats,
    actor,
    state: () => actor.getSnapshot().value as SyncState,
    async advance(ms) {
      const step = 50;
      for (let t = 0; t < ms; t += step) {
        clock.increment(Math.min(step, ms - t));
        await flush();
      }
    },
    async emit(source, e) {
      (source === "informers" ? informers : nats).emit(e);
      await flush();
    },
  };
  return h;
}

/** Starts a machine and brings it through its initial sync. */
async function startSynced(opts: { minSyncPeriodMs?: number; syncPeriodMs?: number } = {}) {
  const h = await start(opts);
  await h.emit("informers", { type: "LISTED" });
  expect(h.state()).toBe("synced");
  return h;
}

describe("machine: initial list", () => {
  it("machine: nothing syncs until the informers have listed; changes meanwhile fold into the first full sync", async () => {
    const h = await start();
    expect(h.state()).toBe("waitingForInitialList");
    for (let i = 0; i < 5; i++) await h.emit("informers", { type: "CHANGED" });
    await h.advance(60_000);
    expect(h.sync.calls).toEqual([]);
    await h.emit("informers", { type: "LISTED" });
    expect(h.sync.calls.map((c) => c.input)).toEqual([{ full: true, reason: "initial" }]);
    expect(h.state()).toBe("synced");
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({
      state: "synced",
      syncs: 1,
      fullSyncs: 1,
      changes: 5,
      coalescedChanges: 5,
      ruleCount: 3,
      stale: false,
      connected: true,
    });
  });
});

describe("machine: coalescing", () => {
  it("machine: a change soon after a sync waits until minSyncPeriod after that sync started", async () => {
    const h = await startSynced();
    await h.advance(300);
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("pending");
    await h.advance(650);
    expect(h.sync.calls).toHaveLength(1);
    await h.advance(50);
    expect(h.sync.reasons()).toEqual(["initial@0", "changes@1000"]);
    expect(h.sync.calls[1]?.input.full).toBe(false);
    expect(h.state()).toBe("synced");
  });

  it("machine: a change long after the last sync syncs at once", async () => {
    const h = await startSynced();
    await h.advance(5_000);
    await h.emit("informers", { type: "CHANGED" });
    expect(h.sync.reasons()).toEqual(["initial@0", "changes@5000"]);
  });

  it("machine: a burst of 100 endpoint changes becomes at most 2 syncs", async () => {
    const h = await startSynced();
    h.sync.durationMs = 20;
    await h.advance(5_000);
    // 100 changes over 500 ms, as a rollout would produce them.
    for (let i = 0; i < 100; i++) {
      await h.emit("informers", { type: "CHANGED" });
      if (i % 10 === 9) await h.advance(50);
    }
    await h.advance(5_000);
    expect(h.sync.calls.length - 1).toBeLessThanOrEqual(2);
    expect(h.sync.reasons()).toEqual(["initial@0", "changes@5000", "changes@6000"]);
    const s = syncStatus(h.actor.getSnapshot());
    expect(s).toMatchObject({ state: "synced", syncs: 3, changes: 100, coalescedChanges: 98 });
  });

  it("machine: changes during a sync make another sync due after it", async () => {
    const h = await startSynced();
    h.sync.durationMs = 1_500;
    await h.advance(5_000);
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("syncing");
    await h.advance(500);
    await h.emit("informers", { type: "CHANGED" });
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("syncing");
    await h.advance(1_000);
    // The sync took longer than minSyncPeriod, so the next one starts as soon as it ends.
    expect(h.sync.reasons()).toEqual(["initial@0", "changes@5000", "changes@6500"]);
    await h.advance(1_500);
    expect(h.state()).toBe("synced");
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({ changes: 3, coalescedChanges: 1, syncs: 3 });
    expect(syncStatus(h.actor.getSnapshot()).lastSyncDurationMs).toBe(1_500);
  });
});

describe("machine: periodic resync", () => {
  it("machine: with no changes, a full resync runs every syncPeriod", async () => {
    const h = await startSynced();
    await h.advance(95_000);
    expect(h.sync.reasons()).toEqual(["initial@0", "periodic@30000", "periodic@60000", "periodic@90000"]);
    expect(h.sync.calls.every((c) => c.input.full)).toBe(true);
    expect(syncStatus(h.actor.getSnapshot()).fullSyncs).toBe(4);
  });

  it("machine: a sync for changes restarts the syncPeriod timer", async () => {
    const h = await startSynced();
    await h.advance(20_000);
    await h.emit("informers", { type: "CHANGED" });
    await h.advance(45_000);
    expect(h.sync.reasons()).toEqual(["initial@0", "changes@20000", "periodic@50000"]);
  });
});

describe("machine: failures", () => {
  it("machine: a failed sync is retried with exponential backoff, capped, then a full resync", async () => {
    const h = await startSynced();
    await h.advance(5_000);
    h.sync.failWith = "bind 127.0.1.1:31180: address in use";
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("failed");
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({
      failures: 1,
      consecutiveFailures: 1,
      lastError: "bind 127.0.1.1:31180: address in use",
    });
    await h.advance(70_000);
    // Retries 1 s, 2 s, 4 s, 8 s, 16 s, then capped at syncPeriod (30 s) after each failure.
    expect(h.sync.reasons()).toEqual([
      "initial@0",
      "changes@5000",
      "retry@6000",
      "retry@8000",
      "retry@12000",
      "retry@20000",
      "retry@36000",
      "retry@66000",
    ]);
    // A change while failed waits for the retry, which is a full sync.
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("failed");
    h.sync.failWith = undefined;
    await h.advance(30_000);
    expect(h.sync.calls.at(-1)?.input).toEqual({ full: true, reason: "retry" });
    expect(h.state()).toBe("synced");
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({
      failures: 7,
      consecutiveFailures: 0,
      lastError: undefined,
      syncs: 2,
      coalescedChanges: 1,
    });
  });

  it("machine: after a success the backoff starts again from its first step", async () => {
    const h = await startSynced();
    await h.advance(5_000);
    h.sync.failWith = "boom";
    await h.emit("informers", { type: "CHANGED" });
    await h.advance(1_000);
    await h.advance(2_000);
    h.sync.failWith = undefined;
    await h.advance(4_000);
    expect(h.state()).toBe("synced");
    h.sync.failWith = "boom again";
    await h.advance(5_000);
    await h.emit("informers", { type: "CHANGED" });
    await h.advance(1_000);
    expect(h.sync.reasons()).toEqual([
      "initial@0",
      "changes@5000",
      "retry@6000",
      "retry@8000",
      "retry@12000",
      "changes@17000",
      "retry@18000",
    ]);
  });
});

describe("machine: NATS connection", () => {
  it("machine: NATS away for 10 s keeps the rules (stale), syncs nothing, then resyncs exactly once", async () => {
    const h = await startSynced();
    await h.advance(5_000);
    await h.emit("nats", { type: "DISCONNECTED" });
    expect(h.state()).toBe("disconnected");
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({ stale: true, connected: false, syncs: 1 });
    await h.advance(5_000);
    // A change recorded meanwhile (a watch event that raced the disconnect) waits for the resync.
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("disconnected");
    await h.advance(5_000);
    expect(h.sync.calls).toHaveLength(1);
    await h.emit("nats", { type: "RECONNECTED" });
    expect(h.state()).toBe("synced");
    expect(h.sync.reasons()).toEqual(["initial@0", "reconnect@15000"]);
    expect(h.sync.calls[1]?.input.full).toBe(true);
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({
      stale: false,
      connected: true,
      syncs: 2,
      changes: 1,
      coalescedChanges: 1,
    });
    // And nothing more until the next periodic resync.
    await h.advance(29_000);
    expect(h.sync.calls).toHaveLength(2);
    await h.advance(1_000);
    expect(h.sync.reasons().at(-1)).toBe("periodic@45000");
  });

  it("machine: changes replayed by the watches after a reconnect coalesce after the resync", async () => {
    const h = await startSynced();
    await h.emit("nats", { type: "DISCONNECTED" });
    await h.advance(10_000);
    await h.emit("nats", { type: "RECONNECTED" });
    await h.emit("informers", { type: "CHANGED" });
    await h.emit("informers", { type: "CHANGED" });
    await h.advance(2_000);
    expect(h.sync.reasons()).toEqual(["initial@0", "reconnect@10000", "changes@11000"]);
  });

  it("machine: a disconnect during a sync drops its result and resyncs on reconnect", async () => {
    const h = await startSynced();
    h.sync.durationMs = 1_000;
    await h.advance(5_000);
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("syncing");
    await h.emit("nats", { type: "DISCONNECTED" });
    expect(h.state()).toBe("disconnected");
    await h.advance(3_000);
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({ syncs: 1, stale: true });
    h.sync.durationMs = 0;
    await h.emit("nats", { type: "RECONNECTED" });
    expect(h.sync.reasons()).toEqual(["initial@0", "changes@5000", "reconnect@8000"]);
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({ state: "synced", syncs: 2, stale: false });
  });

  it("machine: a disconnect from pending or failed also waits for the reconnect", async () => {
    const h = await startSynced();
    await h.emit("informers", { type: "CHANGED" });
    expect(h.state()).toBe("pending");
    await h.emit("nats", { type: "DISCONNECTED" });
    await h.advance(5_000);
    expect(h.sync.calls).toHaveLength(1);
    h.sync.failWith = "boom";
    await h.emit("nats", { type: "RECONNECTED" });
    expect(h.state()).toBe("failed");
    await h.emit("nats", { type: "DISCONNECTED" });
    await h.advance(60_000);
    expect(h.sync.reasons()).toEqual(["initial@0", "reconnect@5000"]);
    expect(h.state()).toBe("disconnected");
  });

  it("machine: a disconnect before the initial list goes back to waiting for it", async () => {
    const h = await start();
    await h.emit("nats", { type: "DISCONNECTED" });
    expect(h.state()).toBe("disconnected");
    await h.emit("nats", { type: "RECONNECTED" });
    expect(h.state()).toBe("waitingForInitialList");
    await h.emit("nats", { type: "DISCONNECTED" });
    await h.emit("informers", { type: "LISTED" });
    expect(h.state()).toBe("disconnected");
    await h.emit("nats", { type: "RECONNECTED" });
    expect(h.sync.reasons()).toEqual(["reconnect@0"]);
    expect(h.state()).toBe("synced");
  });

  it("machine: a repeated disconnect event changes nothing", async () => {
    const h = await startSynced();
    await h.emit("nats", { type: "DISCONNECTED" });
    await h.emit("nats", { type: "DISCONNECTED" });
    expect(syncStatus(h.actor.getSnapshot())).toMatchObject({ state: "disconnected", stale: true });
  });
});

describe("machine: actors", () => {
  it("machine: stopping the machine runs the callback actors' cleanup", async () => {
    const h = await startSynced();
    h.actor.stop();
    expect(h.informers.cleanups).toBe(1);
    expect(h.nats.cleanups).toBe(1);
  });

  it("machine: without a provided sync actor, the first sync fails with a clear error", async () => {
    const clock = new SimulatedClock();
    const actor = createActor(proxySyncMachine, {
      clock,
      input: { minSyncPeriodMs: 1_000, syncPeriodMs: 30_000 },
    });
    actor.start();
    actor.send({ type: "LISTED" });
    await flush();
    expect(syncStatus(actor.getSnapshot())).toMatchObject({
      state: "failed",
      lastError: "proxy sync machine: the sync actor was not provided",
    });
    actor.stop();
  });
});
