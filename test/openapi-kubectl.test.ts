// Drives real kubectl 1.32 against a stub server that serves minimal legacy discovery plus this
// package's /openapi/v3 documents, to prove kubectl explain and kubectl apply's server-side field
// validation work from them. The discovery stub is test scaffolding, not the API server's.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { openapiV3DocumentJSON, openapiV3Index, type ServedResource } from "@kemu/openapi";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const served = (
  group: string,
  kind: string,
  resource: string,
  mutate: (r: ServedResource) => void = () => {},
): ServedResource => {
  const r: ServedResource = {
    group,
    version: "v1",
    kind,
    resource,
    namespaced: true,
    subresources: [],
    verbs: ALL_VERBS,
  };
  mutate(r);
  return r;
};

const RESOURCES: ServedResource[] = [
  served("", "Pod", "pods", (r) => {
    r.subresources = ["status", "eviction", "binding", "log"];
    r.shortNames = ["po"];
  }),
  served("", "Service", "services", (r) => {
    r.subresources = ["status"];
    r.shortNames = ["svc"];
  }),
  served("", "Namespace", "namespaces", (r) => {
    r.namespaced = false;
    r.subresources = ["status"];
    r.shortNames = ["ns"];
  }),
  served("", "ConfigMap", "configmaps", (r) => {
    r.shortNames = ["cm"];
  }),
  served("apps", "Deployment", "deployments", (r) => {
    r.subresources = ["status", "scale"];
    r.shortNames = ["deploy"];
  }),
  // A kemu-specific kind, which has no generated schema.
  served("chaos.kemu.io", "PodChaos", "podchaos", (r) => {
    r.subresources = ["status"];
  }),
];
const GROUPS = [...new Set(RESOURCES.map((r) => r.group).filter((g) => g !== ""))];

interface Seen {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

// Existing objects the stub's GET returns, by URL path; anything else is 404.
let objects = new Map<string, object>();
let seen: Seen[] = [];
let server: Server;
let base: string;
let home: string;

function discovery(path: string): object | undefined {
  const resourceList = (group: string) => ({
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group === "" ? "v1" : `${group}/v1`,
    resources: RESOURCES.filter((r) => r.group === group).flatMap((r) => [
      {
        name: r.resource,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      },
      ...r.subresources.map((s) => ({
        name: `${r.resource}/${s}`,
        singularName: "",
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ["get"],
      })),
    ]),
  });
  switch (path) {
    case "/api":
      return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
    case "/apis":
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: GROUPS.map((name) => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: "v1" }],
          preferredVersion: { groupVersion: `${name}/v1`, version: "v1" },
        })),
      };
    case "/api/v1":
      return resourceList("");
    case "/version":
      return { major: "1", minor: "32", gitVersion: "v1.32.0", platform: "linux/amd64" };
  }
  const group = /^\/apis\/([^/]+)\/v1$/.exec(path)?.[1];
  return group && GROUPS.includes(group) ? resourceList(group) : undefined;
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? "/", "http://stub");
  seen.push({
    method: req.method ?? "",
    url: req.url ?? "",
    contentType: req.headers["content-type"] ?? "",
    body,
  });
  const send = (code: number, payload: object | string) => {
    res.writeHead(code, { "Content-Type": "application/json" });
    res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
  };
  const notFound = () =>
    send(404, {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "NotFound",
      code: 404,
      message: "not found",
    });

  const disco = req.method === "GET" ? discovery(url.pathname) : undefined;
  if (disco) return send(200, disco);
  if (url.pathname === "/openapi/v3") return send(200, openapiV3Index(RESOURCES));
  if (url.pathname.startsWith("/openapi/v3/")) {
    const doc = openapiV3DocumentJSON(url.pathname.slice("/openapi/v3/".length), RESOURCES);
    return doc ? send(200, doc.json) : notFound();
  }
  if (req.method === "GET") {
    const obj = objects.get(url.pathname);
    return obj ? send(200, obj) : notFound();
  }
  // A plausible answer to a (dry-run) create or patch: the object the client sent, or the stored one.
  if (req.method === "POST") {
    const obj = JSON.parse(body) as { metadata: Record<string, unknown> };
    obj.metadata = { ...obj.metadata, uid: "4b1d0c2e-0000-4000-8000-000000000001", resourceVersion: "1" };
    return send(201, obj);
  }
  if (req.method === "PATCH") {
    const obj = objects.get(url.pathname);
    return obj ? send(200, obj) : notFound();
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

function service(mutate: (s: Record<string, unknown>) => void = () => {}): Record<string, unknown> {
  const s: Record<string, unknown> = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  };
  mutate(s);
  return s;
}

