/** @kemu/proxy: the kube-proxy emulator (rules, sync machine, userspace data plane, metrics). */
export type * from "./types.ts";
// The userspace data plane (packages/proxy/src/dataplane).
export * from "./dataplane/index.ts";
export {
  computeRules,
  categorizeEndpoints,
  serviceClusterIPv4,
  compareIPs,
  compareEndpoints,
  traceFlow,
  snatFor,
  dumpRules,
  LABEL_SERVICE_NAME,
  DEFAULT_AFFINITY_TIMEOUT_SECONDS,
} from "./rules/index.ts";
export {
  proxySyncMachine,
  syncStatus,
  type ProxySyncSnapshot,
  type ProxySyncStatus,
  type SyncContext,
  type SyncEvent,
  type SyncInput,
  type SyncMachineInput,
  type SyncOutput,
  type SyncReason,
  type SyncState,
} from "./machine/machine.ts";
export {
  KubeProxy,
  realClock,
  proxyStatusSubject,
  proxyStatusRequestSubject,
  type KubeProxyOptions,
  type KubeProxyStatus,
  type ProxyClock,
} from "./kubeproxy.ts";
export { ChangeTracker, ANNOTATION_LAST_CHANGE_TRIGGER_TIME, type CheckedOutChanges } from "./changes.ts";
export { ProxyHealth, formatGoTime, nodeEligible, TO_BE_DELETED_TAINT, type HealthCheck } from "./healthz.ts";
export { ProxyMetrics } from "./metrics.ts";
export { HEALTHZ_PORT, METRICS_PORT } from "./http.ts";
