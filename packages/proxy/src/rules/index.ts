/** Rule generation: the pure (services, slices, node) -> RuleSet function, its dump and the packet-flow tracer. */
export {
  computeRules,
  categorizeEndpoints,
  serviceClusterIPv4,
  compareIPs,
  compareEndpoints,
  LABEL_SERVICE_NAME,
  DEFAULT_AFFINITY_TIMEOUT_SECONDS,
} from "./compute.ts";
export { traceFlow, snatFor } from "./trace.ts";
export { dumpRules } from "./dump.ts";
