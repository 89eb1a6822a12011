/**
 * The load runner: plays a scenario against NodePorts (or any host:port) with node:http, reads
 * where each request landed from the emulated app's answer, and reports k6's figures.
 *
 * Virtual users (VUs) are k6's: each has its own connection when keepAlive is on (an Agent
 * with one socket, as a k6 VU keeps its connection between iterations), or opens a new TCP
 * connection per request with `Connection: close` when it is off (k6's noConnectionReuse). With
 * localAddresses, VU n binds localAddresses[n % len] as its source address, as k6 hands out
 * --local-ips, so ClientIP session affinity sees distinct clients.
 *
 * Limitations vs k6: HTTP/1.1 GET only, no TLS, no DNS caching options; http_req_duration is
 * measured from the connected socket to the last byte of the body (k6 splits it into sending,
 * waiting and receiving); iterations are one request each.
 */
import { Agent, request, type ClientRequest } from "node:http";
import { performance } from "node:perf_hooks";
import { parseLanding } from "./landing.ts";
import {
  Recorder,
  type ErrorKind,
  type Executor,
  type LoadReport,
  type Outcome,
  type ProgressSnapshot,
} from "./report.ts";
import { LoadSettingsError, type Target } from "./targets.ts";

/** Called periodically during a run; what it returns (e.g. "deleted default/web-x2x9k") is recorded. */
export interface ChaosHook {
  everyMs: number;
  /** The signal aborts when the run ends; the action should give up then. */
  action: (signal: AbortSignal) => Promise<string | undefined>;
}

/** What to run. */
export interface LoadOptions {
  targets: Target[];
  /** Request path (default "/"). */
  path?: string;
  executor: Executor;
  /** true: each VU keeps one connection (k6's default); false (default): a new connection per request. */
  keepAlive?: boolean;
  /**
   * Source addresses handed out to VUs in turn (k6's --local-ips). Without keep-alive, clients
   * in the report are these addresses (what ClientIP affinity keys on); otherwise they are VUs.
   */
  localAddresses?: string[];
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Pods the caller expects to share the load; pods never reached then count as a 0 share. */
  expectedPods?: number;
  /** Scenario name, carried into the report. */
  scenario?: string;
  chaos?: ChaosHook;
  signal?: AbortSignal;
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** How often onProgress is called (default 1000 ms). */
  progressEveryMs?: number;
}

/** The default per-request timeout. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Bodies are read to the end, but only this much is kept for finding the pod. */
const MAX_BODY = 16 * 1024;

interface Vu {
  id: number;
  client: string;
  localAddress: string | undefined;
  agent: Agent | undefined;
  target: Target;
}

function plannedMs(e: Executor): number | null {
  if (e.kind === "per-vu-iterations") return e.maxDurationMs ?? null;
  return e.durationMs;
}

function validate(o: LoadOptions): void {
  if (o.targets.length === 0) throw new LoadSettingsError("no targets");
  const e = o.executor;
  const positive = (name: string, v: number, integer = false) => {
    if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
      throw new LoadSettingsError(`${e.kind}: ${name} must be a positive ${integer ? "integer" : "number"}`);
  };
  if (e.kind === "constant-arrival-rate") {
    positive("rate", e.rate);
    positive("durationMs", e.durationMs);
    positive("maxInFlight", e.maxInFlight, true);
  } else if (e.kind === "constant-vus") {
    positive("vus", e.vus, true);
    positive("durationMs", e.durationMs);
  } else {
    positive("vus", e.vus, true);
    positive("iterations", e.iterations, true);
    if (e.maxDurationMs !== undefined) positive("maxDurationMs", e.maxDurationMs);
  }
  if (o.timeoutMs !== undefined) positive("timeoutMs", o.timeoutMs);
  if (o.path !== undefined && !/^\/[\x21-\x7e]*$/.test(o.path))
    throw new LoadSettingsError(
      `path "${o.path}" must start with / and have no spaces or control characters`,
    );
  if (o.chaos) positive("chaos.everyMs", o.chaos.everyMs);
  if (o.localAddresses && o.localAddresses.length === 0)
    throw new LoadSettingsError("localAddresses is empty");
}

function kindOf(err: unknown): ErrorKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET") return code;
  return "other";
}

function messageOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const msg = typeof e?.message === "string" ? e.message : String(err);
  return typeof e?.code === "string" && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}

