/**
 * `kemu up` / `kemu down`: a local cluster as a set of processes sharing a state directory
 * (.kemu by default):
 *
 *   .kemu/nats/            the JetStream store (survives down/up unless --fresh)
 *   .kemu/pki/             the cluster CA and certificates
 *   .kemu/kubeconfig       for kubectl
 *   .kemu/run.json         pids and addresses of the running processes
 *   .kemu/logs/*.log       each process's log
 *
 * Processes: nats-server (unless --nats-url), `kemu control-plane` (API server, controllers,
 * scheduler), `kemu nodes` (the node agents; one process hosts them all) and `kemu edge`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** What run.json records. */
export interface RunState {
  stateDir: string;
  natsUrl: string;
  natsPort?: number;
  /** Where the cluster DNS is published on 127.0.0.1. */
  dnsPort?: number;
  apiURL: string;
  nodes: number;
  pids: Record<string, number>;
  startedAt: string;
}

/** Where the kemu CLI entry point is, to start child processes. */
export const KEMU_BIN = resolve(fileURLToPath(import.meta.url), "../../bin/kemu.js");

/** Reads run.json, if a cluster was started from this state dir. */
export async function readRunState(stateDir: string): Promise<RunState | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, "run.json"), "utf8")) as RunState;
  } catch {
    return undefined;
  }
}

/** Writes run.json. */
export async function writeRunState(state: RunState): Promise<void> {
  await writeFile(join(state.stateDir, "run.json"), JSON.stringify(state, null, 2) + "\n");
}

/** Whether a pid is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `kemu <args>` as a child whose output goes to a log file, and resolves once a line
 * matching ready appears on its stdout (which it also returns).
 */
export function startChild(
  name: string,
  args: string[],
  opts: {
    stateDir: string;
    ready: RegExp;
    detached: boolean;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    /** Run this binary instead of kemu (nats-server). */
    command?: string;
    /** Look for the ready line on stderr instead of stdout (nats-server logs there). */
    readyOnStderr?: boolean;
  },
): Promise<{ child: ChildProcess; line: RegExpExecArray }> {
  const logDir = join(opts.stateDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const logFd = openSync(join(logDir, `${name}.log`), "a");
  const child = spawn(opts.command ?? process.execPath, opts.command ? args : [KEMU_BIN, ...args], {
    stdio: opts.readyOnStderr ? ["ignore", logFd, "pipe"] : ["ignore", "pipe", logFd],
    detached: opts.detached,
    env: { ...process.env, ...opts.env },
  });
  closeSync(logFd);
  const stream = (opts.readyOnStderr ? child.stderr : child.stdout)!;
  return new Promise((resolvePromise, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(
        new Error(
          `${name} did not start within ${(opts.timeoutMs ?? 60_000) / 1000} s; see ${join(logDir, `${name}.log`)}`,
        ),
      );
    }, opts.timeoutMs ?? 60_000);
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      out += d;
      const m = opts.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        // Keep draining the pipe so the child never blocks on it.
        stream.removeAllListeners("data");
        stream.resume();
        if (opts.detached) {
          stream.destroy();
          child.unref();
        }
        resolvePromise({ child, line: m });
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`${name} exited (${signal ?? code}) during start; see ${join(logDir, `${name}.log`)}`),
      );
    });
  });
}

/** Stops a pid with SIGTERM, then SIGKILL after graceMs; resolves once it is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Removes the cluster's state (for --fresh). */
export async function wipeState(stateDir: string): Promise<void> {
  for (const d of ["nats", "pki", "run.json", "kubeconfig", "logs"]) {
    await rm(join(stateDir, d), { recursive: true, force: true });
  }
}
