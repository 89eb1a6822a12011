/**
 * The DNS wire codec (RFC 1035, RFC 2782 SRV, RFC 6891 EDNS0): a thin adapter over dns-packet that
 * keeps this package's message shape (numeric types and rcodes, names without the trailing dot,
 * types it does not model as raw bytes) and the strictness a server needs. Every decoding error is
 * a DnsFormatError, never an unchecked exception.
 *
 * dns-packet does the domain names on decode (labels, compression pointers, which it only follows
 * backwards, the 255-octet limit), the RDATA of A, AAAA, CNAME, PTR, NS, TXT, SRV and SOA both ways,
 * the OPT record on encode, and the IPv6 address bytes of ipv6Bytes. Its whole-message
 * encode/decode is not used; what stays hand-written here, and why:
 * - Name compression on encode. dns-packet 5 never compresses, and answers must fit 512 bytes (or
 *   the client's EDNS size) before they are truncated, so the writer places every owner name and
 *   every name inside CNAME, PTR, NS and SOA data itself, pointing at earlier copies (SRV targets
 *   stay whole, RFC 2782, as dns-packet writes them).
 * - The 12-byte header (dns-packet does not export its header codec) and each record's type,
 *   class, TTL and RDLENGTH. dns-packet's record decoder neither reports RDLENGTH nor checks it
 *   against what it read (A, PTR and CNAME ignore it; NS and SRV skip by it), so records are framed
 *   here and each must end exactly where RDLENGTH says. OPT options and types not modelled stay
 *   raw bytes, unparsed, as before.
 * - Checks dns-packet leaves out: trailing bytes after the last record, one OPT record at the root,
 *   labels of 1 to 63 octets on encode.
 * - Peeks that dns-packet can only do by decoding everything: peekHeader (the ID and flags, to
 *   answer FORMERR to a message too broken to decode) and hasPointer (whether the question section
 *   can be echoed byte for byte).
 *
 * Limitations vs RFC 1035: labels are UTF-8 (dns-packet decodes them so); bytes that are not valid
 * UTF-8 decode lossily, so a question echoed from its decoded form (it had a compression pointer)
 * may differ from the query's bytes.
 */
import * as dnsPacket from "dns-packet";

/** Record type numbers the codec knows. */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

/** Response codes (the low four bits; BADVERS needs EDNS's extended bits). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

/** The class IN. */
export const CLASS_IN = 1;

/** The data of a record, by type. */
export type RData =
  | { type: "A"; address: string }
  | { type: "AAAA"; address: string }
  | { type: "CNAME" | "PTR" | "NS"; target: string }
  | { type: "TXT"; text: string[] }
  | { type: "SRV"; priority: number; weight: number; port: number; target: string }
  | {
      type: "SOA";
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    }
  | { type: "UNKNOWN"; typeCode: number; raw: Buffer };

/** A resource record of class IN (names without the trailing dot). */
export type ResourceRecord = { name: string; ttl: number } & RData;

/** A question. */
export interface Question {
  name: string;
  type: number;
  class: number;
}

/** EDNS0 options of a message (from its OPT record). */
export interface Edns {
  udpSize: number;
  version: number;
  /** The extended rcode bits (rcode >> 4). */
  extendedRcode: number;
  dnssecOk: boolean;
}

/** A decoded message. */
export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The full rcode (with EDNS extended bits when an OPT record is present). */
  rcode: number;
  questions: Question[];
  /** The wire bytes of the question section, when it holds no compression pointers. */
  rawQuestions: Buffer | undefined;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  edns: Edns | undefined;
}

/** A message that could not be decoded. */
export class DnsFormatError extends Error {
  override readonly name = "DnsFormatError";
}

/**
 * One of dns-packet's part codecs (abstract-encoding): encode and decode at an offset, leaving the
 * byte count in `.bytes`. RDATA codecs start at the RDLENGTH field and include it.
 */
interface PartCodec<T> {
  encode: ((value: T, buf: Buffer, offset: number) => Buffer) & { bytes: number };
  decode: ((buf: Buffer, offset: number) => T) & { bytes: number };
  encodingLength(value: T): number;
}

