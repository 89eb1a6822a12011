/** @kemu/node: an emulated node (kubelet + kube-proxy + data plane), and a host for many. */
export { NodeAgent, tuningOf, type NodeAgentOptions, type NodeTuning } from "./agent.ts";
export { NodeHost, type NodeHostOptions } from "./host.ts";
export { HostDnsPort, KUBE_DNS_IP } from "./dnsport.ts";
export { KernelNode, podRoutes, type KernelNodeOptions } from "./kernelnode.ts";
