/**
 * The contract between kube-proxy's parts: a pure function turns (services, endpoint slices,
 * node, config) into a RuleSet; the sync machine decides when; a data plane applies a RuleSet
 * in one step. (kubernetes pkg/proxy: change trackers, syncProxyRules, one restore.)
 */
import type { Protocol, SocketAddress } from "@kemu/fabric";

/** kube-proxy's --proxy-mode, set per node. */
export type ProxyMode = "iptables" | "ipvs" | "nftables";

/** IPVS schedulers (--ipvs-scheduler). */
export type IpvsScheduler = "rr" | "wrr" | "lc" | "wlc" | "sh" | "dh" | "sed" | "nq";

/** What the rules need to know about the node they run on. */
export interface NodeInfo {
  name: string;
  /** The node's InternalIP (127.0.1.N on the loopback fabric). */
  ip: string;
  /** topology.kubernetes.io/zone, if labelled. */
  zone?: string;
}

/** Per-node proxy settings. */
export interface ProxyConfig {
  mode: ProxyMode;
  ipvsScheduler: IpvsScheduler;
  /** Pod CIDR of the whole cluster: traffic from it is "from a pod" (no SNAT for local endpoints). */
  clusterCIDR: string;
  /** minSyncPeriod and syncPeriod, in ms. */
  minSyncPeriodMs: number;
  syncPeriodMs: number;
}

/** One endpoint of a service port, as the rules use it. */
export interface RuleEndpoint {
  /** Pod IP. */
  ip: string;
  /** The resolved target port. */
  port: number;
  nodeName: string | undefined;
  zone: string | undefined;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On this node. */
  isLocal: boolean;
  /** Pod namespace/name, for displays and metrics (from targetRef). */
  podRef: string | undefined;
}

/** What one service port does on this node (kube-proxy's ServicePort + its endpoints, categorised). */
export interface ServicePortRule {
  /** "namespace/name:portName" (portName may be empty), kube-proxy's ServicePortName. */
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
  /** The ClusterIP (headless and ExternalName services have no rules at all). */
  clusterIP: string;
  port: number;
  /** Set for NodePort and LoadBalancer services. */
  nodePort: number | undefined;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** Set for LoadBalancer services with externalTrafficPolicy Local. */
  healthCheckNodePort: number | undefined;
  /** ClientIP session affinity timeout, when sessionAffinity is ClientIP. */
  affinityTimeoutSeconds: number | undefined;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** Endpoints for traffic to the ClusterIP (internalTrafficPolicy, terminating fallback applied). */
  clusterEndpoints: RuleEndpoint[];
  /** Endpoints for NodePort, LoadBalancer and externalIP traffic (externalTrafficPolicy applied). */
  externalEndpoints: RuleEndpoint[];
  /**
   * Set only when externalPolicyLocal and the port is reachable from outside: kube-proxy's
   * Cluster-policy endpoints, which connections from pods and from the node itself to the
   * NodePort, external IPs or LoadBalancer IPs use instead of externalEndpoints (the EXT
   * chain's short-circuit; the node's own traffic is also masqueraded). Added by the rules
   * engineer; optional so that older consumers keep compiling.
   */
  clusterPolicyEndpoints?: RuleEndpoint[];
  /** Any endpoint at all (kube-proxy rejects when none exists, and drops when only remote ones do for Local). */
  hasEndpoints: boolean;
  /** Ready endpoints on this node, for healthCheckNodePort. */
  localReadyEndpoints: number;
}

/** Everything one node's proxy does, canonical and sorted (rules by id, endpoints by ip:port). */
export interface RuleSet {
  node: NodeInfo;
  mode: ProxyMode;
  ipvsScheduler: IpvsScheduler;
  rules: ServicePortRule[];
}

/** Where a connection comes from, for the tracer and the data plane. */
export interface FlowSource {
  ip: string;
  port: number;
  /** From a pod on this node, another node's pod, or outside the cluster. */
  origin: "local-pod" | "remote-pod" | "host" | "external";
}

/** The verdict for one new connection. */
export type FlowVerdict =
  | { kind: "forward"; rule: string; candidates: RuleEndpoint[]; snat: boolean }
  | { kind: "reject"; rule: string; reason: string }
  | { kind: "drop"; rule: string; reason: string }
  | { kind: "no-rule" };

/** A data plane applies RuleSets; one implementation per fabric, checked with `satisfies`. */
export interface DataPlane {
  /** Applies a whole RuleSet in one step; established connections survive (conntrack). */
  apply(rules: RuleSet): Promise<void>;
  /**
   * Connects a client inside the cluster (a pod, or a `kemu` command run on this node) to
   * dst, through the rules: what a socket connect() to a ClusterIP does on a real node.
   */
  connect(
    src: FlowSource,
    dstIP: string,
    dstPort: number,
    proto: Protocol,
  ): Promise<SocketAddress & { sourceIP: string }>;
  /** Counters per service port and endpoint since start, for `kemu top` and metrics. */
  stats(): DataPlaneStats;
  close(): Promise<void>;
}

/** Connection counters. */
export interface DataPlaneStats {
  /** rule id → endpoint "ip:port" → new connections. */
  connections: Record<string, Record<string, number>>;
  rejected: number;
  dropped: number;
}
