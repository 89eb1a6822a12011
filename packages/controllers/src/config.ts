/**
 * Controller manager settings, parsed once with a schema; flags win over KEMU_* variables.
 * Durations are seconds, as kube-controller-manager's flags are.
 */
import { z } from "zod";

/** The settings. */
export const ControllerSettings = z.object({
  natsUrl: z.string().min(1),
  /** node-monitor-grace-period: a node missing its lease this long becomes NotReady/Unknown. */
  nodeMonitorGracePeriodSeconds: z.coerce.number().min(1).default(40),
  /** How often node health is checked. */
  nodeMonitorPeriodSeconds: z.coerce.number().min(0.1).default(5),
  /** Pods on nodes that no longer exist are deleted after this (pod GC). */
  podGcOrphanSeconds: z.coerce.number().min(0).default(20),
  workers: z.coerce.number().int().min(1).default(5),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

/** Parsed settings. */
export type ControllerSettings = z.infer<typeof ControllerSettings>;

/** Flag and env var of each setting. */
export const CONTROLLER_SETTING_SOURCES: Record<
  keyof ControllerSettings,
  { flag: string; env: string; help: string }
> = {
  natsUrl: { flag: "--nats-url", env: "KEMU_NATS_URL", help: "NATS server URL the API server serves on" },
  nodeMonitorGracePeriodSeconds: {
    flag: "--node-monitor-grace-period",
    env: "KEMU_NODE_MONITOR_GRACE_PERIOD",
    help: "seconds without a lease renewal before a node is NotReady (default 40)",
  },
  nodeMonitorPeriodSeconds: {
    flag: "--node-monitor-period",
    env: "KEMU_NODE_MONITOR_PERIOD",
    help: "seconds between node health checks (default 5)",
  },
  podGcOrphanSeconds: {
    flag: "--pod-gc-orphan-seconds",
    env: "KEMU_POD_GC_ORPHAN_SECONDS",
    help: "seconds before pods bound to a deleted node are removed (default 20)",
  },
  workers: {
    flag: "--concurrent-syncs",
    env: "KEMU_CONCURRENT_SYNCS",
    help: "workers per controller (default 5)",
  },
  logLevel: { flag: "--log-level", env: "KEMU_LOG_LEVEL", help: "debug, info, warn or error (default info)" },
};

/** A settings error naming the flag or variable. */
export class ControllerSettingsError extends Error {}

/** Parses settings from flags and the environment. */
export function parseControllerSettings(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): ControllerSettings {
  const raw: Record<string, string | undefined> = {};
  for (const [key, src] of Object.entries(CONTROLLER_SETTING_SOURCES))
    raw[key] = flags[key] ?? (env[src.env] || undefined);
  const r = ControllerSettings.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0]) as keyof ControllerSettings;
  const src = CONTROLLER_SETTING_SOURCES[key];
  const where = flags[key] !== undefined ? src.flag : env[src.env] ? src.env : src.flag;
  const msg = issue.code === "invalid_type" && raw[key] === undefined ? "is required" : issue.message;
  throw new ControllerSettingsError(`invalid ${where}: ${msg}`);
}
