import { describe, expect, it } from "vitest";
import type { KObject } from "@kemu/controllers";
import { RRType, Rcode, type Question } from "./packet.ts";
import { buildZone, lookup, resolve, reverseName, type Resolution } from "./resolver.ts";

const ZONE = "cluster.local";

function makeService(ns: string, name: string, mutate: (s: KObject) => void = () => {}): KObject {
  const s: KObject = {
    metadata: { namespace: ns, name },
    spec: {
      type: "ClusterIP",
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
    },
  };
  mutate(s);
  return s;
}

function headless(ns: string, name: string, mutate: (s: KObject) => void = () => {}): KObject {
  return makeService(ns, name, (s) => {
    s["spec"]["clusterIP"] = "None";
    s["spec"]["clusterIPs"] = ["None"];
    mutate(s);
  });
}

function endpoint(ip: string, mutate: (e: KObject) => void = () => {}): KObject {
  const e: KObject = { addresses: [ip], conditions: { ready: true } };
  mutate(e);
  return e;
}

function makeSlice(
  ns: string,
  svc: string,
  endpoints: KObject[],
  mutate: (s: KObject) => void = () => {},
): KObject {
  const s: KObject = {
    metadata: { namespace: ns, name: `${svc}-abcde`, labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    endpoints,
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  };
  mutate(s);
  return s;
}

const q = (name: string, type: keyof typeof RRType = "A"): Question => ({
  name,
  type: RRType[type],
  class: 1,
});

function answer(r: Resolution) {
  if (r.kind !== "answer") throw new Error("expected an answer, got forward");
  return r;
}

/** Answers as "name TYPE data" lines, sorted. */
function lines(r: Resolution, section: "answers" | "authority" | "additional" = "answers"): string[] {
  const records = answer(r)[section];
  return records
    .map((rr) => {
      const { name, ttl, type, ...data } = rr;
      return `${name} ${ttl} ${type} ${Object.values(data).join(" ")}`;
    })
    .sort();
}

describe("resolver", () => {
  it("dns: dns-version TXT is the schema version", () => {
    const r = resolve([], [], ZONE, q("dns-version.cluster.local", "TXT"));
    expect(lines(r)).toEqual(["dns-version.cluster.local 5 TXT 1.1.0"]);
  });

  it("dns: ClusterIP service A, with the asked-for case and configured TTL", () => {
    const svc = makeService("ns1", "web", (s) => (s["spec"]["clusterIPs"] = ["10.96.0.41"]));
    const r = resolve([svc], [], ZONE, q("Web.NS1.svc.cluster.local."), { ttl: 30 });
    expect(answer(r).rcode).toBe(Rcode.NOERROR);
    expect(lines(r)).toEqual(["Web.NS1.svc.cluster.local 30 A 10.96.0.41"]);
  });

  it("dns: dual-stack ClusterIP answers A and AAAA separately", () => {
    const svc = makeService("ns1", "web", (s) => (s["spec"]["clusterIPs"] = ["10.96.0.41", "fd00::29"]));
    expect(lines(resolve([svc], [], ZONE, q("web.ns1.svc.cluster.local", "AAAA")))).toEqual([
      "web.ns1.svc.cluster.local 5 AAAA fd00::29",
    ]);
  });

  it("dns: SRV for a named port targets the service; unnamed ports have none", () => {
    const svc = makeService("ns1", "web", (s) =>
      s["spec"]["ports"].push({ port: 9090, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP" }),
    );
    const z = buildZone([svc], [], { zone: ZONE });
    const r = lookup(z, q("_http._tcp.web.ns1.svc.cluster.local", "SRV"));
    expect(lines(r)).toEqual([
      "_http._tcp.web.ns1.svc.cluster.local 5 SRV 0 100 80 web.ns1.svc.cluster.local",
    ]);
    expect(lines(r, "additional")).toEqual(["web.ns1.svc.cluster.local 5 A 10.96.0.10"]);
    expect(lines(lookup(z, q("_dns._udp.web.ns1.svc.cluster.local", "SRV")))).toEqual([
      "_dns._udp.web.ns1.svc.cluster.local 5 SRV 0 100 53 web.ns1.svc.cluster.local",
    ]);
    expect(answer(lookup(z, q("_http._udp.web.ns1.svc.cluster.local", "SRV"))).rcode).toBe(Rcode.NXDOMAIN);
  });

  it("dns: PTR for a ClusterIP", () => {
    const svc = makeService("ns1", "web", (s) => (s["spec"]["clusterIPs"] = ["10.96.0.41"]));
    const r = resolve([svc], [], ZONE, q("41.0.96.10.in-addr.arpa", "PTR"));
    expect(lines(r)).toEqual(["41.0.96.10.in-addr.arpa 5 PTR web.ns1.svc.cluster.local"]);
  });

  it("dns: reverse names of IPv6 addresses are nibble-reversed", () => {
    expect(reverseName("fd00::29")).toBe(`9.2.0.0.${"0.".repeat(24)}0.0.d.f.ip6.arpa`);
  });

  it("dns: addresses that are not IPs are skipped, and the rest of the zone still answers", () => {
    const bad = makeService("default", "bad", (s) => {
      s["spec"]["clusterIP"] = "10.96.0.256";
      s["spec"]["clusterIPs"] = ["10.96.0.256"];
    });
    const good = makeService("default", "good");
    const hl = headless("default", "hl");
    const slice = makeSlice("default", "hl", [endpoint("10.244.1.300"), endpoint("10.244.1.5")]);
    const zone = [bad, good, hl];
    expect(answer(resolve(zone, [slice], ZONE, q("bad.default.svc.cluster.local"))).rcode).toBe(
      Rcode.NXDOMAIN,
    );
    expect(lines(resolve(zone, [slice], ZONE, q("good.default.svc.cluster.local")))).toEqual([
      "good.default.svc.cluster.local 5 A 10.96.0.10",
    ]);
    expect(lines(resolve(zone, [slice], ZONE, q("hl.default.svc.cluster.local")))).toEqual([
      "hl.default.svc.cluster.local 5 A 10.244.1.5",
    ]);
  });

  it("dns: headless service answers one A per ready endpoint", () => {
    const svc = headless("default", "none-linuxea");
    const slice = makeSlice("default", "none-linuxea", [
      endpoint("10.244.1.5"),
      endpoint("10.244.2.6"),
      endpoint("10.244.3.7"),
      endpoint("10.244.3.8", (e) => (e["conditions"]["ready"] = false)),
    ]);
    const r = resolve([svc], [slice], ZONE, q("none-linuxea.default.svc.cluster.local"));
    expect(answer(r).rcode).toBe(Rcode.NOERROR);
    expect(lines(r)).toEqual([
      "none-linuxea.default.svc.cluster.local 5 A 10.244.1.5",
      "none-linuxea.default.svc.cluster.local 5 A 10.244.2.6",
      "none-linuxea.default.svc.cluster.local 5 A 10.244.3.7",
    ]);
  });

  it("dns: headless endpoints are deduplicated across slices", () => {
    const svc = headless("ns1", "db");
    const a = makeSlice("ns1", "db", [endpoint("10.244.1.5")]);
    const b = makeSlice("ns1", "db", [endpoint("10.244.1.5")], (s) => (s["metadata"]["name"] = "db-xyz"));
    expect(lines(resolve([svc], [a, b], ZONE, q("db.ns1.svc.cluster.local")))).toHaveLength(1);
  });

  it("dns: headless service with no ready endpoint is NXDOMAIN, unless publishNotReadyAddresses", () => {
    const slice = makeSlice("ns1", "db", [endpoint("10.244.1.5", (e) => (e["conditions"]["ready"] = false))]);
    const r = resolve([headless("ns1", "db")], [slice], ZONE, q("db.ns1.svc.cluster.local"));
    expect(answer(r).rcode).toBe(Rcode.NXDOMAIN);
    expect(lines(r, "authority")).toEqual([
      "cluster.local 5 SOA ns.dns.cluster.local hostmaster.cluster.local 1 7200 1800 86400 5",
    ]);
    const pub = headless("ns1", "db", (s) => (s["spec"]["publishNotReadyAddresses"] = true));
    expect(lines(resolve([pub], [slice], ZONE, q("db.ns1.svc.cluster.local")))).toEqual([
      "db.ns1.svc.cluster.local 5 A 10.244.1.5",
    ]);
  });

  it("dns: headless hostname records, SRV per endpoint x named port, and PTR per endpoint", () => {
    const svc = headless("ns1", "db");
    const slice = makeSlice(
      "ns1",
      "db",
      [endpoint("10.244.1.5", (e) => (e["hostname"] = "db-0")), endpoint("10.244.2.6")],
      (s) => s["ports"].push({ name: "metrics", port: 9100, protocol: "TCP" }, { port: 1, protocol: "TCP" }),
    );
    const z = buildZone([svc], [slice], { zone: ZONE });
    expect(lines(lookup(z, q("db-0.db.ns1.svc.cluster.local")))).toEqual([
      "db-0.db.ns1.svc.cluster.local 5 A 10.244.1.5",
    ]);
    expect(lines(lookup(z, q("10-244-2-6.db.ns1.svc.cluster.local")))).toEqual([
      "10-244-2-6.db.ns1.svc.cluster.local 5 A 10.244.2.6",
    ]);
    const srv = lookup(z, q("_http._tcp.db.ns1.svc.cluster.local", "SRV"));
    expect(lines(srv)).toEqual([
      "_http._tcp.db.ns1.svc.cluster.local 5 SRV 0 50 8080 10-244-2-6.db.ns1.svc.cluster.local",
      "_http._tcp.db.ns1.svc.cluster.local 5 SRV 0 50 8080 db-0.db.ns1.svc.cluster.local",
    ]);
    expect(lines(srv, "additional")).toEqual([
      "10-244-2-6.db.ns1.svc.cluster.local 5 A 10.244.2.6",
      "db-0.db.ns1.svc.cluster.local 5 A 10.244.1.5",
    ]);
    expect(lines(lookup(z, q("_metrics._tcp.db.ns1.svc.cluster.local", "SRV")))).toHaveLength(2);
    expect(lines(lookup(z, q("5.1.244.10.in-addr.arpa", "PTR")))).toEqual([
      "5.1.244.10.in-addr.arpa 5 PTR db-0.db.ns1.svc.cluster.local",
    ]);
    expect(lines(lookup(z, q("6.2.244.10.in-addr.arpa", "PTR")))).toEqual([
      "6.2.244.10.in-addr.arpa 5 PTR 10-244-2-6.db.ns1.svc.cluster.local",
    ]);
  });

  it("dns: ExternalName answers a CNAME for any type", () => {
    const svc = makeService("ns1", "ext", (s) => {
      s["spec"] = { type: "ExternalName", externalName: "example.com." };
    });
    const z = buildZone([svc], [], { zone: ZONE });
    for (const t of ["A", "CNAME", "AAAA"] as const) {
      expect(lines(lookup(z, q("ext.ns1.svc.cluster.local", t)))).toEqual([
        "ext.ns1.svc.cluster.local 5 CNAME example.com",
      ]);
    }
  });

  it("dns: a CNAME to a name in the zone is chased", () => {
    const web = makeService("ns1", "web");
    const ext = makeService("ns1", "alias", (s) => {
      s["spec"] = { type: "ExternalName", externalName: "web.ns1.svc.cluster.local" };
    });
    expect(lines(resolve([web, ext], [], ZONE, q("alias.ns1.svc.cluster.local")))).toEqual([
      "alias.ns1.svc.cluster.local 5 CNAME web.ns1.svc.cluster.local",
      "web.ns1.svc.cluster.local 5 A 10.96.0.10",
    ]);
  });

  it("dns: pod names answer the IP they spell (pods insecure)", () => {
    expect(lines(resolve([], [], ZONE, q("10-244-1-5.any.pod.cluster.local")))).toEqual([
      "10-244-1-5.any.pod.cluster.local 5 A 10.244.1.5",
    ]);
    expect(answer(resolve([], [], ZONE, q("10-244-1-500.any.pod.cluster.local"))).rcode).toBe(Rcode.NXDOMAIN);
    expect(answer(resolve([], [], ZONE, q("x.10-244-1-5.any.pod.cluster.local"))).rcode).toBe(Rcode.NXDOMAIN);
  });

  it("dns: an existing name asked for another type is NODATA with the SOA", () => {
    const r = resolve([makeService("ns1", "web")], [], ZONE, q("web.ns1.svc.cluster.local", "AAAA"));
    expect(answer(r).rcode).toBe(Rcode.NOERROR);
    expect(answer(r).answers).toEqual([]);
    expect(lines(r, "authority")).toHaveLength(1);
    expect(answer(r).authority[0]!.type).toBe("SOA");
  });

  it("dns: names above existing ones are NODATA; unknown names are NXDOMAIN", () => {
    const z = buildZone([makeService("ns1", "web")], [], { zone: ZONE });
    for (const n of ["ns1.svc.cluster.local", "svc.cluster.local"]) {
      const r = answer(lookup(z, q(n)));
      expect([n, r.rcode, r.answers.length]).toEqual([n, Rcode.NOERROR, 0]);
    }
    for (const n of [
      "nope.ns1.svc.cluster.local",
      "web.ns2.svc.cluster.local",
      "x.web.ns1.svc.cluster.local",
    ]) {
      const r = answer(lookup(z, q(n)));
      expect([n, r.rcode, lines(r, "authority").length]).toEqual([n, Rcode.NXDOMAIN, 1]);
    }
  });

  it("dns: the zone apex answers SOA and NS", () => {
    const z = buildZone([], [], { zone: ZONE, serial: 7 });
    expect(lines(lookup(z, q("cluster.local", "SOA")))).toEqual([
      "cluster.local 5 SOA ns.dns.cluster.local hostmaster.cluster.local 7 7200 1800 86400 5",
    ]);
    expect(lines(lookup(z, q("cluster.local", "NS")))).toEqual(["cluster.local 5 NS ns.dns.cluster.local"]);
    expect(answer(lookup(z, q("cluster.local", "A"))).answers).toEqual([]);
  });

  it("dns: names outside the zone and unknown reverse names are forwarded", () => {
    const z = buildZone([makeService("ns1", "web")], [], { zone: ZONE });
    expect(lookup(z, q("example.com")).kind).toBe("forward");
    expect(lookup(z, q("9.9.9.9.in-addr.arpa", "PTR")).kind).toBe("forward");
    expect(lookup(z, q("notcluster.local")).kind).toBe("forward");
  });

  it("dns: a custom zone is honoured", () => {
    const r = resolve([makeService("ns1", "web")], [], "kemu.test.", q("web.ns1.svc.kemu.test"));
    expect(lines(r)).toEqual(["web.ns1.svc.kemu.test 5 A 10.96.0.10"]);
    expect(resolve([makeService("ns1", "web")], [], "kemu.test", q("web.ns1.svc.cluster.local")).kind).toBe(
      "forward",
    );
  });
});
