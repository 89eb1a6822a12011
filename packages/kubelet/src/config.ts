/**
 * Kubelet emulator settings, parsed once with a schema; flags win over KEMU_* variables.
 * Durations are seconds, as the kubelet's configuration file has them.
 */
import { availableParallelism, release, totalmem } from "node:os";
import { z } from "zod";

const seconds = (def: number, min = 0) => z.coerce.number().min(min).default(def);

/** The settings of one emulated node's kubelet. */
export const KubeletSettings = z.object({
  /** The Node's name (and its kubernetes.io/hostname label). */
  nodeName: z
    .string()
    .min(1)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase RFC 1123 subdomain"),
  /** N: the node is 127.0.1.N on the loopback fabric and owns the pod CIDR 10.244.N.0/24. */
  nodeIndex: z.coerce.number().int().min(1).max(254),
  /** Extra node labels (topology.kubernetes.io/zone, ...), "k=v,k2=v2" from the environment. */
  nodeLabels: z
    .union([z.record(z.string(), z.string()), z.string()])
    .default({})
    .transform((v, ctx) => (typeof v === "string" ? parseLabels(v, ctx) : v)),
  /** The node Lease's leaseDurationSeconds (kubelet's nodeLeaseDurationSeconds). */
  nodeLeaseDurationSeconds: seconds(40, 1),
  /** How often the Lease is renewed (upstream: a quarter of the lease duration). */
  nodeLeaseRenewIntervalSeconds: seconds(10, 0.05),
  /** How often node status is computed and posted when it changed (nodeStatusUpdateFrequency). */
  nodeStatusUpdateFrequencySeconds: seconds(10, 0.05),
  /** Node status is posted at least this often even when unchanged (nodeStatusReportFrequency). */
  nodeStatusReportFrequencySeconds: seconds(300, 0.05),
  /** CrashLoopBackOff: the first restart delay, doubled per crash (kubelet: 10 s). */
  crashLoopBackOffInitialSeconds: seconds(10, 0.001),
  /** CrashLoopBackOff: the longest restart delay (kubelet: 300 s). */
  crashLoopBackOffMaxSeconds: seconds(300, 0.001),
  /** Lines kept per container instance for `kubectl logs`. */
  containerLogLines: z.coerce.number().int().min(1).default(10_000),
  /** status.capacity and allocatable. */
  cpu: z.string().default(String(availableParallelism())),
  memory: z.string().default(`${Math.floor(totalmem() / 1024)}Ki`),
  maxPods: z.coerce.number().int().min(1).max(253).default(110),
  ephemeralStorage: z.string().default("100Gi"),
  /** status.nodeInfo.osImage and kernelVersion. */
  osImage: z.string().default("kemu emulated node"),
  kernelVersion: z.string().default(release()),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

/** Parsed settings. */
export type KubeletSettings = z.infer<typeof KubeletSettings>;

/** Settings as callers may give them (defaults filled in by parsing). */
export type KubeletSettingsInput = z.input<typeof KubeletSettings>;

function parseLabels(s: string, ctx: z.RefinementCtx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(",").filter(Boolean)) {
    const i = part.indexOf("=");
    if (i <= 0) {
      ctx.addIssue({ code: "custom", message: `label "${part}" is not key=value` });
      return out;
    }
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** Flag and env var of each setting. */
export const KUBELET_SETTING_SOURCES: Record<
  keyof KubeletSettings,
  { flag: string; env: string; help: string }
> = {
  nodeName: { flag: "--node-name", env: "KEMU_NODE_NAME", help: "the Node's name, e.g. node-1" },
  nodeIndex: {
    flag: "--node-index",
    env: "KEMU_NODE_INDEX",
    help: "N of 127.0.1.N and the pod CIDR 10.244.N.0/24 (1-254)",
  },
  nodeLabels: { flag: "--node-labels", env: "KEMU_NODE_LABELS", help: "extra node labels, k=v,k2=v2" },
  nodeLeaseDurationSeconds: {
    flag: "--node-lease-duration",
    env: "KEMU_NODE_LEASE_DURATION",
    help: "the node Lease's leaseDurationSeconds (default 40)",
  },
  nodeLeaseRenewIntervalSeconds: {
    flag: "--node-lease-renew-interval",
    env: "KEMU_NODE_LEASE_RENEW_INTERVAL",
    help: "seconds between Lease renewals (default 10)",
  },
  nodeStatusUpdateFrequencySeconds: {
    flag: "--node-status-update-frequency",
    env: "KEMU_NODE_STATUS_UPDATE_FREQUENCY",
    help: "seconds between node status computations (default 10)",
  },
  nodeStatusReportFrequencySeconds: {
    flag: "--node-status-report-frequency",
    env: "KEMU_NODE_STATUS_REPORT_FREQUENCY",
    help: "node status is posted at least this often, in seconds (default 300)",
  },
  crashLoopBackOffInitialSeconds: {
    flag: "--crashloop-backoff-initial",
    env: "KEMU_CRASHLOOP_BACKOFF_INITIAL",
    help: "first CrashLoopBackOff delay in seconds, doubled per crash (default 10)",
  },
  crashLoopBackOffMaxSeconds: {
    flag: "--crashloop-backoff-max",
    env: "KEMU_CRASHLOOP_BACKOFF_MAX",
    help: "longest CrashLoopBackOff delay in seconds (default 300)",
  },
  containerLogLines: {
    flag: "--container-log-lines",
    env: "KEMU_CONTAINER_LOG_LINES",
    help: "log lines kept per container for kubectl logs (default 10000)",
  },
  cpu: { flag: "--cpu", env: "KEMU_NODE_CPU", help: "cpu capacity (default: this host's)" },
  memory: { flag: "--memory", env: "KEMU_NODE_MEMORY", help: "memory capacity (default: this host's)" },
  maxPods: { flag: "--max-pods", env: "KEMU_MAX_PODS", help: "pods capacity (default 110)" },
  ephemeralStorage: {
    flag: "--ephemeral-storage",
    env: "KEMU_NODE_EPHEMERAL_STORAGE",
    help: "ephemeral-storage capacity (default 100Gi)",
  },
  osImage: { flag: "--os-image", env: "KEMU_NODE_OS_IMAGE", help: "status.nodeInfo.osImage" },
  kernelVersion: {
    flag: "--kernel-version",
    env: "KEMU_NODE_KERNEL_VERSION",
    help: "status.nodeInfo.kernelVersion (default: this host's)",
  },
  logLevel: { flag: "--log-level", env: "KEMU_LOG_LEVEL", help: "debug, info, warn or error (default info)" },
};

/** A settings error naming the flag or variable. */
export class KubeletSettingsError extends Error {}

/** Parses settings from flags and the environment (flags win). */
export function parseKubeletSettings(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): KubeletSettings {
  const raw: Record<string, string | undefined> = {};
  for (const [key, src] of Object.entries(KUBELET_SETTING_SOURCES)) raw[key] = flags[key] ?? env[src.env];
  const r = KubeletSettings.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0]) as keyof KubeletSettings;
  const src = KUBELET_SETTING_SOURCES[key];
  const where = flags[key] !== undefined ? src.flag : env[src.env] !== undefined ? src.env : src.flag;
  const msg = issue.code === "invalid_type" && raw[key] === undefined ? "is required" : issue.message;
  throw new KubeletSettingsError(`invalid ${where}: ${msg}`);
}

/** Validates settings given in code (tests, `kemu up`); throws KubeletSettingsError. */
export function kubeletSettings(input: KubeletSettingsInput): KubeletSettings {
  const r = KubeletSettings.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new KubeletSettingsError(`invalid kubelet setting ${issue.path.join(".")}: ${issue.message}`);
}
