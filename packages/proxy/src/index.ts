/** @kemu/proxy: the kube-proxy emulator (rules, sync machine, userspace data plane, metrics). */
export type * from "./types.ts";
