// The oracle: real kubectl 1.32. Its typed create commands POST protobuf; the same command with
// --dry-run=client -o json prints the JSON it would have sent. Decoding the recorded body must
// give exactly that JSON.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, type UnknownField } from "@kemu/protobuf";
import { ensurePki } from "@kemu/apiserver";

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  body: Buffer;
}

const resource = (name: string, kind: string, namespaced = true) => ({
  name,
  singularName: "",
  namespaced,
  kind,
  verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
});

const DISCOVERY: Record<string, unknown> = {
  "/api": { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] },
  "/api/v1": {
    kind: "APIResourceList",
    groupVersion: "v1",
    resources: [
      resource("namespaces", "Namespace", false),
      resource("configmaps", "ConfigMap"),
      resource("secrets", "Secret"),
      resource("serviceaccounts", "ServiceAccount"),
      resource("services", "Service"),
      resource("pods", "Pod"),
    ],
  },
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
  "/apis/apps/v1": {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: "apps/v1",
    resources: [resource("deployments", "Deployment")],
  },
};

let server: Server;
let base = "";
let home = "";
const recorded: Recorded[] = [];

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, HOME: home, KUBECONFIG: join(home, "no-kubeconfig") };
  const argv = ["--server", base, "--cache-dir", join(home, "cache"), ...args];
  return new Promise((resolve) => {
    execFile("kubectl", argv, { env, timeout: 30_000, encoding: "utf8" }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

// Adds flags before a "--" that starts the container command.
function withFlags(args: string[], ...flags: string[]): string[] {
  const end = args.indexOf("--");
  return end < 0 ? [...args, ...flags] : [...args.slice(0, end), ...flags, ...args.slice(end)];
}

// Runs the command twice: once printing the JSON it would send, once sending protobuf.
async function sentAndExpected(args: string[]): Promise<{ sent: Recorded; expected: unknown }> {
  const dry = await kubectl(withFlags(args, "--dry-run=client", "-o", "json"));
  expect(dry.stderr).toBe("");
  expect(dry.code).toBe(0);
  const before = recorded.length;
  // kubectl run has no --validate; the create commands would fetch /openapi/v3 without it.
  const real = await kubectl(args[0] === "create" ? withFlags(args, "--validate=false") : args);
  expect(real.stderr).toBe("");
  expect(real.code).toBe(0);
  expect(recorded.length).toBe(before + 1);
  return { sent: recorded[before]!, expected: JSON.parse(dry.stdout) };
}

describe("kubectl oracle: protobuf bodies decode to the JSON kubectl prints", () => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kemu-protobuf-"));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = (req.url ?? "/").split("?")[0]!;
        const send = (code: number, obj: unknown) => {
          res.writeHead(code, { "content-type": "application/json" });
          res.end(JSON.stringify(obj));
        };
        if (req.method === "GET") {
          const doc = DISCOVERY[path];
          return doc
            ? send(200, doc)
            : send(404, { kind: "Status", apiVersion: "v1", status: "Failure", code: 404 });
        }
        const body = Buffer.concat(chunks);
        recorded.push({
          method: req.method ?? "",
          url: req.url ?? "",
          contentType: String(req.headers["content-type"]),
          body,
        });
        // Answer with the decoded object, as a server replying in JSON would.
        try {
          send(201, decodeKubernetesProtobuf(body));
        } catch {
          send(201, { kind: "Status", apiVersion: "v1", status: "Success" });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
  });

  const cases: [string, string[]][] = [
    ["create namespace", ["create", "namespace", "foo"]],
    ["create deployment", ["create", "deployment", "web", "--image=nginx:1.25", "--replicas=3", "--port=80"]],
    [
      "create deployment with several images",
      ["create", "deployment", "multi", "--image=busybox", "--image=nginx"],
    ],
    [
      "create deployment with a command",
      ["create", "deployment", "cmd", "--image=busybox", "--", "sleep", "3600"],
    ],
    ["create configmap", ["create", "configmap", "cm", "--from-literal=a=1", "--from-literal=b=2"]],
    ["create secret generic", ["create", "secret", "generic", "s", "--from-literal=k=v", "--type=Opaque"]],
    [
      "create secret docker-registry",
      [
        "create",
        "secret",
        "docker-registry",
        "reg",
        "--docker-server=registry.example.com",
        "--docker-username=u",
        "--docker-password=p",
        "--docker-email=u@example.com",
      ],
    ],
    [
      "create service clusterip",
      ["create", "service", "clusterip", "cip", "--tcp=80:8080", "--tcp=443:8443"],
    ],
    ["create service clusterip headless", ["create", "service", "clusterip", "headless", "--clusterip=None"]],
    [
      "create service nodeport",
      ["create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=31000"],
    ],
    ["create service loadbalancer", ["create", "service", "loadbalancer", "lb", "--tcp=80:http"]],
    [
      "create service externalname",
      ["create", "service", "externalname", "ex", "--external-name=example.com"],
    ],
    ["create serviceaccount", ["create", "serviceaccount", "sa"]],
  ];

  for (const [name, args] of cases) {
    it(`${name}: the protobuf body decodes to the JSON kubectl prints`, async () => {
      const { sent, expected } = await sentAndExpected(args);
      expect(sent.method).toBe("POST");
      expect(sent.contentType).toBe("application/vnd.kubernetes.protobuf");
      const unknown: UnknownField[] = [];
      const decoded = decodeKubernetesProtobuf(sent.body, { onUnknownField: (u) => unknown.push(u) });
      expect(decoded).toEqual(expected);
      expect(unknown).toEqual([]);
      // And the encoder writes what kubectl wrote.
      expect(Buffer.from(encodeKubernetesProtobuf(decoded))).toEqual(sent.body);
    });
  }

  it("run: kubectl sends the Pod as JSON, not protobuf", async () => {
    const before = recorded.length;
    const r = await kubectl(["run", "p1", "--image=nginx", "--port=80", "--env=X=1", "--restart=Never"]);
    expect(r.code).toBe(0);
    expect(recorded[before]!.contentType).toBe("application/json");
  });

  it("create configmap --from-file with binary content: binaryData decodes to base64", async () => {
    const file = join(home, "blob.bin");
    writeFileSync(file, Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x41]));
    const { sent, expected } = await sentAndExpected([
      "create",
      "configmap",
      "bin",
      `--from-file=blob=${file}`,
    ]);
    expect(decodeKubernetesProtobuf(sent.body)).toEqual(expected);
    expect((expected as { binaryData: Record<string, string> }).binaryData.blob).toBe("/wD+gEE=");
  });

  it("create secret tls: the protobuf body decodes to the JSON kubectl prints", async () => {
    // A CA-signed serving pair from kemu's own PKI code stands in for openssl.
    await ensurePki(join(home, "pki"), { dns: ["kemu.test"], ips: ["127.0.0.1"] });
    const key = join(home, "pki", "apiserver.key");
    const crt = join(home, "pki", "apiserver.crt");
    const { sent, expected } = await sentAndExpected([
      "create",
      "secret",
      "tls",
      "tls",
      `--cert=${crt}`,
      `--key=${key}`,
    ]);
    expect(decodeKubernetesProtobuf(sent.body)).toEqual(expected);
  });

  it("create deployment --dry-run=server: the body and the dryRun query both reach the server", async () => {
    const before = recorded.length;
    const r = await kubectl([
      "create",
      "deployment",
      "dry",
      "--image=nginx",
      "--dry-run=server",
      "--validate=false",
    ]);
    expect(r.code).toBe(0);
    const sent = recorded[before]!;
    expect(sent.url).toContain("dryRun=All");
    expect(decodeKubernetesProtobuf(sent.body)).toMatchObject({
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { name: "dry", labels: { app: "dry" } },
    });
  });
});
