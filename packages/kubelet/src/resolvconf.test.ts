import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nullLogger } from "@kemu/common";
import type { KObject } from "@kemu/controllers";
import { ClusterDNS, decodeMessage, encodeMessage, type ObjectSource } from "@kemu/dns";
import { candidates, podResolvConf, resolveInPod, type PodResolvConf } from "./resolvconf.ts";

const pod = (spec: KObject = {}): KObject => ({ metadata: { namespace: "shop", name: "p" }, spec });

describe("pod resolv.conf", () => {
  it("resolvconf: ClusterFirst points at kube-dns with the namespace's search path and ndots:5", () => {
    expect(podResolvConf(pod())).toEqual({
      nameservers: ["10.96.0.10"],
      searches: ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"],
      ndots: 5,
    });
    expect(
      podResolvConf(pod({ dnsPolicy: "ClusterFirstWithHostNet", hostNetwork: true })).nameservers,
    ).toEqual(["10.96.0.10"]);
  });

  it("resolvconf: host-network ClusterFirst and Default use the node's resolver; None only dnsConfig", () => {
    expect(podResolvConf(pod({ dnsPolicy: "ClusterFirst", hostNetwork: true })).nameservers).toBe("host");
    expect(podResolvConf(pod({ dnsPolicy: "Default" })).nameservers).toBe("host");
    expect(
      podResolvConf(
        pod({
          dnsPolicy: "None",
          dnsConfig: {
            nameservers: ["10.0.0.53"],
            searches: ["corp"],
            options: [{ name: "ndots", value: "2" }],
          },
        }),
      ),
    ).toEqual({ nameservers: ["10.0.0.53"], searches: ["corp"], ndots: 2 });
  });

  it("resolvconf: dnsConfig adds nameservers and searches to ClusterFirst", () => {
    const c = podResolvConf(
      pod({ dnsConfig: { nameservers: ["1.1.1.1"], searches: ["corp", "cluster.local"] } }),
    );
    expect(c.nameservers).toEqual(["10.96.0.10", "1.1.1.1"]);
    expect(c.searches).toEqual(["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp"]);
  });

  it("resolvconf: fewer dots than ndots try the search path first; a trailing dot is absolute", () => {
    const c = podResolvConf(pod());
    expect(candidates("web", c)).toEqual([
      "web.shop.svc.cluster.local",
      "web.svc.cluster.local",
      "web.cluster.local",
      "web",
    ]);
    expect(candidates("web.shop.svc.cluster.local.", c)).toEqual(["web.shop.svc.cluster.local"]);
    expect(candidates("a.b.c.d.e.f", c)[0]).toBe("a.b.c.d.e.f");
  });
});

class FixedSource implements ObjectSource {
  readonly svcs: KObject[];
  constructor(svcs: KObject[]) {
    this.svcs = svcs;
  }
  start = async (): Promise<void> => {};
  stop = (): void => {};
  services = (): KObject[] => this.svcs;
  endpointSlices = (): KObject[] => [];
}

describe("resolving from a pod against a cluster DNS", () => {
  let dns: ClusterDNS;
  const dialed: string[] = [];
  const conf: PodResolvConf = { ...podResolvConf(pod()), nameservers: ["10.96.0.10"] };
  const dial = (ip: string, port: number) => {
    dialed.push(`${ip}:${port}`);
    return new Promise<import("node:net").Socket>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port: dns.port }, () => resolve(s));
      s.once("error", reject);
    });
  };

  beforeAll(async () => {
    dns = new ClusterDNS({
      log: nullLogger,
      source: new FixedSource([
        {
          metadata: { namespace: "shop", name: "web" },
          spec: { clusterIP: "10.96.5.5", clusterIPs: ["10.96.5.5"] },
        },
        {
          metadata: { namespace: "other", name: "db" },
          spec: { clusterIP: "10.96.6.6", clusterIPs: ["10.96.6.6"] },
        },
        {
          metadata: { namespace: "shop", name: "alias" },
          spec: { type: "ExternalName", externalName: "web.shop.svc.cluster.local" },
        },
      ]),
    });
    await dns.start({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await dns.stop();
  });

  it("resolvconf: short, namespaced and full names resolve through the nameserver", async () => {
    expect(await resolveInPod("web", conf, dial)).toBe("10.96.5.5");
    expect(dialed.every((d) => d === "10.96.0.10:53")).toBe(true);
    expect(await resolveInPod("db.other", conf, dial)).toBe("10.96.6.6");
    expect(await resolveInPod("db.other.svc.cluster.local.", conf, dial)).toBe("10.96.6.6");
    // "db" alone is in another namespace: not on this pod's search path.
    expect(await resolveInPod("db", conf, dial)).toBeUndefined();
  });

  it("resolvconf: an ExternalName's CNAME is followed to an address", async () => {
    expect(await resolveInPod("alias", conf, dial)).toBe("10.96.5.5");
  });

  it("resolvconf: queries go over UDP first, as glibc sends them, routed like the pod's datagrams", async () => {
    const routed: string[] = [];
    dialed.length = 0;
    const udp = async (ip: string, port: number) => {
      routed.push(`${ip}:${port}`);
      return { host: "127.0.0.1", port: dns.port };
    };
    expect(await resolveInPod("web", conf, dial, 2_000, udp)).toBe("10.96.5.5");
    expect(routed[0]).toBe("10.96.0.10:53");
    expect(dialed).toEqual([]);
  });

  it("resolvconf: a truncated UDP answer is asked again over TCP", async () => {
    // A nameserver whose UDP answers are always truncated (TC set, no records).
    const tcServer = createSocket("udp4");
    tcServer.on("message", (m, r) => {
      const q = decodeMessage(m);
      tcServer.send(
        encodeMessage({ id: q.id, qr: true, tc: true, rd: true, questions: q.questions }),
        r.port,
        r.address,
      );
    });
    await new Promise<void>((r) => tcServer.bind(0, "127.0.0.1", () => r()));
    try {
      dialed.length = 0;
      const udp = async () => ({ host: "127.0.0.1", port: tcServer.address().port });
      expect(await resolveInPod("web", conf, dial, 2_000, udp)).toBe("10.96.5.5");
      expect(dialed).toEqual(["10.96.0.10:53"]);
    } finally {
      await new Promise<void>((r) => tcServer.close(() => r()));
    }
  });

  it("resolvconf: a nameserver that cannot be reached resolves nothing", async () => {
    const refused = () => Promise.reject(new Error("connect: connection refused"));
    expect(await resolveInPod("web", conf, refused)).toBeUndefined();
  });
});
