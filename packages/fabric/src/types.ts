/**
 * A network fabric maps the cluster's addresses (pod IPs 10.244.N.x, ClusterIPs 10.96.x.y,
 * node IPs) onto real sockets. kemu has two, with the same semantics:
 *
 * - loopback (`kemu up`, no root): node N is 127.0.1.N; pod and cluster addresses are virtual,
 *   and a pod's port is really served on some 127.0.0.1 port that the fabric records.
 * - kernel (docker compose, one container per node): addresses are real, on the container's
 *   own interfaces, routed between containers.
 */

/** L4 protocol of a port. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** A real socket address. */
export interface SocketAddress {
  host: string;
  port: number;
}

/** The fabric, as node agents use it. */
export interface Fabric {
  readonly kind: "loopback" | "kernel";
  /** Node N's InternalIP, where its NodePorts, kube-proxy /healthz and metrics listen. */
  nodeIP(index: number): string;
  /** Makes a pod IP usable on this host (kernel: an address on lo; loopback: nothing). */
  addPodIP(ip: string): Promise<void>;
  /** Undoes addPodIP. */
  removePodIP(ip: string): Promise<void>;
  /** Where a pod's server for podIP:port/proto should bind. */
  podListenAddress(podIP: string, port: number, proto: Protocol): SocketAddress;
  /** Records where a pod's server really bound, so others can reach podIP:port/proto. */
  publishPodPort(
    node: string,
    podIP: string,
    port: number,
    proto: Protocol,
    bound: SocketAddress,
  ): Promise<void>;
  /** Forgets a pod's port. */
  unpublishPodPort(podIP: string, port: number, proto: Protocol): Promise<void>;
  /** Where to connect to reach podIP:port/proto; undefined when nothing serves it. */
  resolvePodPort(podIP: string, port: number, proto: Protocol): SocketAddress | undefined;
  /**
   * Puts a service IP (ClusterIP, external or LoadBalancer IP) on this host so the data plane can
   * listen on it; absent on the loopback fabric, where service IPs are reached through connect().
   */
  readonly serviceIPs?: { add(ip: string): Promise<void>; remove(ip: string): Promise<void> };
  /** Forgets every pod port a node published (a node agent starting afresh). */
  forgetNode(node: string): Promise<void>;
  /** Stops following the fabric's records. */
  close(): Promise<void>;
}
