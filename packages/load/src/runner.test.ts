import { afterEach, describe, expect, it } from "vitest";
import {
  byClientAddress,
  canBindLoopbackAlias,
  refusedTarget,
  startFakeService,
  THREE_PODS,
  type FakeService,
  type FakeServiceOptions,
} from "./fixtures.ts";
import { runLoad } from "./runner.ts";
import { evaluateThresholds } from "./thresholds.ts";
import type { ProgressSnapshot } from "./report.ts";

let services: FakeService[] = [];
afterEach(async () => {
  await Promise.all(services.map((s) => s.close()));
  services = [];
});

async function service(mutate?: (o: FakeServiceOptions) => void): Promise<FakeService> {
  const s = await startFakeService(mutate);
  services.push(s);
  return s;
}

/** Whether p settles within ms (a leaked socket keeps a fake Service's idle() pending forever). */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    p.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

/** Active timers of this process (vitest's own included, so tests compare against a baseline). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

const aliasOk = await canBindLoopbackAlias();

describe("runner", () => {
  it("runner: new connections spread over pods; pods, nodes and targets add up", async () => {
    const [a, b] = [await service(), await service((o) => (o.seed = 7))];
    const report = await runLoad({
      targets: [a.target, b.target],
      path: "/hello",
      executor: { kind: "per-vu-iterations", vus: 4, iterations: 30 },
    });
    expect(report.requests).toBe(120);
    expect(report.ok).toBe(120);
    expect(report.failedRate).toBe(0);
    expect(a.connections + b.connections).toBe(120);
    expect(report.perTarget.map((t) => t.requests)).toEqual([60, 60]);
    expect(report.pods.map((p) => p.name).sort()).toEqual(THREE_PODS.map((p) => p.name));
    expect(report.pods.reduce((s, p) => s + p.count, 0)).toBe(120);
    expect(report.pods.reduce((s, p) => s + p.share, 0)).toBeCloseTo(1, 10);
    const node2 = report.pods.filter((p) => p.node === "node-2").reduce((s, p) => s + p.count, 0);
    expect(report.nodes.find((n) => n.name === "node-2")?.count).toBe(node2);
    expect(report.latencyMs.count).toBe(120);
    expect(report.latencyMs.p95).toBeGreaterThanOrEqual(report.latencyMs.med);
    expect(report.clients.map((c) => c.client)).toEqual(["vu-1", "vu-2", "vu-3", "vu-4"]);
    expect(report.clients[0]!.seenAs).toEqual(["127.0.0.1"]);
    const verdict = evaluateThresholds(report, {
      http_req_failed: ["rate<0.01"],
      every_pod_share: ["min>0.1"],
      pods_seen: ["count==3"],
    });
    expect(verdict.results.map((r) => [r.metric, r.ok])).toEqual([
      ["http_req_failed", true],
      ["every_pod_share", true],
      ["pods_seen", true],
    ]);
  });

  it("runner: keep-alive VUs stay on the pod of their one connection; new connections do not", async () => {
    const svc = await service();
    const kept = await runLoad({
      targets: [svc.target],
      keepAlive: true,
      executor: { kind: "per-vu-iterations", vus: 4, iterations: 10 },
    });
    expect(kept.ok).toBe(40);
    expect(svc.connections).toBe(4);
    expect(kept.stickyClients).toEqual({ hits: 4, total: 4, rate: 1 });
    expect(kept.samePodAsFirst.rate).toBe(1);

    const fresh = await runLoad({
      targets: [svc.target],
      executor: { kind: "per-vu-iterations", vus: 4, iterations: 10 },
    });
    expect(svc.connections).toBe(4 + 40);
    expect(fresh.stickyClients.hits).toBeLessThan(4);
    expect(fresh.samePodAsFirst.rate).toBeLessThan(1);
    expect(evaluateThresholds(fresh, { clients_sticky: ["rate==1"] }).ok).toBe(false);
  });

  it.skipIf(!aliasOk)(
    "runner: local addresses are distinct clients, as ClientIP affinity sees them",
    async () => {
      const svc = await service((o) => (o.choose = byClientAddress));
      const addresses = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
      const report = await runLoad({
        targets: [svc.target],
        localAddresses: addresses,
        executor: { kind: "per-vu-iterations", vus: 6, iterations: 5 },
      });
      expect(svc.connections).toBe(30);
      expect(report.clients.map((c) => [c.client, c.requests, c.sticky, c.seenAs])).toEqual(
        addresses.map((a) => [a, 10, true, [a]]),
      );
      expect(report.stickyClients.rate).toBe(1);
      expect(evaluateThresholds(report, { clients_sticky: ["rate==1"] }).ok).toBe(true);
    },
  );

  it("runner: errors by kind: refused, reset, 503, 404 and timeout", async () => {
    const targets = [
      await refusedTarget(),
      (await service((o) => (o.behaviour = "reset"))).target,
      (await service((o) => (o.behaviour = "503"))).target,
      (await service((o) => (o.behaviour = "404"))).target,
      (await service((o) => (o.behaviour = "hang"))).target,
    ];
    const report = await runLoad({
      targets,
      timeoutMs: 150,
      executor: { kind: "per-vu-iterations", vus: 1, iterations: 10 },
    });
    expect(report.requests).toBe(10);
    expect(report.failed).toBe(10);
    expect(report.errors).toEqual({
      ECONNREFUSED: 2,
      ECONNRESET: 2,
      timeout: 2,
      http_5xx: 2,
      http_4xx: 2,
      other: 0,
    });
    expect(report.statuses).toEqual({ "404": 2, "503": 2 });
    expect(report.errorSamples.http_5xx).toMatch(/^HTTP 503/);
    expect(report.latencyMs.count).toBe(4);
    expect(report.pods).toEqual([]);
    const verdict = evaluateThresholds(report, {
      http_req_failed: ["rate<0.01"],
      every_pod_share: ["min>0"],
    });
    expect(verdict.results.map((r) => [r.ok, r.observed])).toEqual([
      [false, 1],
      [false, null],
    ]);
  });

  it("runner: constant-arrival-rate starts rate × duration iterations, spaced evenly", async () => {
    const svc = await service();
    const report = await runLoad({
      targets: [svc.target],
      executor: { kind: "constant-arrival-rate", rate: 100, durationMs: 500, maxInFlight: 20 },
    });
    expect(report.requests + report.droppedIterations).toBe(50);
    expect(report.droppedIterations).toBe(0);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(480);
    expect(report.elapsedMs).toBeLessThan(1500);
    expect(report.achievedRate).toBeGreaterThan(100 * 0.5 * (500 / 1500));
    expect(report.achievedRate).toBeLessThanOrEqual(100 * 1.05);
  });

  it("runner: iterations due while maxInFlight requests hang are dropped", async () => {
    const svc = await service((o) => (o.behaviour = "hang"));
    const report = await runLoad({
      targets: [svc.target],
      // Far past the 200 ms of arrivals, so both VUs stay busy however slow the machine is.
      timeoutMs: 1_000,
      executor: { kind: "constant-arrival-rate", rate: 100, durationMs: 200, maxInFlight: 2 },
    });
    expect(report.requests).toBe(2);
    expect(report.errors.timeout).toBe(2);
    expect(report.droppedIterations).toBe(18);
    expect(evaluateThresholds(report, { dropped_iterations: ["count<1"] }).ok).toBe(false);
  });

  it("runner: the chaos hook runs one action at a time and each result or error is recorded", async () => {
    const svc = await service();
    let calls = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const signals: AbortSignal[] = [];
    const report = await runLoad({
      targets: [svc.target],
      executor: { kind: "constant-vus", vus: 1, durationMs: 400 },
      chaos: {
        everyMs: 40,
        action: async (signal) => {
          signals.push(signal);
          const n = ++calls;
          concurrent++;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          // Slower than everyMs, so ticks arrive while an action still runs.
          await new Promise((resolve) => setTimeout(resolve, 60));
          concurrent--;
          if (n === 2) throw new Error("pods is forbidden");
          return `deleted default/web-${n}`;
        },
      },
    });
    expect(maxConcurrent).toBe(1);
    expect(report.chaos.length).toBeGreaterThanOrEqual(3);
    expect(report.chaos[0]).toMatchObject({ result: "deleted default/web-1" });
    expect(report.chaos[1]).toMatchObject({ error: "pods is forbidden" });
    const at = report.chaos.map((c) => c.atMs);
    expect(at).toEqual([...at].sort((x, y) => x - y));
    expect(at[0]).toBeGreaterThanOrEqual(35);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it("runner: onProgress gets a snapshot about every progressEveryMs", async () => {
    const svc = await service();
    const snapshots: ProgressSnapshot[] = [];
    const report = await runLoad({
      targets: [svc.target],
      executor: { kind: "constant-vus", vus: 2, durationMs: 300 },
      progressEveryMs: 50,
      onProgress: (s) => snapshots.push(s),
    });
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    expect(snapshots.length).toBeLessThanOrEqual(7);
    const last = snapshots.at(-1)!;
    expect(last.plannedMs).toBe(300);
    expect(last.requests).toBeLessThanOrEqual(report.requests);
    expect(last.pods).toBe(3);
    expect(snapshots.map((s) => s.elapsedMs)).toEqual(
      snapshots.map((s) => s.elapsedMs).sort((a, b) => a - b),
    );
  });

  it("runner: a progress callback that throws ends the run, which rejects with its error", async () => {
    const svc = await service();
    await expect(
      runLoad({
        targets: [svc.target],
        executor: { kind: "constant-vus", vus: 1, durationMs: 5_000 },
        progressEveryMs: 20,
        onProgress: () => {
          throw new Error("stdout closed");
        },
      }),
    ).rejects.toThrow("stdout closed");
  });

  it("runner: aborting ends the run at once and leaves interrupted requests uncounted", async () => {
    const svc = await service((o) => (o.behaviour = "hang"));
    const ac = new AbortController();
    void svc.requestsReached(2).then(() => ac.abort());
    const t0 = Date.now();
    const report = await runLoad({
      targets: [svc.target],
      timeoutMs: 30_000,
      signal: ac.signal,
      executor: { kind: "constant-vus", vus: 2, durationMs: 30_000 },
    });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(report.aborted).toBe(true);
    expect(report.requests).toBe(0);
    expect(await settlesWithin(svc.idle(), 2_000)).toBe(true);
  });

  it("runner: every socket and timer it opened is closed when the run ends", async () => {
    const [echo, hang] = [await service(), await service((o) => (o.behaviour = "hang"))];
    const before = timers();
    for (const keepAlive of [true, false]) {
      await runLoad({
        targets: [echo.target, hang.target],
        keepAlive,
        timeoutMs: 100,
        executor: { kind: "constant-arrival-rate", rate: 50, durationMs: 200, maxInFlight: 4 },
        chaos: { everyMs: 30, action: async () => "ok" },
        progressEveryMs: 30,
        onProgress: () => {},
      });
    }
    expect(timers()).toBeLessThanOrEqual(before);
    // The fake servers never close idle connections themselves: only the client can end them.
    expect(await settlesWithin(echo.idle(), 2_000)).toBe(true);
    expect(await settlesWithin(hang.idle(), 2_000)).toBe(true);
  });

  it("runner: bad options are refused before anything starts", async () => {
    await expect(
      runLoad({ targets: [], executor: { kind: "constant-vus", vus: 1, durationMs: 1 } }),
    ).rejects.toThrow("no targets");
    await expect(
      runLoad({
        targets: [{ host: "127.0.0.1", port: 1 }],
        executor: { kind: "constant-arrival-rate", rate: 0, durationMs: 1, maxInFlight: 1 },
      }),
    ).rejects.toThrow("rate must be a positive number");
    await expect(
      runLoad({
        targets: [{ host: "127.0.0.1", port: 1 }],
        path: "/a b",
        executor: { kind: "per-vu-iterations", vus: 1, iterations: 1 },
      }),
    ).rejects.toThrow(/must start with \/ and have no spaces/);
    // A header Node will not send fails each request as "other", not the run.
    const bad = await runLoad({
      targets: [await refusedTarget()],
      headers: { "Bad Header": "x" },
      executor: { kind: "per-vu-iterations", vus: 1, iterations: 2 },
    });
    expect([bad.requests, bad.errors.other]).toEqual([2, 2]);
    expect(bad.errorSamples.other).toMatch(/Header name must be a valid HTTP token/);
  });
});
