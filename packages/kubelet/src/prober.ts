/**
 * Probe workers, as the kubelet's prober runs them: one worker per container instance and
 * probe type, probing every periodSeconds from the container's start. Nothing is probed before
 * initialDelaySeconds; readiness and liveness wait for the startup probe to succeed, and the
 * startup probe stops once it has. A result changes only after successThreshold successes or
 * failureThreshold failures in a row. A liveness or startup failure puts the worker on hold (the
 * container will be restarted, with new workers). Initial results: readiness Failure, liveness
 * Success, startup Unknown.
 *
 * The worker only decides when to probe and what the result is; running the probe (HTTP, TCP,
 * exec) is injected, so the logic is tested with a ManualClock.
 *
 * Limitations vs Kubernetes: no random start-up jitter after a kubelet restart; gRPC probes are
 * reported as failures ("gRPC probes are not emulated").
 */
import type { KObject } from "@kemu/controllers";
import type { Clock, ClockTimer } from "./clock.ts";

/** The three probe types. */
export type ProbeKind = "readiness" | "liveness" | "startup";

/** How a probe checks. */
export type ProbeHandler =
  | {
      type: "httpGet";
      port: number | string;
      path: string;
      host: string | undefined;
      scheme: string;
      headers: { name: string; value: string }[];
    }
  | { type: "tcpSocket"; port: number | string; host: string | undefined }
  | { type: "exec"; command: string[] }
  | { type: "grpc"; port: number; service: string | undefined };

/** A probe with the API's defaults applied. */
export interface ProbeSpec {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  terminationGracePeriodSeconds: number | undefined;
}

/** Reads a core/v1 Probe, filling in the API's defaults. */
export function normalizeProbe(p: KObject | undefined): ProbeSpec | undefined {
  if (!p) return undefined;
  let handler: ProbeHandler;
  if (p["httpGet"]) {
    const h = p["httpGet"];
    handler = {
      type: "httpGet",
      port: h["port"],
      path: h["path"] || "/",
      host: h["host"] || undefined,
      scheme: h["scheme"] || "HTTP",
      headers: (h["httpHeaders"] ?? []).map((x: KObject) => ({
        name: String(x["name"]),
        value: String(x["value"]),
      })),
    };
  } else if (p["tcpSocket"]) {
    handler = { type: "tcpSocket", port: p["tcpSocket"]["port"], host: p["tcpSocket"]["host"] || undefined };
  } else if (p["exec"]) {
    handler = { type: "exec", command: (p["exec"]["command"] ?? []).map(String) };
  } else if (p["grpc"]) {
    handler = { type: "grpc", port: Number(p["grpc"]["port"]), service: p["grpc"]["service"] ?? undefined };
  } else return undefined;
  const num = (v: unknown, def: number) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : def);
  return {
    handler,
    initialDelaySeconds: typeof p["initialDelaySeconds"] === "number" ? p["initialDelaySeconds"] : 0,
    periodSeconds: num(p["periodSeconds"], 10),
    timeoutSeconds: num(p["timeoutSeconds"], 1),
    successThreshold: num(p["successThreshold"], 1),
    failureThreshold: num(p["failureThreshold"], 3),
    terminationGracePeriodSeconds:
      typeof p["terminationGracePeriodSeconds"] === "number" ? p["terminationGracePeriodSeconds"] : undefined,
  };
}

/** The outcome of one probe run. */
export interface ProbeOutcome {
  result: "success" | "failure" | "unknown";
  /** Why it failed, as the kubelet words it ("HTTP probe failed with statuscode: 503"). */
  message: string;
}

/** A probe result as the container sees it. */
export type ProbeResult = "success" | "failure" | "unknown";

/** What the worker needs to know about its container instance. */
export interface ProbeTarget {
  /** When the container instance started running (ms since the epoch). */
  startedAt: number;
  /** Whether the startup probe (if any) has succeeded. */
  started(): boolean;
}

/** Options of a ProbeWorker. */
export interface ProbeWorkerOptions {
  kind: ProbeKind;
  spec: ProbeSpec;
  clock: Clock;
  target: ProbeTarget;
  /** Runs the probe once; must settle within timeoutMs. */
  run(timeoutMs: number): Promise<ProbeOutcome>;
  /** Each failed attempt (for the Unhealthy event), whether or not it crosses the threshold. */
  onAttemptFailed(message: string): void;
  /** The result changed. */
  onResult(result: ProbeResult, message: string): void;
}

/** The initial result of each probe type. */
export const INITIAL_RESULT: Record<ProbeKind, ProbeResult> = {
  readiness: "failure",
  liveness: "success",
  startup: "unknown",
};

/** Probes one container instance periodically. */
export class ProbeWorker {
  readonly kind: ProbeKind;
  readonly #o: ProbeWorkerOptions;
  #result: ProbeResult;
  #lastResult: ProbeResult | undefined;
  #run = 0;
  #timer: ClockTimer | undefined;
  #stopped = false;
  #onHold = false;

  constructor(o: ProbeWorkerOptions) {
    this.#o = o;
    this.kind = o.kind;
    this.#result = INITIAL_RESULT[o.kind];
  }

  /** The current result. */
  get result(): ProbeResult {
    return this.#result;
  }

  /** Probes at once, then every periodSeconds. */
  start(): void {
    this.#tick();
  }

  /** Stops probing. */
  stop(): void {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
  }

  #tick(): void {
    if (this.#stopped) return;
    const began = this.#o.clock.now();
    void this.#probeOnce().then(() => {
      if (this.#stopped) return;
      const next = began + this.#o.spec.periodSeconds * 1000 - this.#o.clock.now();
      this.#timer = this.#o.clock.setTimeout(() => this.#tick(), Math.max(0, next));
    });
  }

  async #probeOnce(): Promise<void> {
    const { spec, target, clock, kind } = this.#o;
    if (this.#onHold) return;
    if (clock.now() - target.startedAt < spec.initialDelaySeconds * 1000) return;
    if (target.started()) {
      if (kind === "startup") return;
    } else if (kind !== "startup") return;
    let out: ProbeOutcome;
    try {
      out = await this.#o.run(spec.timeoutSeconds * 1000);
    } catch (err) {
      // A prober error: the kubelet throws the result away.
      void err;
      return;
    }
    if (this.#stopped) return;
    if (out.result === "failure") this.#o.onAttemptFailed(out.message);
    if (this.#lastResult === out.result) this.#run++;
    else {
      this.#lastResult = out.result;
      this.#run = 1;
    }
    if (
      (out.result === "failure" && this.#run < spec.failureThreshold) ||
      (out.result === "success" && this.#run < spec.successThreshold)
    )
      return;
    if (out.result !== this.#result) {
      this.#result = out.result;
      this.#o.onResult(out.result, out.message);
    }
    if ((kind === "liveness" || kind === "startup") && out.result === "failure") {
      this.#onHold = true;
      this.#run = 0;
    }
  }
}
