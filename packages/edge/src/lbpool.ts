/**
 * The LoadBalancer IP pool: what a cloud controller manager's service controller does for
 * Services of type LoadBalancer. Each one gets an address from the pool (127.0.2.0/24 on the
 * loopback fabric) in status.loadBalancer.ingress, so EXTERNAL-IP shows it; the address is
 * released when the Service goes or changes type. spec.loadBalancerIP is honoured when it is in
 * the pool and free. Services with a spec.loadBalancerClass are left to their own controller.
 *
 * Assignments live only in the Services' status (level-triggered: a restart rebuilds the used
 * set from them), and one worker assigns, so two Services never get the same address.
 */
import { intToIPv4, ipv4ToInt, prefixMask, type Logger } from "@kemu/common";
import { R, WorkQueue, type ApiClient, type Informer, type KObject } from "@kemu/controllers";

/** A pool of IPv4 addresses, from a CIDR without its network and broadcast addresses. */
export function poolAddresses(cidr: string): string[] {
  const [addr, bits] = cidr.split("/");
  const prefix = Number(bits);
  const ip = ipv4ToInt(addr ?? "");
  if (ip === undefined || !(prefix >= 16 && prefix <= 30))
    throw new Error(`invalid LoadBalancer pool ${cidr}`);
  const base = (ip & prefixMask(prefix)) >>> 0;
  const size = 2 ** (32 - prefix);
  const out: string[] = [];
  for (let i = 1; i < size - 1; i++) out.push(intToIPv4(base + i));
  return out;
}

function isManaged(svc: KObject): boolean {
  return svc["spec"]?.["type"] === "LoadBalancer" && !svc["spec"]?.["loadBalancerClass"];
}

function ingressIPs(svc: KObject): string[] {
  return ((svc["status"]?.["loadBalancer"]?.["ingress"] ?? []) as KObject[])
    .map((i) => i["ip"])
    .filter(Boolean);
}

/** Keeps LoadBalancer Services' ingress addresses assigned from the pool. */
export class LoadBalancerPool {
  readonly #client: ApiClient;
  readonly #services: Informer;
  readonly #pool: string[];
  readonly #queue: WorkQueue;
  readonly #log: Logger;

  constructor(client: ApiClient, services: Informer, cidr: string, log: Logger) {
    this.#client = client;
    this.#services = services;
    this.#pool = poolAddresses(cidr);
    this.#log = log;
    this.#queue = new WorkQueue("lb-pool", log);
    const key = (s: KObject) => `${s["metadata"]["namespace"]}/${s["metadata"]["name"]}`;
    services.addHandlers({ add: (s) => this.#queue.add(key(s)), update: (_o, s) => this.#queue.add(key(s)) });
  }

  /** Starts the single worker. */
  run(): void {
    void this.#queue.run(1, (key) => this.#sync(key));
  }

  /** Stops it. */
  stop(): void {
    this.#queue.stop();
  }

  #used(except: string): Set<string> {
    const used = new Set<string>();
    for (const s of this.#services.list()) {
      if (`${s["metadata"]["namespace"]}/${s["metadata"]["name"]}` === except || !isManaged(s)) continue;
      for (const ip of ingressIPs(s)) used.add(ip);
    }
    return used;
  }

  async #sync(key: string): Promise<void> {
    const svc = this.#services.get(key);
    if (!svc) return;
    const [namespace, name] = key.split("/") as [string, string];
    const have = ingressIPs(svc);
    if (!isManaged(svc)) {
      // No longer a LoadBalancer: give the address back.
      if (have.length > 0 && svc["spec"]?.["type"] !== "LoadBalancer") {
        await this.#client.patch(
          R.services,
          namespace,
          name,
          { status: { loadBalancer: { ingress: null } } },
          { subresource: "status" },
        );
      }
      return;
    }
    const used = this.#used(key);
    if (have.length > 0 && have.every((ip) => this.#pool.includes(ip) && !used.has(ip))) return;
    const wanted: string | undefined = svc["spec"]?.["loadBalancerIP"];
    const ip =
      wanted && this.#pool.includes(wanted) && !used.has(wanted)
        ? wanted
        : this.#pool.find((a) => !used.has(a));
    if (!ip) {
      this.#log.warn("LoadBalancer pool exhausted", { service: key });
      return;
    }
    await this.#client.patch(
      R.services,
      namespace,
      name,
      { status: { loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } } },
      { subresource: "status" },
    );
    this.#log.info("LoadBalancer address assigned", { service: key, ip });
  }
}
