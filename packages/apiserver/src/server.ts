/**
 * The API server process: connects to NATS, opens the store, makes sure the cluster's
 * bootstrap objects exist, and serves the API over HTTP (and, see natsapi.ts, over NATS).
 */
import { firstHostIPv4, intToIPv4, ipv4ToInt, type Logger } from "@kemu/common";
import { connectNats, type NatsConnection } from "@kemu/nats";
import { Store } from "@kemu/store";
import { Api } from "./api.ts";
import { ApiError } from "./errors.ts";
import { makeHooks } from "./hooks/index.ts";
import { HttpServer } from "./http.ts";
import { NatsApi } from "./natsapi.ts";
import type { ApiServerSettings } from "./config.ts";
import type { KObject } from "@kemu/store";
import { followCrds } from "./crds.ts";
import { defaultSans, ensurePki } from "./pki.ts";

/** A running API server. */
export class ApiServer {
  readonly api: Api;
  readonly #nc: NatsConnection;
  readonly #store: Store;
  readonly #http: HttpServer;
  readonly #natsApi: NatsApi;
  readonly #log: Logger;
  #url = "";
  #advertise: { ip: string; port: number } | undefined;
  #compactor: NodeJS.Timeout | undefined;

  private constructor(
    nc: NatsConnection,
    store: Store,
    api: Api,
    http: HttpServer,
    natsApi: NatsApi,
    log: Logger,
  ) {
    this.#nc = nc;
    this.#store = store;
    this.api = api;
    this.#http = http;
    this.#natsApi = natsApi;
    this.#log = log;
  }

  /** Starts an API server with settings; resolves once it serves requests. */
  static async start(settings: ApiServerSettings, log: Logger): Promise<ApiServer> {
    const nc = await connectNats({ url: settings.natsUrl, name: "kemu-apiserver", log: log.child("nats") });
    const store = await Store.open({ nc, log: log.child("store"), eventWindow: settings.watchCacheSize });
    const api = new Api({
      store,
      log: log.child("api"),
      hooks: makeHooks(
        store,
        { serviceCIDR: settings.serviceCIDR, nodePortRange: settings.nodePortRange },
        {
          notReadySeconds: settings.defaultNotReadyTolerationSeconds,
          unreachableSeconds: settings.defaultUnreachableTolerationSeconds,
        },
      ),
    });
    followCrds(store, api.registry, log.child("crds"));
    let tls: { certPem: string; keyPem: string } | undefined;
    if (settings.tls === "true") {
      const sans = defaultSans(firstServiceIP(settings.serviceCIDR, 1), settings.listenHost);
      for (const extra of settings.tlsSans
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        if (/^[\d.]+$/.test(extra)) sans.ips.push(extra);
        else sans.dns.push(extra);
      }
      tls = await ensurePki(settings.certDir, sans);
    }
    const http = new HttpServer({
      api,
      log: log.child("http"),
      ready: () => !nc.isClosed(),
      ...(tls ? { tls } : {}),
    });
    const natsApi = new NatsApi({ api, nc, log: log.child("natsapi") });
    const server = new ApiServer(nc, store, api, http, natsApi, log);
    await bootstrap(api, settings, log);
    const addr = await http.listen(settings.listenPort, settings.listenHost);
    server.#url = `${tls ? "https" : "http"}://${addr.address}:${addr.port}`;
    const advertise = settings.advertiseAddress || defaultAdvertiseAddress(addr.address);
    if (advertise) {
      server.#advertise = { ip: advertise, port: addr.port };
      await reconcileKubernetesEndpoints(api, advertise, addr.port, log);
    } else {
      log.info("no routable address to advertise: the kubernetes Service has no endpoints", {
        listen: addr.address,
      });
    }
    await natsApi.start();
    server.#startCompactor(settings.compactionIntervalSeconds);
    log.info("serving", { url: server.#url });
    return server;
  }

  /**
   * Compacts the store every interval at the revision seen one interval earlier, as
   * kube-apiserver asks etcd to, so watches can resume across at least one interval.
   */
  #startCompactor(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return;
    let previous = this.#store.revision;
    let running = false;
    this.#compactor = setInterval(() => {
      if (running) return;
      running = true;
      const target = previous;
      previous = this.#store.revision;
      this.#store
        .compact(target)
        .then((purged) => this.#log.info("store compacted", { revision: target, purged }))
        .catch((err) => this.#log.warn("store compaction failed", { err: String(err) }))
        .finally(() => (running = false));
    }, intervalSeconds * 1000);
    this.#compactor.unref();
  }

  /** The base URL clients use. */
  get url(): string {
    return this.#url;
  }

  /** The server's NATS connection, for whatever else the process runs beside it. */
  get nc(): NatsConnection {
    return this.#nc;
  }

  /** Where the kubernetes Service's endpoints point (the advertise address), if anywhere. */
  get advertise(): { ip: string; port: number } | undefined {
    return this.#advertise;
  }

  /** Stops serving and disconnects. */
  async stop(): Promise<void> {
    clearInterval(this.#compactor);
    await this.#http.close();
    await this.#natsApi.stop();
    await this.#store.close();
    await this.#nc.drain().catch(() => {});
    this.#log.info("stopped");
  }
}

/** Creates the objects every cluster starts with, if they are missing. Idempotent. */
export async function bootstrap(api: Api, settings: ApiServerSettings, log: Logger): Promise<void> {
  const ensure = async (group: string, resource: string, namespace: string | undefined, obj: KObject) => {
    const def = api.registry.lookup(group, "v1", resource)!;
    try {
      await api.create(def, namespace, obj);
      log.info("bootstrap: created", { resource, name: obj["metadata"]["name"] });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === "AlreadyExists")) throw err;
    }
  };
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    await ensure("", "namespaces", undefined, { metadata: { name: ns } });
  }
  const first = firstServiceIP(settings.serviceCIDR, 1);
  const dns = firstServiceIP(settings.serviceCIDR, 10);
  await ensure("", "services", "default", {
    metadata: { name: "kubernetes", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: {
      type: "ClusterIP",
      clusterIP: first,
      sessionAffinity: "None",
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }],
    },
  });
  await ensure("", "services", "kube-system", {
    metadata: {
      name: "kube-dns",
      labels: {
        "k8s-app": "kube-dns",
        "kubernetes.io/cluster-service": "true",
        "kubernetes.io/name": "CoreDNS",
      },
      annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" },
    },
    spec: {
      type: "ClusterIP",
      clusterIP: dns,
      selector: { "k8s-app": "kube-dns" },
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
      ],
    },
  });
}

