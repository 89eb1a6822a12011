/**
 * Starts a real nats-server with JetStream (found on PATH) for local runs and tests: a file
 * store in a state directory, on a port the kernel picks. Restarting reuses the same port so
 * that connected clients reconnect by themselves.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@kemu/common";

/** Options for NatsServer. */
export interface NatsServerOptions {
  /** Directory for the JetStream file store (created if missing). */
  stateDir: string;
  /** Client port; 0 (default) lets the kernel pick one on first start. */
  port?: number;
  /** Listen address, default 127.0.0.1. */
  host?: string;
  /** Binary to run, default "nats-server" from PATH. */
  binary?: string;
  log: Logger;
  /** Milliseconds to wait for "Server is ready". */
  startTimeoutMs?: number;
}

/** A running (or stopped) nats-server child process. */
export class NatsServer {
  #opts: NatsServerOptions;
  #proc: ChildProcess | undefined;
  #port: number;

  constructor(opts: NatsServerOptions) {
    this.#opts = opts;
    this.#port = opts.port ?? 0;
  }

  /** The client URL, valid once started. */
  get url(): string {
    return `nats://${this.#opts.host ?? "127.0.0.1"}:${this.#port}`;
  }

  /** The client port, valid once started. */
  get port(): number {
    return this.#port;
  }

  /** The OS pid of the running server, if any. */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Starts the server and resolves once it accepts clients. */
  async start(): Promise<void> {
    if (this.#proc) throw new Error("nats-server already running");
    await mkdir(this.#opts.stateDir, { recursive: true });
    const args = [
      "-js",
      "-sd",
      join(this.#opts.stateDir),
      "-a",
      this.#opts.host ?? "127.0.0.1",
      "-p",
      this.#port === 0 ? "-1" : String(this.#port),
    ];
    const proc = spawn(this.#opts.binary ?? "nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
    this.#proc = proc;
    const log = this.#opts.log;
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(
        () =>
          fail(new Error(`nats-server did not become ready in ${this.#opts.startTimeoutMs ?? 15_000} ms`)),
        this.#opts.startTimeoutMs ?? 15_000,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        proc.kill("SIGKILL");
        this.#proc = undefined;
        reject(err);
      };
      proc.once("error", (err) =>
        fail(
          (err as NodeJS.ErrnoException).code === "ENOENT"
            ? new Error("nats-server not found on PATH (install it, or pass --nats-url)")
            : err,
        ),
      );
      proc.once("exit", (code) =>
        fail(new Error(`nats-server exited with code ${code} during start: ${buf.slice(-500)}`)),
      );
      proc.stderr!.setEncoding("utf8");
      proc.stderr!.on("data", (chunk: string) => {
        buf += chunk;
        const m = /Listening for client connections on [^\s]*:(\d+)/.exec(buf);
        if (m) this.#port = Number(m[1]);
        if (buf.includes("Server is ready")) {
          clearTimeout(timer);
          proc.removeAllListeners("exit");
          proc.removeAllListeners("error");
          proc.stderr!.removeAllListeners("data");
          proc.stderr!.resume();
          proc.once("exit", (code, signal) => {
            if (this.#proc === proc) this.#proc = undefined;
            log.info("nats-server exited", { code, signal });
          });
          resolve();
        }
        if (buf.length > 64_000) buf = buf.slice(-8_000);
      });
    });
    log.info("nats-server ready", { url: this.url, pid: proc.pid });
  }

  /** Stops the server: SIGTERM (clean shutdown) or SIGKILL (a crash). Resolves on exit. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    await exited;
    this.#proc = undefined;
  }
}
