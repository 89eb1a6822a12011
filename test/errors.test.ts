/**
 * Errors through the real path: raw HTTP (fetch, and node:net for bytes no HTTP client would
 * send) and real kubectl. Each error must be the Status kube-apiserver sends (reason, code,
 * message, details), and must leave state as it was: every test reads a baseline object back
 * unchanged afterwards, and the server keeps serving.
 *
 * The cluster keeps a 20-event watch window, so that > 30 writes age a resourceVersion out (410).
 */
import { connect } from "node:net";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiException, CoreV1Api } from "@kubernetes/client-node";
import { TestCluster, uniqueNamespace } from "./harness.ts";
import {
  asInput,
  makeConfigMap,
  makeDeployment,
  makeNamespace,
  makeService,
  type Obj,
} from "./fixtures/compat/objects.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start({ apiserverArgs: ["--watch-cache-size", "20"] });
});

afterAll(async () => {
  await c?.stop();
});

/** A response: status, headers and the body (parsed as JSON when it is JSON). */
interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One HTTP request; body is sent as is (a string or bytes), with the given content type. */
async function req(
  method: string,
  path: string,
  opts: { body?: string | Uint8Array; contentType?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers["Content-Type"] = opts.contentType ?? "application/json";
  const res = await fetch(c.url + path, { method, headers, body: opts.body ?? null });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A failure Status as kube-apiserver encodes it. */
function status(code: number, reason: string, message: string, details?: Obj): Obj {
  const s: Obj = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
  if (details) s["details"] = details;
  return s;
}

/** A fresh namespace (made with kubectl) holding a baseline ConfigMap "keep"; returns both. */
async function setup(prefix: string): Promise<{ ns: string; keep: Obj }> {
  const ns = uniqueNamespace(prefix);
  await c.kubectlOk(["create", "-f", "-"], {
    input: asInput(
      makeNamespace(ns),
      makeConfigMap(ns, "keep", (o) => (o.data = { v: "1" })),
    ),
  });
  const keep = await req("GET", `/api/v1/namespaces/${ns}/configmaps/keep`);
  expect(keep.status).toBe(200);
  return { ns, keep: keep.json };
}

/** Asserts the baseline object reads back exactly as before and the server still serves. */
async function intact(ns: string, keep: Obj): Promise<void> {
  const now = await req("GET", `/api/v1/namespaces/${ns}/configmaps/keep`);
  expect(now.status).toBe(200);
  expect(now.json).toEqual(keep);
}

/** The port of the API server. */
function port(): number {
  return Number(new URL(c.url).port);
}

/**
 * Writes raw bytes on a fresh TCP connection and collects everything the server sends until it
 * closes the connection (which it must, within timeoutMs).
 */
function rawExchange(bytes: Buffer, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port(), "127.0.0.1", () => s.write(bytes));
    let out = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`server did not close the connection; got ${JSON.stringify(out)}`));
    }, timeoutMs);
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Reads a watch stream until n events arrived or the server ended it. */
async function readEvents(path: string, n: number): Promise<{ status: number; events: Obj[] }> {
  const ctrl = new AbortController();
  const res = await fetch(c.url + path, { signal: ctrl.signal });
  const events: Obj[] = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  while (events.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      events.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  }
  ctrl.abort();
  return { status: res.status, events };
}

/** Makes n writes (merge patches of one ConfigMap) so older resourceVersions age out. */
async function churn(ns: string, n: number): Promise<void> {
  const path = `/api/v1/namespaces/${ns}/configmaps/churn`;
  expect(
    (await req("POST", `/api/v1/namespaces/${ns}/configmaps`, { body: '{"metadata":{"name":"churn"}}' }))
      .status,
  ).toBe(201);
  for (let i = 0; i < n; i++) {
    const r = await req("PATCH", path, {
      body: JSON.stringify({ data: { i: String(i) } }),
      contentType: "application/merge-patch+json",
    });
    expect(r.status).toBe(200);
  }
}

