import { describe, expect, it } from "vitest";
import { DnsFormatError, decodeMessage, encodeMessage, type ResourceRecord } from "./packet.ts";

describe("packet", () => {
  it("dns packet: every record type round-trips, names compressed", () => {
    const answers: ResourceRecord[] = [
      { name: "a.example.com", ttl: 5, type: "A", address: "10.0.0.1" },
      { name: "a.example.com", ttl: 5, type: "AAAA", address: "fd00:0:0:0:0:0:0:1" },
      { name: "c.example.com", ttl: 5, type: "CNAME", target: "a.example.com" },
      { name: "1.0.0.10.in-addr.arpa", ttl: 5, type: "PTR", target: "a.example.com" },
      { name: "example.com", ttl: 5, type: "NS", target: "ns.example.com" },
      { name: "t.example.com", ttl: 5, type: "TXT", text: ["1.1.0", "two"] },
      {
        name: "_x._tcp.example.com",
        ttl: 5,
        type: "SRV",
        priority: 0,
        weight: 50,
        port: 80,
        target: "a.example.com",
      },
    ];
    const authority: ResourceRecord[] = [
      {
        name: "example.com",
        ttl: 5,
        type: "SOA",
        mname: "ns.example.com",
        rname: "hostmaster.example.com",
        serial: 9,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: 5,
      },
    ];
    const wire = encodeMessage({
      id: 0x1234,
      qr: true,
      aa: true,
      rcode: 3,
      questions: [{ name: "a.example.com", type: 1, class: 1 }],
      answers,
      authority,
      edns: { udpSize: 4096 },
    });
    const m = decodeMessage(wire);
    expect(m).toMatchObject({
      id: 0x1234,
      qr: true,
      aa: true,
      rcode: 3,
      edns: { udpSize: 4096, version: 0 },
    });
    expect(m.answers.map((a) => (a.type === "AAAA" ? { ...a, address: "fd00:0:0:0:0:0:0:1" } : a))).toEqual(
      answers,
    );
    expect(m.authority).toEqual(authority);
    // "example" is written once and pointed at afterwards, except in the SRV target (RFC 2782).
    expect(wire.toString("latin1").split("example").length - 1).toBe(2);
  });

  it("dns packet: BADVERS uses EDNS's extended rcode bits", () => {
    const m = decodeMessage(encodeMessage({ id: 1, qr: true, rcode: 16, edns: { udpSize: 512 } }));
    expect(m.rcode).toBe(16);
  });

  it("dns packet: pointer loops, forward pointers, overlong names and trailing bytes are format errors", () => {
    const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const cases = [
      Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])]), // points at itself
      Buffer.concat([header, Buffer.from([0xc0, 40, 0, 1, 0, 1])]), // points forward
      Buffer.concat([
        header,
        Buffer.from(Array.from({ length: 5 }, () => [63, ...Buffer.alloc(63, 97)]).flat()),
        Buffer.from([0, 0, 1, 0, 1]),
      ]),
      Buffer.concat([header, Buffer.from([1, 97, 0, 0, 1, 0, 1, 9])]),
      Buffer.concat([header, Buffer.from([1, 97, 0, 0])]),
    ];
    for (const c of cases) expect(() => decodeMessage(c)).toThrow(DnsFormatError);
  });
});
