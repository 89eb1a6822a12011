import { describe, expect, it } from "vitest";
import { CREATED, makeNode, makePod, makeService, NOW } from "./fixtures.ts";
import { buildTable, printerFor, TableOptionsError } from "./index.ts";
import { eventPrinter } from "./events.ts";
import { podPrinter } from "./pods.ts";

describe("buildTable", () => {
  const pods = [makePod("ns1", "p1"), makePod("ns1", "p2")];

  it("buildTable: a pod list with the default includeObject carries PartialObjectMetadata rows", () => {
    const table = buildTable("pods", "", pods, { now: NOW, listMeta: { resourceVersion: "1234" } });
    expect(table).toEqual({
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "1234" },
      columnDefinitions: podPrinter.columns,
      rows: pods.map((p) => ({
        cells: [p.metadata?.name, "1/1", "Running", "0", "5m", "10.244.1.5", "node-1", "<none>", "<none>"],
        object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: p.metadata },
      })),
    });
  });

  it("buildTable: the full pod NAME column definition as kube-apiserver sends it", () => {
    const table = buildTable("pods", "", [], {});
    expect(table.columnDefinitions?.[0]).toEqual({
      name: "Name",
      type: "string",
      format: "name",
      description:
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
      priority: 0,
    });
    expect(Object.keys(table.columnDefinitions?.[0] ?? {})).toEqual([
      "name",
      "type",
      "format",
      "description",
      "priority",
    ]);
  });

  it("buildTable: includeObject=Metadata, Object and None", () => {
    const [pod] = pods;
    expect(buildTable("pods", "", [pod!], { includeObject: "Metadata", now: NOW }).rows?.[0]?.object).toEqual(
      {
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: pod!.metadata,
      },
    );
    expect(buildTable("pods", "", [pod!], { includeObject: "Object", now: NOW }).rows?.[0]?.object).toBe(pod);
    const none = buildTable("pods", "", [pod!], { includeObject: "None", now: NOW });
    expect(none.rows?.[0]).toHaveProperty("object", null);
    expect(JSON.parse(JSON.stringify(none)).rows[0].object).toBeNull();
  });

  it("buildTable: an unknown includeObject is a BadRequest with kube-apiserver's message", () => {
    expect(() => buildTable("pods", "", pods, { includeObject: "All" })).toThrow(TableOptionsError);
    try {
      buildTable("pods", "", pods, { includeObject: "All" });
    } catch (err) {
      expect(err).toMatchObject({
        reason: "BadRequest",
        code: 400,
        message:
          `Unable to convert to Table as requested: includeObject: Invalid value: "All": ` +
          "must be 'Metadata', 'Object', 'None', or empty",
      });
    }
  });

  it("buildTable: list metadata carries resourceVersion, continue and remainingItemCount", () => {
    const table = buildTable("pods", "", pods, {
      now: NOW,
      listMeta: { resourceVersion: "99", continue: "eyJ2IjoxfQ", remainingItemCount: 5 },
    });
    expect(table.metadata).toEqual({ resourceVersion: "99", continue: "eyJ2IjoxfQ", remainingItemCount: 5 });
    expect(buildTable("pods", "", pods, { now: NOW, listMeta: { continue: "" } }).metadata).toEqual({});
  });

  it("buildTable: a single object's table takes the object's resourceVersion", () => {
    expect(buildTable("pods", "", [pods[0]!], { now: NOW }).metadata).toEqual({ resourceVersion: "42" });
    expect(buildTable("pods", "", pods, { now: NOW }).metadata).toEqual({});
  });

  it("buildTable: noHeaders drops the column definitions, as watch events after the first do", () => {
    const table = buildTable("pods", "", pods, { now: NOW, noHeaders: true });
    expect(table.columnDefinitions).toBeNull();
    expect(table.rows).toHaveLength(2);
  });

  it("buildTable: meta.k8s.io/v1beta1 tables carry v1beta1 PartialObjectMetadata", () => {
    const table = buildTable("nodes", "", [makeNode("node-1")], {
      now: NOW,
      apiVersion: "meta.k8s.io/v1beta1",
    });
    expect(table.apiVersion).toBe("meta.k8s.io/v1beta1");
    expect(table.rows?.[0]?.object).toMatchObject({
      apiVersion: "meta.k8s.io/v1beta1",
      kind: "PartialObjectMetadata",
    });
  });

  it("buildTable: finished pods carry row conditions between cells and object", () => {
    const done = makePod("ns1", "done", (p) => {
      p.status.phase = "Succeeded";
      p.status.containerStatuses = [
        {
          name: "app",
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: "Completed" } },
        },
      ];
    });
    const row = buildTable("pods", "", [done, pods[0]!], { now: NOW }).rows ?? [];
    expect(Object.keys(row[0] ?? {})).toEqual(["cells", "conditions", "object"]);
    expect(row[0]?.conditions?.[0]).toMatchObject({ type: "Completed", status: "True", reason: "Succeeded" });
    expect(Object.keys(row[1] ?? {})).toEqual(["cells", "object"]);
  });

  it("buildTable: an empty list has no rows ([]), and the default printer's is null", () => {
    expect(buildTable("services", "", [], { now: NOW }).rows).toEqual([]);
    expect(buildTable("chaosexperiments", "kemu.dev", [], { now: NOW }).rows).toBeNull();
  });

  it("buildTable: unknown resources get NAME and CREATED AT (RFC3339 date)", () => {
    const obj = {
      apiVersion: "kemu.dev/v1",
      kind: "PodChaos",
      metadata: { name: "kill-one", creationTimestamp: CREATED },
    };
    const table = buildTable("podchaos", "kemu.dev", [obj], { now: NOW });
    expect(table.columnDefinitions?.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
      ["Name", "string", "name", 0],
      ["Created At", "date", "", 0],
    ]);
    expect(table.rows?.[0]?.cells).toEqual(["kill-one", "2024-05-01T11:55:00Z"]);
  });
});

