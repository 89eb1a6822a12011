// Drives real kubectl 1.32 against a stub server serving minimal legacy discovery, this package's
// /openapi/v3 documents and its /openapi/v2 document, to prove kubectl's client-side validation (what
// it falls back to for `kind: List` files, which /openapi/v3 cannot vouch for) works from the protobuf
// /openapi/v2. The stub is test scaffolding, not the API server's.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  OPENAPI_V2_PROTOBUF,
  openapiV2Protobuf,
  openapiV2Response,
  openapiV3DocumentJSON,
  openapiV3Index,
  type ServedResource,
} from "@kemu/openapi";

// What kubectl asks for (the answer's Content-Type is OPENAPI_V2_PROTOBUF, without the "@").
const PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const served = (group: string, kind: string, resource: string, subresources: string[] = []) => ({
  group,
  version: "v1",
  kind,
  resource,
  namespaced: true,
  subresources,
  verbs: ALL_VERBS,
});
const RESOURCES: ServedResource[] = [
  served("", "ConfigMap", "configmaps"),
  served("", "Service", "services", ["status"]),
  served("apps", "Deployment", "deployments", ["status", "scale"]),
];

interface Seen {
  method: string;
  path: string;
  accept: string;
  body: string;
}

let seen: Seen[] = [];
// Off to show what kubectl does against a server without /openapi/v2 (kemu before it served one).
let serveV2 = true;
let server: Server;
let base: string;
let home: string;

function resourceList(group: string): object {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group === "" ? "v1" : `${group}/v1`,
    resources: RESOURCES.filter((r) => r.group === group).map((r) => ({
      name: r.resource,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    })),
  };
}

const DISCOVERY: Record<string, object> = {
  "/api": { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] },
  "/api/v1": resourceList(""),
  "/apis": {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [
      {
        name: "apps",
        versions: [{ groupVersion: "apps/v1", version: "v1" }],
        preferredVersion: { groupVersion: "apps/v1", version: "v1" },
      },
    ],
  },
  "/apis/apps/v1": resourceList("apps"),
  "/version": { major: "1", minor: "32", gitVersion: "v1.32.0", platform: "linux/amd64" },
};

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const path = new URL(req.url ?? "/", "http://stub").pathname;
  const accept = req.headers.accept ?? "";
  seen.push({ method: req.method ?? "", path, accept, body });
  const send = (code: number, payload: string | Uint8Array, type = "application/json") => {
    res.writeHead(code, { "Content-Type": type });
    res.end(payload);
  };
  const notFound = () =>
    send(
      404,
      JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }),
    );

  if (req.method === "GET" && DISCOVERY[path]) return send(200, JSON.stringify(DISCOVERY[path]));
  if (path === "/openapi/v3") return send(200, JSON.stringify(openapiV3Index(RESOURCES)));
  if (path.startsWith("/openapi/v3/")) {
    const doc = openapiV3DocumentJSON(path.slice("/openapi/v3/".length), RESOURCES);
    return doc ? send(200, doc.json) : notFound();
  }
  // What the API server does with the package's negotiation: protobuf when asked for it, JSON otherwise.
  if (path === "/openapi/v2" && serveV2) {
    const answer = openapiV2Response(RESOURCES, req.headers.accept);
    if (!answer) return send(406, "");
    res.writeHead(200, { "Content-Type": answer.contentType, ETag: answer.etag, Vary: "Accept" });
    return void res.end(answer.body);
  }
  if (req.method === "POST") {
    const obj = JSON.parse(body) as { metadata: Record<string, unknown> };
    obj.metadata = { ...obj.metadata, uid: "4b1d0c2e-0000-4000-8000-000000000001", resourceVersion: "1" };
    return send(201, JSON.stringify(obj));
  }
  notFound();
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// Async, because the stub server runs on this process's event loop.
function kubectl(...args: string[]): Promise<Result> {
  const env = { ...process.env, HOME: home, KUBECONFIG: join(home, "no-kubeconfig") };
  const argv = ["--server", base, "--cache-dir", join(home, "cache"), ...args];
  return new Promise((resolve) => {
    execFile("kubectl", argv, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

type Obj = Record<string, unknown>;

function configMap(): Obj {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { mode: "fast" } };
}

function service(mutate: (spec: Obj & { ports: Obj[] }) => void = () => {}): Obj {
  const spec = { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] };
  mutate(spec);
  return { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec };
}

function deployment(mutate: (container: Obj) => void = () => {}): Obj {
  const container: Obj = { name: "web", image: "nginx", ports: [{ containerPort: 80 }] };
  mutate(container);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [container] } },
    },
  };
}

function listFile(name: string, ...items: Obj[]): string {
  const file = join(home, name);
  writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  return file;
}

const posts = () => seen.filter((s) => s.method === "POST").map((s) => s.path);
const v2Requests = () => seen.filter((s) => s.path === "/openapi/v2");

