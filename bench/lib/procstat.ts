/**
 * CPU time and memory of the processes under test, read from /proc, so that the report can say
 * which process a slow figure spent its time in. Linux only; elsewhere the figures are absent.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** CPU seconds (user + system) a process has used so far, or undefined when it cannot be read. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MiB, or undefined when it cannot be read. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The processes a phase is measured against. */
export interface Processes {
  apiserver: number | undefined;
  nats: number | undefined;
}

/** Resource use over one phase: CPU as a share of one core (1.0 = one core busy) per process. */
export interface PhaseUsage {
  apiserverCpu?: number;
  natsCpu?: number;
  benchCpu: number;
  /** p99 of the bench process's own event-loop delay (ms): high values mean the client lagged. */
  benchLoopDelayP99Ms: number;
}

/** Sampling interval of the event-loop delay histogram (ms). */
const LOOP_RESOLUTION_MS = 5;

/** Starts measuring a phase; the returned function ends the measurement. */
export function phaseMeter(procs: Processes): () => PhaseUsage {
  const t0 = performance.now();
  const a0 = cpuSeconds(procs.apiserver);
  const n0 = cpuSeconds(procs.nats);
  const b0 = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  return () => {
    loop.disable();
    const wall = (performance.now() - t0) / 1000;
    const b = process.cpuUsage(b0);
    const usage: PhaseUsage = {
      benchCpu: (b.user + b.system) / 1e6 / wall,
      // The histogram records whole timer intervals, so an idle loop reads as the resolution.
      benchLoopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
    };
    const a1 = cpuSeconds(procs.apiserver);
    const n1 = cpuSeconds(procs.nats);
    if (a0 !== undefined && a1 !== undefined) usage.apiserverCpu = (a1 - a0) / wall;
    if (n0 !== undefined && n1 !== undefined) usage.natsCpu = (n1 - n0) / wall;
    return usage;
  };
}

/** One line describing a phase's resource use, for progress output. */
export function formatUsage(u: PhaseUsage): string {
  const pct = (v: number | undefined) => (v === undefined ? "?" : `${Math.round(v * 100)}%`);
  return `cpu apiserver ${pct(u.apiserverCpu)} nats ${pct(u.natsCpu)} bench ${pct(u.benchCpu)}, bench loop delay p99 ${u.benchLoopDelayP99Ms.toFixed(1)} ms`;
}
