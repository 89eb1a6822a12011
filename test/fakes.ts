/**
 * Test stand-ins for what runs on nodes, until the real node agent exists: Node objects with
 * heartbeating Leases, and a fake kubelet that runs the pods bound to its nodes (marks them
 * Running and Ready with an IP from the node's podCIDR) and finishes graceful deletions.
 * They talk to the API over NATS, as node agents do.
 */
import { TestLog } from "@kemu/common";
import { ApiClient, Informer, R, type KObject } from "@kemu/controllers";
import { connectNats, type NatsConnection } from "@kemu/nats";
import type { TestCluster } from "./harness.ts";

/** A connection to the cluster's API over NATS, for tests. */
export class TestClient {
  readonly nc: NatsConnection;
  readonly api: ApiClient;

  private constructor(nc: NatsConnection) {
    this.nc = nc;
    this.api = new ApiClient(nc);
  }

  /** Connects to the cluster's nats-server. */
  static async connect(c: TestCluster): Promise<TestClient> {
    const nc = await connectNats({ url: c.nats.url, name: "test-client", log: new TestLog().logger() });
    return new TestClient(nc);
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.nc.drain().catch(() => {});
  }
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** Options of a fake node. */
export interface FakeNodeOptions {
  labels?: Record<string, string>;
  taints?: KObject[];
  unschedulable?: boolean;
  ready?: boolean;
  /** The N of 10.244.N.0/24 and 127.0.1.N. */
  index: number;
}

/** Creates a Node (Ready unless told otherwise) and its Lease in kube-node-lease. */
export async function createNode(api: ApiClient, name: string, opts: FakeNodeOptions): Promise<KObject> {
  const ready = opts.ready ?? true;
  const node = await api.create(R.nodes, undefined, {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        ...opts.labels,
      },
    },
    spec: {
      podCIDR: `10.244.${opts.index}.0/24`,
      podCIDRs: [`10.244.${opts.index}.0/24`],
      ...(opts.taints ? { taints: opts.taints } : {}),
      ...(opts.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
      addresses: [
        { type: "InternalIP", address: `127.0.1.${opts.index}` },
        { type: "Hostname", address: name },
      ],
      conditions: [
        {
          type: "Ready",
          status: ready ? "True" : "False",
          reason: ready ? "KubeletReady" : "KubeletNotReady",
          message: ready ? "kubelet is posting ready status" : "fake node is not ready",
          lastHeartbeatTime: now(),
          lastTransitionTime: now(),
        },
      ],
      nodeInfo: {
        kubeletVersion: "v1.32.0-kemu",
        containerRuntimeVersion: "kemu://0.1.0",
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  });
  await renewLease(api, name);
  return node;
}

/** Creates or renews a node's Lease, as a kubelet heartbeat does. */
export async function renewLease(api: ApiClient, node: string): Promise<void> {
  const t = new Date().toISOString().replace("Z", "000Z");
  const cur = await api.get(R.leases, "kube-node-lease", node);
  if (!cur) {
    await api.create(R.leases, "kube-node-lease", {
      metadata: { name: node },
      spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: t },
    });
  } else {
    await api.patch(R.leases, "kube-node-lease", node, { spec: { renewTime: t } });
  }
}

/**
 * Runs the pods bound to some nodes: each bound Pending pod becomes Running and Ready with the
 * next IP of its node's /24; a pod being deleted is removed once seen (grace period 0).
 */
export class FakeKubelet {
  readonly #api: ApiClient;
  readonly #nodes: Map<string, number>;
  readonly #informer: Informer;
  readonly #nextIP = new Map<string, number>();
  readonly #pending = new Set<Promise<unknown>>();
  #stopped = false;

  private constructor(api: ApiClient, nodes: Map<string, number>) {
    this.#api = api;
    this.#nodes = nodes;
    this.#informer = new Informer(api, R.pods, new TestLog().logger("fake-kubelet"));
  }

  /** Starts a fake kubelet for nodes (name → index N of 10.244.N.0/24). */
  static async start(api: ApiClient, nodes: Record<string, number>): Promise<FakeKubelet> {
    const k = new FakeKubelet(api, new Map(Object.entries(nodes)));
    k.#informer.addHandlers({ add: (p) => k.#sync(p), update: (_o, p) => k.#sync(p) });
    await k.#informer.start();
    return k;
  }

  #sync(pod: KObject): void {
    if (this.#stopped) return;
    const node = pod["spec"]?.["nodeName"];
    const index = node === undefined ? undefined : this.#nodes.get(node);
    if (index === undefined) return;
    const md = pod["metadata"];
    let work: Promise<unknown> | undefined;
    if (md["deletionTimestamp"]) {
      work = this.#api.delete(R.pods, md["namespace"], md["name"], {
        gracePeriodSeconds: 0,
        preconditions: { uid: md["uid"] },
      });
    } else if (pod["status"]?.["phase"] === "Pending") {
      const n = (this.#nextIP.get(node) ?? 1) + 1;
      this.#nextIP.set(node, n);
      const ip = `10.244.${index}.${n}`;
      const t = now();
      const cond = (type: string) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: t });
      work = this.#api.patch(
        R.pods,
        md["namespace"],
        md["name"],
        {
          status: {
            phase: "Running",
            podIP: ip,
            podIPs: [{ ip }],
            hostIP: `127.0.1.${index}`,
            hostIPs: [{ ip: `127.0.1.${index}` }],
            startTime: t,
            conditions: [
              cond("PodReadyToStartContainers"),
              cond("Initialized"),
              cond("Ready"),
              cond("ContainersReady"),
              cond("PodScheduled"),
            ],
            containerStatuses: (pod["spec"]["containers"] as KObject[]).map((c) => ({
              name: c["name"],
              image: c["image"],
              imageID: `kemu://${c["image"]}`,
              containerID: `kemu://${md["uid"]}-${c["name"]}`,
              ready: true,
              started: true,
              restartCount: 0,
              state: { running: { startedAt: t } },
              lastState: {},
            })),
          },
        },
        { subresource: "status" },
      );
    }
    if (work) {
      const p = work.catch(() => {});
      this.#pending.add(p);
      void p.finally(() => this.#pending.delete(p));
    }
  }

  /** Pods this kubelet's informer sees. */
  pods(): KObject[] {
    return this.#informer.list();
  }

  /** Stops the kubelet and waits for writes in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#informer.stop();
    await Promise.all([...this.#pending]);
  }
}
