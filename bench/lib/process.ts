/** What every benchmark does with its own process and its children. */
import type { ChildProcess } from "node:child_process";
import { nowMs } from "./stats.ts";

const started = nowMs();

/** A progress line on stderr, stamped with the seconds since the benchmark started. */
export function progress(msg: string): void {
  process.stderr.write(`[bench ${((nowMs() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

/**
 * Stops a child and waits for it: our own children stop when their stdin ends, other tools
 * (HAProxy, dnsmasq) on SIGTERM; SIGKILL after 3 s either way.
 */
export async function stopChild(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  if (proc.stdin) proc.stdin.end();
  else proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}