/** The OPT pseudo-record as dns-packet's record codec takes it. */
interface OptRecord {
  type: "OPT";
  name: ".";
  udpPayloadSize: number;
  extendedRcode: number;
  ednsVersion: number;
  flags: number;
  options: [];
}

/** The part codecs dns-packet exports at runtime (index.js) but @types/dns-packet does not declare. */
const wire = dnsPacket as unknown as {
  name: PartCodec<string>;
  a: PartCodec<string>;
  aaaa: PartCodec<string>;
  /** Also CNAME's and NS's: one domain name (dns-packet's own NS codec skips by RDLENGTH unchecked). */
  ptr: PartCodec<string>;
  txt: PartCodec<Buffer[]>;
  srv: PartCodec<Required<dnsPacket.SrvData>>;
  soa: PartCodec<Required<dnsPacket.SoaData>>;
  unknown: PartCodec<Buffer>;
  answer: PartCodec<OptRecord>;
};

/** The type number of a record type name. */
export function typeCode(t: RData["type"] | keyof typeof RRType): number {
  return t === "UNKNOWN" ? 0 : RRType[t];
}

/** Reads the 16-bit message ID and flags; undefined when even the header is incomplete. */
export function peekHeader(buf: Buffer): { id: number; flags: number; qdcount: number } | undefined {
  if (buf.length < 12) return undefined;
  return { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), qdcount: buf.readUInt16BE(4) };
}

/** dns-packet spells the root ".", this package "". */
const fromWire = (name: string): string => (name === "." ? "" : name);

/** Whether the (already validated) name at `at` holds a compression pointer. */
function hasPointer(buf: Buffer, at: number): boolean {
  for (let len = buf[at]!; len !== 0; len = buf[at]!) {
    if (len & 0xc0) return true;
    at += 1 + len;
  }
  return false;
}

/** Decodes one RDATA with a dns-packet codec, which must consume exactly RDLENGTH bytes. */
function exact<T>(codec: PartCodec<T>, buf: Buffer, at: number, len: number): T {
  const value = codec.decode(buf, at);
  if (codec.decode.bytes !== 2 + len) throw new DnsFormatError("record data length mismatch");
  return value;
}

function decodeRData(buf: Buffer, type: number, at: number, len: number): RData {
  switch (type) {
    case RRType.A:
      return { type: "A", address: exact(wire.a, buf, at, len) };
    case RRType.AAAA:
      return { type: "AAAA", address: exact(wire.aaaa, buf, at, len) };
    case RRType.CNAME:
      return { type: "CNAME", target: fromWire(exact(wire.ptr, buf, at, len)) };
    case RRType.PTR:
      return { type: "PTR", target: fromWire(exact(wire.ptr, buf, at, len)) };
    case RRType.NS:
      return { type: "NS", target: fromWire(exact(wire.ptr, buf, at, len)) };
    case RRType.TXT:
      return { type: "TXT", text: exact(wire.txt, buf, at, len).map((b) => b.toString("utf8")) };
    case RRType.SRV: {
      const srv = wire.srv.decode(buf, at);
      // dns-packet's SRV codec counts RDLENGTH bytes whatever it read; its target name tells the truth.
      if (8 + wire.name.decode.bytes !== 2 + len) throw new DnsFormatError("record data length mismatch");
      return { type: "SRV", ...srv, target: fromWire(srv.target) };
    }
    case RRType.SOA: {
      const soa = exact(wire.soa, buf, at, len);
      return { type: "SOA", ...soa, mname: fromWire(soa.mname), rname: fromWire(soa.rname) };
    }
    default:
      return { type: "UNKNOWN", typeCode: type, raw: Buffer.from(buf.subarray(at + 2, at + 2 + len)) };
  }
}

interface DecodedRecord {
  rr: ResourceRecord;
  cls: number;
  rawTtl: number;
  end: number;
}

function decodeRecord(buf: Buffer, at: number): DecodedRecord {
  const name = fromWire(wire.name.decode(buf, at));
  at += wire.name.decode.bytes;
  const type = buf.readUInt16BE(at);
  const cls = buf.readUInt16BE(at + 2);
  const rawTtl = buf.readUInt32BE(at + 4);
  const len = buf.readUInt16BE(at + 8);
  const end = at + 10 + len;
  if (end > buf.length) throw new DnsFormatError("record data runs past the message");
  return { rr: { name, ttl: rawTtl, ...decodeRData(buf, type, at + 8, len) }, cls, rawTtl, end };
}

