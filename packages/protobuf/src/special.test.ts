import { describe, expect, it } from "vitest";
import { ProtobufError } from "./errors.ts";
import { formatDuration, parseDuration, SPECIAL } from "./special.ts";

describe("special types", () => {
  it("special: durations print as Go's time.Duration.String", () => {
    const cases: [bigint, string][] = [
      [0n, "0s"],
      [1n, "1ns"],
      [1100n, "1.1µs"],
      [2_200_000n, "2.2ms"],
      [3_300_000_000n, "3.3s"],
      [245_000_000_000n, "4m5s"],
      [245_001_000_000n, "4m5.001s"],
      [18_367_001_000_000n, "5h6m7.001s"],
      [480_000_000_001n, "8m0.000000001s"],
      [3_600_000_000_000n, "1h0m0s"],
      [-90_000_000_000n, "-1m30s"],
    ];
    for (const [ns, text] of cases) {
      expect(formatDuration(ns)).toBe(text);
      expect(parseDuration(text, "d")).toBe(ns);
    }
    expect(() => parseDuration("5 minutes", "d")).toThrow(ProtobufError);
  });

  it("special: a Duration message round-trips through its JSON string", () => {
    const d = SPECIAL["Duration"]!;
    expect(d.decode(d.encode("1h30m", "d"), "d")).toBe("1h30m0s");
    expect(d.decode(undefined, "d")).toBe("0s");
  });

  it("special: times outside RFC 3339 or out of range are refused when encoding", () => {
    const t = SPECIAL["Time"]!;
    expect(() => t.encode("yesterday", "t")).toThrow(ProtobufError);
    expect(() => t.encode("2024-02-30T00:00:00Z", "t")).toThrow(/out of range/);
    expect(t.decode(t.encode("0099-01-01T00:00:00Z", "t"), "t")).toBe("0099-01-01T00:00:00Z");
  });

  it("special: quantities may be JSON numbers when encoding", () => {
    const q = SPECIAL["Quantity"]!;
    expect(q.decode(q.encode(2, "q"), "q")).toBe("2");
    expect(q.decode(q.zero, "q")).toBe("0");
  });
});
