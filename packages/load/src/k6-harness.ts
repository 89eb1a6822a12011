/**
 * Runs a k6 script under Node, for tests (k6 itself is not installed here): small stand-ins
 * for k6, k6/http and k6/metrics record what the script does. It imports the script with the
 * given __ENV, then runs one exported function for some iterations against canned responses,
 * and prints, as JSON, the script's options, its exports, the requests it made, the metric
 * samples and checks it recorded.
 *
 *   node k6-harness.ts <script.js> '<HarnessInput as JSON>'
 *
 * Limitations vs k6: one VU; only the API the kemu scripts use (http.get/del/request, check,
 * sleep, group, Counter/Rate/Trend/Gauge, open); no thresholds are evaluated.
 */
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** What to run. */
export interface HarnessInput {
  env: Record<string, string>;
  /** The exported function to run (default "default"); none when iterations is 0. */
  exec?: string;
  iterations: number;
  vu?: number;
  /** Canned responses: the first whose pattern matches "METHOD url" answers; else 200 with an empty body. */
  responses?: { match: string; status: number; body: string }[];
}

/** What the script did. */
export interface HarnessOutput {
  options: Record<string, unknown>;
  exports: string[];
  requests: { method: string; url: string; params: Record<string, unknown> | null }[];
  samples: { metric: string; type: string; value: number; tags: Record<string, string> }[];
  checks: { name: string; ok: boolean }[];
  /** What the script wrote with console.*, as "level: message". */
  logs: string[];
}

const out: HarnessOutput = { options: {}, exports: [], requests: [], samples: [], checks: [], logs: [] };
const [scriptArg, inputArg] = process.argv.slice(2);
if (!scriptArg || !inputArg) throw new Error("usage: node k6-harness.ts <script.js> '<input json>'");
const script = resolve(scriptArg);
const input = JSON.parse(inputArg) as HarnessInput;
const g = globalThis as Record<string, unknown>;

function respond(method: string, url: string, params: unknown) {
  out.requests.push({ method, url, params: (params as Record<string, unknown> | null) ?? null });
  const canned = (input.responses ?? []).find((r) => new RegExp(r.match).test(`${method} ${url}`));
  const status = canned?.status ?? 200;
  const body = canned?.body ?? "";
  return {
    status,
    body,
    error: "",
    error_code: 0,
    timings: { duration: 1 },
    json: () => JSON.parse(body) as unknown,
  };
}

function metric(type: string) {
  return class {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }
    add(value: number | boolean, tags?: Record<string, string>) {
      out.samples.push({ metric: this.name, type, value: Number(value), tags: tags ?? {} });
    }
  };
}

g["__k6harness"] = {
  http: {
    get: (url: string, params?: unknown) => respond("GET", url, params),
    del: (url: string, _body?: unknown, params?: unknown) => respond("DELETE", url, params),
    request: (method: string, url: string, _body?: unknown, params?: unknown) => respond(method, url, params),
  },
  check: (value: unknown, sets: Record<string, (v: unknown) => boolean>) => {
    let all = true;
    for (const [name, fn] of Object.entries(sets)) {
      const ok = Boolean(fn(value));
      out.checks.push({ name, ok });
      all &&= ok;
    }
    return all;
  },
  metrics: {
    Counter: metric("counter"),
    Rate: metric("rate"),
    Trend: metric("trend"),
    Gauge: metric("gauge"),
  },
};
// k6 prints console output beside its progress; here stdout carries the JSON result.
g["console"] = Object.fromEntries(
  ["log", "info", "warn", "error", "debug"].map((level) => [
    level,
    (...args: unknown[]) => out.logs.push(`${level}: ${args.map(String).join(" ")}`),
  ]),
);
g["__ENV"] = input.env;
g["__VU"] = input.vu ?? 1;
g["__ITER"] = 0;
g["open"] = (path: string) => readFileSync(resolve(dirname(script), path), "utf8");

const STUBS: Record<string, string> = {
  k6: `const h = globalThis.__k6harness;
export const check = h.check;
export function sleep() {}
export function group(_name, fn) { return fn(); }
export default { check, sleep, group };`,
  "k6/http": `const h = globalThis.__k6harness.http;
export const get = h.get, del = h.del, request = h.request;
export default h;`,
  "k6/metrics": `const m = globalThis.__k6harness.metrics;
export const Counter = m.Counter, Rate = m.Rate, Trend = m.Trend, Gauge = m.Gauge;`,
};

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier in STUBS) return { url: `k6stub:${specifier}`, shortCircuit: true };
    if (specifier.startsWith("k6/") || !/^(\.{0,2}\/|file:)/.test(specifier))
      throw new Error(`k6 scripts may import only k6's modules and local files, not "${specifier}"`);
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (url.startsWith("k6stub:"))
      return { format: "module", source: STUBS[url.slice("k6stub:".length)]!, shortCircuit: true };
    return nextLoad(url, context);
  },
});

const mod = (await import(pathToFileURL(script).href)) as Record<string, unknown>;
out.options = (mod["options"] as Record<string, unknown> | undefined) ?? {};
out.exports = Object.keys(mod).sort();
const fn = mod[input.exec ?? "default"];
if (input.iterations > 0 && typeof fn !== "function")
  throw new Error(`${scriptArg} exports no function "${input.exec ?? "default"}"`);
for (let i = 0; i < input.iterations; i++) {
  g["__ITER"] = i;
  (fn as () => void)();
}
process.stdout.write(JSON.stringify(out));