function decode(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsFormatError("message too short");
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  let at = 12;
  let sawPointer = false;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const name = fromWire(wire.name.decode(buf, at));
    sawPointer ||= hasPointer(buf, at);
    at += wire.name.decode.bytes;
    questions.push({ name, type: buf.readUInt16BE(at), class: buf.readUInt16BE(at + 2) });
    at += 4;
  }
  const rawQuestions = sawPointer ? undefined : Buffer.from(buf.subarray(12, at));
  const section = (n: number) => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < n; i++) {
      const r = decodeRecord(buf, at);
      out.push(r.rr);
      at = r.end;
    }
    return out;
  };
  const answers = section(an);
  const authority = section(ns);
  const additional: ResourceRecord[] = [];
  let edns: Edns | undefined;
  for (let i = 0; i < ar; i++) {
    const { rr, cls, rawTtl, end } = decodeRecord(buf, at);
    at = end;
    if (rr.type === "UNKNOWN" && rr.typeCode === RRType.OPT) {
      if (edns) throw new DnsFormatError("more than one OPT record");
      if (rr.name !== "") throw new DnsFormatError("OPT record not at the root");
      edns = {
        udpSize: cls,
        extendedRcode: rawTtl >>> 24,
        version: (rawTtl >>> 16) & 0xff,
        dnssecOk: (rawTtl & 0x8000) !== 0,
      };
    } else additional.push(rr);
  }
  if (at !== buf.length) throw new DnsFormatError("trailing bytes after the message");
  return {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: (flags & 0xf) | ((edns?.extendedRcode ?? 0) << 4),
    questions,
    rawQuestions,
    answers,
    authority,
    additional,
    edns,
  };
}

/** Decodes a whole message; throws DnsFormatError when it is malformed. */
export function decodeMessage(buf: Buffer): DnsMessage {
  try {
    return decode(buf);
  } catch (err) {
    if (err instanceof DnsFormatError) throw err;
    // dns-packet throws plain Errors and Buffer reads past the end RangeErrors: both mean malformed.
    throw new DnsFormatError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** What encodeMessage writes. */
export interface OutMessage {
  id: number;
  qr?: boolean;
  opcode?: number;
  aa?: boolean;
  tc?: boolean;
  rd?: boolean;
  ra?: boolean;
  rcode?: number;
  questions?: Question[];
  /** Question section bytes to copy verbatim (echoing a query exactly); wins over questions. */
  rawQuestions?: { bytes: Buffer; count: number };
  answers?: ResourceRecord[];
  authority?: ResourceRecord[];
  additional?: ResourceRecord[];
  /** Adds an OPT record advertising this UDP size. */
  edns?: { udpSize: number; version?: number };
}

/** A growing buffer that compresses names (RFC 1035 4.1.4): what dns-packet's encoder does not do. */
class Writer {
  buf = Buffer.alloc(512);
  pos = 0;
  /** Where each lower-case name suffix already written starts (pointers carry 14 bits). */
  readonly names = new Map<string, number>();

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
  }
  u32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v >>> 0, this.pos);
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }
  /** Writes RDLENGTH and RDATA with one of dns-packet's codecs. */
  part<T>(codec: PartCodec<T>, value: NoInfer<T>): void {
    this.ensure(codec.encodingLength(value));
    codec.encode(value, this.buf, this.pos);
    this.pos += codec.encode.bytes;
  }
  /** Writes RDLENGTH and the RDATA that write() appends. */
  rdata(write: () => void): void {
    const lenAt = this.pos;
    this.u16(0);
    write();
    this.buf.writeUInt16BE(this.pos - lenAt - 2, lenAt);
  }
  /** Writes a name, pointing at an earlier copy of its longest known suffix. */
  name(name: string): void {
    let start = 0;
    while (name !== "") {
      const suffix = name.slice(start).toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.pos < 0x3fff) this.names.set(suffix, this.pos);
      const dot = name.indexOf(".", start);
      const label = dot < 0 ? name.slice(start) : name.slice(start, dot);
      const len = Buffer.byteLength(label);
      if (len === 0 || len > 63) throw new RangeError(`bad label in ${JSON.stringify(name)}`);
      this.ensure(1 + len);
      this.buf[this.pos] = len;
      this.pos += 1 + this.buf.write(label, this.pos + 1, "utf8");
      if (dot < 0) break;
      start = dot + 1;
    }
    this.ensure(1);
    this.buf[this.pos++] = 0;
  }
  /** Registers the names of a question section written verbatim (no pointers in it). */
  learnQuestionNames(start: number, count: number): void {
    let pos = start;
    for (let q = 0; q < count; q++) {
      const offsets: number[] = [];
      const labels: string[] = [];
      for (let len = this.buf[pos]!; len !== 0; len = this.buf[pos]!) {
        offsets.push(pos);
        // UTF-8, as dns-packet decodes names: the keys must match the names later written.
        labels.push(this.buf.toString("utf8", pos + 1, pos + 1 + len));
        pos += 1 + len;
      }
      for (let i = 0; i < labels.length; i++) {
        const suffix = labels.slice(i).join(".").toLowerCase();
        if (!this.names.has(suffix) && offsets[i]! < 0x3fff) this.names.set(suffix, offsets[i]!);
      }
      pos += 5;
    }
  }
}

function encodeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type === "UNKNOWN" ? rr.typeCode : typeCode(rr.type));
  w.u16(CLASS_IN);
  w.u32(rr.ttl);
  switch (rr.type) {
    case "A":
      return w.part(wire.a, rr.address);
    case "AAAA":
      return w.part(wire.aaaa, rr.address);
    case "CNAME":
    case "PTR":
    case "NS":
      return w.rdata(() => w.name(rr.target));
    case "TXT":
      // Fresh buffers: dns-packet's TXT encoder replaces strings in the array it is given.
      return w.part(
        wire.txt,
        rr.text.map((t) => Buffer.from(t, "utf8").subarray(0, 255)),
      );
    case "SRV":
      // RFC 2782: the target must not be compressed; dns-packet writes it whole.
      return w.part(wire.srv, rr);
    case "SOA":
      return w.rdata(() => {
        w.name(rr.mname);
        w.name(rr.rname);
        for (const v of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) w.u32(v);
      });
    case "UNKNOWN":
      return w.part(wire.unknown, rr.raw);
  }
}

/** Encodes a message. */
export function encodeMessage(m: OutMessage): Buffer {
  const w = new Writer();
  const flags =
    (m.qr ? 0x8000 : 0) |
    ((m.opcode ?? 0) << 11) |
    (m.aa ? 0x0400 : 0) |
    (m.tc ? 0x0200 : 0) |
    (m.rd ? 0x0100 : 0) |
    (m.ra ? 0x0080 : 0) |
    ((m.rcode ?? 0) & 0xf);
  const qd = m.rawQuestions ? m.rawQuestions.count : (m.questions?.length ?? 0);
  const answers = m.answers ?? [];
  const authority = m.authority ?? [];
  const additional = m.additional ?? [];
  w.u16(m.id);
  w.u16(flags);
  w.u16(qd);
  w.u16(answers.length);
  w.u16(authority.length);
  w.u16(additional.length + (m.edns ? 1 : 0));
  if (m.rawQuestions) {
    const start = w.pos;
    w.bytes(m.rawQuestions.bytes);
    w.learnQuestionNames(start, m.rawQuestions.count);
  } else {
    for (const q of m.questions ?? []) {
      w.name(q.name);
      w.u16(q.type);
      w.u16(q.class);
    }
  }
  for (const rr of answers) encodeRecord(w, rr);
  for (const rr of authority) encodeRecord(w, rr);
  for (const rr of additional) encodeRecord(w, rr);
  if (m.edns) {
    w.part(wire.answer, {
      type: "OPT",
      name: ".",
      udpPayloadSize: m.edns.udpSize,
      extendedRcode: (m.rcode ?? 0) >> 4,
      ednsVersion: m.edns.version ?? 0,
      flags: 0,
      options: [],
    });
  }
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** The 16 bytes of an IPv6 address in any RFC 5952 form, by dns-packet's AAAA codec. */
export function ipv6Bytes(addr: string): Buffer {
  return Buffer.from(wire.aaaa.encode(addr, Buffer.alloc(18), 0).subarray(2));
}
