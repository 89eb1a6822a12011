import { describe, expect, it } from "vitest";
import { makeOutcome, makeReport } from "./fixtures.ts";
import { formatMs, formatProgress, formatReport } from "./format.ts";

describe("format", () => {
  it("format: a k6-style summary with ✓/✗ per threshold and aligned share columns", () => {
    const report = makeReport(
      [
        ...Array.from({ length: 3 }, () => makeOutcome("web-7d4b9-aaaaa")),
        makeOutcome("web-7d4b9-b", (o) => (o.landing = { pod: "web-7d4b9-b", node: "node-22" })),
        makeOutcome("x", (o) => Object.assign(o, { error: "ECONNRESET", message: "socket hang up" })),
      ],
      (r) => {
        r.scenario = "nodeport-spread";
        r.chaos.push({
          atMs: 2000,
          at: "2026-11-24T22:00:02.000Z",
          tookMs: 12,
          result: "deleted default/web-1",
        });
      },
    );
    const text = formatReport(report, { http_req_failed: ["rate<0.5"], every_pod_share: ["min>0.3"] });
    expect(text).toContain("    scenario: nodeport-spread");
    expect(text).toContain("    ✓ 'rate<0.5' rate=20.00%");
    expect(text).toContain("    ✗ 'min>0.3' min=25.00%");
    expect(text).toContain("    http_req_failed................: 20.00%  1 out of 5");
    expect(text).toContain("    errors.........................: ECONNRESET=1");
    expect(text).toContain("      ECONNRESET: socket hang up");
    expect(text).toContain("    +2.0s  deleted default/web-1  (12.00ms)");
    expect(text).toContain("thresholds FAILED");
    const rows = text.split("\n").filter((l) => l.includes("web-7d4b9-"));
    expect(rows).toEqual([
      "    web-7d4b9-aaaaa  node-1          3  75.00%  ███████████████",
      "    web-7d4b9-b      node-22         1  25.00%  █████",
      "    vu-1           5   4     2  ✗       web-7d4b9-aaaaa",
    ]);
  });

  it("format: the report is plain JSON (no NaN, Infinity or Maps)", () => {
    const report = makeReport([]);
    const text = JSON.stringify(report);
    expect(JSON.parse(text)).toEqual(report);
    expect(text).not.toMatch(/NaN|Infinity/);
    expect(formatReport(report)).toContain("no successful responses");
  });

  it("format: durations and progress lines", () => {
    expect([formatMs(0.4123), formatMs(1.237), formatMs(2310)]).toEqual(["412µs", "1.24ms", "2.31s"]);
    expect(
      formatProgress({
        elapsedMs: 12_000,
        plannedMs: 30_000,
        requests: 1234,
        ok: 1230,
        failed: 4,
        inFlight: 3,
        droppedIterations: 0,
        intervalRate: 41.07,
        intervalP95Ms: 1.5,
        pods: 3,
        chaos: 2,
        lastChaos: { atMs: 10_000, at: "", tookMs: 5, result: "deleted default/web-1" },
      }),
    ).toBe(
      "running (00m12.0s/00m30.0s)  reqs=1234 (41.1/s)  failed=4  in-flight=3  dropped=0  pods=3  p95=1.50ms  " +
        "chaos=2 (last: deleted default/web-1)",
    );
  });
});