/** One GET; resolves to its outcome, or null when the run was aborted under it. */
function send(
  vu: Vu,
  target: Target,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
  inflight: Map<ClientRequest, () => void>,
): Promise<Outcome | null> {
  return new Promise((resolve) => {
    const base = { target, client: vu.client, localAddress: vu.localAddress };
    let start = performance.now();
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined = undefined;
    let req: ClientRequest;
    try {
      req = request({
        host: target.host,
        port: target.port,
        path,
        method: "GET",
        headers,
        localAddress: vu.localAddress,
        // No agent: a fresh socket per request that is closed after the response.
        agent: vu.agent ?? false,
      });
    } catch (err) {
      // Bad headers or addresses throw here rather than emit "error".
      return resolve({ ...base, error: "other", message: messageOf(err) });
    }
    const finish = (o: Omit<Outcome, "target" | "client" | "localAddress"> | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inflight.delete(req);
      resolve(o === null ? null : { ...base, ...o });
    };
    const fail = (err: unknown) => {
      if (cancelled) return finish(null);
      if (timedOut) return finish({ error: "timeout", message: `no complete answer within ${timeoutMs} ms` });
      finish({ error: kindOf(err), message: messageOf(err) });
    };
    timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error("timeout"));
    }, timeoutMs);
    inflight.set(req, () => {
      cancelled = true;
      req.destroy(new Error("run aborted"));
    });
    req.on("socket", (socket) => {
      // k6's http_req_duration leaves out connecting, so the clock starts once connected.
      if (socket.connecting) socket.once("connect", () => (start = performance.now()));
      else start = performance.now();
    });
    req.on("error", fail);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on("data", (chunk: Buffer) => {
        if (kept < MAX_BODY) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      res.on("error", fail);
      res.on("close", () => {
        if (!res.complete)
          fail(Object.assign(new Error("connection closed mid-response"), { code: "ECONNRESET" }));
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const durationMs = performance.now() - start;
        const landing = parseLanding(Buffer.concat(chunks).toString("utf8", 0, MAX_BODY));
        if (status >= 400) {
          const error: ErrorKind = status >= 500 ? "http_5xx" : "http_4xx";
          finish({
            status,
            durationMs,
            landing,
            error,
            message: `HTTP ${status} ${res.statusMessage ?? ""}`.trim(),
          });
        } else {
          finish({ status, durationMs, landing });
        }
      });
    });
    req.end();
  });
}

