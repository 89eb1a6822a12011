import { describe, expect, it } from "vitest";
import {
  DnsFormatError,
  RRType,
  decodeMessage,
  encodeMessage,
  ipv6Bytes,
  type ResourceRecord,
} from "./packet.ts";

/** A message header with these section counts (ID 1, a query). */
function header(counts: { qd?: number; an?: number; ns?: number; ar?: number }): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(1, 0);
  [counts.qd, counts.an, counts.ns, counts.ar].forEach((n, i) => h.writeUInt16BE(n ?? 0, 4 + 2 * i));
  return h;
}

/** One record on the wire; rdlength defaults to the data's length. */
function record(owner: number[], type: number, rdata: number[], rdlength = rdata.length, cls = 1): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(cls, 2);
  fixed.writeUInt32BE(5, 4);
  fixed.writeUInt16BE(rdlength, 8);
  return Buffer.concat([Buffer.from(owner), fixed, Buffer.from(rdata)]);
}

const A_B = [1, 97, 1, 98, 0];

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

  it("dns packet: a record must end exactly where its RDLENGTH says", () => {
    const cases = [
      record(A_B, RRType.A, [10, 0, 0, 1, 9]), // five bytes of A data
      record(A_B, RRType.A, [10, 0, 0, 1], 3),
      record(A_B, RRType.NS, [...A_B, 7]), // junk after the name
      record(A_B, RRType.PTR, A_B, 4),
      record(A_B, RRType.SRV, [0, 0, 0, 1, 0, 80, ...A_B, 7]),
      record(A_B, RRType.TXT, [9, 97]), // a string longer than the data
      record(A_B, 99, [1, 2, 3], 9), // past the end of the message
    ];
    for (const c of cases) {
      expect(() => decodeMessage(Buffer.concat([header({ an: 1 }), c]))).toThrow(DnsFormatError);
    }
    const ok = decodeMessage(
      Buffer.concat([header({ an: 1 }), record(A_B, RRType.SRV, [0, 1, 0, 2, 0, 80, ...A_B])]),
    );
    expect(ok.answers).toEqual([
      { name: "a.b", ttl: 5, type: "SRV", priority: 1, weight: 2, port: 80, target: "a.b" },
    ]);
  });

  it("dns packet: types it does not model stay raw, whatever dns-packet knows of them", () => {
    const mx = record(A_B, 15, [0, 10, 0xc0, 12]);
    const m = decodeMessage(Buffer.concat([header({ an: 1 }), mx]));
    expect(m.answers).toEqual([
      { name: "a.b", ttl: 5, type: "UNKNOWN", typeCode: 15, raw: Buffer.from([0, 10, 0xc0, 12]) },
    ]);
    expect(encodeMessage({ id: 1, answers: m.answers }).subarray(12)).toEqual(mx);
  });

  it("dns packet: one OPT record, at the root; its options are not inspected", () => {
    const opt = record([0], RRType.OPT, [0, 8, 0, 9, 1], undefined, 1232);
    const m = decodeMessage(Buffer.concat([header({ ar: 1 }), opt]));
    expect([m.edns, m.additional]).toEqual([
      { udpSize: 1232, version: 0, extendedRcode: 0, dnssecOk: false },
      [],
    ]);
    for (const c of [
      Buffer.concat([header({ ar: 2 }), opt, opt]),
      Buffer.concat([header({ ar: 1 }), record(A_B, RRType.OPT, [], 0, 512)]),
    ])
      expect(() => decodeMessage(c)).toThrow(DnsFormatError);
  });

  it("dns packet: a question with a compression pointer decodes, but is not echoed raw", () => {
    const plain = decodeMessage(Buffer.concat([header({ qd: 1 }), Buffer.from([...A_B, 0, 1, 0, 1])]));
    expect(plain.rawQuestions).toEqual(Buffer.from([...A_B, 0, 1, 0, 1]));
    const q2 = Buffer.concat([
      header({ qd: 2 }),
      Buffer.from([...A_B, 0, 1, 0, 1]),
      Buffer.from([1, 99, 0xc0, 12, 0, 28, 0, 1]),
    ]);
    const m = decodeMessage(q2);
    expect(m.questions).toEqual([
      { name: "a.b", type: 1, class: 1 },
      { name: "c.a.b", type: 28, class: 1 },
    ]);
    expect(m.rawQuestions).toBeUndefined();
  });

  it("dns packet: names are checked on encode; records given to it are left as they were", () => {
    for (const name of ["a..b", "a.", "x".repeat(64)])
      expect(() => encodeMessage({ id: 1, questions: [{ name, type: 1, class: 1 }] })).toThrow(RangeError);
    const txt: ResourceRecord = { name: "t.b", ttl: 5, type: "TXT", text: ["x".repeat(300), "y"] };
    const m = decodeMessage(encodeMessage({ id: 1, answers: [txt] }));
    expect(m.answers[0]).toMatchObject({ type: "TXT", text: ["x".repeat(255), "y"] });
    expect(txt.text).toEqual(["x".repeat(300), "y"]);
  });

  it("dns packet: IPv6 addresses in any RFC 5952 form become their 16 bytes", () => {
    expect(ipv6Bytes("fd00::29").toString("hex")).toBe(`fd00${"0".repeat(26)}29`);
    expect(ipv6Bytes("::1").toString("hex")).toBe(`${"0".repeat(31)}1`);
    expect(ipv6Bytes("2001:db8:0:0:1:0:0:1").toString("hex")).toBe("20010db8000000000001000000000001");
  });
});