describe("errors: Status for API errors", () => {
  it("errors: NotFound is 404 with details {name, kind, group}", async () => {
    const { ns, keep } = await setup("err-404");
    const cm = await req("GET", `/api/v1/namespaces/${ns}/configmaps/nope`);
    expect(cm.status).toBe(404);
    expect(cm.json).toEqual(
      status(404, "NotFound", 'configmaps "nope" not found', { name: "nope", kind: "configmaps" }),
    );
    const deploy = await req("DELETE", `/apis/apps/v1/namespaces/${ns}/deployments/nope`);
    expect(deploy.json).toEqual(
      status(404, "NotFound", 'deployments.apps "nope" not found', {
        name: "nope",
        group: "apps",
        kind: "deployments",
      }),
    );
    const noNs = await req("POST", `/api/v1/namespaces/${ns}-missing/configmaps`, {
      body: JSON.stringify(makeConfigMap(`${ns}-missing`, "x")),
    });
    expect(noNs.json).toEqual(
      status(404, "NotFound", `namespaces "${ns}-missing" not found`, {
        name: `${ns}-missing`,
        kind: "namespaces",
      }),
    );
    const k = await c.kubectl(["get", "deploy", "nope", "-n", ns]);
    expect(k).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n',
    });
    await intact(ns, keep);
  });

  it("errors: AlreadyExists is 409 and leaves the first object alone", async () => {
    const { ns, keep } = await setup("err-exists");
    const r = await req("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      body: JSON.stringify(makeConfigMap(ns, "keep", (o) => (o.data = { v: "other" }))),
    });
    expect(r.status).toBe(409);
    expect(r.json).toEqual(
      status(409, "AlreadyExists", 'configmaps "keep" already exists', { name: "keep", kind: "configmaps" }),
    );
    await intact(ns, keep);
  });

  it("errors: Conflict on a stale resourceVersion is 409, over HTTP and kubectl replace", async () => {
    const { ns, keep } = await setup("err-conflict");
    const path = `/api/v1/namespaces/${ns}/configmaps/x`;
    const created = await req("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      body: JSON.stringify(makeConfigMap(ns, "x")),
    });
    const stale = created.json;
    const fresh = await req("PUT", path, { body: JSON.stringify({ ...stale, data: { key: "fresh" } }) });
    expect(fresh.status).toBe(200);
    const r = await req("PUT", path, { body: JSON.stringify({ ...stale, data: { key: "stale" } }) });
    expect(r.status).toBe(409);
    const message =
      'Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again';
    expect(r.json).toEqual(status(409, "Conflict", message, { name: "x", kind: "configmaps" }));
    const k = await c.kubectl(["replace", "-f", "-"], {
      input: asInput({ ...stale, data: { key: "kubectl" } }),
    });
    expect(k).toMatchObject({
      code: 1,
      stderr: `Error from server (Conflict): error when replacing "STDIN": ${message}\n`,
    });
    expect((await req("GET", path)).json).toEqual(fresh.json);
    await intact(ns, keep);
  });

  it("errors: Invalid is 422 with field causes (Service port 0 and a bad name)", async () => {
    const { ns, keep } = await setup("err-invalid-svc");
    const svc = makeService(ns, "Bad_Name", (s) => (s.spec.ports = [{ port: 0 }]));
    const r = await req("POST", `/api/v1/namespaces/${ns}/services`, { body: JSON.stringify(svc) });
    expect(r.status).toBe(422);
    const dns1035 =
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    const range = "must be between 1 and 65535, inclusive";
    expect(r.json).toEqual(
      status(
        422,
        "Invalid",
        `Service "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name": ${dns1035}, spec.ports[0].port: Invalid value: 0: ${range}, spec.ports[0].targetPort: Invalid value: 0: ${range}]`,
        {
          name: "Bad_Name",
          kind: "Service",
          causes: [
            {
              reason: "FieldValueInvalid",
              message: `Invalid value: "Bad_Name": ${dns1035}`,
              field: "metadata.name",
            },
            {
              reason: "FieldValueInvalid",
              message: `Invalid value: 0: ${range}`,
              field: "spec.ports[0].port",
            },
            {
              reason: "FieldValueInvalid",
              message: `Invalid value: 0: ${range}`,
              field: "spec.ports[0].targetPort",
            },
          ],
        },
      ),
    );
    const k = await c.kubectl(["create", "-f", "-"], { input: asInput(svc) });
    expect(k).toMatchObject({
      code: 1,
      stderr:
        `The Service "Bad_Name" is invalid: \n` +
        `* metadata.name: Invalid value: "Bad_Name": ${dns1035}\n` +
        `* spec.ports[0].port: Invalid value: 0: ${range}\n` +
        `* spec.ports[0].targetPort: Invalid value: 0: ${range}\n`,
    });
    expect((await req("GET", `/api/v1/namespaces/${ns}/services`)).json.items).toEqual([]);
    await intact(ns, keep);
  });

  it("errors: Invalid is 422 for a Deployment whose selector does not match its template", async () => {
    const { ns, keep } = await setup("err-invalid-deploy");
    const d = makeDeployment(ns, "web", (o) => (o.spec.template.metadata.labels = { app: "other" }));
    const r = await req("POST", `/apis/apps/v1/namespaces/${ns}/deployments`, { body: JSON.stringify(d) });
    expect(r.status).toBe(422);
    const msg =
      'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`';
    expect(r.json).toEqual(
      status(422, "Invalid", `Deployment.apps "web" is invalid: spec.template.metadata.labels: ${msg}`, {
        name: "web",
        group: "apps",
        kind: "Deployment",
        causes: [{ reason: "FieldValueInvalid", message: msg, field: "spec.template.metadata.labels" }],
      }),
    );
    const k = await c.kubectl(["apply", "-f", "-"], { input: asInput(d) });
    expect(k).toMatchObject({
      code: 1,
      stderr: `The Deployment "web" is invalid: spec.template.metadata.labels: ${msg}\n`,
    });
    await intact(ns, keep);
  });

  it("errors: a failed JSON patch test is 422 Invalid with the generic message", async () => {
    const { ns, keep } = await setup("err-jsonpatch");
    const r = await req("PATCH", `/api/v1/namespaces/${ns}/configmaps/keep`, {
      body: '[{"op":"test","path":"/data/v","value":"2"},{"op":"replace","path":"/data/v","value":"3"}]',
      contentType: "application/json-patch+json",
    });
    expect(r.status).toBe(422);
    // handlers/patch.go: NewGenericServerResponse(422, "", GroupResource{}, "", err, 0, false).
    expect(r.json).toEqual(
      status(422, "Invalid", "the server rejected our request due to an error in our request", {}),
    );
    const k = await c.kubectl([
      "patch",
      "cm",
      "keep",
      "-n",
      ns,
      "--type=json",
      "-p",
      '[{"op":"test","path":"/data/v","value":"2"}]',
    ]);
    expect(k).toMatchObject({
      code: 1,
      stderr: "The request is invalid: the server rejected our request due to an error in our request\n",
    });
    await intact(ns, keep);
  });

  it("errors: a body whose name differs from the URL is a BadRequest", async () => {
    const { ns, keep } = await setup("err-name");
    const r = await req("PUT", `/api/v1/namespaces/${ns}/configmaps/keep`, {
      body: JSON.stringify({ ...keep, metadata: { ...keep["metadata"], name: "other" } }),
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual(
      status(400, "BadRequest", "the name of the object (other) does not match the name on the URL (keep)"),
    );
    await intact(ns, keep);
  });
});

