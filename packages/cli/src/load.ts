/**
 * `kemu load <scenario>`: the k6 scenarios of loadtests/ played by the Node runner (@kemu/load),
 * with a k6-style summary, progress on stderr once a second, and exit 99 when a threshold fails
 * (as k6 does). pod-churn deletes a pod every --churn-every through the Kubernetes API, with the
 * kubeconfig's credentials (so it works the same against `kemu up` and `docker compose`).
 */
import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import {
  evaluateThresholds,
  formatProgress,
  formatReport,
  LOAD_SETTING_SOURCES,
  parseLoadSettings,
  pickPodToDelete,
  planScenario,
  PRESETS,
  runLoad,
  type LoadSettings,
} from "@kemu/load";

/** What the API calls need from a kubeconfig: the server and the current context's credentials. */
interface ApiTarget {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
}

type Named<T> = { name: string } & T;

/** Reads the current context of a kubeconfig (embedded data or file paths). */
export async function readKubeconfig(path: string): Promise<ApiTarget> {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const find = <T>(list: unknown, name: unknown) =>
    ((list ?? []) as Named<T>[]).find((e) => e.name === name) as Named<T> | undefined;
  const ctx = find<{ context: { cluster: string; user: string } }>(doc["contexts"], doc["current-context"]);
  if (!ctx) throw new Error(`kubeconfig ${path} has no current context`);
  const cluster = find<{ cluster: Record<string, string> }>(doc["clusters"], ctx.context.cluster)?.cluster;
  const user = find<{ user: Record<string, string> }>(doc["users"], ctx.context.user)?.user ?? {};
  if (!cluster?.["server"])
    throw new Error(`kubeconfig ${path}: cluster ${ctx.context.cluster} has no server`);
  const data = async (inline: string | undefined, file: string | undefined) =>
    inline ? Buffer.from(inline, "base64") : file ? await readFile(file) : undefined;
  const t: ApiTarget = { server: cluster["server"] };
  const ca = await data(cluster["certificate-authority-data"], cluster["certificate-authority"]);
  const cert = await data(user["client-certificate-data"], user["client-certificate"]);
  const key = await data(user["client-key-data"], user["client-key"]);
  if (ca) t.ca = ca;
  if (cert) t.cert = cert;
  if (key) t.key = key;
  if (user["token"]) t.token = user["token"];
  return t;
}

/** One JSON request to the API server; rejects on a non-2xx status with the Status message. */
function api(t: ApiTarget, method: string, path: string, signal?: AbortSignal): Promise<unknown> {
  const url = new URL(path, t.server);
  const send = url.protocol === "https:" ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers: { Accept: "application/json", ...(t.token ? { Authorization: `Bearer ${t.token}` } : {}) },
        ...(t.ca ? { ca: t.ca } : {}),
        ...(t.cert ? { cert: t.cert } : {}),
        ...(t.key ? { key: t.key } : {}),
        timeout: 10_000,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = body;
          }
          if ((res.statusCode ?? 0) >= 300) {
            const msg = (parsed as { message?: string })?.message ?? body;
            reject(new Error(`${method} ${path}: ${res.statusCode} ${msg}`));
          } else resolve(parsed);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Deletes one running pod matching the selector; what `kubectl delete pod` would do. */
function churnAction(t: ApiTarget, s: LoadSettings, selector: string) {
  const ns = encodeURIComponent(s.namespace);
  return async (signal: AbortSignal): Promise<string | undefined> => {
    const list = (await api(
      t,
      "GET",
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
      signal,
    )) as { items: Parameters<typeof pickPodToDelete>[0] };
    const victim = pickPodToDelete(list.items ?? []);
    if (!victim) return undefined;
    const name = victim.metadata.name;
    await api(t, "DELETE", `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}`, signal);
    return `deleted ${s.namespace}/${name}`;
  };
}

/** parseArgs options for every load setting, plus --json and --kubeconfig. */
export const LOAD_OPTIONS = {
  ...Object.fromEntries(
    Object.values(LOAD_SETTING_SOURCES).map((src) => [
      src.flag.slice(2),
      { type: src.boolean ? ("boolean" as const) : ("string" as const) },
    ]),
  ),
  json: { type: "boolean" as const },
  kubeconfig: { type: "string" as const },
};

/** The help text of `kemu load`. */
export function loadHelp(): string {
  const scenarios = Object.entries(PRESETS)
    .map(([name, p]) => `  ${name.padEnd(27)}${p.description}`)
    .join("\n");
  const flags = Object.values(LOAD_SETTING_SOURCES)
    .map((s) => `  ${`${s.flag}${s.boolean ? "" : " V"}`.padEnd(22)} ${s.help} (${s.env})`)
    .join("\n");
  return (
    "Usage: kemu load <scenario> --targets host:port[,host:port...] [flags]\n\n" +
    "Plays one of loadtests/'s k6 scenarios with the Node runner and prints a k6-style summary:\n" +
    "requests, errors by kind, latency percentiles, the share per pod and per node, per client\n" +
    "stickiness, and each threshold. Exit codes: 0 thresholds passed, 99 a threshold failed,\n" +
    "2 bad flags, 1 anything else.\n\nScenarios:\n" +
    scenarios +
    "\n\nFlags (or the K6_* variable named):\n" +
    flags +
    "\n  --json                 print the report as JSON instead of the summary\n" +
    "  --kubeconfig PATH      for pod-churn's deletions (default $KUBECONFIG, then .kemu/kubeconfig)\n"
  );
}

/** Runs `kemu load`; returns the exit code. */
export async function runLoadCommand(
  scenario: string | undefined,
  values: Record<string, unknown>,
  out: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  if (!scenario)
    throw new LoadUsageError(`a scenario is required (one of: ${Object.keys(PRESETS).join(", ")})`);
  const flags: Record<string, string | boolean | undefined> = {};
  for (const [key, src] of Object.entries(LOAD_SETTING_SOURCES)) {
    const v = values[src.flag.slice(2)];
    if (v !== undefined) flags[key] = v as string | boolean;
  }
  const settings = parseLoadSettings(flags);
  let extras: Parameters<typeof planScenario>[2] = {};
  if (scenario === "pod-churn") {
    if (!settings.selector) {
      throw new LoadUsageError(
        "invalid --selector: pod-churn needs the label selector of the pods to delete (or K6_SELECTOR)",
      );
    }
    const path = String(values["kubeconfig"] ?? process.env["KUBECONFIG"] ?? ".kemu/kubeconfig");
    extras = { chaosAction: churnAction(await readKubeconfig(path), settings, settings.selector) };
  }
  const { options, thresholds } = planScenario(scenario, settings, extras);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop);
  try {
    const report = await runLoad({
      ...options,
      signal: abort.signal,
      onProgress: (s) => out.stderr(formatProgress(s) + "\n"),
    });
    const verdict = evaluateThresholds(report, thresholds);
    out.stdout(
      values["json"]
        ? JSON.stringify({ ...report, thresholds: verdict }, null, 2) + "\n"
        : formatReport(report, verdict),
    );
    return verdict.ok ? 0 : 99;
  } finally {
    process.off("SIGINT", stop);
  }
}

/** A usage error of `kemu load` (exit 2). */
export class LoadUsageError extends Error {
  override readonly name = "LoadUsageError";
}
