/**
 * API server settings, parsed once at the edge with a schema. Flags win over environment
 * variables (KEMU_*), which win over defaults. Errors name the flag or variable.
 */
import { z } from "zod";

const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR like 10.96.0.0/12");
const portRange = z
  .string()
  .regex(/^\d+-\d+$/, "must be a port range like 30000-32767")
  .refine((s) => {
    const [lo, hi] = s.split("-").map(Number) as [number, number];
    return lo >= 1 && hi <= 65535 && lo <= hi;
  }, "must be LOW-HIGH within 1-65535");

/** The API server's settings. */
export const ApiServerSettings = z.object({
  natsUrl: z.string().min(1),
  listenHost: z.string().default("127.0.0.1"),
  listenPort: z.coerce.number().int().min(0).max(65535).default(6443),
  advertiseAddress: z
    .string()
    .regex(/^$|^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, "must be an IPv4 address")
    .default(""),
  serviceCIDR: cidr.default("10.96.0.0/12"),
  nodePortRange: portRange.default("30000-32767"),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  watchCacheSize: z.coerce.number().int().min(10).default(100_000),
  compactionIntervalSeconds: z.coerce.number().int().min(0).default(300),
  defaultNotReadyTolerationSeconds: z.coerce.number().int().min(0).default(300),
  defaultUnreachableTolerationSeconds: z.coerce.number().int().min(0).default(300),
  tls: z.enum(["true", "false"]).default("true"),
  certDir: z.string().min(1).default(".kemu/pki"),
  tlsSans: z.string().default(""),
});

/** Parsed API server settings. */
export type ApiServerSettings = z.infer<typeof ApiServerSettings>;

/** The flag and env var each setting comes from, for error messages and --help. */
export const SETTING_SOURCES: Record<keyof ApiServerSettings, { flag: string; env: string; help: string }> = {
  natsUrl: { flag: "--nats-url", env: "KEMU_NATS_URL", help: "NATS server URL (JetStream enabled)" },
  listenHost: {
    flag: "--listen-host",
    env: "KEMU_LISTEN_HOST",
    help: "address to serve the API on (default 127.0.0.1)",
  },
  advertiseAddress: {
    flag: "--advertise-address",
    env: "KEMU_ADVERTISE_ADDRESS",
    help: "the IP the kubernetes Service's endpoints name (default the listen host if routable, else this host's first non-loopback IPv4)",
  },
  listenPort: {
    flag: "--listen-port",
    env: "KEMU_LISTEN_PORT",
    help: "port to serve the API on, 0 for any (default 6443)",
  },
  serviceCIDR: {
    flag: "--service-cidr",
    env: "KEMU_SERVICE_CIDR",
    help: "ClusterIP range (default 10.96.0.0/12)",
  },
  nodePortRange: {
    flag: "--service-node-port-range",
    env: "KEMU_SERVICE_NODE_PORT_RANGE",
    help: "NodePort range (default 30000-32767)",
  },
  logLevel: { flag: "--log-level", env: "KEMU_LOG_LEVEL", help: "debug, info, warn or error (default info)" },
  defaultNotReadyTolerationSeconds: {
    flag: "--default-not-ready-toleration-seconds",
    env: "KEMU_DEFAULT_NOT_READY_TOLERATION_SECONDS",
    help: "tolerationSeconds of the not-ready:NoExecute toleration added to pods (default 300)",
  },
  defaultUnreachableTolerationSeconds: {
    flag: "--default-unreachable-toleration-seconds",
    env: "KEMU_DEFAULT_UNREACHABLE_TOLERATION_SECONDS",
    help: "tolerationSeconds of the unreachable:NoExecute toleration added to pods (default 300)",
  },
  tls: { flag: "--tls", env: "KEMU_TLS", help: "serve HTTPS (true, default) or plain HTTP (false)" },
  certDir: {
    flag: "--cert-dir",
    env: "KEMU_CERT_DIR",
    help: "where the cluster CA and serving certificate live; created if missing (default .kemu/pki)",
  },
  tlsSans: {
    flag: "--tls-san",
    env: "KEMU_TLS_SAN",
    help: "extra names or IPs for the serving certificate, comma-separated",
  },
  compactionIntervalSeconds: {
    flag: "--etcd-compaction-interval",
    env: "KEMU_COMPACTION_INTERVAL",
    help: "seconds between store compactions, 0 to disable (default 300, as kube-apiserver)",
  },
  watchCacheSize: {
    flag: "--watch-cache-size",
    env: "KEMU_WATCH_CACHE_SIZE",
    help: "events kept for resuming watches; older resourceVersions get 410 (default 100000)",
  },
};

/** A settings error naming the flag or variable. */
export class SettingsError extends Error {}

/** Parses settings from flag values and the environment. */
export function parseSettings(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): ApiServerSettings {
  const raw: Record<string, string | undefined> = {};
  for (const [key, src] of Object.entries(SETTING_SOURCES)) {
    // An empty variable counts as unset.
    raw[key] = flags[key] ?? (env[src.env] || undefined);
  }
  const r = ApiServerSettings.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0]) as keyof ApiServerSettings;
  const src = SETTING_SOURCES[key];
  const where = flags[key] !== undefined ? src.flag : env[src.env] ? src.env : src.flag;
  const msg = issue.code === "invalid_type" && raw[key] === undefined ? "is required" : issue.message;
  throw new SettingsError(`invalid ${where}: ${msg}`);
}
