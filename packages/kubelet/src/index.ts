/** @kemu/kubelet: the kubelet emulator (node registration, leases, emulated containers, probes, logs, exec). */
export { Kubelet, type KubeletOptions } from "./kubelet.ts";
export {
  KubeletSettings,
  KUBELET_SETTING_SOURCES,
  KubeletSettingsError,
  kubeletSettings,
  parseKubeletSettings,
  type KubeletSettingsInput,
} from "./config.ts";
export { systemClock, ManualClock, sleep, type Clock, type ClockTimer } from "./clock.ts";
export { APPS, appForImage, imageRepo, type AppEntry } from "./apps/registry.ts";
export type {
  AppContext,
  AppContainer,
  AppPod,
  Datagram,
  EmulatedApp,
  HealthVerdict,
  RunningApp,
} from "./apps/types.ts";
export { PROBE_HEADER } from "./apps/serve.ts";
export { KNOB_SOURCES, DEFAULT_KNOBS, KnobError, parseKnobs, parseDuration, type Knobs } from "./knobs.ts";
export { readClientAddress, formatProxyHeader, type ProxyHeader, type ClientAddress } from "./proxyproto.ts";
export {
  fetchLogs,
  followLogs,
  callNodeService,
  NodeServiceError,
  type LogsRequest,
  type LogsChunk,
  type NodeStatusError,
} from "./logs.ts";
export { execInPod, type ExecRequest, type ExecResult } from "./exec.ts";
export { PodIPAllocator, IPExhaustedError } from "./ipam.ts";
export { KUBELET_VERSION, CONTAINER_RUNTIME_VERSION, NODE_LEASE_NAMESPACE } from "./node.ts";
export { recorderEvents, type KubeletEvents } from "./events.ts";
export type { PodWorker } from "./pod.ts";
export type { Container } from "./container.ts";
export type { LogBuffer } from "./logbuffer.ts";
