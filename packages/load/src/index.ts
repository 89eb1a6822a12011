/** @kemu/load: a Node load runner that plays the k6 scenarios of loadtests/ and reports the same figures. */
export { runLoad, DEFAULT_TIMEOUT_MS, type LoadOptions, type ChaosHook } from "./runner.ts";
export {
  ERROR_KINDS,
  percentile,
  type ErrorKind,
  type Executor,
  type LoadReport,
  type ProgressSnapshot,
  type TrendStats,
  type ShareRow,
  type TargetRow,
  type ClientRow,
  type ChaosRecord,
  type Fraction,
} from "./report.ts";
export {
  evaluateThresholds,
  validateThresholds,
  parseThreshold,
  METRICS,
  type Thresholds,
  type ThresholdSpec,
  type ThresholdResult,
  type ThresholdOutcome,
  type ParsedThreshold,
} from "./thresholds.ts";
export { formatReport, formatProgress, formatMs, formatPct, describeExecutor } from "./format.ts";
export { parseLanding, UNKNOWN, type Landing } from "./landing.ts";
export {
  parseTargets,
  parseLocalIps,
  parseDuration,
  targetKey,
  LoadSettingsError,
  type Target,
} from "./targets.ts";
export { LoadSettings, LOAD_SETTING_SOURCES, parseLoadSettings } from "./config.ts";
export {
  PRESETS,
  planScenario,
  nodeportSpread,
  nodeportSpreadKeepalive,
  sessionAffinity,
  podChurn,
  pickPodToDelete,
  type Preset,
  type PresetName,
  type PresetExtras,
  type ScenarioPlan,
  type PodSummary,
} from "./presets.ts";
