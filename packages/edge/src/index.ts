/** @kemu/edge: the emulated external load balancer and LoadBalancer IP pool. */
export { Edge, autoLoadBalancerPool, type EdgeOptions } from "./edge.ts";
export { EdgeBalancer, frontendsFor, type Frontend, type BalancerOptions } from "./balancer.ts";
export { LoadBalancerPool, poolAddresses } from "./lbpool.ts";
