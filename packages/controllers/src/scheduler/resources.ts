/**
 * Resource quantities and pod requests, as the scheduler counts them: cpu in millicores and
 * memory in bytes, both rounded up (resource.Quantity's MilliValue and Value).
 */
import type { KObject } from "../client.ts";

/** What a pod asks for, or what a node offers. */
export interface Resources {
  milliCPU: number;
  memory: number;
}

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** A quantity ("100m", "1.5", "128Mi", "1e3") in base units; undefined when it does not parse. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  const suffix = m[2] ?? "";
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** Millicores of a cpu quantity, rounded up; 0 when absent or invalid. */
export function milliCPU(q: unknown): number {
  const v = parseQuantity(q);
  return v === undefined ? 0 : Math.ceil(Math.round(v * 1e9) / 1e6);
}

/** Bytes of a memory quantity, rounded up; 0 when absent or invalid. */
export function bytes(q: unknown): number {
  const v = parseQuantity(q);
  return v === undefined ? 0 : Math.ceil(v - 1e-9);
}

function requestsOf(c: KObject): Resources {
  const r = c["resources"]?.["requests"] ?? {};
  return { milliCPU: milliCPU(r["cpu"]), memory: bytes(r["memory"]) };
}

/**
 * A pod's effective requests (resourcehelper.PodRequests): the sum over its containers and
 * sidecar init containers (restartPolicy Always), or the largest ordinary init container plus the
 * sidecars started before it if that is more, plus the pod overhead.
 */
export function podRequests(pod: KObject): Resources {
  const spec = pod["spec"] ?? {};
  const sum: Resources = { milliCPU: 0, memory: 0 };
  for (const c of (spec["containers"] ?? []) as KObject[]) {
    const r = requestsOf(c);
    sum.milliCPU += r.milliCPU;
    sum.memory += r.memory;
  }
  const sidecars: Resources = { milliCPU: 0, memory: 0 };
  const initMax: Resources = { milliCPU: 0, memory: 0 };
  for (const c of (spec["initContainers"] ?? []) as KObject[]) {
    const r = requestsOf(c);
    if (c["restartPolicy"] === "Always") {
      sidecars.milliCPU += r.milliCPU;
      sidecars.memory += r.memory;
    } else {
      initMax.milliCPU = Math.max(initMax.milliCPU, r.milliCPU + sidecars.milliCPU);
      initMax.memory = Math.max(initMax.memory, r.memory + sidecars.memory);
    }
  }
  const overhead = spec["overhead"] ?? {};
  return {
    milliCPU: Math.max(sum.milliCPU + sidecars.milliCPU, initMax.milliCPU) + milliCPU(overhead["cpu"]),
    memory: Math.max(sum.memory + sidecars.memory, initMax.memory) + bytes(overhead["memory"]),
  };
}
