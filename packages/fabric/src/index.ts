/** @kemu/fabric: how cluster addresses map onto real sockets (the loopback and kernel fabrics). */
export type { Fabric, Protocol, SocketAddress } from "./types.ts";
export { LoopbackFabric } from "./loopback.ts";
export {
  KernelFabric,
  detectNodeIP,
  runIp,
  type IpRunner,
  type KernelFabricOptions,
  type PodRoute,
} from "./kernel.ts";
