import { describe, expect, it } from "vitest";
import { parseDuration, parseLocalIps, parseTargets, targetKey } from "./targets.ts";

describe("targets", () => {
  it("targets: host:port lists, IPv6 in brackets, blanks ignored", () => {
    expect(parseTargets("127.0.1.1:31180, 127.0.1.2:31180,,[::1]:80")).toEqual([
      { host: "127.0.1.1", port: 31180 },
      { host: "127.0.1.2", port: 31180 },
      { host: "::1", port: 80 },
    ]);
    expect(targetKey({ host: "::1", port: 80 })).toBe("[::1]:80");
  });

  it("targets: bad targets are refused with the part at fault", () => {
    expect(() => parseTargets("")).toThrow(/no targets/);
    expect(() => parseTargets("127.0.0.1")).toThrow('target "127.0.0.1" is not host:port');
    expect(() => parseTargets("a:1,b:70000")).toThrow(/outside 1-65535/);
  });

  it("targets: --local-ips takes addresses, ranges and CIDRs as k6 does", () => {
    expect(parseLocalIps("127.0.0.2,127.0.0.5-127.0.0.7")).toEqual([
      "127.0.0.2",
      "127.0.0.5",
      "127.0.0.6",
      "127.0.0.7",
    ]);
    // CIDRs of more than two addresses leave out the network and broadcast addresses.
    expect(parseLocalIps("127.0.0.16/30")).toEqual(["127.0.0.17", "127.0.0.18"]);
    expect(parseLocalIps("127.0.0.16/31")).toEqual(["127.0.0.16", "127.0.0.17"]);
    expect(parseLocalIps("::1")).toEqual(["::1"]);
    expect(() => parseLocalIps("127.0.0.9-127.0.0.2")).toThrow(/ends before it starts/);
    expect(() => parseLocalIps("10.0.0.0/8")).toThrow(/more than 65536/);
    expect(() => parseLocalIps("localhost")).toThrow(/not an address/);
  });

  it("targets: durations as k6 writes them", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("2")).toBe(2_000);
    expect(parseDuration(1.5)).toBe(1_500);
    expect(() => parseDuration("30 seconds")).toThrow(/not like/);
    expect(() => parseDuration("")).toThrow(/empty/);
  });
});