describe("kubectl client-side validation from /openapi/v2", () => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kemu-openapi-v2-"));
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => handle(req, res, body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(home, { recursive: true, force: true });
  });

  beforeEach(() => {
    seen = [];
    serveV2 = true;
  });

  test("create: a kind List validates against the protobuf /openapi/v2 and creates every item", async () => {
    const file = listFile("list.yaml", configMap(), service(), deployment());
    const r = await kubectl("create", "-n", "default", "-f", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "configmap/settings created",
      "service/web created",
      "deployment.apps/web created",
    ]);
    expect(posts()).toEqual([
      "/api/v1/namespaces/default/configmaps",
      "/api/v1/namespaces/default/services",
      "/apis/apps/v1/namespaces/default/deployments",
    ]);
    expect(v2Requests().length).toBeGreaterThan(0);
    expect(v2Requests().every((s) => s.accept.includes(PROTOBUF_V2))).toBe(true);
  });

  test("apply: a kind List validates and creates every item", async () => {
    const file = listFile("apply-list.yaml", configMap(), service());
    const r = await kubectl("apply", "-n", "default", "-f", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(["configmap/settings created", "service/web created"]);
    expect(posts()).toEqual(["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/services"]);
    expect(v2Requests().length).toBeGreaterThan(0);
  });

  test("create: an unknown field in a List item is rejected as kubectl words it, nothing is created", async () => {
    const file = listFile(
      "unknown.yaml",
      configMap(),
      service((spec) => (spec.bogus = true)),
    );
    const r = await kubectl("create", "-n", "default", "-f", file);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `error: error validating "${file}": error validating data: ` +
        `ValidationError(Service.spec): unknown field "bogus" in io.k8s.api.core.v1.ServiceSpec; ` +
        `if you choose to ignore these errors, turn validation off with --validate=false`,
    );
    expect(posts()).toEqual([]);
  });

  // targetPort: "http" passes: IntOrString is a string to kubectl, and a string schema takes any scalar.
  test("create: wrong types are found through refs and arrays in every item", async () => {
    const file = listFile(
      "types.yaml",
      service((spec) => {
        spec.ports = [{ name: "http", port: "eighty", targetPort: "http" }];
      }),
      deployment((c) => (c.ports = [{ containerPort: "http", protocol: "TCP" }])),
    );
    const r = await kubectl("create", "-n", "default", "-f", file);
    expect(r.code).toBe(1);
    // kubectl's aggregate of several errors: "[a, b]".
    expect(r.stderr.trim()).toBe(
      `error: error validating "${file}": error validating data: [` +
        `ValidationError(Service.spec.ports[0].port): invalid type for io.k8s.api.core.v1.ServicePort.port: ` +
        `got "string", expected "integer", ` +
        `ValidationError(Deployment.spec.template.spec.containers[0].ports[0].containerPort): ` +
        `invalid type for io.k8s.api.core.v1.ContainerPort.containerPort: got "string", expected "integer"]; ` +
        `if you choose to ignore these errors, turn validation off with --validate=false`,
    );
    expect(posts()).toEqual([]);
  });

  test("create: a missing required field is reported", async () => {
    const file = listFile(
      "required.yaml",
      deployment((c) => delete c.name),
    );
    const r = await kubectl("create", "-n", "default", "-f", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `ValidationError(Deployment.spec.template.spec.containers[0]): ` +
        `missing required field "name" in io.k8s.api.core.v1.Container`,
    );
  });

  test("create: without /openapi/v2 the same List fails before anything is created", async () => {
    serveV2 = false;
    const file = listFile("no-v2.yaml", configMap(), service());
    const r = await kubectl("create", "-n", "default", "-f", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error validating data: the server could not find the requested resource");
    expect(posts()).toEqual([]);
  });

  test("validate=false: the same file skips client-side validation", async () => {
    const file = listFile(
      "skip.yaml",
      service((spec) => (spec.bogus = true)),
    );
    const r = await kubectl("create", "--validate=false", "-n", "default", "-f", file);
    expect(r.code).toBe(0);
    expect(posts()).toEqual(["/api/v1/namespaces/default/services"]);
    expect(v2Requests()).toEqual([]);
  });

  test("/openapi/v2: JSON unless the protobuf is asked for", async () => {
    const json = await fetch(`${base}/openapi/v2`, { headers: { Accept: "application/json" } });
    const doc = (await json.json()) as { swagger: string; definitions: Record<string, unknown> };
    expect(doc.swagger).toBe("2.0");
    expect(doc.definitions["io.k8s.api.core.v1.Service"]).toBeDefined();
    const pb = await fetch(`${base}/openapi/v2`, { headers: { Accept: PROTOBUF_V2 } });
    expect(pb.headers.get("content-type")).toBe(OPENAPI_V2_PROTOBUF);
    expect(new Uint8Array(await pb.arrayBuffer())).toEqual(openapiV2Protobuf(RESOURCES).bytes);
  });
});