describe("printerFor", () => {
  it("printerFor: looks resources up by plural and group", () => {
    expect(printerFor("pods", "")).toBe(podPrinter);
    expect(printerFor("events", "")).toBe(eventPrinter);
    expect(printerFor("events", "events.k8s.io")).toBe(eventPrinter);
    expect(printerFor("deployments", "apps").columns[1]?.name).toBe("Ready");
    expect(printerFor("endpointslices", "discovery.k8s.io").columns[1]?.name).toBe("AddressType");
    expect(printerFor("leases", "coordination.k8s.io").columns[1]?.name).toBe("Holder");
  });

  it("printerFor: a known plural in the wrong group falls back to the default printer", () => {
    expect(printerFor("pods", "apps").columns.map((c) => c.name)).toEqual(["Name", "Created At"]);
    expect(printerFor("deployments", "").columns.map((c) => c.name)).toEqual(["Name", "Created At"]);
  });

  it("printerFor: services through buildTable give the walkthrough's kubectl get svc rows", () => {
    const kubernetes = makeService("default", "kubernetes", (s) => {
      s.spec.clusterIP = "10.96.0.1";
      s.spec.clusterIPs = ["10.96.0.1"];
      s.spec.ports = [{ port: 443, protocol: "TCP" }];
      s.spec.selector = undefined;
    });
    const table = buildTable("services", "", [kubernetes], { now: NOW });
    const shown = table.columnDefinitions?.flatMap((c, i) => (c.priority === 0 ? [i] : [])) ?? [];
    expect(shown.map((i) => table.rows?.[0]?.cells[i])).toEqual([
      "kubernetes",
      "ClusterIP",
      "10.96.0.1",
      "<none>",
      "443/TCP",
      "5m",
    ]);
  });
});
