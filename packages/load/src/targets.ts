/**
 * Where the load goes and where it comes from: "host:port,host:port" targets, and k6-style
 * --local-ips lists (addresses, ranges and CIDRs) that give each virtual client its own source
 * address, so ClientIP session affinity sees several clients from one machine.
 */
import { isIP } from "node:net";
import { intToIPv4, ipv4ToInt } from "@kemu/common";

/** A settings or threshold error; the message names the flag, variable or expression at fault. */
export class LoadSettingsError extends Error {
  override name = "LoadSettingsError";
}

/** One host:port the runner sends requests to. */
export interface Target {
  host: string;
  port: number;
}

/** "host:port" for a target ("[::1]:80" for IPv6). */
export function targetKey(t: Target): string {
  return isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** Parses "127.0.1.1:31180,127.0.1.2:31180" (IPv6 as "[::1]:31180"); throws LoadSettingsError. */
export function parseTargets(spec: string): Target[] {
  const parts = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) throw new LoadSettingsError(`no targets in "${spec}" (want host:port,host:port)`);
  return parts.map((part) => {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(part) ?? /^([^:[\]]+):(\d+)$/.exec(part);
    if (!m) throw new LoadSettingsError(`target "${part}" is not host:port`);
    const port = Number(m[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new LoadSettingsError(`target "${part}" has port ${m[2]} outside 1-65535`);
    return { host: m[1]!, port };
  });
}

/** The most addresses one --local-ips list may expand to; a /8 by mistake should not allocate 16M strings. */
const MAX_LOCAL_IPS = 65536;

/**
 * Expands a k6-style --local-ips list: "127.0.0.2,127.0.0.5-127.0.0.9,127.0.0.16/30". As k6
 * documents it, IPv4 CIDRs with more than two addresses leave out the network and broadcast
 * addresses. IPv6 is accepted as single addresses only. Throws LoadSettingsError.
 */
export function parseLocalIps(spec: string): string[] {
  const out: string[] = [];
  const push = (ip: string) => {
    if (out.length >= MAX_LOCAL_IPS)
      throw new LoadSettingsError(`--local-ips expands to more than ${MAX_LOCAL_IPS} addresses`);
    out.push(ip);
  };
  for (const raw of spec.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const range = /^([\d.]+)-([\d.]+)$/.exec(part);
    const cidr = /^([\d.]+)\/(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [range[1]!, range[2]!];
      if (isIP(from) !== 4 || isIP(to) !== 4)
        throw new LoadSettingsError(`local IP range "${part}" is not IPv4`);
      const [a, b] = [ipv4ToInt(from)!, ipv4ToInt(to)!];
      if (b < a) throw new LoadSettingsError(`local IP range "${part}" ends before it starts`);
      for (let n = a; n <= b; n++) push(intToIPv4(n));
    } else if (cidr) {
      const bits = Number(cidr[2]);
      if (isIP(cidr[1]!) !== 4 || bits < 0 || bits > 32)
        throw new LoadSettingsError(`local IP CIDR "${part}" is not an IPv4 CIDR`);
      const size = 2 ** (32 - bits);
      const base = Math.floor(ipv4ToInt(cidr[1]!)! / size) * size;
      const [first, last] = size > 2 ? [base + 1, base + size - 2] : [base, base + size - 1];
      for (let n = first; n <= last; n++) push(intToIPv4(n));
    } else if (isIP(part) !== 0) {
      push(part);
    } else {
      throw new LoadSettingsError(`local IP "${part}" is not an address, a range (a-b) or a CIDR`);
    }
  }
  if (out.length === 0) throw new LoadSettingsError(`no local IPs in "${spec}"`);
  return out;
}

/**
 * Parses a k6-style duration into milliseconds: "500ms", "30s", "2m", "1h", "1m30s", or a bare
 * number of seconds. Throws LoadSettingsError.
 */
export function parseDuration(spec: string | number): number {
  if (typeof spec === "number") {
    if (!Number.isFinite(spec) || spec < 0) throw new LoadSettingsError(`duration ${spec} is not >= 0`);
    return spec * 1000;
  }
  const s = spec.trim();
  if (s === "") throw new LoadSettingsError("duration is empty");
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = s;
  while (rest !== "") {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new LoadSettingsError(`duration "${spec}" is not like 500ms, 30s, 2m or 1m30s`);
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}
