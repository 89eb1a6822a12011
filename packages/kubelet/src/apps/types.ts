/**
 * The contract between the kubelet's container runtime and an emulated application. There is
 * no container runtime: each container of a pod becomes an EmulatedApp chosen by its image
 * (registry.ts). The runtime owns the sockets (binding where the fabric says, publishing them,
 * reading the PROXY header, closing them on stop) and the knobs; the app only answers.
 */
import type { Socket } from "node:net";
import type { Logger } from "@kemu/common";
import type { ApiClient, KObject } from "@kemu/controllers";
import type { Clock } from "../clock.ts";
import type { Knobs } from "../knobs.ts";
import type { ProbeKind } from "../prober.ts";
import type { ClientAddress } from "../proxyproto.ts";

/** Where the app runs. */
export interface AppPod {
  namespace: string;
  name: string;
  uid: string;
  /** The pod IP (10.244.N.x), or the node IP for hostNetwork pods. */
  ip: string;
  nodeName: string;
  hostIP: string;
}

/** The container the app is. */
export interface AppContainer {
  name: string;
  image: string;
  /** The container ID without its "kemu://" scheme (64 hex digits). */
  id: string;
  /** Declared containerPorts. */
  ports: { name: string | undefined; containerPort: number; protocol: "TCP" | "UDP" | "SCTP" }[];
  /**
   * TCP ports a generic server listens on: the TCP containerPorts, plus numeric ports the
   * container's probes use (an app serves what its probes check).
   */
  tcpPorts: number[];
  /** UDP containerPorts. */
  udpPorts: number[];
  /** The core/v1 Container. */
  spec: KObject;
}

/** What a health check asks of an app (the knobs decide the answer). */
export interface HealthVerdict {
  ok: boolean;
  /** Why not, for logs and exec probe output. */
  message: string;
}

/** A datagram and how to answer it. */
export interface Datagram {
  data: Buffer;
  from: ClientAddress;
  reply(data: Buffer): void;
}

/** Everything an app is given. */
export interface AppContext {
  readonly pod: AppPod;
  readonly container: AppContainer;
  /** The knobs now (annotations may change them while the app runs). */
  knobs(): Knobs;
  /** The app's health for a probe of this type, from the knobs. */
  health(kind: ProbeKind): HealthVerdict;
  /** Writes a line to the container's stdout (`kubectl logs`). */
  stdout(line: string): void;
  /** The node agent's own log. */
  readonly log: Logger;
  readonly clock: Clock;
  /** The cluster API, for apps that need cluster state (the DNS app). */
  readonly api: ApiClient;
  /**
   * Serves TCP port: each connection arrives with its client address (from the PROXY header,
   * else the peer), the header already consumed.
   */
  listenTcp(port: number, onConnection: (socket: Socket, client: ClientAddress) => void): Promise<void>;
  /** Serves UDP port. */
  listenUdp(port: number, onDatagram: (d: Datagram) => void): Promise<void>;
}

/** A started app: optional hooks the runtime calls. */
export interface RunningApp {
  /** SIGTERM arrived: the app may log it; the runtime keeps or closes the sockets per the knob. */
  terminating?(mode: "immediate" | "drain", graceMs: number): void;
}

/** An emulated application. Implementations are checked with `satisfies EmulatedApp`. */
export interface EmulatedApp {
  /** Short name, shown in logs. */
  readonly name: string;
  /**
   * Starts serving: binds its ports through ctx and resolves once it listens. The runtime
   * closes the sockets when the container stops; timers the app starts must use ctx.clock.
   */
  start(ctx: AppContext): Promise<RunningApp | void>;
}
