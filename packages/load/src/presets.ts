/**
 * The scenarios of loadtests/*.js, for the Node runner: each turns settings into run options
 * and the thresholds the k6 script has. Every scenario is in PRESETS, and nowhere else.
 */
import type { LoadSettings } from "./config.ts";
import type { Executor } from "./report.ts";
import type { ChaosHook, LoadOptions } from "./runner.ts";
import { LoadSettingsError } from "./targets.ts";
import type { Thresholds } from "./thresholds.ts";

/** What a scenario runs, and how it is judged. */
export interface ScenarioPlan {
  options: LoadOptions;
  thresholds: Thresholds;
}

/** What only the caller can supply: pod-churn's pod deletion (the CLI owns the API client). */
export interface PresetExtras {
  chaosAction?: ChaosHook["action"];
}

/** A named scenario. */
export interface Preset {
  description: string;
  /** The k6 script that plays the same scenario. */
  k6Script: string;
  plan(settings: LoadSettings, extras?: PresetExtras): ScenarioPlan;
}

/** pod-churn's rate when --rate is not given. */
const POD_CHURN_DEFAULT_RATE = 50;

function common(s: LoadSettings, scenario: string, executor: Executor, keepAlive: boolean): LoadOptions {
  const o: LoadOptions = {
    scenario,
    targets: s.targets,
    path: s.path,
    executor,
    keepAlive,
    timeoutMs: s.timeoutMs,
  };
  if (s.localIps) o.localAddresses = s.localIps;
  if (s.expectPods !== undefined) o.expectedPods = s.expectPods;
  return o;
}

function vusOrRate(s: LoadSettings): Executor {
  return s.rate !== undefined
    ? { kind: "constant-arrival-rate", rate: s.rate, durationMs: s.durationMs, maxInFlight: s.maxInFlight }
    : { kind: "constant-vus", vus: s.vus, durationMs: s.durationMs };
}

/** New connections spread over nodes and pods: every pod gets a share. */
export function nodeportSpread(s: LoadSettings): ScenarioPlan {
  const thresholds: Thresholds = {
    http_req_failed: [`rate<${s.maxFailedRate}`],
    every_pod_share: [`min>${s.minPodShare}`],
  };
  if (s.expectPods !== undefined) thresholds["pods_seen"] = [`count>=${s.expectPods}`];
  return { options: common(s, "nodeport-spread", vusOrRate(s), false), thresholds };
}

/** Keep-alive: each VU's connection, and so its requests, stay on the pod it first reached. */
export function nodeportSpreadKeepalive(s: LoadSettings): ScenarioPlan {
  return {
    options: common(s, "nodeport-spread-keepalive", vusOrRate(s), true),
    thresholds: { http_req_failed: [`rate<${s.maxFailedRate}`], clients_sticky: ["rate==1"] },
  };
}

/**
 * sessionAffinity ClientIP: new connections, yet each client (source address) stays on one pod.
 * Without --local-ips every VU is the same client. Target one node: affinity is kept per node,
 * so an edge spreading connections over nodes reaches a different pod per node.
 */
export function sessionAffinity(s: LoadSettings): ScenarioPlan {
  const executor: Executor = {
    kind: "per-vu-iterations",
    vus: s.localIps ? Math.max(s.vus, s.localIps.length) : s.vus,
    iterations: s.iterations,
    maxDurationMs: s.durationMs,
  };
  return {
    options: common(s, "session-affinity", executor, false),
    thresholds: {
      http_req_failed: [`rate<${s.maxFailedRate}`],
      clients_sticky: ["rate==1"],
      same_pod_as_first: ["rate==1"],
    },
  };
}

/** A constant arrival rate while pods are deleted (by the caller's chaos action) and recreated. */
export function podChurn(s: LoadSettings, extras: PresetExtras = {}): ScenarioPlan {
  const executor: Executor = {
    kind: "constant-arrival-rate",
    rate: s.rate ?? POD_CHURN_DEFAULT_RATE,
    durationMs: s.durationMs,
    maxInFlight: s.maxInFlight,
  };
  const options = common(s, "pod-churn", executor, s.keepAlive);
  if (extras.chaosAction) options.chaos = { everyMs: s.churnEveryMs, action: extras.chaosAction };
  return {
    options,
    thresholds: { http_req_failed: [`rate<${s.maxFailedRate}`], http_req_duration: [`p(95)<${s.p95Ms}`] },
  };
}

/** Every scenario, by the name `kemu load <name>` takes. */
export const PRESETS = {
  "nodeport-spread": {
    description: "new connections spread over nodes and pods; every pod gets a share",
    k6Script: "loadtests/nodeport-spread.js",
    plan: nodeportSpread,
  },
  "nodeport-spread-keepalive": {
    description: "one kept-alive connection per VU; each VU sticks to the pod it first reached",
    k6Script: "loadtests/nodeport-spread.js (K6_KEEPALIVE=1)",
    plan: nodeportSpreadKeepalive,
  },
  "session-affinity": {
    description: "sessionAffinity ClientIP: each client (source address) sticks to one pod",
    k6Script: "loadtests/session-affinity.js",
    plan: sessionAffinity,
  },
  "pod-churn": {
    description: "constant arrival rate while pods are deleted and recreated",
    k6Script: "loadtests/pod-churn.js",
    plan: podChurn,
  },
} satisfies Record<string, Preset>;

/** A scenario name. */
export type PresetName = keyof typeof PRESETS;

/** The plan of a scenario by name; throws LoadSettingsError for an unknown name. */
export function planScenario(name: string, settings: LoadSettings, extras?: PresetExtras): ScenarioPlan {
  const preset = (PRESETS as Record<string, Preset>)[name];
  if (!preset)
    throw new LoadSettingsError(`unknown scenario "${name}" (known: ${Object.keys(PRESETS).join(", ")})`);
  return preset.plan(settings, extras);
}

/** A pod as the API lists it, as far as choosing one to delete goes. */
export interface PodSummary {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string };
  status?: { phase?: string };
}

/**
 * The pod a churn step deletes: a random Running pod not already being deleted (the k6 script
 * chooses the same way), or undefined when there is none.
 */
export function pickPodToDelete<P extends PodSummary>(
  pods: P[],
  random: () => number = Math.random,
): P | undefined {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running");
  return live.length === 0 ? undefined : live[Math.floor(random() * live.length)];
}
