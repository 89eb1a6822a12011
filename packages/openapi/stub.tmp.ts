import { createServer } from "node:http";
import { openapiV3DocumentJSON, openapiV3Index, type ServedResource } from "./src/index.ts";
const V = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const R: ServedResource[] = [
  {
    group: "",
    version: "v1",
    kind: "Pod",
    resource: "pods",
    namespaced: true,
    subresources: ["status", "eviction", "binding", "log"],
    verbs: V,
  },
  {
    group: "",
    version: "v1",
    kind: "Service",
    resource: "services",
    namespaced: true,
    subresources: ["status"],
    verbs: V,
  },
  {
    group: "",
    version: "v1",
    kind: "Event",
    resource: "events",
    namespaced: true,
    subresources: [],
    verbs: V,
  },
  {
    group: "",
    version: "v1",
    kind: "Binding",
    resource: "bindings",
    namespaced: true,
    subresources: [],
    verbs: ["create"],
  },
  {
    group: "",
    version: "v1",
    kind: "Node",
    resource: "nodes",
    namespaced: false,
    subresources: ["status"],
    verbs: V,
  },
  {
    group: "events.k8s.io",
    version: "v1",
    kind: "Event",
    resource: "events",
    namespaced: true,
    subresources: [],
    verbs: V,
  },
  {
    group: "coordination.k8s.io",
    version: "v1",
    kind: "Lease",
    resource: "leases",
    namespaced: true,
    subresources: [],
    verbs: V,
  },
  {
    group: "discovery.k8s.io",
    version: "v1",
    kind: "EndpointSlice",
    resource: "endpointslices",
    namespaced: true,
    subresources: [],
    verbs: V,
  },
  {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    resource: "deployments",
    namespaced: true,
    subresources: ["status", "scale"],
    verbs: V,
  },
];
const groups = [...new Set(R.filter((r) => r.group).map((r) => r.group))];
createServer((req, res) => {
  const u = new URL(req.url!, "http://x");
  const send = (c: number, b: unknown) => {
    res.writeHead(c, { "Content-Type": "application/json" });
    res.end(typeof b === "string" ? b : JSON.stringify(b));
  };
  const rl = (g: string) => ({
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: g ? g + "/v1" : "v1",
    resources: R.filter((r) => r.group === g).map((r) => ({
      name: r.resource,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    })),
  });
  if (u.pathname === "/api") return send(200, { kind: "APIVersions", versions: ["v1"] });
  if (u.pathname === "/apis")
    return send(200, {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: groups.map((g) => ({
        name: g,
        versions: [{ groupVersion: g + "/v1", version: "v1" }],
        preferredVersion: { groupVersion: g + "/v1", version: "v1" },
      })),
    });
  if (u.pathname === "/api/v1") return send(200, rl(""));
  const m = /^\/apis\/([^/]+)\/v1$/.exec(u.pathname);
  if (m) return send(200, rl(m[1]!));
  if (u.pathname === "/openapi/v3") return send(200, openapiV3Index(R));
  if (u.pathname.startsWith("/openapi/v3/")) {
    const d = openapiV3DocumentJSON(u.pathname.slice(12), R);
    return d ? send(200, d.json) : send(404, {});
  }
  send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
}).listen(18765, "127.0.0.1");
