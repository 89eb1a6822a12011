/** @kemu/fabric: how cluster addresses map onto real sockets (loopback fabric; the kernel fabric comes with compose). */
export type { Fabric, Protocol, SocketAddress } from "./types.ts";
export { LoopbackFabric } from "./loopback.ts";