/**
 * What kube-apiserver advertises when --advertise-address is not given: the address it is bound
 * to, when that is a routable IPv4; otherwise (all interfaces, or loopback, which Endpoints may
 * not hold) this host's first non-loopback IPv4 address.
 */
function defaultAdvertiseAddress(bound: string): string | undefined {
  if (ipv4ToInt(bound) !== undefined && bound !== "0.0.0.0" && !bound.startsWith("127.")) return bound;
  return firstHostIPv4()?.address;
}

/** The n-th address of the service CIDR (1 → 10.96.0.1). */
function firstServiceIP(cidr: string, n: number): string {
  return intToIPv4((ipv4ToInt(cidr.split("/")[0]!) ?? 0) + n);
}

/**
 * The `kubernetes` Service's endpoints point at the API server, as kube-apiserver's endpoint
 * reconciler keeps them: an Endpoints object (not mirrored) and an EndpointSlice.
 */
async function reconcileKubernetesEndpoints(api: Api, ip: string, port: number, log: Logger): Promise<void> {
  const epDef = api.registry.lookup("", "v1", "endpoints")!;
  const sliceDef = api.registry.lookup("discovery.k8s.io", "v1", "endpointslices")!;
  const endpoints: KObject = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: {
      name: "kubernetes",
      namespace: "default",
      labels: { "endpointslice.kubernetes.io/skip-mirror": "true" },
    },
    subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port, protocol: "TCP" }] }],
  };
  const slice: KObject = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: "kubernetes",
      namespace: "default",
      labels: { "kubernetes.io/service-name": "kubernetes" },
    },
    addressType: "IPv4",
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports: [{ name: "https", port, protocol: "TCP" }],
  };
  try {
    await api.update(epDef, "default", "kubernetes", endpoints);
    const cur = await api.get(sliceDef, "default", "kubernetes").catch(() => undefined);
    if (cur)
      await api.update(sliceDef, "default", "kubernetes", {
        ...slice,
        metadata: { ...slice["metadata"], resourceVersion: cur["metadata"]["resourceVersion"] },
      });
    else await api.create(sliceDef, "default", slice);
  } catch (err) {
    log.warn("could not reconcile the kubernetes Service's endpoints", { err: String(err) });
  }
}
