/**
 * Settings of a load run, parsed once with a schema; flags win over environment variables. The
 * variables are the k6 scripts' (K6_TARGETS, K6_PATH, K6_EXPECT_PODS, ...), so one environment
 * drives both `k6 run loadtests/x.js` and `kemu load x`. Names k6 itself reads as options
 * (K6_DURATION, K6_VUS, K6_ITERATIONS) are avoided, since k6 would let them replace the
 * scripts' scenarios; K6_LOCAL_IPS is k6's own --local-ips and means the same here.
 */
import { z } from "zod";
import { LoadSettingsError, parseDuration, parseLocalIps, parseTargets } from "./targets.ts";

function via<T>(parse: (s: string) => T) {
  return (s: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(s);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  };
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => via(parseDuration)(String(v), ctx));

const flag = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  ctx.addIssue({ code: "custom", message: `"${v}" is not true or false` });
  return z.NEVER;
});

/** The settings, with their defaults. Durations are k6's ("30s", "2m", "500ms"). */
export const LoadSettings = z.object({
  targets: z.string().min(1).transform(via(parseTargets)),
  path: z.string().startsWith("/").default("/"),
  /** Requests per second: switches the executor to constant-arrival-rate. */
  rate: z.coerce.number().positive().optional(),
  durationMs: duration.default(30_000),
  vus: z.coerce.number().int().positive().default(10),
  /** Requests per VU, for per-vu-iterations (session-affinity). */
  iterations: z.coerce.number().int().positive().default(20),
  /** k6's maxVUs for the arrival-rate executor. */
  maxInFlight: z.coerce.number().int().positive().default(100),
  keepAlive: flag.default(false),
  localIps: z.string().min(1).transform(via(parseLocalIps)).optional(),
  timeoutMs: duration.default(10_000),
  expectPods: z.coerce.number().int().positive().optional(),
  minPodShare: z.coerce.number().min(0).max(1).default(0.05),
  maxFailedRate: z.coerce.number().min(0).max(1).default(0.01),
  p95Ms: z.coerce.number().positive().default(500),
  /** pod-churn: how often the chaos hook deletes a pod. */
  churnEveryMs: duration.default(2_000),
  namespace: z.string().min(1).default("default"),
  /** pod-churn: label selector of the pods to delete, e.g. app=web. */
  selector: z.string().min(1).optional(),
});

/** Parsed settings. */
export type LoadSettings = z.infer<typeof LoadSettings>;

/** Flag and env var of each setting (--json is the CLI's own and not a setting). */
export const LOAD_SETTING_SOURCES: Record<
  keyof LoadSettings,
  { flag: string; env: string; help: string; boolean?: true }
> = {
  targets: {
    flag: "--targets",
    env: "K6_TARGETS",
    help: "host:port,host:port to send requests to (required)",
  },
  path: { flag: "--path", env: "K6_PATH", help: "request path (default /)" },
  rate: {
    flag: "--rate",
    env: "K6_RATE",
    help: "requests per second (constant-arrival-rate); pod-churn defaults to 50",
  },
  durationMs: {
    flag: "--duration",
    env: "K6_RUN_DURATION",
    help: "how long to run, e.g. 30s, 2m (default 30s)",
  },
  vus: { flag: "--vus", env: "K6_RUN_VUS", help: "virtual users (default 10)" },
  iterations: {
    flag: "--iterations",
    env: "K6_RUN_ITERATIONS",
    help: "requests per virtual user for session-affinity (default 20)",
  },
  maxInFlight: {
    flag: "--max-in-flight",
    env: "K6_MAX_IN_FLIGHT",
    help: "with --rate: most requests in flight; iterations beyond are dropped (default 100)",
  },
  keepAlive: {
    flag: "--keepalive",
    env: "K6_KEEPALIVE",
    help: "keep one connection per virtual user instead of a new one per request",
    boolean: true,
  },
  localIps: {
    flag: "--local-ips",
    env: "K6_LOCAL_IPS",
    help: "source addresses handed out to virtual users, as k6's: 127.0.0.2-127.0.0.9,127.0.0.32/28",
  },
  timeoutMs: { flag: "--timeout", env: "K6_REQ_TIMEOUT", help: "per-request timeout (default 10s)" },
  expectPods: {
    flag: "--expect-pods",
    env: "K6_EXPECT_PODS",
    help: "pods that should share the load; one never reached counts as a 0 share",
  },
  minPodShare: {
    flag: "--min-pod-share",
    env: "K6_MIN_POD_SHARE",
    help: "nodeport-spread: every pod's least share (default 0.05)",
  },
  maxFailedRate: {
    flag: "--max-failed-rate",
    env: "K6_MAX_FAILED_RATE",
    help: "threshold on http_req_failed (default 0.01)",
  },
  p95Ms: {
    flag: "--p95-ms",
    env: "K6_P95_MS",
    help: "pod-churn: threshold on p(95) latency in ms (default 500)",
  },
  churnEveryMs: {
    flag: "--churn-every",
    env: "K6_CHURN_EVERY",
    help: "pod-churn: delete a pod this often (default 2s)",
  },
  namespace: {
    flag: "--namespace",
    env: "K6_NAMESPACE",
    help: "pod-churn: namespace of the pods (default default)",
  },
  selector: {
    flag: "--selector",
    env: "K6_SELECTOR",
    help: "pod-churn: label selector of the pods to delete",
  },
};

/**
 * Parses settings from flags (keyed by setting name, as the CLI maps them from
 * LOAD_SETTING_SOURCES) and the environment. Throws LoadSettingsError naming the flag or variable.
 */
export function parseLoadSettings(
  flags: Partial<Record<keyof LoadSettings, string | boolean | number | undefined>>,
  env: NodeJS.ProcessEnv = process.env,
): LoadSettings {
  const raw: Record<string, string | boolean | number | undefined> = {};
  for (const [key, src] of Object.entries(LOAD_SETTING_SOURCES))
    raw[key] = flags[key as keyof LoadSettings] ?? (env[src.env] || undefined);
  const r = LoadSettings.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0]) as keyof LoadSettings;
  const src = LOAD_SETTING_SOURCES[key];
  const where = flags[key] !== undefined ? src.flag : env[src.env] ? src.env : src.flag;
  const msg = raw[key] === undefined ? "is required" : issue.message;
  throw new LoadSettingsError(`invalid ${where}: ${msg}`);
}
