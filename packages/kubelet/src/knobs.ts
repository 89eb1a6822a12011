/**
 * Behaviour knobs of an emulated container: how it starts, answers, fails and stops. Each knob
 * is an env var on the container (`KEMU_LATENCY=50ms`) or a pod annotation
 * (`kemu.dev/latency: 50ms`); the container's env var wins. Annotations may change while the
 * pod runs (`kubectl annotate pod web kemu.dev/fail-readiness=true --overwrite`); env vars are
 * fixed at start, as in a real container. The package README documents every knob.
 *
 * Durations are Go durations ("1.5s", "250ms", "2m") or plain numbers of seconds.
 */
import { z } from "zod";
import type { KObject } from "@kemu/controllers";

/** The knobs of one container. */
export interface Knobs {
  /** The app binds its ports this long after the container starts (a slow start). */
  startupDelayMs: number;
  /** Readiness probes fail for this long after the app starts listening. */
  readinessDelayMs: number;
  /** Added to every request. */
  latencyMs: number;
  /** Fraction (0-1) of requests answered with an error (HTTP 500, RESP -ERR). */
  errorRate: number;
  /** Readiness probes fail while true. */
  failReadiness: boolean;
  /** Liveness probes fail from this long after the app starts listening. */
  failLivenessAfterMs: number | undefined;
  /** The container exits by itself this long after it started (a crash, or a finished job). */
  exitAfterMs: number | undefined;
  /** On SIGTERM: stop at once, or keep serving until the grace period ends. */
  shutdown: "immediate" | "drain";
  /** Exit code when the container stops (SIGTERM, or exitAfter). */
  exitCode: number;
}

/** The knobs with nothing set. */
export const DEFAULT_KNOBS: Knobs = {
  startupDelayMs: 0,
  readinessDelayMs: 0,
  latencyMs: 0,
  errorRate: 0,
  failReadiness: false,
  failLivenessAfterMs: undefined,
  exitAfterMs: undefined,
  shutdown: "drain",
  exitCode: 0,
};

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("1m30s", "250ms") or a number of seconds into ms; undefined if invalid. */
export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${s}" is not a duration (e.g. 500ms, 2s, 1m)` });
    return z.NEVER;
  }
  return ms;
});
const bool = z.string().transform((s, ctx) => {
  const v = s.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off", ""].includes(v)) return false;
  ctx.addIssue({ code: "custom", message: `"${s}" is not true or false` });
  return z.NEVER;
});
const rate = z.string().transform((s, ctx) => {
  const t = s.trim();
  const n = t.endsWith("%") ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (t === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    ctx.addIssue({ code: "custom", message: `"${s}" is not a rate between 0 and 1 (or 0% and 100%)` });
    return z.NEVER;
  }
  return n;
});

/** Each knob: its env var, annotation and schema. */
export const KNOB_SOURCES = {
  startupDelayMs: { env: "KEMU_STARTUP_DELAY", annotation: "kemu.dev/startup-delay", schema: duration },
  readinessDelayMs: { env: "KEMU_READINESS_DELAY", annotation: "kemu.dev/readiness-delay", schema: duration },
  latencyMs: { env: "KEMU_LATENCY", annotation: "kemu.dev/latency", schema: duration },
  errorRate: { env: "KEMU_ERROR_RATE", annotation: "kemu.dev/error-rate", schema: rate },
  failReadiness: { env: "KEMU_FAIL_READINESS", annotation: "kemu.dev/fail-readiness", schema: bool },
  failLivenessAfterMs: {
    env: "KEMU_FAIL_LIVENESS_AFTER",
    annotation: "kemu.dev/fail-liveness-after",
    schema: duration,
  },
  exitAfterMs: { env: "KEMU_EXIT_AFTER", annotation: "kemu.dev/exit-after", schema: duration },
  shutdown: {
    env: "KEMU_SHUTDOWN",
    annotation: "kemu.dev/shutdown",
    schema: z.enum(["immediate", "drain"], { message: 'must be "immediate" or "drain"' }),
  },
  exitCode: {
    env: "KEMU_EXIT_CODE",
    annotation: "kemu.dev/exit-code",
    schema: z.coerce.number().int().min(0).max(255),
  },
} as const satisfies Record<keyof Knobs, { env: string; annotation: string; schema: z.ZodType }>;

/** A knob with a bad value; the message names the env var or annotation. */
export class KnobError extends Error {}

/** The knobs of container c of pod: env vars first, then annotations, then defaults. */
export function parseKnobs(pod: KObject, c: KObject): Knobs {
  const env = new Map<string, string>();
  for (const e of (c["env"] ?? []) as KObject[]) {
    if (typeof e["name"] === "string" && typeof e["value"] === "string") env.set(e["name"], e["value"]);
  }
  const annotations: Record<string, string> = pod["metadata"]?.["annotations"] ?? {};
  const out: Record<string, unknown> = { ...DEFAULT_KNOBS };
  for (const [key, src] of Object.entries(KNOB_SOURCES)) {
    const fromEnv = env.get(src.env);
    const raw = fromEnv ?? annotations[src.annotation];
    if (raw === undefined) continue;
    const r = (src.schema as z.ZodType).safeParse(raw);
    if (!r.success) {
      const where = fromEnv !== undefined ? `env ${src.env}` : `annotation ${src.annotation}`;
      throw new KnobError(`invalid ${where}: ${r.error.issues[0]?.message ?? "bad value"}`);
    }
    out[key] = r.data;
  }
  return out as unknown as Knobs;
}
