import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import type { KObject } from "@kemu/controllers";
import { RRType, Rcode, decodeMessage, encodeMessage, type DnsMessage, type OutMessage } from "./packet.ts";
import { ClusterDNS, parseUpstream, type ObjectSource } from "./server.ts";

/** An ObjectSource tests edit directly. */
class StaticSource implements ObjectSource {
  services: () => KObject[];
  endpointSlices: () => KObject[];
  #svcs: KObject[] = [];
  #slices: KObject[] = [];
  #onChange: () => void = () => {};
  constructor() {
    this.services = () => this.#svcs;
    this.endpointSlices = () => this.#slices;
  }
  async start(onChange: () => void): Promise<void> {
    this.#onChange = onChange;
  }
  stop(): void {}
  set(svcs: KObject[], slices: KObject[] = []): void {
    this.#svcs = svcs;
    this.#slices = slices;
    this.#onChange();
  }
}

function makeService(ns: string, name: string, mutate: (s: KObject) => void = () => {}): KObject {
  const s: KObject = {
    metadata: { namespace: ns, name },
    spec: { clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ports: [{ name: "http", port: 80 }] },
  };
  mutate(s);
  return s;
}

/** A headless service with n ready endpoints 10.244.x.y. */
function bigHeadless(n: number): KObject[] {
  const svc = makeService("ns1", "big", (s) => (s["spec"]["clusterIPs"] = ["None"]));
  const endpoints = Array.from({ length: n }, (_, i) => ({
    addresses: [`10.244.${i >> 8}.${i & 0xff}`],
    conditions: { ready: true },
  }));
  const slice = {
    metadata: { namespace: "ns1", name: "big-1", labels: { "kubernetes.io/service-name": "big" } },
    endpoints,
    ports: [],
  };
  return [svc, slice];
}

function setBig(source: StaticSource, n: number): void {
  const [svc, slice] = bigHeadless(n);
  source.set([svc!], [slice!]);
}

let nextId = 1;
function query(name: string, type: keyof typeof RRType = "A", mutate: (m: OutMessage) => void = () => {}) {
  const m: OutMessage = {
    id: nextId++ & 0xffff,
    rd: true,
    questions: [{ name, type: RRType[type], class: 1 }],
  };
  mutate(m);
  return encodeMessage(m);
}

const running: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

async function startServer(opts: { upstream?: string; upstreamTimeoutMs?: number } = {}) {
  const source = new StaticSource();
  const log = new TestLog();
  const dns = new ClusterDNS({ log: log.logger("dns"), source, zone: "cluster.local", ...opts });
  await dns.start({ host: "127.0.0.1", port: 0 });
  running.push(dns);
  const client = createSocket("udp4");
  await new Promise<void>((r) => client.bind(0, "127.0.0.1", () => r()));
  running.push({ stop: () => new Promise<void>((r) => client.close(() => r())) });
  return { dns, source, client };
}

/** A fake upstream on one kernel-picked port for UDP and TCP; answer returning undefined means silence. */
async function startUpstream(answer: (msg: Buffer) => Buffer | undefined): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const tcp = createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on("error", () => {});
      s.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const out = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        if (!out) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        s.end(Buffer.concat([len, out]));
      });
    });
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", () => r()));
    const port = (tcp.address() as AddressInfo).port;
    running.push({ stop: () => new Promise<void>((r) => tcp.close(() => r())) });
    tcp.on("connection", (s) => running.push({ stop: () => void s.destroy() }));
    const u = createSocket("udp4");
    const bound = await new Promise<boolean>((r) => {
      u.once("error", () => r(false));
      u.bind(port, "127.0.0.1", () => r(true));
    });
    if (!bound) {
      if (attempt > 10) throw new Error("no port free for both UDP and TCP");
      continue;
    }
    running.push({ stop: () => new Promise<void>((r) => u.close(() => r())) });
    u.on("message", (msg, rinfo) => {
      const out = answer(msg);
      if (out) u.send(out, rinfo.port, rinfo.address);
    });
    return port;
  }
}

