/**
 * The system under test: a real nats-server and a real `kemu apiserver` child process on ports
 * the kernel picks, in a temporary state directory (which also holds the API server's PKI, so
 * nothing is written to the working directory). The pattern is test/harness.ts's, kept here so
 * that a start that fails half-way still stops what it started, and stop() always cleans up.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createLogger, streamSink } from "@kemu/common";
import { readAdminCredential } from "@kemu/apiserver";
import { NatsServer } from "@kemu/nats";
import type { ClientTls } from "./http.ts";

const KEMU_BIN = resolve(import.meta.dirname, "../../packages/cli/bin/kemu.js");
const START_TIMEOUT_MS = 30_000;

/** A running nats-server and API server. */
export class BenchCluster {
  readonly #dir: string;
  readonly #nats: NatsServer;
  #apiserver: ChildProcess | undefined;
  #url = "";
  #stderr = "";
  #tls: ClientTls | undefined;

  private constructor(dir: string, nats: NatsServer) {
    this.#dir = dir;
    this.#nats = nats;
  }

  /**
   * Starts both processes, the API server on HTTPS when tls is set and on plain HTTP otherwise;
   * on failure, stops whichever already started and rethrows.
   */
  static async start(opts: { tls: boolean }): Promise<BenchCluster> {
    const dir = await mkdtemp(join(tmpdir(), "kemu-bench-"));
    const log = createLogger(
      "bench/nats",
      streamSink((l) => process.stderr.write(l)),
      "warn",
    );
    const c = new BenchCluster(dir, new NatsServer({ stateDir: join(dir, "nats"), log }));
    try {
      await c.#nats.start();
      await c.#startApiServer(opts.tls);
      if (opts.tls) {
        const cred = await readAdminCredential(join(dir, "pki"));
        if (!cred) throw new Error("the API server wrote no CA and admin credential");
        c.#tls = { ca: cred.caPem, cert: cred.clientCertPem, key: cred.clientKeyPem };
      }
      return c;
    } catch (err) {
      await c.stop();
      throw err;
    }
  }

  /** The API server's base URL (plain HTTP). */
  get url(): string {
    return this.#url;
  }

  /** The CA and admin client certificate for an https API server. */
  get clientTls(): ClientTls | undefined {
    return this.#tls;
  }

  /** The nats-server client URL. */
  get natsUrl(): string {
    return this.#nats.url;
  }

  /** OS pids of the two processes, for CPU and memory figures. */
  get pids(): { apiserver: number | undefined; nats: number | undefined } {
    return { apiserver: this.#apiserver?.pid, nats: this.#nats.pid };
  }

  /** The API server's recent stderr, for failure messages. */
  get apiserverLog(): string {
    return this.#stderr;
  }

  async #startApiServer(tls: boolean): Promise<void> {
    const args = ["--nats-url", this.#nats.url, "--listen-port", "0", "--tls", String(tls)];
    const p = spawn(
      process.execPath,
      [KEMU_BIN, "apiserver", ...args, "--cert-dir", join(this.#dir, "pki")],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, KEMU_LOG_LEVEL: "warn" } },
    );
    this.#apiserver = p;
    p.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-20_000);
    });
    this.#url = await new Promise<string>((res, rej) => {
      let out = "";
      const timer = setTimeout(
        () => rej(new Error(`apiserver did not start: ${this.#stderr}`)),
        START_TIMEOUT_MS,
      );
      p.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /listening on (https?:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[1]!);
        }
      });
      p.once("error", (err) => {
        clearTimeout(timer);
        rej(err);
      });
      p.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`apiserver exited with ${code}: ${this.#stderr}`));
      });
    });
    p.removeAllListeners("exit");
    p.stdout!.resume();
  }

  /** Stops the API server, then nats-server, and removes the state directory. Safe to call twice. */
  async stop(): Promise<void> {
    const p = this.#apiserver;
    this.#apiserver = undefined;
    try {
      if (p && p.exitCode === null && p.signalCode === null) {
        const exited = new Promise<void>((r) => p.once("exit", () => r()));
        p.kill("SIGTERM");
        const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    } finally {
      try {
        await this.#nats.stop();
      } finally {
        await rm(this.#dir, { recursive: true, force: true });
      }
    }
  }
}
