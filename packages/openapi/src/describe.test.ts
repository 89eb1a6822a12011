import { expect, test } from "vitest";
import { definitionName, describeType } from "./index.ts";

test("definitionName: maps GVKs to upstream definition names", () => {
  expect(definitionName("apps", "v1", "Deployment")).toBe("io.k8s.api.apps.v1.Deployment");
  expect(definitionName("", "v1", "Pod")).toBe("io.k8s.api.core.v1.Pod");
  expect(definitionName("", "v1", "PodList")).toBe("io.k8s.api.core.v1.PodList");
  expect(definitionName("", "v1", "Event")).toBe("io.k8s.api.core.v1.Event");
  expect(definitionName("events.k8s.io", "v1", "Event")).toBe("io.k8s.api.events.v1.Event");
  expect(definitionName("policy", "v1", "Eviction")).toBe("io.k8s.api.policy.v1.Eviction");
  expect(definitionName("autoscaling", "v1", "Scale")).toBe("io.k8s.api.autoscaling.v1.Scale");
  expect(definitionName("coordination.k8s.io", "v1", "Lease")).toBe("io.k8s.api.coordination.v1.Lease");
  expect(definitionName("discovery.k8s.io", "v1", "EndpointSlice")).toBe(
    "io.k8s.api.discovery.v1.EndpointSlice",
  );
  expect(definitionName("", "v1", "Status")).toBe("io.k8s.apimachinery.pkg.apis.meta.v1.Status");
  expect(definitionName("apps", "v1", "DeleteOptions")).toBe(
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
  );
  expect(definitionName("apps", "v1", "WatchEvent")).toBe("io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent");
  expect(definitionName("apps", "v2", "Deployment")).toBeUndefined();
});

test("describeType: arrays carry their element type and patch metadata", () => {
  const podSpec = describeType("io.k8s.api.core.v1.PodSpec");
  expect(podSpec?.fields.containers).toEqual({
    type: "array",
    items: "io.k8s.api.core.v1.Container",
    patchStrategy: "merge",
    patchMergeKey: "name",
  });
  expect(podSpec?.fields.volumes?.patchStrategy).toBe("merge,retainKeys");
  expect(podSpec?.fields.nodeName).toEqual({ type: "string" });
  expect(podSpec?.fields.securityContext).toEqual({
    type: "object",
    ref: "io.k8s.api.core.v1.PodSecurityContext",
  });
  expect(describeType("io.k8s.api.core.v1.ServiceSpec")?.fields.ports).toMatchObject({
    patchMergeKey: "port",
  });
  expect(describeType("io.k8s.api.apps.v1.DeploymentSpec")?.fields.strategy).toMatchObject({
    ref: "io.k8s.api.apps.v1.DeploymentStrategy",
    patchStrategy: "retainKeys",
  });
});

test("describeType: maps, scalar wrappers and integers", () => {
  const meta = describeType("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  expect(meta?.fields.labels).toEqual({ type: "object", map: true, items: "string" });
  expect(meta?.fields.creationTimestamp).toEqual({
    type: "string",
    ref: "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
  });
  expect(meta?.fields.finalizers).toEqual({ type: "array", items: "string", patchStrategy: "merge" });
  expect(describeType("io.k8s.api.core.v1.ServicePort")?.fields.targetPort).toEqual({
    type: "int-or-string",
    ref: "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
  });
  expect(describeType("io.k8s.api.core.v1.ServicePort")?.fields.port).toEqual({ type: "integer" });
  expect(describeType("io.k8s.api.core.v1.ResourceRequirements")?.fields.limits).toEqual({
    type: "object",
    map: true,
    items: "io.k8s.apimachinery.pkg.api.resource.Quantity",
  });
  expect(describeType("io.k8s.api.core.v1.Secret")?.fields.data).toEqual({
    type: "object",
    map: true,
    items: "string",
  });
});

test("describeType: unknown definitions are undefined", () => {
  expect(describeType("io.k8s.api.core.v1.Nope")).toBeUndefined();
});
