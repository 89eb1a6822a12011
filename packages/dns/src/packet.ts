/**
 * A minimal DNS wire codec (RFC 1035, RFC 2782 SRV, RFC 6891 EDNS0): decodes whole messages
 * (names with compression pointers, which may only point backwards) and encodes responses with
 * name compression. It knows the record types cluster DNS serves; other types decode as raw
 * bytes. Every decoding error is a DnsFormatError, never an unchecked exception.
 */

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

const TYPE_NAMES = new Map<number, RData["type"]>([
  [1, "A"],
  [2, "NS"],
  [5, "CNAME"],
  [6, "SOA"],
  [12, "PTR"],
  [16, "TXT"],
  [28, "AAAA"],
  [33, "SRV"],
]);

/** The type number of a record type name. */
export function typeCode(t: RData["type"] | keyof typeof RRType): number {
  return t === "UNKNOWN" ? 0 : RRType[t];
}

/** Reads the 16-bit message ID and flags; undefined when even the header is incomplete. */
export function peekHeader(buf: Buffer): { id: number; flags: number; qdcount: number } | undefined {
  if (buf.length < 12) return undefined;
  return { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), qdcount: buf.readUInt16BE(4) };
}

class Reader {
  pos = 0;
  sawPointer = false;
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DnsFormatError("message too short");
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A domain name; pointers must point strictly backwards, so decoding always ends. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let end = -1;
    let total = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new DnsFormatError("name runs past the message");
      const len = this.buf.readUInt8(pos);
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsFormatError("truncated pointer");
        const target = ((len & 0x3f) << 8) | this.buf.readUInt8(pos + 1);
        if (target >= pos) throw new DnsFormatError("forward compression pointer");
        if (end < 0) end = pos + 2;
        this.sawPointer = true;
        pos = target;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError("unsupported label type");
      if (len === 0) {
        if (end < 0) end = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.length) throw new DnsFormatError("label runs past the message");
      total += len + 1;
      if (total > 254) throw new DnsFormatError("name longer than 255 octets");
      labels.push(this.buf.toString("latin1", pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    this.pos = end;
    return labels.join(".");
  }
}

function decodeRecord(r: Reader): { rr: ResourceRecord; cls: number; rawTtl: number } {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const rawTtl = r.u32();
  const len = r.u16();
  r.need(len);
  const end = r.pos + len;
  const ttl = rawTtl;
  const named = TYPE_NAMES.get(type);
  let data: RData;
  switch (named) {
    case "A":
      if (len !== 4) throw new DnsFormatError("bad A length");
      data = { type: "A", address: [...r.bytes(4)].join(".") };
      break;
    case "AAAA": {
      if (len !== 16) throw new DnsFormatError("bad AAAA length");
      const b = r.bytes(16);
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
      data = { type: "AAAA", address: groups.join(":") };
      break;
    }
    case "CNAME":
    case "PTR":
    case "NS":
      data = { type: named, target: r.name() };
      break;
    case "TXT": {
      const text: string[] = [];
      while (r.pos < end) {
        const n = r.u8();
        text.push(r.bytes(n).toString("utf8"));
      }
      data = { type: "TXT", text };
      break;
    }
    case "SRV":
      data = { type: "SRV", priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case "SOA":
      data = {
        type: "SOA",
        mname: r.name(),
        rname: r.name(),
        serial: r.u32(),
        refresh: r.u32(),
        retry: r.u32(),
        expire: r.u32(),
        minimum: r.u32(),
      };
      break;
    default:
      data = { type: "UNKNOWN", typeCode: type, raw: Buffer.from(r.bytes(len)) };
  }
  if (r.pos !== end) throw new DnsFormatError("record data length mismatch");
  return { rr: { name, ttl, ...data }, cls, rawTtl };
}

/** Decodes a whole message; throws DnsFormatError when it is malformed. */
export function decodeMessage(buf: Buffer): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const qd = r.u16();
  const an = r.u16();
  const ns = r.u16();
  const ar = r.u16();
  const questions: Question[] = [];
  const qStart = r.pos;
  for (let i = 0; i < qd; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const rawQuestions = r.sawPointer ? undefined : Buffer.from(buf.subarray(qStart, r.pos));
  const section = (n: number) => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < n; i++) out.push(decodeRecord(r).rr);
    return out;
  };
  const answers = section(an);
  const authority = section(ns);
  const additional: ResourceRecord[] = [];
  let edns: Edns | undefined;
  for (let i = 0; i < ar; i++) {
    const { rr, cls, rawTtl } = decodeRecord(r);
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
  if (r.pos !== buf.length) throw new DnsFormatError("trailing bytes after the message");
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

class Writer {
  buf = Buffer.alloc(512);
  pos = 0;
  readonly names = new Map<string, number>();

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.pos = this.buf.writeUInt8(v, this.pos);
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
  /** Writes a name, pointing at an earlier copy of its longest known suffix. */
  name(name: string): void {
    const labels = name === "" ? [] : name.split(".");
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".").toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.pos < 0x3fff) this.names.set(suffix, this.pos);
      const b = Buffer.from(labels[i]!, "latin1");
      if (b.length === 0 || b.length > 63) throw new RangeError(`bad label in ${JSON.stringify(name)}`);
      this.u8(b.length);
      this.bytes(b);
    }
    this.u8(0);
  }
  /** Registers the names of a question section written verbatim (no pointers in it). */
  learnQuestionNames(start: number, count: number): void {
    let pos = start;
    for (let q = 0; q < count; q++) {
      const offsets: number[] = [];
      const labels: string[] = [];
      for (let len = this.buf.readUInt8(pos); len !== 0; len = this.buf.readUInt8(pos)) {
        offsets.push(pos);
        labels.push(this.buf.toString("latin1", pos + 1, pos + 1 + len));
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
  const lenAt = w.pos;
  w.u16(0);
  const start = w.pos;
  switch (rr.type) {
    case "A":
      for (const o of rr.address.split(".")) w.u8(Number(o));
      break;
    case "AAAA":
      w.bytes(ipv6Bytes(rr.address));
      break;
    case "CNAME":
    case "PTR":
    case "NS":
      w.name(rr.target);
      break;
    case "TXT":
      for (const t of rr.text) {
        const b = Buffer.from(t, "utf8").subarray(0, 255);
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case "SRV":
      w.u16(rr.priority);
      w.u16(rr.weight);
      w.u16(rr.port);
      // RFC 2782: the target must not be compressed.
      for (const l of rr.target.split(".")) {
        const b = Buffer.from(l, "latin1");
        w.u8(b.length);
        w.bytes(b);
      }
      w.u8(0);
      break;
    case "SOA":
      w.name(rr.mname);
      w.name(rr.rname);
      for (const v of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) w.u32(v);
      break;
    case "UNKNOWN":
      w.bytes(rr.raw);
  }
  w.buf.writeUInt16BE(w.pos - start, lenAt);
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
  for (const rr of [...answers, ...authority, ...additional]) encodeRecord(w, rr);
  if (m.edns) {
    w.u8(0);
    w.u16(RRType.OPT);
    w.u16(m.edns.udpSize);
    w.u32((((m.rcode ?? 0) >> 4) << 24) | ((m.edns.version ?? 0) << 16));
    w.u16(0);
  }
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** The 16 bytes of an IPv6 address in any RFC 5952 form (IPv4-embedded forms not needed here). */
export function ipv6Bytes(addr: string): Buffer {
  const [head = "", tail] = addr.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const b = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  return b;
}
