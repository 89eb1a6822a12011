/** The userspace data plane: NodePort listeners, connect()-time DNAT, and the PROXY v1 helpers pods use. */
export {
  UserspaceDataPlane,
  createUserspaceDataPlane,
  DataPlaneConnectError,
  type UserspaceDataPlaneOptions,
  type ConnectResult,
  type ConntrackCounts,
} from "./userspace.ts";
export {
  readProxyHeader,
  writeProxyHeader,
  formatProxyHeader,
  parseProxyHeader,
  ProxyHeaderError,
  PROXY_V1_MAX_LENGTH,
  type ProxyHeader,
  type ProxyAddresses,
} from "@kemu/common";
export { healthCheckBody, type HealthCheckTarget } from "./healthcheck.ts";
export { type Clock } from "./balancer.ts";