describe("kubectl against /openapi/v3", () => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kemu-openapi-"));
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
    objects = new Map();
  });

  test("explain: pods.spec.containers lists Container fields with descriptions", async () => {
    const r = await kubectl("explain", "pods.spec.containers");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("KIND:       Pod");
    expect(r.stdout).toContain("VERSION:    v1");
    expect(r.stdout).toMatch(/FIELD: containers <\[\]Container>/);
    expect(r.stdout).toContain("A single application container that you want to run within a pod.");
    expect(r.stdout).toMatch(/^ {2}image\t<string>/m);
    expect(r.stdout).toMatch(/^ {2}name\t<string> -required-/m);
    expect(r.stdout).toMatch(/^ {2}ports\t<\[\]ContainerPort>/m);
    expect(r.stdout).toMatch(/^ {2}resources\t<ResourceRequirements>/m);
    expect(r.stdout).toContain("Container image name.");
    expect(seen.some((s) => s.url.startsWith("/openapi/v3/api/v1?hash="))).toBe(true);
  });

  test("explain: deployment.spec.strategy resolves through apps/v1", async () => {
    const r = await kubectl("explain", "deployment.spec.strategy");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("GROUP:      apps");
    expect(r.stdout).toContain("KIND:       Deployment");
    expect(r.stdout).toContain("FIELD: strategy <DeploymentStrategy>");
    expect(r.stdout).toContain("DeploymentStrategy describes how to replace existing pods with new ones.");
    expect(r.stdout).toMatch(/^ {2}rollingUpdate\t<RollingUpdateDeployment>/m);
    expect(r.stdout).toMatch(/^ {2}type\t<string>/m);
    expect(r.stdout).toContain('Type of deployment. Can be "Recreate" or "RollingUpdate".');
  });

  test("explain: a kind's top level shows scalar wrappers like upstream", async () => {
    const r = await kubectl("explain", "services.spec.ports");
    expect(r.stdout).toMatch(/^ {2}targetPort\t<IntOrString>/m);
    const meta = await kubectl("explain", "pods.metadata");
    expect(meta.stdout).toMatch(/^ {2}creationTimestamp\t<string>/m);
    expect(meta.stdout).toMatch(/^ {2}labels\t<map\[string\]string>/m);
  });

  test("apply: create sends fieldValidation=Strict, so kubectl found server-side validation", async () => {
    const file = join(home, "svc.yaml");
    writeFileSync(file, JSON.stringify(service()));
    const r = await kubectl("apply", "--dry-run=server", "-f", file);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("service/web created (server dry run)");
    const post = seen.find((s) => s.method === "POST");
    const query = new URL(post?.url ?? "/", base).searchParams;
    expect(post && new URL(post.url, base).pathname).toBe("/api/v1/namespaces/default/services");
    expect(query.get("fieldValidation")).toBe("Strict");
    expect(query.get("dryRun")).toBe("All");
    expect(query.get("fieldManager")).toBe("kubectl-client-side-apply");
    // Client-side validation (the fallback when the server looks unable to validate) needs /openapi/v2.
    expect(seen.filter((s) => s.url.startsWith("/openapi/v2"))).toEqual([]);
  });

  test("apply: update computes a strategic merge patch from openapi v3 patch metadata", async () => {
    const last = service();
    const current = service((s) => {
      const meta = s.metadata as Record<string, unknown>;
      meta.annotations = { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(last) };
      meta.resourceVersion = "7";
      meta.uid = "4b1d0c2e-0000-4000-8000-000000000002";
    });
    objects.set("/api/v1/namespaces/default/services/web", current);
    const file = join(home, "svc2.yaml");
    writeFileSync(
      file,
      JSON.stringify(
        service((s) => {
          (s.spec as { ports: object[] }).ports.push({ name: "metrics", port: 9090 });
        }),
      ),
    );
    // -v=5 shows the klog lines kubectl prints when openapi v3 cannot be used for the patch.
    const r = await kubectl("apply", "--dry-run=server", "-v=5", "-f", file);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/OpenAPI V3 path does not|error calculating patch from openapi/);
    const patch = seen.find((s) => s.method === "PATCH");
    expect(patch?.contentType).toBe("application/strategic-merge-patch+json");
    expect(new URL(patch?.url ?? "/", base).searchParams.get("fieldValidation")).toBe("Strict");
    // Merge key "port" (from x-kubernetes-patch-merge-key) orders the merged list by port.
    expect(JSON.parse(patch?.body ?? "{}")).toMatchObject({
      spec: {
        "$setElementOrder/ports": [{ port: 80 }, { port: 9090 }],
        ports: [{ name: "metrics", port: 9090 }],
      },
    });
  });

  test("apply and explain: a kind without a schema is accepted like a custom resource", async () => {
    const file = join(home, "chaos.yaml");
    const chaos = {
      apiVersion: "chaos.kemu.io/v1",
      kind: "PodChaos",
      metadata: { name: "kill" },
      spec: { any: 1 },
    };
    writeFileSync(file, JSON.stringify(chaos));
    const r = await kubectl("apply", "--dry-run=server", "-n", "default", "-f", file);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("podchaos.chaos.kemu.io/kill created (server dry run)");
    const post = seen.find((s) => s.method === "POST");
    expect(new URL(post?.url ?? "/", base).searchParams.get("fieldValidation")).toBe("Strict");
    const explain = await kubectl("explain", "podchaos");
    expect(explain.stdout).toContain("PodChaos is served by kemu without a published schema");
    expect(explain.stdout).toMatch(/^ {2}metadata\t<ObjectMeta>/m);
  });
});
