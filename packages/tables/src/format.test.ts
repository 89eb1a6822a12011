import { describe, expect, it } from "vitest";
import { ago, D, H, M, NOW, S } from "./fixtures.ts";
import {
  formatLabels,
  formatLabelSelector,
  formatRFC3339,
  humanDuration,
  joinHostPort,
  labelSelectorString,
  translateTimestampSince,
} from "./format.ts";

describe("humanDuration", () => {
  const Y = 365 * D;
  it.each([
    [-3 * S, "<invalid>"],
    [-2 * S, "<invalid>"],
    [-1999, "0s"],
    [-1 * S, "0s"],
    [0, "0s"],
    [999, "0s"],
    [1 * S, "1s"],
    [45 * S, "45s"],
    [59 * S, "59s"],
    [1 * M, "60s"],
    [90 * S, "90s"],
    [119 * S, "119s"],
    [119 * S + 999, "119s"],
    [2 * M, "2m"],
    [2 * M + 30 * S, "2m30s"],
    [5 * M + 10 * S, "5m10s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M, "10m"],
    [10 * M + 30 * S, "10m"],
    [90 * M, "90m"],
    [179 * M + 59 * S, "179m"],
    [3 * H, "3h"],
    [3 * H + 30 * M, "3h30m"],
    [7 * H + 59 * M, "7h59m"],
    [8 * H, "8h"],
    [8 * H + 30 * M, "8h"],
    [47 * H + 59 * M, "47h"],
    [48 * H, "2d"],
    [1 * D, "24h"],
    [2 * D, "2d"],
    [3 * D + 4 * H, "3d4h"],
    [7 * D + 23 * H, "7d23h"],
    [8 * D, "8d"],
    [1 * Y, "365d"],
    [2 * Y - 1 * D, "729d"],
    [2 * Y, "2y"],
    [2 * Y + 30 * D, "2y30d"],
    [7 * Y + 364 * D, "7y364d"],
    [8 * Y, "8y"],
    [8 * Y + 200 * D, "8y"],
    [12 * Y, "12y"],
  ])("humanDuration: %i ms reads %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  it("humanDuration: NaN is <invalid>", () => {
    expect(humanDuration(Number.NaN)).toBe("<invalid>");
  });
});

describe("translateTimestampSince", () => {
  it("translateTimestampSince: missing, empty, unparsable and Go zero times are <unknown>", () => {
    for (const ts of [undefined, null, "", "not-a-time", "0001-01-01T00:00:00Z"]) {
      expect(translateTimestampSince(ts, NOW)).toBe("<unknown>");
    }
  });

  it("translateTimestampSince: RFC3339 strings and Dates give their age", () => {
    expect(translateTimestampSince(ago(5 * M), NOW)).toBe("5m");
    expect(translateTimestampSince("2024-05-01T11:59:15.500Z", NOW)).toBe("44s");
    expect(translateTimestampSince(new Date(NOW.getTime() - 3 * D), NOW)).toBe("3d");
  });

  it("formatRFC3339: UTC whole seconds, Go's zero time when missing", () => {
    expect(formatRFC3339("2024-05-01T14:00:00.789+02:00")).toBe("2024-05-01T12:00:00Z");
    expect(formatRFC3339(undefined)).toBe("0001-01-01T00:00:00Z");
  });
});

describe("labels", () => {
  it("formatLabels: sorted k=v pairs, <none> when empty", () => {
    expect(formatLabels({ role: "Logstorage", app: "redis" })).toBe("app=redis,role=Logstorage");
    expect(formatLabels({})).toBe("<none>");
    expect(formatLabels(undefined)).toBe("<none>");
  });

  it("formatLabelSelector: matchLabels and matchExpressions sorted by key, values sorted", () => {
    expect(formatLabelSelector({ matchLabels: { release: "www", app: "nginx" } })).toBe(
      "app=nginx,release=www",
    );
    expect(
      formatLabelSelector({
        matchLabels: { tier: "db" },
        matchExpressions: [
          { key: "env", operator: "NotIn", values: ["prod", "dev"] },
          { key: "app", operator: "In", values: ["b", "a"] },
          { key: "canary", operator: "DoesNotExist" },
          { key: "zone", operator: "Exists" },
          { key: "one", operator: "In", values: ["x"] },
        ],
      }),
    ).toBe("app in (a,b),!canary,env notin (dev,prod),one in (x),tier=db,zone");
  });

  it("formatLabelSelector: nil and empty selectors are <none>", () => {
    expect(formatLabelSelector(undefined)).toBe("<none>");
    expect(formatLabelSelector({})).toBe("<none>");
    expect(formatLabelSelector({ matchLabels: {}, matchExpressions: [] })).toBe("<none>");
  });

  it("formatLabelSelector: selectors LabelSelectorAsSelector rejects are <error>", () => {
    expect(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] })).toBe(
      "<error>",
    );
    expect(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).toBe(
      "<error>",
    );
    expect(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })).toBe(
      "<error>",
    );
    expect(formatLabelSelector({ matchLabels: { "bad key!": "x" } })).toBe("<error>");
    expect(formatLabelSelector({ matchLabels: { app: "-bad" } })).toBe("<error>");
    expect(formatLabelSelector({ matchLabels: { "example.com/app": "" } })).toBe("example.com/app=");
  });

  it("labelSelectorString: empty string for nil or empty, undefined for invalid", () => {
    expect(labelSelectorString(undefined)).toBe("");
    expect(labelSelectorString({})).toBe("");
    expect(labelSelectorString({ matchExpressions: [{ key: "a", operator: "Nope" }] })).toBeUndefined();
  });

  it("joinHostPort: brackets IPv6 hosts", () => {
    expect(joinHostPort("10.244.1.5", 80)).toBe("10.244.1.5:80");
    expect(joinHostPort("fd00::5", 80)).toBe("[fd00::5]:80");
  });
});
