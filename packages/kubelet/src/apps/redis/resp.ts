/**
 * RESP2, the redis wire protocol: requests are arrays of bulk strings (or inline commands, one
 * per line, as telnet and nc send them); replies are simple strings, errors, integers, bulk
 * strings and arrays.
 */

/** A reply value. */
export type RespValue =
  | { t: "simple"; v: string }
  | { t: "error"; v: string }
  | { t: "int"; v: number }
  | { t: "bulk"; v: string | null }
  | { t: "array"; v: RespValue[] };

/** Encodes a reply. */
export function encode(r: RespValue): string {
  switch (r.t) {
    case "simple":
      return `+${r.v}\r\n`;
    case "error":
      return `-${r.v}\r\n`;
    case "int":
      return `:${r.v}\r\n`;
    case "bulk":
      return r.v === null ? "$-1\r\n" : `$${Buffer.byteLength(r.v)}\r\n${r.v}\r\n`;
    case "array":
      return `*${r.v.length}\r\n${r.v.map(encode).join("")}`;
  }
}

/** Commands parsed from the start of a buffer, what is left, and a protocol error if any. */
export interface ParseResult {
  commands: string[][];
  rest: Buffer;
  error?: string;
}

const MAX_INLINE = 64 * 1024;
const MAX_BULK = 512 * 1024 * 1024;

/** Parses as many complete commands as buf holds. */
export function parseCommands(buf: Buffer): ParseResult {
  const commands: string[][] = [];
  let pos = 0;
  for (;;) {
    if (pos >= buf.length) break;
    if (buf[pos] === 0x2a /* * */) {
      const r = parseArray(buf, pos);
      if (r === "incomplete") break;
      if (typeof r === "string") return { commands, rest: Buffer.alloc(0), error: r };
      pos = r.end;
      if (r.args.length > 0) commands.push(r.args);
    } else {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) {
        if (buf.length - pos > MAX_INLINE)
          return { commands, rest: Buffer.alloc(0), error: "Protocol error: too big inline request" };
        break;
      }
      const line = buf.subarray(pos, nl).toString().replace(/\r$/, "");
      pos = nl + 1;
      const args = splitInline(line);
      if (args === undefined)
        return { commands, rest: Buffer.alloc(0), error: "Protocol error: unbalanced quotes in request" };
      if (args.length > 0) commands.push(args);
    }
  }
  return { commands, rest: buf.subarray(pos) };
}

function readLine(buf: Buffer, pos: number): { line: string; next: number } | undefined {
  const end = buf.indexOf("\r\n", pos);
  if (end < 0) return undefined;
  return { line: buf.subarray(pos, end).toString(), next: end + 2 };
}

function parseArray(buf: Buffer, start: number): { args: string[]; end: number } | "incomplete" | string {
  const head = readLine(buf, start + 1);
  if (!head) return "incomplete";
  const n = Number(head.line);
  if (!/^-?\d+$/.test(head.line) || n > 1024 * 1024) return "Protocol error: invalid multibulk length";
  let pos = head.next;
  const args: string[] = [];
  for (let i = 0; i < n; i++) {
    if (pos >= buf.length) return "incomplete";
    if (buf[pos] !== 0x24 /* $ */)
      return `Protocol error: expected '$', got '${String.fromCharCode(buf[pos]!)}'`;
    const lenLine = readLine(buf, pos + 1);
    if (!lenLine) return "incomplete";
    const len = Number(lenLine.line);
    if (!/^\d+$/.test(lenLine.line) || len > MAX_BULK) return "Protocol error: invalid bulk length";
    if (buf.length < lenLine.next + len + 2) return "incomplete";
    args.push(buf.subarray(lenLine.next, lenLine.next + len).toString());
    pos = lenLine.next + len + 2;
  }
  return { args, end: pos };
}

/** Splits an inline command as redis does: spaces separate, double or single quotes group. */
export function splitInline(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " " || line[i] === "\t") i++;
    if (i >= line.length) break;
    let cur = "";
    const q = line[i];
    if (q === '"' || q === "'") {
      i++;
      let closed = false;
      while (i < line.length) {
        if (q === '"' && line[i] === "\\" && i + 1 < line.length) {
          const c = line[i + 1]!;
          cur += c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c;
          i += 2;
          continue;
        }
        if (line[i] === q) {
          closed = true;
          i++;
          break;
        }
        cur += line[i];
        i++;
      }
      if (!closed) return undefined;
    } else {
      while (i < line.length && line[i] !== " " && line[i] !== "\t") cur += line[i++];
    }
    out.push(cur);
  }
  return out;
}