describe("errors: bodies the server cannot read", () => {
  it("errors: bad JSON is 400 with the decoder's message", async () => {
    const { ns, keep } = await setup("err-json");
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const truncated = '{"metadata":{"name":"x"';
    const r1 = await req("POST", base, { body: truncated });
    expect(r1.status).toBe(400);
    // transformDecodeError (handlers/rest.go) over json.SimpleMetaFactory.Interpret's error.
    expect(r1.json).toEqual(
      status(
        400,
        "BadRequest",
        `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input (${truncated})`,
      ),
    );
    const r2 = await req("PUT", `${base}/keep`, { body: "xyz" });
    expect(r2.json).toEqual(
      status(
        400,
        "BadRequest",
        `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character 'x' looking for beginning of value (${Buffer.from("xyz").toString("hex")})`,
      ),
    );
    await intact(ns, keep);
  });

  it("errors: bad YAML is 400 with go-yaml's line-numbered message", async () => {
    const { ns, keep } = await setup("err-yaml");
    const body = "metadata:\n  name: a: b\n";
    const r = await req("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      body,
      contentType: "application/yaml",
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual(
      status(
        400,
        "BadRequest",
        `the object provided is unrecognized (must be of type ConfigMap): error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context (${Buffer.from(body).toString("hex")})`,
      ),
    );
    await intact(ns, keep);
  });

  it("errors: a text/plain body is 415 UnsupportedMediaType", async () => {
    const { ns, keep } = await setup("err-415");
    const r = await req("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      body: JSON.stringify(makeConfigMap(ns, "plain")),
      contentType: "text/plain",
    });
    expect(r.status).toBe(415);
    expect(r.json).toEqual(
      status(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
      ),
    );
    expect((await req("GET", `/api/v1/namespaces/${ns}/configmaps/plain`)).status).toBe(404);
    await intact(ns, keep);
  });

  it("errors: POST to a named object and PUT on a collection are 405", async () => {
    const { ns, keep } = await setup("err-405");
    // go-restful's 405 goes through serviceErrorHandler: NewGenericServerResponse, details {}.
    const want = status(
      405,
      "MethodNotAllowed",
      "the server does not allow this method on the requested resource",
      {},
    );
    const post = await req("POST", `/api/v1/namespaces/${ns}/configmaps/keep`, {
      body: JSON.stringify(keep),
    });
    expect(post.status).toBe(405);
    expect(post.json).toEqual(want);
    const put = await req("PUT", `/api/v1/namespaces/${ns}/configmaps`, { body: JSON.stringify(keep) });
    expect(put.status).toBe(405);
    expect(put.json).toEqual(want);
    await intact(ns, keep);
  });

  it("errors: a 4 MiB body is 413 RequestEntityTooLarge", async () => {
    const { ns, keep } = await setup("err-413");
    const big = JSON.stringify(
      makeConfigMap(ns, "big", (o) => (o.data = { blob: "a".repeat(4 * 1024 * 1024) })),
    );
    const r = await req("POST", `/api/v1/namespaces/${ns}/configmaps`, { body: big });
    expect(r.status).toBe(413);
    expect(r.json).toEqual(
      status(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"),
    );
    const put = await req("PUT", `/api/v1/namespaces/${ns}/configmaps/keep`, {
      body: JSON.stringify({ ...keep, data: { blob: "a".repeat(4 * 1024 * 1024) } }),
    });
    expect(put.status).toBe(413);
    expect((await req("GET", `/api/v1/namespaces/${ns}/configmaps/big`)).status).toBe(404);
    await intact(ns, keep);
  });

  it("errors: a 10 MB chunked body without content-length is 413, and the server keeps serving", async () => {
    const { ns, keep } = await setup("err-chunked");
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = httpRequest({
        host: "127.0.0.1",
        port: port(),
        method: "POST",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      });
      r.on("response", (m) => {
        let body = "";
        m.setEncoding("utf8");
        m.on("data", (d: string) => (body += d));
        m.on("end", () => resolve({ status: m.statusCode ?? 0, body }));
      });
      // The server may close before taking all 10 MB; only a missing response is a failure.
      r.on("error", (err) => setTimeout(() => reject(err), 2_000));
      const chunk = Buffer.alloc(64 * 1024, "a");
      let sent = 0;
      const pump = () => {
        while (sent < 10 * 1000 * 1000) {
          sent += chunk.length;
          if (!r.write(chunk)) {
            r.once("drain", pump);
            return;
          }
        }
        r.end();
      };
      r.write('{"metadata":{"name":"huge"},"data":{"x":"');
      pump();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual(
      status(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"),
    );
    expect((await req("GET", "/healthz")).text).toBe("ok");
    await intact(ns, keep);
  });
});

describe("errors: field validation", () => {
  it("errors: fieldValidation=Strict refuses an unknown field with 400", async () => {
    const { ns, keep } = await setup("err-strict");
    const svc = makeService(ns, "strict", (s) => (s.spec.foo = "bar"));
    const r = await req("POST", `/api/v1/namespaces/${ns}/services?fieldValidation=Strict`, {
      body: JSON.stringify(svc),
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual(
      status(
        400,
        "BadRequest",
        'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"',
      ),
    );
    expect((await req("GET", `/api/v1/namespaces/${ns}/services/strict`)).status).toBe(404);
    const k = await c.kubectl(["apply", "-f", "-"], { input: asInput(svc) });
    expect(k).toMatchObject({
      code: 1,
      stderr:
        'Error from server (BadRequest): error when creating "STDIN": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"\n',
    });
    await intact(ns, keep);
  });

  it("errors: fieldValidation=Warn accepts with a Warning header and drops the unknown field", async () => {
    const { ns, keep } = await setup("err-warn");
    const svc = makeService(ns, "warned", (s) => {
      s.spec.foo = "bar";
      s.spec.ports[0].bogus = 1;
    });
    const r = await req("POST", `/api/v1/namespaces/${ns}/services?fieldValidation=Warn`, {
      body: JSON.stringify(svc),
    });
    expect(r.status).toBe(201);
    // One Warning header per unknown field, in document order (ports come before foo here).
    expect(r.headers.get("warning")).toBe(
      '299 - "unknown field \\"spec.ports[0].bogus\\"", 299 - "unknown field \\"spec.foo\\""',
    );
    // Decoding into the typed object drops unknown fields: they are never stored or returned.
    expect(r.json.spec.foo).toBeUndefined();
    expect(r.json.spec.ports).toEqual([{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }]);
    const stored = await req("GET", `/api/v1/namespaces/${ns}/services/warned`);
    expect(stored.json.spec.foo).toBeUndefined();
    expect(stored.json.spec.ports[0].bogus).toBeUndefined();
    // A later strict patch is judged on its own fields, not on ones the server never kept.
    const patched = await req("PATCH", `/api/v1/namespaces/${ns}/services/warned?fieldValidation=Strict`, {
      body: '{"metadata":{"labels":{"x":"y"}}}',
      contentType: "application/merge-patch+json",
    });
    expect(patched.status).toBe(200);
    await intact(ns, keep);
  });
});

describe("errors: expired resourceVersions", () => {
  it("errors: a watch from a compacted resourceVersion gets a 410 Expired ERROR event", async () => {
    const { ns, keep } = await setup("err-410-watch");
    const rv0 = keep["metadata"]["resourceVersion"];
    await churn(ns, 35);
    const { status: code, events } = await readEvents(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv0}`,
      1,
    );
    expect(code).toBe(200);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        reason: "Expired",
        code: 410,
      },
    });
    expect(events[0]!["object"].message).toMatch(new RegExp(`^too old resource version: ${rv0} \\(\\d+\\)$`));
    const exact = await req(
      "GET",
      `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${rv0}&resourceVersionMatch=Exact`,
    );
    expect(exact.status).toBe(410);
    expect(exact.json).toEqual(
      status(410, "Expired", "The resourceVersion for the provided list is too old."),
    );
    await intact(ns, keep);
  });

  it("errors: a continue token whose resourceVersion was compacted is 410 with a fresh token", async () => {
    const { ns, keep } = await setup("err-410-continue");
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    for (const n of ["a", "b", "c", "d"]) {
      expect((await req("POST", base, { body: JSON.stringify(makeConfigMap(ns, n)) })).status).toBe(201);
    }
    const page1 = await req("GET", `${base}?limit=2`);
    expect(page1.json.items.map((o: Obj) => o["metadata"].name)).toEqual(["a", "b"]);
    const token = page1.json.metadata.continue;
    expect(token).toEqual(expect.any(String));
    await churn(ns, 35);
    const r = await req("GET", `${base}?limit=2&continue=${encodeURIComponent(token)}`);
    expect(r.status).toBe(410);
    expect(r.json).toMatchObject(
      status(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
      ),
    );
    // etcd3 handleCompactedErrorForPaging: the Status carries a token that continues at the latest revision.
    const fresh = r.json.metadata?.continue;
    expect(fresh).toEqual(expect.any(String));
    const rest = await req("GET", `${base}?limit=2&continue=${encodeURIComponent(fresh)}`);
    expect(rest.status).toBe(200);
    expect(rest.json.items.map((o: Obj) => o["metadata"].name)).toEqual(["c", "churn"]);
    await intact(ns, keep);
  });
});

describe("errors: the transport", () => {
  it("errors: garbage bytes on the socket get 400 and a close; the server keeps serving", async () => {
    const { ns, keep } = await setup("err-garbage");
    const out = await rawExchange(Buffer.from([0x00, 0x01, 0x02, 0xff, ...Buffer.from("garbage\r\n\r\n")]));
    expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect((await req("GET", "/version")).json.major).toBe("1");
    await intact(ns, keep);
  });

  it("errors: an invalid header gets 400 and a close; the server keeps serving", async () => {
    const { ns, keep } = await setup("err-header");
    const bad = await rawExchange(
      Buffer.from(
        `GET /api/v1/namespaces/${ns}/configmaps/keep HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n`,
      ),
    );
    expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const ctl = await rawExchange(
      Buffer.from(
        `GET /api/v1/namespaces/${ns}/configmaps/keep HTTP/1.1\r\nHost: x\r\nX-A: \x01\x02\r\n\r\n`,
        "latin1",
      ),
    );
    expect(ctl).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    // The same request, well formed, on a new connection.
    const ok = await rawExchange(
      Buffer.from(
        `GET /api/v1/namespaces/${ns}/configmaps/keep HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(ok).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    await intact(ns, keep);
  });

  it("errors: many concurrent malformed requests all get their error, and nothing changes", async () => {
    const { ns, keep } = await setup("err-storm");
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const kinds = [
      () => req("POST", base, { body: '{"metadata":' }),
      () => req("PUT", `${base}/keep`, { body: "not json" }),
      () => req("POST", base, { body: "kind: [", contentType: "application/yaml" }),
      () => req("POST", base, { body: "{}", contentType: "text/plain" }),
      () => req("POST", `${base}/keep`, { body: "{}" }),
      () =>
        req("PATCH", `${base}/keep`, {
          body: '[{"op":"test","path":"/data/v","value":"no"}]',
          contentType: "application/json-patch+json",
        }),
    ];
    const want = [400, 400, 400, 415, 405, 422];
    const replies = await Promise.all(
      Array.from({ length: 240 }, (_, i) =>
        kinds[i % kinds.length]!().then((r) => [i % kinds.length, r] as const),
      ),
    );
    const garbage = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        rawExchange(Buffer.from(`\x16\x03\x01${"?".repeat(i)}\r\n\r\n`, "latin1")),
      ),
    );
    for (const [k, r] of replies) {
      expect(r.status).toBe(want[k]);
      expect(r.json).toMatchObject({ kind: "Status", status: "Failure", code: want[k] });
    }
    for (const g of garbage) expect(g).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const list = await req("GET", base);
    expect(list.json.items.map((o: Obj) => o["metadata"].name)).toEqual(["keep"]);
    await intact(ns, keep);
  });
});

describe("errors: client-node", () => {
  it("errors: client-node surfaces the Status in ApiException", async () => {
    const { ns, keep } = await setup("err-client");
    const core = c.kubeConfig().makeApiClient(CoreV1Api);
    const err = await core.readNamespacedConfigMap({ namespace: ns, name: "nope" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<string>;
    expect(e.code).toBe(404);
    expect(JSON.parse(e.body)).toEqual(
      status(404, "NotFound", 'configmaps "nope" not found', { name: "nope", kind: "configmaps" }),
    );
    const dup = await core
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "keep" } } })
      .catch((x: unknown) => x);
    expect((dup as ApiException<string>).code).toBe(409);
    expect(JSON.parse((dup as ApiException<string>).body).reason).toBe("AlreadyExists");
    await intact(ns, keep);
  });
});