/** Sends packets over UDP and resolves with the first reply whose ID is id. */
function udpAsk(client: UdpSocket, port: number, packets: Buffer[], id: number): Promise<DnsMessage> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UDP reply for id ${id}`)), 3_000);
    const onMsg = (msg: Buffer) => {
      const m = decodeMessage(msg);
      if (m.id !== id) return;
      clearTimeout(timer);
      client.off("message", onMsg);
      resolvePromise(m);
    };
    client.on("message", onMsg);
    for (const p of packets) client.send(p, port, "127.0.0.1");
  });
}

const udp = (client: UdpSocket, port: number, packet: Buffer) =>
  udpAsk(client, port, [packet], packet.readUInt16BE(0));

/** Sends length-prefixed messages over one TCP connection, optionally a byte at a time, and collects n replies. */
function tcpAsk(port: number, packets: Buffer[], opts: { trickle?: boolean } = {}): Promise<DnsMessage[]> {
  return new Promise((resolvePromise, reject) => {
    const s = connect(port, "127.0.0.1");
    const out: DnsMessage[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error("TCP replies timed out"));
    }, 3_000);
    s.on("error", reject);
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === packets.length) {
        clearTimeout(timer);
        s.end();
        resolvePromise(out);
      }
    });
    const wire = Buffer.concat(
      packets.map((p) => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(p.length);
        return Buffer.concat([len, p]);
      }),
    );
    s.on("connect", async () => {
      if (!opts.trickle) return void s.write(wire);
      for (const b of wire) {
        s.write(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

describe("server", () => {
  it("dns server: upstream addresses parse with and without ports", () => {
    expect(parseUpstream("10.0.0.2")).toEqual({ host: "10.0.0.2", port: 53 });
    expect(parseUpstream("127.0.0.1:5353")).toEqual({ host: "127.0.0.1", port: 5353 });
    expect(parseUpstream("fd00::1")).toEqual({ host: "fd00::1", port: 53 });
    expect(parseUpstream("[fd00::1]:54")).toEqual({ host: "fd00::1", port: 54 });
    expect(() => parseUpstream("host:99999")).toThrow(/bad DNS upstream/);
  });

  it("dns server: answers over UDP with aa, the question echoed, and a new Service once it appears", async () => {
    const { dns, source, client } = await startServer();
    const before = await udp(client, dns.port, query("web.ns1.svc.cluster.local"));
    expect(before.rcode).toBe(Rcode.NXDOMAIN);
    source.set([makeService("ns1", "web")]);
    const m = await udp(client, dns.port, query("web.ns1.svc.cluster.local"));
    expect(m).toMatchObject({ qr: true, aa: true, rd: true, tc: false, rcode: Rcode.NOERROR });
    expect(m.questions).toEqual([{ name: "web.ns1.svc.cluster.local", type: 1, class: 1 }]);
    expect(m.answers).toEqual([
      { name: "web.ns1.svc.cluster.local", ttl: 5, type: "A", address: "10.96.0.10" },
    ]);
    const nodata = await udp(client, dns.port, query("web.ns1.svc.cluster.local", "AAAA"));
    expect([nodata.rcode, nodata.answers.length, nodata.authority[0]?.type]).toEqual([
      Rcode.NOERROR,
      0,
      "SOA",
    ]);
  });

  it("dns server: a large answer is truncated at 512 bytes without EDNS, and sent whole over TCP", async () => {
    const { dns, source, client } = await startServer();
    setBig(source, 60);
    const m = await udp(client, dns.port, query("big.ns1.svc.cluster.local"));
    expect([m.tc, m.rcode, m.answers.length, m.edns]).toEqual([true, Rcode.NOERROR, 0, undefined]);
    const [t] = await tcpAsk(dns.port, [query("big.ns1.svc.cluster.local")]);
    expect([t!.tc, t!.answers.length]).toEqual([false, 60]);
  });

  it("dns server: EDNS0 raises the UDP limit to the client's size and is echoed", async () => {
    const { dns, source, client } = await startServer();
    setBig(source, 60);
    const big = await udp(
      client,
      dns.port,
      query("big.ns1.svc.cluster.local", "A", (q) => (q.edns = { udpSize: 1232 })),
    );
    expect([big.tc, big.answers.length, big.edns?.udpSize]).toEqual([false, 60, 4096]);
    // 300 records do not fit in 4096 bytes even with EDNS.
    setBig(source, 300);
    const huge = await udp(
      client,
      dns.port,
      query("big.ns1.svc.cluster.local", "A", (q) => (q.edns = { udpSize: 65000 })),
    );
    expect([huge.tc, huge.answers.length]).toEqual([true, 0]);
    const [t] = await tcpAsk(dns.port, [query("big.ns1.svc.cluster.local")]);
    expect(t!.answers).toHaveLength(300);
    const badvers = await udp(
      client,
      dns.port,
      query("x.cluster.local", "A", (q) => (q.edns = { udpSize: 512, version: 1 })),
    );
    expect(badvers.rcode).toBe(Rcode.BADVERS);
  });

  it("dns server: TCP handles pipelined and byte-by-byte messages on one connection", async () => {
    const { dns, source } = await startServer();
    source.set([makeService("ns1", "web")]);
    const qs = [
      query("web.ns1.svc.cluster.local"),
      query("dns-version.cluster.local", "TXT"),
      query("no.cluster.local"),
    ];
    const replies = await tcpAsk(dns.port, qs, { trickle: true });
    expect(replies.map((r) => [r.id, r.rcode])).toEqual(
      qs.map((q, i) => [q.readUInt16BE(0), i === 2 ? Rcode.NXDOMAIN : Rcode.NOERROR]),
    );
    expect((await tcpAsk(dns.port, qs)).map((r) => r.answers.length)).toEqual([1, 1, 0]);
  });

  it("dns server: malformed queries get FORMERR, odd ones NOTIMP/REFUSED, unparsable ones are dropped", async () => {
    const { dns, client } = await startServer();
    const valid = query("dns-version.cluster.local", "TXT");
    const header = Buffer.from(valid.subarray(0, 12));
    const formerr = await udp(client, dns.port, Buffer.concat([header, Buffer.from([0x3f, 1, 2])]));
    expect([formerr.rcode, formerr.qr]).toEqual([Rcode.FORMERR, true]);
    const two = query("a.cluster.local", "A", (m) =>
      m.questions!.push({ name: "b.cluster.local", type: 1, class: 1 }),
    );
    expect((await udp(client, dns.port, two)).rcode).toBe(Rcode.FORMERR);
    expect(
      (
        await udp(
          client,
          dns.port,
          query("a.cluster.local", "A", (m) => (m.opcode = 2)),
        )
      ).rcode,
    ).toBe(Rcode.NOTIMP);
    const chaos = query("version.bind", "TXT", (m) => (m.questions![0]!.class = 3));
    expect((await udp(client, dns.port, chaos)).rcode).toBe(Rcode.REFUSED);
    // A short packet and a response (QR set) are dropped: the first reply is the valid query's.
    const response = query("x.cluster.local", "A", (m) => (m.qr = true));
    const first = await udpAsk(
      client,
      dns.port,
      [Buffer.from([1, 2, 3]), response, valid],
      valid.readUInt16BE(0),
    );
    expect(first.answers[0]).toMatchObject({ type: "TXT", text: ["1.1.0"] });
  });

  it("dns server: names outside the zone are REFUSED without an upstream", async () => {
    const { dns, client } = await startServer();
    const m = await udp(client, dns.port, query("example.com"));
    expect([m.rcode, m.aa]).toEqual([Rcode.REFUSED, false]);
  });

  it("dns server: names outside the zone are relayed to the upstream over the client's transport", async () => {
    const answer = (msg: Buffer) => {
      const q = decodeMessage(msg);
      if (q.questions[0]?.name === "silent.example") return undefined;
      const address = q.questions[0]?.name === "tcp.example" ? "192.0.2.8" : "192.0.2.7";
      const answers = [{ name: q.questions[0]!.name, ttl: 60, type: "A" as const, address }];
      return encodeMessage({ id: q.id, qr: true, ra: true, questions: q.questions, answers });
    };
    const port = await startUpstream(answer);
    const { dns, client } = await startServer({ upstream: `127.0.0.1:${port}`, upstreamTimeoutMs: 200 });
    const m = await udp(client, dns.port, query("example.com"));
    expect([m.rcode, m.aa, m.answers]).toEqual([
      Rcode.NOERROR,
      false,
      [{ name: "example.com", ttl: 60, type: "A", address: "192.0.2.7" }],
    ]);
    const [t] = await tcpAsk(dns.port, [query("tcp.example")]);
    expect(t!.answers.map((a) => a.type === "A" && a.address)).toEqual(["192.0.2.8"]);
    expect((await udp(client, dns.port, query("silent.example"))).rcode).toBe(Rcode.SERVFAIL);
    const [silentTcp] = await tcpAsk(dns.port, [query("silent.example")]);
    expect(silentTcp!.rcode).toBe(Rcode.SERVFAIL);
  });

  it("dns server: fuzz: random and mutated packets never crash it and it keeps answering", async () => {
    const { dns, source, client } = await startServer();
    source.set([makeService("ns1", "web")]);
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const seeds = [
      query("web.ns1.svc.cluster.local"),
      query("_http._tcp.web.ns1.svc.cluster.local", "SRV", (m) => (m.edns = { udpSize: 4096 })),
      encodeMessage({
        id: 7,
        qr: true,
        questions: [{ name: "a.b", type: 1, class: 1 }],
        answers: [{ name: "a.b", ttl: 1, type: "SRV", priority: 1, weight: 2, port: 3, target: "c.d" }],
      }),
    ];
    const packets: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) {
        packets.push(
          Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256))),
        );
        continue;
      }
      const p = Buffer.from(seeds[i % seeds.length]!);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++)
        p[Math.floor(rand() * p.length)] = Math.floor(rand() * 256);
      packets.push(rand() < 0.2 ? p.subarray(0, Math.floor(rand() * p.length)) : p);
    }
    for (const p of packets) {
      const out = await dns.handle(p, "udp");
      if (out) expect(() => decodeMessage(out)).not.toThrow();
    }
    // Over the socket in batches (so the kernel's receive buffer does not drop the probe), each
    // followed by a valid query that must still be answered.
    for (let b = 0; b < 600; b += 50) {
      const valid = query("web.ns1.svc.cluster.local", "A", (q) => (q.id = 0xbe00 + b / 50));
      const m = await udpAsk(client, dns.port, [...packets.slice(b, b + 50), valid], valid.readUInt16BE(0));
      expect(m.answers).toHaveLength(1);
    }
    const valid = query("web.ns1.svc.cluster.local");
    const [t] = await tcpAsk(dns.port, [packets[1]!.subarray(0, 12), valid]).then((r) => r.slice(-1));
    expect(t!.answers).toHaveLength(1);
  });
});