/**
 * Runs a scenario to the end (or until signal aborts) and reports what it measured. Every
 * socket and timer it opened is closed when the promise settles.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  validate(opts);
  const { targets, executor } = opts;
  const path = opts.path ?? "/";
  const keepAlive = opts.keepAlive ?? false;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = {
    "User-Agent": "kemu-load/0.1",
    Accept: "*/*",
    ...(keepAlive ? {} : { Connection: "close" }),
    ...opts.headers,
  };
  const rec = new Recorder();
  const inflight = new Map<ClientRequest, () => void>();
  const vus: Vu[] = [];
  const startedAt = new Date();
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  let stopped = false;
  let aborted = false;
  let failure: unknown;
  let roundRobin = 0;
  let busy = 0;
  const onStop: (() => void)[] = [];
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const cancel of [...inflight.values()]) cancel();
    for (const f of onStop) f();
  };

  const newVu = (): Vu => {
    const id = vus.length + 1;
    const localAddress = opts.localAddresses?.[(id - 1) % opts.localAddresses.length];
    const vu: Vu = {
      id,
      client: !keepAlive && localAddress !== undefined ? localAddress : `vu-${id}`,
      localAddress,
      agent: keepAlive ? new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 }) : undefined,
      target: targets[(id - 1) % targets.length]!,
    };
    vus.push(vu);
    return vu;
  };

  const iterate = async (vu: Vu): Promise<void> => {
    // A VU with its own connection keeps one target; new connections go round the targets.
    const target = keepAlive ? vu.target : targets[roundRobin++ % targets.length]!;
    busy++;
    const outcome = await send(vu, target, path, headers, timeoutMs, inflight);
    busy--;
    if (outcome) rec.add(outcome);
  };

  const onAbort = () => {
    aborted = true;
    stop();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  // Progress, once a second by default.
  let progressTimer: NodeJS.Timeout | undefined;
  if (opts.onProgress) {
    const every = opts.progressEveryMs ?? 1000;
    let last = performance.now();
    progressTimer = setInterval(() => {
      const now = performance.now();
      const interval = rec.interval();
      const snapshot: ProgressSnapshot = {
        elapsedMs: elapsed(),
        plannedMs: plannedMs(executor),
        requests: rec.requests,
        ok: rec.ok,
        failed: rec.failed,
        inFlight: busy,
        droppedIterations: rec.dropped,
        intervalRate: (interval.requests * 1000) / Math.max(1, now - last),
        intervalP95Ms: interval.p95,
        pods: rec.podCount,
        chaos: rec.chaos.length,
        lastChaos: rec.chaos.at(-1) ?? null,
      };
      last = now;
      try {
        opts.onProgress!(snapshot);
      } catch (err) {
        // A broken progress printer ends the run and is reported, rather than crashing the process.
        failure = err;
        stop();
      }
    }, every);
  }

  // Chaos: one action at a time, recorded with when it started.
  let chaosTimer: NodeJS.Timeout | undefined;
  let chaosRun: Promise<void> | undefined;
  const chaosAbort = new AbortController();
  if (opts.chaos && !stopped) {
    const { action, everyMs } = opts.chaos;
    chaosTimer = setInterval(() => {
      if (chaosRun || stopped) return;
      const atMs = elapsed();
      const at = new Date().toISOString();
      // Promise.resolve().then: an action that throws before returning a promise is recorded too.
      chaosRun = Promise.resolve()
        .then(() => action(chaosAbort.signal))
        .then(
          (result) => {
            rec.chaos.push({
              atMs,
              at,
              tookMs: elapsed() - atMs,
              ...(result === undefined ? {} : { result }),
            });
          },
          (err: unknown) => {
            rec.chaos.push({ atMs, at, tookMs: elapsed() - atMs, error: messageOf(err) });
          },
        )
        .finally(() => (chaosRun = undefined));
    }, everyMs);
  }

  try {
    if (!stopped) await execute();
  } finally {
    stopped = true;
    clearInterval(progressTimer);
    clearInterval(chaosTimer);
    opts.signal?.removeEventListener("abort", onAbort);
    chaosAbort.abort();
    if (chaosRun) await boundedWait(chaosRun, timeoutMs);
    for (const vu of vus) vu.agent?.destroy();
  }
  if (failure !== undefined) throw failure;
  rec.chaos.sort((a, b) => a.atMs - b.atMs);
  const report = rec.report({
    targets,
    path,
    executor,
    keepAlive,
    localAddresses: opts.localAddresses?.length ?? 0,
    startedAt,
    elapsedMs: elapsed(),
    aborted,
    ...(opts.scenario === undefined ? {} : { scenario: opts.scenario }),
    ...(opts.expectedPods === undefined ? {} : { expectedPods: opts.expectedPods }),
  });
  return report;

  async function execute(): Promise<void> {
    if (executor.kind === "constant-vus") {
      const { durationMs } = executor;
      await Promise.all(
        Array.from({ length: executor.vus }, async () => {
          const vu = newVu();
          while (!stopped && elapsed() < durationMs) await iterate(vu);
        }),
      );
    } else if (executor.kind === "per-vu-iterations") {
      const maxMs = executor.maxDurationMs ?? Infinity;
      await Promise.all(
        Array.from({ length: executor.vus }, async () => {
          const vu = newVu();
          for (let i = 0; i < executor.iterations && !stopped && elapsed() < maxMs; i++) await iterate(vu);
        }),
      );
    } else {
      await arrivals(executor.rate, executor.durationMs, executor.maxInFlight);
    }
  }

  /** k6's constant-arrival-rate: iteration i starts at i/rate seconds, on a free VU or is dropped. */
  async function arrivals(rate: number, durationMs: number, maxInFlight: number): Promise<void> {
    const total = Math.floor((rate * durationMs) / 1000);
    const idle: Vu[] = [];
    const running = new Set<Promise<void>>();
    let started = 0;
    const startOne = () => {
      const vu = idle.pop() ?? (vus.length < maxInFlight ? newVu() : undefined);
      if (!vu) {
        rec.dropped++;
        return;
      }
      const p: Promise<void> = iterate(vu).then(() => {
        running.delete(p);
        idle.push(vu);
      });
      running.add(p);
    };
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const tick = () => {
        if (stopped) return resolve();
        const now = elapsed();
        const due = Math.min(total, Math.floor((now * rate) / 1000) + 1);
        while (started < due && !stopped) {
          started++;
          startOne();
        }
        if (started >= total || stopped) return resolve();
        timer = setTimeout(tick, Math.max(0, (started * 1000) / rate - now));
      };
      onStop.push(() => {
        clearTimeout(timer);
        resolve();
      });
      tick();
    });
    // k6's gracefulStop: iterations already started run to completion (bounded by the timeout).
    while (running.size > 0) await Promise.all(running);
  }
}

/** Waits for p, but no longer than ms. */
async function boundedWait(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
