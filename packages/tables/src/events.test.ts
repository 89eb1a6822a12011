import { describe, expect, it } from "vitest";
import { eventPrinter } from "./events.ts";
import { ago, H, M, makeEvent, makeEventsV1Event, NOW, S } from "./fixtures.ts";

describe("events", () => {
  it("events: column order and priorities match printers.go", () => {
    expect(eventPrinter.columns.map((c) => [c.name, c.format, c.priority])).toEqual([
      ["Last Seen", "", 0],
      ["Type", "", 0],
      ["Reason", "", 0],
      ["Object", "", 0],
      ["Subobject", "", 1],
      ["Source", "", 1],
      ["Message", "", 0],
      ["First Seen", "", 1],
      ["Count", "", 1],
      ["Name", "name", 1],
    ]);
  });

  it("events: a core/v1 event, full wide row", () => {
    const event = makeEvent("ns1", "p1.17c8a2b4f1e2d3c4", (e) => {
      e.involvedObject = { kind: "Pod", name: "redis-7d4f8b9c6d-x2x9z", fieldPath: "spec.containers{redis}" };
      e.reason = "Started";
      e.message = "Started container redis\n";
      e.source = { component: "kubelet", host: "node-1" };
      e.firstTimestamp = ago(2 * H);
      e.lastTimestamp = ago(30 * S);
      e.count = 3;
    });
    expect(eventPrinter.cells(event, NOW)).toEqual([
      "30s",
      "Normal",
      "Started",
      "pod/redis-7d4f8b9c6d-x2x9z",
      "spec.containers{redis}",
      "kubelet, node-1",
      "Started container redis",
      "120m",
      3,
      "p1.17c8a2b4f1e2d3c4",
    ]);
  });

  it("events: an object without a name shows only its lower-cased kind", () => {
    const event = makeEvent("ns1", "e1", (e) => {
      e.involvedObject = { kind: "Node" };
      e.type = "Warning";
    });
    expect(eventPrinter.cells(event, NOW).slice(0, 4)).toEqual(["60s", "Warning", "Scheduled", "node"]);
  });

  it("events: without lastTimestamp LAST SEEN is FIRST SEEN; without either it is eventTime", () => {
    const noLast = makeEvent("ns1", "e1", (e) => {
      e.lastTimestamp = undefined;
      e.firstTimestamp = ago(5 * M);
    });
    const cells = eventPrinter.cells(noLast, NOW);
    expect([cells[0], cells[7]]).toEqual(["5m", "5m"]);
    const eventTimeOnly = makeEvent("ns1", "e2", (e) => {
      e.firstTimestamp = undefined;
      e.lastTimestamp = undefined;
      e.eventTime = ago(90 * S);
      e.count = undefined;
    });
    const c2 = eventPrinter.cells(eventTimeOnly, NOW);
    expect([c2[0], c2[7], c2[8]]).toEqual(["90s", "90s", 1]);
  });

  it("events: a series gives LAST SEEN and COUNT", () => {
    const event = makeEvent("ns1", "e1", (e) => {
      e.series = { count: 7, lastObservedTime: ago(10 * S) };
      e.count = 2;
    });
    const cells = eventPrinter.cells(event, NOW);
    expect([cells[0], cells[7], cells[8]]).toEqual(["10s", "60s", 7]);
  });

  it("events: SOURCE falls back to reportingComponent and reportingInstance", () => {
    const event = makeEvent("ns1", "e1", (e) => {
      e.source = {};
      e.reportingComponent = "kubelet";
      e.reportingInstance = "node-2";
    });
    expect(eventPrinter.cells(event, NOW)[5]).toBe("kubelet, node-2");
    const noTimes = makeEvent("ns1", "e2", (e) => {
      e.firstTimestamp = undefined;
      e.lastTimestamp = undefined;
    });
    expect(eventPrinter.cells(noTimes, NOW)[0]).toBe("<unknown>");
  });

  it("events: events.k8s.io/v1 objects print through their renamed fields", () => {
    expect(eventPrinter.cells(makeEventsV1Event("ns1", "e1"), NOW)).toEqual([
      "60s",
      "Normal",
      "Pulled",
      "pod/p1",
      "spec.containers{app}",
      "kubelet, node-1",
      "Container image already present on machine",
      "60s",
      1,
      "e1",
    ]);
    const deprecated = makeEventsV1Event("ns1", "e2", (e) => {
      e.deprecatedSource = { component: "default-scheduler" };
      e.deprecatedFirstTimestamp = ago(4 * M);
      e.deprecatedLastTimestamp = ago(2 * M);
      e.deprecatedCount = 4;
    });
    const cells = eventPrinter.cells(deprecated, NOW);
    expect([cells[0], cells[5], cells[7], cells[8]]).toEqual(["2m", "default-scheduler, node-1", "4m", 4]);
  });
});
