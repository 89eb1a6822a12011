/**
 * One container of a pod, across its restarts: each instance runs the emulated app chosen by
 * the image, on sockets the runtime binds where the fabric says and publishes; probes run
 * against those sockets; a failed liveness or startup probe, or the exit-after knob, ends the
 * instance, and the restart policy with CrashLoopBackOff decides when the next one starts.
 *
 * Stopping follows the kubelet's killContainer: the Killing event, preStop (exec `sleep N`,
 * the sleep action, or httpGet) within the grace period, then SIGTERM semantics from the
 * shutdown knob (stop at once, or keep serving until the grace period is over, at least 2 s
 * after preStop), then the instance is gone with the exit-code knob as its exit code.
 *
 * Limitations vs Kubernetes: images are never pulled (always "already present"); an exec probe
 * or hook runs no command: probes ask the knobs, hooks only understand `sleep N`; postStart is
 * ignored; a container whose spec changes is not restarted; httpGet probes ignore host and
 * scheme (always plain HTTP to the pod IP).
 */
import { createHash, randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "@kemu/common";
import type { ApiClient, KObject } from "@kemu/controllers";
import type { Fabric, Protocol } from "@kemu/fabric";
import { appForImage, type AppEntry } from "./apps/registry.ts";
import type { AppContext, HealthVerdict, RunningApp } from "./apps/types.ts";
import { PROBE_HEADER } from "./apps/serve.ts";
import { goDuration, type Backoff } from "./backoff.ts";
import { sleep, type Clock, type ClockTimer } from "./clock.ts";
import { DialError, dialPod, httpOverSocket } from "./dial.ts";
import { formatPod, Reason, type KubeletEvents } from "./events.ts";
import { DEFAULT_KNOBS, KnobError, parseKnobs, type Knobs } from "./knobs.ts";
import { LogBuffer } from "./logbuffer.ts";
import { normalizeProbe, ProbeWorker, type ProbeKind, type ProbeOutcome, type ProbeSpec } from "./prober.ts";
import { readClientAddress } from "./proxyproto.ts";
import type { ContainerView } from "./status.ts";

/** The kubelet's version, as probes announce it in User-Agent. */
export const KUBE_PROBE_AGENT = "kube-probe/1.32";
/** The runtime's scheme in container IDs. */
export const RUNTIME_SCHEME = "kemu";
/** kubelet's minimumGracePeriodInSeconds: SIGTERM always gets at least this long after preStop. */
const MIN_GRACE_MS = 2000;

/** What a container needs from its pod. */
export interface PodHandle {
  readonly uid: string;
  readonly nodeName: string;
  readonly hostIP: string;
  /** The pod as last seen. */
  pod(): KObject;
  /** The pod IP (valid once the sandbox exists). */
  ip(): string;
  /** Where the node's own connections (probes, hooks) come from: the bridge gateway 10.244.N.1. */
  gateway(): string;
  /** The pod is being deleted: no more restarts. */
  terminating(): boolean;
  /** Something in the container's status changed. */
  changed(): void;
  /** Takes a pod-wide port (two containers cannot both listen on it); false if taken. */
  claimPort(port: number, proto: Protocol, owner: string): boolean;
  releasePort(port: number, proto: Protocol, owner: string): void;
}

/** Shared runtime dependencies. */
export interface RuntimeDeps {
  fabric: Fabric;
  api: ApiClient;
  clock: Clock;
  log: Logger;
  events: KubeletEvents;
  backoff: Backoff;
  logLines: number;
  apps: readonly AppEntry[];
}

/** Normalises an image reference as containerd reports it: "nginx" → "docker.io/library/nginx:latest". */
export function normalizeImage(image: string): string {
  let ref = image;
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  if (!(first.includes(".") || first.includes(":") || first === "localhost"))
    ref = slash < 0 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
  const last = ref.slice(ref.lastIndexOf("/") + 1);
  if (!last.includes(":") && !ref.includes("@")) ref += ":latest";
  return ref;
}

/** A stable image ID: "docker.io/library/nginx@sha256:<digest of the reference>". */
export function imageID(image: string): string {
  const norm = normalizeImage(image);
  if (norm.includes("@")) return norm;
  const repo = norm.slice(0, norm.lastIndexOf(":"));
  return `${repo}@sha256:${createHash("sha256").update(norm).digest("hex")}`;
}

/** A Go-style RFC 3339 timestamp, to the second. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

/** Why an instance ended. */
type ExitCause = "exit" | "liveness" | "startup" | "delete" | "crash";

interface Instance {
  id: string;
  startedAt: number;
  abort: AbortController;
  servers: Server[];
  sockets: Set<Socket>;
  udp: UdpSocket[];
  ports: { port: number; proto: Protocol }[];
  listeningAt: number | undefined;
  app: RunningApp | undefined;
  probers: Map<ProbeKind, ProbeWorker>;
  readiness: "success" | "failure" | "unknown";
  startupDone: boolean;
  timers: ClockTimer[];
  stopping: Promise<void> | undefined;
  logs: LogBuffer;
  /** Publications to the fabric, in order: unpublishing waits for them. */
  fabricOps: Promise<void>;
}

/** One container of a pod. */
export class Container {
  readonly name: string;
  readonly spec: KObject;
  readonly #pod: PodHandle;
  readonly #d: RuntimeDeps;
  readonly #log: Logger;
  #knobs: Knobs = DEFAULT_KNOBS;
  #knobError: string | undefined;
  #restartCount = 0;
  #state: KObject = { waiting: { reason: "ContainerCreating" } };
  #lastState: KObject = {};
  #containerID: string | undefined;
  #instance: Instance | undefined;
  #restartTimer: ClockTimer | undefined;
  /** Logs by container ID: the current instance and the ones state/lastState still name. */
  readonly #logs = new Map<string, LogBuffer>();
  #gone = false;

  constructor(
    spec: KObject,
    pod: PodHandle,
    deps: RuntimeDeps,
    restored?: { restartCount: number; lastState: KObject },
  ) {
    this.name = String(spec["name"]);
    this.spec = spec;
    this.#pod = pod;
    this.#d = deps;
    this.#log = deps.log.child(this.name);
    if (restored) {
      this.#restartCount = restored.restartCount;
      this.#lastState = restored.lastState;
    }
    this.refreshKnobs();
  }

  /** The knobs now. */
  get knobs(): Knobs {
    return this.#knobs;
  }

  /** Re-reads the knobs (annotations changed); a bad value keeps the old ones and is reported. */
  refreshKnobs(): void {
    try {
      this.#knobs = parseKnobs(this.#pod.pod(), this.spec);
      const wasBad = this.#knobError !== undefined;
      this.#knobError = undefined;
      if (
        wasBad &&
        this.#state["waiting"]?.["reason"] === "CreateContainerConfigError" &&
        !this.#pod.terminating()
      )
        this.start();
    } catch (err) {
      if (!(err instanceof KnobError)) throw err;
      if (this.#knobError !== err.message) this.#event("Warning", Reason.Failed, `Error: ${err.message}`);
      this.#knobError = err.message;
    }
  }

  /** The status view. */
  view(): ContainerView {
    const inst = this.#instance;
    const running = this.#state["running"] !== undefined;
    const started = running && inst !== undefined && inst.startupDone;
    const hasReadiness = this.#probe("readiness") !== undefined;
    const ready = started && (!hasReadiness || inst!.readiness === "success");
    return {
      name: this.name,
      image: normalizeImage(String(this.spec["image"])),
      imageID: this.#containerID ? imageID(String(this.spec["image"])) : "",
      containerID: this.#containerID ? `${RUNTIME_SCHEME}://${this.#containerID}` : undefined,
      state: this.#state,
      lastState: this.#lastState,
      ready,
      started,
      restartCount: this.#restartCount,
    };
  }

  /** Whether an instance is running (or stopping). */
  get running(): boolean {
    return this.#instance !== undefined;
  }

  #probe(kind: ProbeKind): ProbeSpec | undefined {
    return normalizeProbe(this.spec[`${kind}Probe`]);
  }

  #event(type: "Normal" | "Warning", reason: string, message: string): void {
    this.#d.events.pod(this.#pod.pod(), this.name, type, reason, message);
  }

  /** Starts a new instance (the first, or a restart). */
  start(): void {
    if (this.#gone || this.#instance || this.#pod.terminating()) return;
    this.#d.clock.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    if (this.#knobError !== undefined) {
      this.#state = { waiting: { reason: "CreateContainerConfigError", message: this.#knobError } };
      this.#pod.changed();
      return;
    }
    const image = String(this.spec["image"]);
    this.#event("Normal", Reason.Pulled, `Container image "${image}" already present on machine`);
    const id = randomBytes(32).toString("hex");
    const now = this.#d.clock.now();
    const logs = new LogBuffer(this.#d.logLines, () => this.#d.clock.now());
    const inst: Instance = {
      id,
      startedAt: now,
      abort: new AbortController(),
      servers: [],
      sockets: new Set(),
      udp: [],
      ports: [],
      listeningAt: undefined,
      app: undefined,
      probers: new Map(),
      readiness: "failure",
      startupDone: this.#probe("startup") === undefined,
      timers: [],
      stopping: undefined,
      logs,
      fabricOps: Promise.resolve(),
    };
    this.#instance = inst;
    this.#containerID = id;
    this.#logs.set(id, logs);
    this.#trimLogs();
    this.#event("Normal", Reason.Created, `Created container: ${this.name}`);
    this.#state = { running: { startedAt: rfc3339(now) } };
    this.#event("Normal", Reason.Started, `Started container ${this.name}`);
    this.#pod.changed();
    const knobs = this.#knobs;
    // An app with a start-up delay is probed from its start, as a slow app is; a fast one is
    // listening by its first probe (the kubelet's first probe runs when the container starts,
    // which for an emulated app is before its sockets are bound).
    if (knobs.startupDelayMs > 0) this.#startProbers(inst);
    if (knobs.exitAfterMs !== undefined) {
      inst.timers.push(this.#d.clock.setTimeout(() => void this.#selfExit(inst), knobs.exitAfterMs));
    }
    void this.#startApp(inst, knobs.startupDelayMs);
  }

  async #startApp(inst: Instance, delayMs: number): Promise<void> {
    try {
      if (delayMs > 0) await sleep(this.#d.clock, delayMs, inst.abort.signal);
      if (inst.abort.signal.aborted) return;
      const app = appForImage(String(this.spec["image"]), this.#d.apps);
      inst.app = (await app.start(this.#context(inst))) ?? undefined;
      if (inst.abort.signal.aborted) return;
      inst.listeningAt = this.#d.clock.now();
      if (inst.probers.size === 0) this.#startProbers(inst);
      this.#log.debug("app listening", { app: app.name, ports: inst.ports });
    } catch (err) {
      if (inst.abort.signal.aborted) return;
      const message = err instanceof Error ? err.message : String(err);
      inst.logs.write(message);
      this.#log.warn("app failed to start", { err: message });
      await this.#stopInstance(inst, { exitCode: 1, reason: "Error", message }, "crash");
    }
  }

  #tcpPorts(): number[] {
    const ports = new Set<number>();
    for (const p of (this.spec["ports"] ?? []) as KObject[])
      if ((p["protocol"] ?? "TCP") === "TCP") ports.add(Number(p["containerPort"]));
    for (const kind of ["readiness", "liveness", "startup"] as const) {
      const h = this.#probe(kind)?.handler;
      if (h && (h.type === "httpGet" || h.type === "tcpSocket")) {
        const n = this.#resolvePort(h.port);
        if (n !== undefined) ports.add(n);
      }
    }
    const hook = this.spec["lifecycle"]?.["preStop"]?.["httpGet"];
    if (hook) {
      const n = this.#resolvePort(hook["port"]);
      if (n !== undefined) ports.add(n);
    }
    return [...ports].filter((p) => Number.isInteger(p) && p > 0).sort((a, b) => a - b);
  }

  #resolvePort(port: number | string | undefined): number | undefined {
    if (typeof port === "number") return port;
    if (typeof port !== "string") return undefined;
    const p = ((this.spec["ports"] ?? []) as KObject[]).find((x) => x["name"] === port);
    return p ? Number(p["containerPort"]) : undefined;
  }

  #context(inst: Instance): AppContext {
    const pod = this.#pod;
    const d = this.#d;
    const md = pod.pod()["metadata"];
    const portsSpec = ((this.spec["ports"] ?? []) as KObject[]).map((p) => ({
      name: p["name"] as string | undefined,
      containerPort: Number(p["containerPort"]),
      protocol: (p["protocol"] ?? "TCP") as "TCP" | "UDP" | "SCTP",
    }));
    const owner = `${this.name}/${inst.id}`;
    const claim = (port: number, proto: Protocol) => {
      if (!pod.claimPort(port, proto, owner))
        throw new Error(`listen ${proto.toLowerCase()} :${port}: bind: address already in use`);
    };
    // A socket bound after the container stopped is closed by #stopInstance's sweep, never published.
    const publish = (port: number, proto: Protocol, bound: { host: string; port: number }) => {
      if (inst.abort.signal.aborted) throw new Error("container stopped");
      inst.ports.push({ port, proto });
      const op = inst.fabricOps.then(() =>
        d.fabric.publishPodPort(pod.nodeName, pod.ip(), port, proto, bound),
      );
      inst.fabricOps = op.catch(() => {});
      return op;
    };
    return {
      pod: {
        namespace: md["namespace"],
        name: md["name"],
        uid: md["uid"],
        ip: pod.ip(),
        nodeName: pod.nodeName,
        hostIP: pod.hostIP,
      },
      container: {
        name: this.name,
        image: String(this.spec["image"]),
        id: inst.id,
        ports: portsSpec,
        tcpPorts: this.#tcpPorts(),
        udpPorts: portsSpec.filter((p) => p.protocol === "UDP").map((p) => p.containerPort),
        spec: this.spec,
      },
      knobs: () => this.#knobs,
      health: (kind) => this.#health(inst, kind),
      stdout: (line) => inst.logs.write(line),
      log: this.#log,
      clock: d.clock,
      api: d.api,
      listenTcp: async (port, onConnection) => {
        if (inst.abort.signal.aborted) throw new Error("container stopped");
        claim(port, "TCP");
        const ip = pod.ip();
        const at = d.fabric.podListenAddress(ip, port, "TCP");
        const server = createServer((socket) => {
          inst.sockets.add(socket);
          socket.once("close", () => inst.sockets.delete(socket));
          socket.on("error", () => {});
          void readClientAddress(socket).then((client) => {
            if (client && !socket.destroyed) onConnection(socket, client);
          });
        });
        inst.servers.push(server);
        const bound = await new Promise<{ host: string; port: number }>((resolve, reject) => {
          server.once("error", reject);
          server.listen(at.port, at.host, () => {
            const a = server.address();
            if (a && typeof a === "object") resolve({ host: at.host, port: a.port });
            else reject(new Error("no address"));
          });
        });
        if (inst.abort.signal.aborted) {
          server.close();
          throw new Error("container stopped");
        }
        await publish(port, "TCP", bound);
      },
      listenUdp: async (port, onDatagram) => {
        if (inst.abort.signal.aborted) throw new Error("container stopped");
        claim(port, "UDP");
        const ip = pod.ip();
        const at = d.fabric.podListenAddress(ip, port, "UDP");
        const sock = createSocket("udp4");
        inst.udp.push(sock);
        sock.on("message", (data, rinfo) =>
          onDatagram({
            data,
            from: { ip: rinfo.address, port: rinfo.port },
            reply: (out) => {
              if (!inst.abort.signal.aborted) sock.send(out, rinfo.port, rinfo.address);
            },
          }),
        );
        sock.on("error", (err) => this.#log.debug("udp socket error", { err: String(err) }));
        const bound = await new Promise<{ host: string; port: number }>((resolve, reject) => {
          sock.once("error", reject);
          sock.bind(at.port, at.host, () => resolve({ host: at.host, port: sock.address().port }));
        });
        if (inst.abort.signal.aborted) {
          sock.close();
          throw new Error("container stopped");
        }
        await publish(port, "UDP", bound);
      },
    };
  }

  /** The app's health for a probe, as the knobs decide it. */
  #health(inst: Instance, kind: ProbeKind): HealthVerdict {
    const k = this.#knobs;
    const now = this.#d.clock.now();
    if (kind === "liveness") {
      if (k.failLivenessAfterMs !== undefined && now >= inst.startedAt + k.failLivenessAfterMs)
        return { ok: false, message: "kemu: unhealthy (fail-liveness-after knob)" };
      return { ok: true, message: "" };
    }
    if (inst.listeningAt === undefined) return { ok: false, message: "kemu: the app is still starting" };
    if (kind === "readiness") {
      if (k.failReadiness) return { ok: false, message: "kemu: not ready (fail-readiness knob)" };
      if (now < inst.listeningAt + k.readinessDelayMs)
        return { ok: false, message: "kemu: not ready yet (readiness-delay knob)" };
    }
    return { ok: true, message: "" };
  }

  #startProbers(inst: Instance): void {
    for (const kind of ["startup", "readiness", "liveness"] as const) {
      const spec = this.#probe(kind);
      if (!spec) continue;
      const w = new ProbeWorker({
        kind,
        spec,
        clock: this.#d.clock,
        target: { startedAt: inst.startedAt, started: () => inst.startupDone },
        run: (timeoutMs) => this.#runProbe(inst, kind, spec, timeoutMs),
        onAttemptFailed: (message) => {
          const label = kind[0]!.toUpperCase() + kind.slice(1);
          this.#event("Warning", Reason.Unhealthy, `${label} probe failed: ${message}`);
        },
        onResult: (result) => this.#onProbeResult(inst, kind, result),
      });
      inst.probers.set(kind, w);
      w.start();
    }
  }

  #onProbeResult(inst: Instance, kind: ProbeKind, result: "success" | "failure" | "unknown"): void {
    if (this.#instance !== inst) return;
    if (kind === "readiness") {
      inst.readiness = result;
      this.#pod.changed();
    } else if (kind === "startup" && result === "success") {
      inst.startupDone = true;
      this.#pod.changed();
    } else if ((kind === "liveness" || kind === "startup") && result === "failure" && !inst.stopping) {
      const restart = (this.#pod.pod()["spec"]?.["restartPolicy"] ?? "Always") !== "Never";
      const spec = this.#probe(kind)!;
      const grace =
        spec.terminationGracePeriodSeconds ??
        this.#pod.pod()["spec"]?.["terminationGracePeriodSeconds"] ??
        30;
      const message = `Container ${this.name} failed ${kind} probe${restart ? ", will be restarted" : ""}`;
      void this.kill({ graceMs: grace * 1000, message, cause: kind });
    }
  }

  async #runProbe(
    inst: Instance,
    kind: ProbeKind,
    spec: ProbeSpec,
    timeoutMs: number,
  ): Promise<ProbeOutcome> {
    const h = spec.handler;
    const ip = this.#pod.ip();
    const src = { ip: this.#pod.gateway() };
    if (h.type === "exec") {
      const v = this.#health(inst, kind);
      return v.ok ? { result: "success", message: "" } : { result: "failure", message: v.message };
    }
    if (h.type === "grpc") return { result: "failure", message: "kemu: gRPC probes are not emulated" };
    const port = this.#resolvePort(h.port);
    if (port === undefined) return { result: "unknown", message: `couldn't find port: ${h.port}` };
    if (h.type === "tcpSocket") {
      try {
        const s = await dialPod(this.#d.fabric, ip, port, undefined, timeoutMs);
        s.destroy();
      } catch (err) {
        return { result: "failure", message: err instanceof DialError ? err.message : String(err) };
      }
      const v = this.#health(inst, kind);
      return v.ok
        ? { result: "success", message: "" }
        : { result: "failure", message: `dial tcp ${ip}:${port}: i/o timeout` };
    }
    const url = new URL(`http://${ip}:${port}${h.path.startsWith("/") ? "" : "/"}${h.path}`);
    const headers: Record<string, string> = {
      Host: `${ip}:${port}`,
      "User-Agent": KUBE_PROBE_AGENT,
      Accept: "*/*",
      Connection: "close",
      [PROBE_HEADER]: kind,
    };
    for (const x of h.headers) headers[x.name] = x.value;
    const started = this.#d.clock.now();
    try {
      const s = await dialPod(this.#d.fabric, ip, port, src, timeoutMs);
      const left = Math.max(1, timeoutMs - (this.#d.clock.now() - started));
      const res = await httpOverSocket(s, { method: "GET", url, headers, timeoutMs: left });
      if (res.status >= 200 && res.status < 400) return { result: "success", message: "" };
      return { result: "failure", message: `HTTP probe failed with statuscode: ${res.status}` };
    } catch (err) {
      if (err instanceof DialError && err.message.startsWith("dial "))
        return { result: "failure", message: `Get "${url.href}": ${err.message}` };
      return { result: "failure", message: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Runs the preStop hook within the time left; reports failures as FailedPreStopHook. */
  async #preStop(inst: Instance, deadline: number): Promise<void> {
    const hook = this.spec["lifecycle"]?.["preStop"] as KObject | undefined;
    if (!hook) return;
    const left = deadline - this.#d.clock.now();
    if (left <= 0) return;
    let sleepMs: number | undefined;
    if (hook["sleep"]) sleepMs = Number(hook["sleep"]["seconds"] ?? 0) * 1000;
    else if (hook["exec"]) sleepMs = sleepOf((hook["exec"]["command"] ?? []).map(String));
    if (sleepMs !== undefined) {
      await sleep(this.#d.clock, Math.min(sleepMs, left), inst.abort.signal).catch(() => {});
      return;
    }
    const h = hook["httpGet"];
    if (!h) return;
    const port = this.#resolvePort(h["port"]);
    const ip = this.#pod.ip();
    const path = String(h["path"] || "/");
    try {
      if (port === undefined) throw new Error(`couldn't find port: ${h["port"]}`);
      const s = await dialPod(this.#d.fabric, ip, port, { ip: this.#pod.gateway() }, left);
      const headers: Record<string, string> = { Host: `${ip}:${port}`, "User-Agent": "kube-lifecycle/1.32" };
      for (const x of (h["httpHeaders"] ?? []) as KObject[]) headers[String(x["name"])] = String(x["value"]);
      const url = new URL(`http://${ip}:${port}${path.startsWith("/") ? "" : "/"}${path}`);
      const res = await httpOverSocket(s, { method: "GET", url, headers, timeoutMs: Math.max(1, left) });
      if (res.status >= 400) throw new Error(`HTTP lifecycle hook (${path}) returned status ${res.status}`);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.#event(
        "Warning",
        Reason.FailedPreStopHook,
        `PreStopHook failed: HTTP lifecycle hook (${path}) for Container "${this.name}" in Pod "${formatPod(this.#pod.pod())}" failed - error: ${msg}`,
      );
    }
  }

  /**
   * Stops the running instance as the kubelet's killContainer does. Resolves once it is gone.
   * A waiting container (back-off) just stops waiting.
   */
  kill(opts: { graceMs: number; message?: string; cause: "delete" | "liveness" | "startup" }): Promise<void> {
    this.#d.clock.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const inst = this.#instance;
    if (!inst) return Promise.resolve();
    if (inst.stopping) return inst.stopping;
    inst.stopping = (async () => {
      this.#event("Normal", Reason.Killing, opts.message ?? `Stopping container ${this.name}`);
      // Liveness and startup probes stop; readiness keeps probing until the container is gone.
      for (const kind of ["liveness", "startup"] as const) inst.probers.get(kind)?.stop();
      const deadline = this.#d.clock.now() + opts.graceMs;
      await this.#preStop(inst, deadline);
      const remaining = opts.graceMs <= 0 ? 0 : Math.max(deadline - this.#d.clock.now(), MIN_GRACE_MS);
      const mode = remaining === 0 ? "immediate" : this.#knobs.shutdown;
      try {
        inst.app?.terminating?.(mode, remaining);
      } catch (err) {
        this.#log.debug("terminating hook failed", { err: String(err) });
      }
      if (mode === "drain") {
        // A well-behaved server keeps serving until the grace period is over.
        await sleep(this.#d.clock, remaining, inst.abort.signal).catch(() => {});
      }
      const exitCode = this.#knobs.exitCode;
      await this.#stopInstance(
        inst,
        { exitCode, reason: exitCode === 0 ? "Completed" : "Error" },
        opts.cause,
      );
    })();
    return inst.stopping;
  }

  /** Stops everything at once (the pod object is gone, or the kubelet stops). */
  async forceStop(): Promise<void> {
    this.#gone = true;
    this.#d.clock.clearTimeout(this.#restartTimer);
    const inst = this.#instance;
    if (inst) await this.#stopInstance(inst, { exitCode: 137, reason: "Error" }, "delete");
  }

  async #selfExit(inst: Instance): Promise<void> {
    if (this.#instance !== inst || inst.stopping) return;
    const exitCode = this.#knobs.exitCode;
    inst.stopping = this.#stopInstance(
      inst,
      { exitCode, reason: exitCode === 0 ? "Completed" : "Error" },
      "exit",
    );
    await inst.stopping;
  }

  /** Ends an instance: sockets closed, ports unpublished, status terminated; then maybe a restart. */
  async #stopInstance(
    inst: Instance,
    how: { exitCode: number; reason: string; message?: string },
    cause: ExitCause,
  ): Promise<void> {
    if (this.#instance !== inst) return;
    inst.abort.abort(new Error("container stopped"));
    this.#instance = undefined;
    for (const w of inst.probers.values()) w.stop();
    for (const t of inst.timers) this.#d.clock.clearTimeout(t);
    const closeAll = () => {
      for (const s of inst.servers) if (s.listening) s.close();
      for (const s of inst.sockets) s.destroy();
      for (const u of inst.udp) {
        try {
          u.close();
        } catch {
          // already closed
        }
      }
    };
    closeAll();
    await inst.fabricOps;
    // Anything that finished binding meanwhile is closed too.
    closeAll();
    const ip = this.#pod.ip();
    const owner = `${this.name}/${inst.id}`;
    for (const p of inst.ports) {
      this.#pod.releasePort(p.port, p.proto, owner);
      await this.#d.fabric
        .unpublishPodPort(ip, p.port, p.proto)
        .catch((err) => this.#log.warn("unpublish failed", { port: p.port, err: String(err) }));
    }
    inst.logs.close();
    const term: Terminated = {
      exitCode: how.exitCode,
      reason: how.reason,
      ...(how.message ? { message: how.message } : {}),
      startedAt: rfc3339(inst.startedAt),
      finishedAt: rfc3339(this.#d.clock.now()),
      containerID: `${RUNTIME_SCHEME}://${inst.id}`,
    };
    const previousExit: string | undefined = this.#lastState["terminated"]?.["finishedAt"];
    const policy = this.#pod.pod()["spec"]?.["restartPolicy"] ?? "Always";
    const probeKill = cause === "liveness" || cause === "startup";
    const restart =
      !this.#gone &&
      !this.#pod.terminating() &&
      cause !== "delete" &&
      (policy === "Always" || (policy === "OnFailure" && (how.exitCode !== 0 || probeKill)));
    if (!restart) {
      this.#state = { terminated: term };
      this.#trimLogs();
      this.#pod.changed();
      return;
    }
    this.#lastState = { terminated: term };
    // The kubelet restarts a container killed by a probe in the same sync, measuring back-off
    // from the exit before; a container that exited by itself is measured from this exit.
    const ref = probeKill ? (previousExit ? Date.parse(previousExit) : undefined) : this.#d.clock.now();
    this.#restart(ref);
  }

  #backoffKey(): string {
    return `${this.#pod.uid}/${this.name}`;
  }

  /** Restarts now, or waits out CrashLoopBackOff first. */
  #restart(ref: number | undefined): void {
    if (this.#gone || this.#pod.terminating()) return;
    const key = this.#backoffKey();
    const backoff = this.#d.backoff;
    if (ref !== undefined && backoff.isInBackOffSince(key, ref)) {
      const delay = backoff.get(key);
      const podName = formatPod(this.#pod.pod());
      this.#state = {
        waiting: {
          reason: "CrashLoopBackOff",
          message: `back-off ${goDuration(delay)} restarting failed container=${this.name} pod=${podName}`,
        },
      };
      this.#event(
        "Warning",
        Reason.BackOff,
        `Back-off restarting failed container ${this.name} in pod ${podName}`,
      );
      this.#trimLogs();
      this.#pod.changed();
      const wait = Math.max(0, ref + delay - this.#d.clock.now());
      this.#restartTimer = this.#d.clock.setTimeout(() => {
        this.#restartTimer = undefined;
        const last = this.#lastState["terminated"]?.["finishedAt"];
        this.#restart(last ? Math.max(Date.parse(last), ref) : ref);
      }, wait);
      return;
    }
    if (ref !== undefined) backoff.next(key, ref);
    this.#restartCount++;
    this.start();
  }

  /** Keeps the logs of the instances the status still names (for logs and logs --previous). */
  #trimLogs(): void {
    const keep = new Set<string>();
    if (this.#instance) keep.add(this.#instance.id);
    for (const s of [this.#state["terminated"], this.#lastState["terminated"]]) {
      const id = String(s?.["containerID"] ?? "").replace(`${RUNTIME_SCHEME}://`, "");
      if (id) keep.add(id);
    }
    for (const id of [...this.#logs.keys()]) if (!keep.has(id)) this.#logs.delete(id);
  }

  /**
   * The log to read, chosen as the kubelet's validateContainerLogStatus does; an Error with the
   * kubelet's message when there is none.
   */
  logFor(previous: boolean, podName: string): LogBuffer {
    const byStatus = (s: KObject | undefined) => {
      const id = String(s?.["containerID"] ?? "").replace(`${RUNTIME_SCHEME}://`, "");
      return id ? this.#logs.get(id) : undefined;
    };
    const state = this.#state;
    const last = this.#lastState["terminated"] as KObject | undefined;
    if (previous) {
      const l = byStatus(last);
      if (!l) throw new Error(`previous terminated container "${this.name}" in pod "${podName}" not found`);
      return l;
    }
    if (state["running"] && this.#containerID) {
      const l = this.#logs.get(this.#containerID);
      if (l) return l;
    }
    if (state["terminated"]) {
      const l = byStatus(state["terminated"]) ?? byStatus(last);
      if (!l) throw new Error(`container "${this.name}" in pod "${podName}" is terminated`);
      return l;
    }
    if (last) {
      const l = byStatus(last);
      if (l) return l;
    }
    const reason = state["waiting"]?.["reason"];
    if (reason)
      throw new Error(`container "${this.name}" in pod "${podName}" is waiting to start: ${reason}`);
    throw new Error(`container "${this.name}" in pod "${podName}" is waiting to start - no logs yet`);
  }

  /** Where podIP:port of this container really listens, for tests and `kemu` tools. */
  get ports(): readonly { port: number; proto: Protocol }[] {
    return this.#instance?.ports ?? [];
  }
}

/** The sleep a preStop exec command asks for: ["sleep","5"] or ["sh","-c","sleep 5"]; undefined otherwise. */
export function sleepOf(command: string[]): number | undefined {
  const text = command[0] === "sleep" ? command.join(" ") : (command.at(-1) ?? "");
  const m = /(?:^|[\s;&|])sleep\s+(\d+(?:\.\d+)?)(?:\s*$|[\s;&|])/.exec(text);
  return m ? Number(m[1]) * 1000 : command.length > 0 ? 0 : undefined;
}
