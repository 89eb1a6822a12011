/**
 * Test harness: a real nats-server and a real `kemu apiserver` child process on ports the kernel
 * picks, a kubeconfig for them, and helpers to run real kubectl and @kubernetes/client-node.
 * Everything it starts, it stops.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { TestLog } from "@kemu/common";
import { NatsServer } from "@kemu/nats";
import { kubeconfig } from "kemu";

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, "..");
const KEMU_BIN = join(ROOT, "packages/cli/bin/kemu.js");

/** Output of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, with optional stdin. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    // A command that exits without reading its stdin must not fail the test with EPIPE.
    p.stdin.on("error", () => {});
    p.stdin.end(opts.input ?? "");
  });
}

/** A running kemu control plane for tests. */
export class TestCluster {
  readonly dir: string;
  readonly nats: NatsServer;
  readonly log = new TestLog();
  #apiserver: ChildProcess | undefined;
  #port = 0;
  #stderr = "";
  kubeconfigPath = "";
  /** The cluster CA when serving HTTPS. */
  caPem: string | undefined;
  #scheme = "http";
  #client: { clientCertPem: string; clientKeyPem: string } | undefined;
  #controllers: ChildProcess | undefined;
  #controllerArgs: string[] = [];

  readonly #extraArgs: string[];

  private constructor(dir: string, nats: NatsServer, extraArgs: string[]) {
    this.dir = dir;
    this.nats = nats;
    this.#extraArgs = extraArgs;
  }

  /** Starts nats-server and the API server. */
  /**
   * Starts nats-server and the API server. Plain HTTP unless tls is set, so suites can use
   * fetch directly; the TLS suite turns it on.
   */
  static async start(
    opts: { apiserverArgs?: string[]; tls?: boolean; controllers?: boolean; controllerArgs?: string[] } = {},
  ): Promise<TestCluster> {
    const dir = await mkdtemp(join(tmpdir(), "kemu-test-"));
    const nats = new NatsServer({ stateDir: join(dir, "nats"), log: new TestLog().logger("nats") });
    await nats.start();
    const tlsArgs = opts.tls ? ["--tls", "true", "--cert-dir", join(dir, "pki")] : ["--tls", "false"];
    const c = new TestCluster(dir, nats, [...tlsArgs, ...(opts.apiserverArgs ?? [])]);
    await c.startApiServer();
    c.kubeconfigPath = join(dir, "kubeconfig");
    if (opts.tls) {
      c.caPem = await readFile(join(dir, "pki", "ca.crt"), "utf8");
      c.#client = {
        clientCertPem: await readFile(join(dir, "pki", "admin.crt"), "utf8"),
        clientKeyPem: await readFile(join(dir, "pki", "admin.key"), "utf8"),
      };
    }
    await writeFile(c.kubeconfigPath, c.#kubeconfig());
    if (opts.controllers) {
      c.#controllerArgs = opts.controllerArgs ?? [];
      await c.startControllers();
    }
    return c;
  }

  /** The API server's base URL. */
  get url(): string {
    return `${this.#scheme}://127.0.0.1:${this.#port}`;
  }

  #kubeconfig(): string {
    return kubeconfig(this.url, this.caPem ? { caPem: this.caPem, ...this.#client } : {});
  }

  /** The API server's pid. */
  get apiserverPid(): number | undefined {
    return this.#apiserver?.pid;
  }

  /** Starts (or restarts, on the same port) the API server child process; resolves when it serves. */
  async startApiServer(): Promise<void> {
    const p = spawn(
      process.execPath,
      [
        KEMU_BIN,
        "apiserver",
        "--nats-url",
        this.nats.url,
        "--listen-port",
        String(this.#port),
        ...this.#extraArgs,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, KEMU_LOG_LEVEL: "warn" },
      },
    );
    this.#apiserver = p;
    p.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-20_000);
    });
    await new Promise<void>((res, rej) => {
      let out = "";
      const timer = setTimeout(() => rej(new Error(`apiserver did not start: ${this.#stderr}`)), 30_000);
      p.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /listening on (https?):\/\/[^:]+:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          this.#scheme = m[1]!;
          this.#port = Number(m[2]);
          res();
        }
      });
      p.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`apiserver exited with ${code}: ${this.#stderr}`));
      });
    });
    p.removeAllListeners("exit");
  }

  /** Stops the API server: SIGTERM (graceful) or SIGKILL (crash). */
  async stopApiServer(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const p = this.#apiserver;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill(signal);
    await exited;
    this.#apiserver = undefined;
  }

  /** Starts (or restarts) `kemu controller-manager`; resolves once its informers have synced. */
  async startControllers(): Promise<void> {
    const p = spawn(
      process.execPath,
      [KEMU_BIN, "controller-manager", "--nats-url", this.nats.url, ...this.#controllerArgs],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, KEMU_LOG_LEVEL: "warn" },
      },
    );
    this.#controllers = p;
    p.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-20_000);
    });
    await new Promise<void>((res, rej) => {
      let out = "";
      const timer = setTimeout(
        () => rej(new Error(`controller-manager did not start: ${this.#stderr}`)),
        30_000,
      );
      p.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("controller-manager running")) {
          clearTimeout(timer);
          res();
        }
      });
      p.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`controller-manager exited with ${code}: ${this.#stderr}`));
      });
    });
    p.removeAllListeners("exit");
  }

  /** Stops the controller manager: SIGTERM or SIGKILL. */
  async stopControllers(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const p = this.#controllers;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill(signal);
    await exited;
    this.#controllers = undefined;
  }

  /** The API server's recent stderr, for failure messages. */
  get apiserverLog(): string {
    return this.#stderr;
  }

  /** Runs real kubectl against the cluster. */
  kubectl(
    args: string[],
    opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    // A discovery cache per cluster, so suites never see each other's (or the user's) cache.
    return run(
      "kubectl",
      ["--kubeconfig", this.kubeconfigPath, "--cache-dir", join(this.dir, "kube-cache"), ...args],
      opts,
    );
  }

  /** Runs kubectl and fails with its stderr unless it exits 0; returns stdout. */
  async kubectlOk(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** A client-node KubeConfig for the cluster. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.#kubeconfig());
    return kc;
  }

  /** Stops everything and removes the state directory. */
  async stop(): Promise<void> {
    await this.stopControllers("SIGTERM");
    await this.stopApiServer("SIGTERM");
    await this.nats.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A namespace name unique to a test, for isolation on a shared cluster. */
export function uniqueNamespace(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Path of a walkthrough fixture. */
export function fixture(name: string): string {
  return join(ROOT, "test/fixtures/walkthrough", name);
}

/**
 * Polls check until it returns true (a condition on observable state, never a fixed sleep),
 * failing after timeoutMs with the last value it saw.
 */
export async function eventually(
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? "condition"}${last ? `: ${String(last)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/**
 * Retries fn, assertions included, until it returns without throwing or timeoutMs runs out;
 * resolves with its value. For conditions that are easiest to state as expectations.
 */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A 127.0.0.1 port free for both UDP and TCP right now (the kernel picks it), for flags that need
 * a port up front. Another process could take it before it is used; the kernel's ephemeral
 * allocator makes that unlikely.
 */
export async function freeUdpTcpPort(): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const { createServer } = await import("node:net");
  for (;;) {
    const udp = createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve(udp.address().port));
    });
    const tcp = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    if (ok) {
      await new Promise<void>((r) => tcp.close(() => r()));
      return port;
    }
  }
}
