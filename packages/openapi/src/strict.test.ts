import { describe, expect, test } from "vitest";
import { unknownFields } from "./index.ts";

type Obj = Record<string, unknown>;

function makeDeployment(
  mutate: (d: Obj & { metadata: Obj; spec: Obj & { template: { spec: Obj } } }) => void = () => {},
) {
  const d = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" }, annotations: { "a.b/c": "d" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "web",
              image: "nginx",
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: "500m", memory: "1Gi" } },
            },
          ],
        },
      },
    },
  };
  mutate(d);
  return d;
}

describe("unknownFields", () => {
  test("unknownFields: a valid object has none", () => {
    expect(unknownFields("apps", "v1", "Deployment", makeDeployment())).toEqual([]);
  });

  test("unknownFields: paths use upstream's strict decoding format, in document order", () => {
    const d = makeDeployment((d) => {
      d.spec.foo = 1;
      (d.spec.template.spec.containers as Obj[])[0]!.bogus = true;
      d.metadata.extra = "x";
      (d as Obj).top = {};
    });
    expect(unknownFields("apps", "v1", "Deployment", d)).toEqual([
      "metadata.extra",
      "spec.template.spec.containers[0].bogus",
      "spec.foo",
      "top",
    ]);
  });

  test("unknownFields: field names are case-sensitive", () => {
    const d = makeDeployment((d) => {
      d.spec.Replicas = 3;
    });
    expect(unknownFields("apps", "v1", "Deployment", d)).toEqual(["spec.Replicas"]);
  });

  test("unknownFields: the contents of an unknown field are not reported", () => {
    const d = makeDeployment((d) => {
      d.spec.bogus = { nested: { deeper: 1 } };
    });
    expect(unknownFields("apps", "v1", "Deployment", d)).toEqual(["spec.bogus"]);
  });

  test("unknownFields: maps, scalars wrappers and free-form objects accept any keys", () => {
    const d = makeDeployment((d) => {
      d.metadata.labels = { "any/key": "v" };
      d.spec.template.spec.nodeSelector = { "kubernetes.io/os": "linux" };
    });
    expect(unknownFields("apps", "v1", "Deployment", d)).toEqual([]);
    const revision = {
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      revision: 1,
      data: { anything: { at: "all" } },
    };
    expect(unknownFields("apps", "v1", "ControllerRevision", revision)).toEqual([]);
  });

  test("unknownFields: nulls and type mismatches are not unknown fields", () => {
    const d = makeDeployment((d) => {
      d.spec.template = null as never;
      d.spec.selector = "not-an-object";
    });
    expect(unknownFields("apps", "v1", "Deployment", d)).toEqual([]);
  });

  test("unknownFields: list kinds check their items", () => {
    const list = {
      apiVersion: "v1",
      kind: "PodList",
      metadata: {},
      items: [{ metadata: { name: "a" } }, { spec: { x: 1 } }],
    };
    expect(unknownFields("", "v1", "PodList", list)).toEqual(["items[1].spec.x"]);
  });

  test("unknownFields: core and events.k8s.io Event are different schemas", () => {
    const event = { involvedObject: { kind: "Pod", name: "p" }, regarding: { kind: "Pod", name: "p" } };
    expect(unknownFields("", "v1", "Event", event)).toEqual(["regarding"]);
    expect(unknownFields("events.k8s.io", "v1", "Event", event)).toEqual(["involvedObject"]);
  });

  test("unknownFields: Service, Lease and EndpointSlice", () => {
    const svc = {
      spec: {
        ports: [{ port: 80, targetPort: "http", nodePort: 31180, bogus: 1 }],
        clusterIP: "10.96.65.65",
      },
    };
    expect(unknownFields("", "v1", "Service", svc)).toEqual(["spec.ports[0].bogus"]);
    const lease = {
      spec: { holderIdentity: "node-1", renewTime: "2024-01-01T00:00:00.000000Z", leaseDurationSeconds: 40 },
    };
    expect(unknownFields("coordination.k8s.io", "v1", "Lease", lease)).toEqual([]);
    const slice = {
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.1.5"], conditions: { ready: true, x: 1 } }],
    };
    expect(unknownFields("discovery.k8s.io", "v1", "EndpointSlice", slice)).toEqual([
      "endpoints[0].conditions.x",
    ]);
  });

  test("unknownFields: an unknown kind or a non-object has nothing to report", () => {
    expect(unknownFields("example.com", "v1", "Widget", { a: 1 })).toEqual([]);
    expect(unknownFields("", "v1", "Pod", "text")).toEqual([]);
  });
});
