/**
 * Watch semantics through the real HTTP API: resuming from a resourceVersion, order, DELETED
 * carrying the last state, 410 Expired, bookmarks, timeoutSeconds, and a client-node informer
 * that keeps its cache right across an API server restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, makeInformer, type V1ConfigMap } from "@kubernetes/client-node";
import { TestCluster, uniqueNamespace } from "./harness.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start({ apiserverArgs: ["--watch-cache-size", "50"] });
});

afterAll(async () => {
  await c?.stop();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(c.url + path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function mkns(): Promise<string> {
  const ns = uniqueNamespace("watch");
  expect((await api("POST", "/api/v1/namespaces", { metadata: { name: ns } })).status).toBe(201);
  return ns;
}

/** Reads a watch stream until n events arrived (or the server ends it). */
async function readEvents(path: string, n: number): Promise<{ type: string; object: any }[]> {
  const ctrl = new AbortController();
  const res = await fetch(c.url + path, { signal: ctrl.signal });
  expect(res.status).toBe(200);
  const events: { type: string; object: any }[] = [];
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
  return events;
}

describe("watch", () => {
  it("watch: resumes from a resourceVersion in order, DELETED carries the last state", async () => {
    const ns = await mkns();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const created = await api("POST", base, { metadata: { name: "a" }, data: { v: "1" } });
    const rv0 = created.json.metadata.resourceVersion;
    const upd = await api("PUT", `${base}/a`, { ...created.json, data: { v: "2" } });
    expect(upd.status).toBe(200);
    await api("POST", base, { metadata: { name: "b" }, data: { v: "b" } });
    const del = await api("DELETE", `${base}/a`);
    expect(del.status).toBe(200);
    const events = await readEvents(`${base}?watch=true&resourceVersion=${rv0}`, 3);
    expect(events.map((e) => [e.type, e.object.metadata.name, e.object.data.v])).toEqual([
      ["MODIFIED", "a", "2"],
      ["ADDED", "b", "b"],
      ["DELETED", "a", "2"],
    ]);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
    expect(events[0]!.object.kind).toBe("ConfigMap");
  });

  it("watch: without resourceVersion starts with ADDED for what exists", async () => {
    const ns = await mkns();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    for (const n of ["x", "y"]) await api("POST", base, { metadata: { name: n } });
    const events = await readEvents(`${base}?watch=1`, 2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`).sort()).toEqual(["ADDED x", "ADDED y"]);
  });

  it("watch: label selectors turn objects that stop matching into DELETED", async () => {
    const ns = await mkns();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const cm = await api("POST", base, { metadata: { name: "sel", labels: { app: "a" } } });
    const rv = cm.json.metadata.resourceVersion;
    await api("PATCH", `${base}/sel`, undefined).catch(() => {});
    const res = await fetch(`${c.url}${base}/sel`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ metadata: { labels: { app: "b" } } }),
    });
    expect(res.status).toBe(200);
    const events = await readEvents(
      `${base}?watch=true&resourceVersion=${Number(rv) - 1}&labelSelector=app%3Da`,
      2,
    );
    expect(events.map((e) => e.type)).toEqual(["ADDED", "DELETED"]);
  });

  it("watch: a resourceVersion older than the watch cache gets 410 Expired", async () => {
    const ns = await mkns();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const first = await api("POST", base, { metadata: { name: "old" } });
    let obj = first.json;
    for (let i = 0; i < 80; i++) {
      obj = (await api("PUT", `${base}/old`, { ...obj, data: { i: String(i) } })).json;
    }
    const events = await readEvents(
      `${base}?watch=true&resourceVersion=${first.json.metadata.resourceVersion}`,
      1,
    );
    expect(events[0]).toMatchObject({
      type: "ERROR",
      object: { kind: "Status", status: "Failure", reason: "Expired", code: 410 },
    });
    expect(events[0]!.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it("watch: bookmarks carry the resourceVersion and timeoutSeconds ends the stream", async () => {
    const ns = await mkns();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const t0 = Date.now();
    const events = await readEvents(
      `${base}?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1`,
      100,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(events[0]).toMatchObject({
      type: "BOOKMARK",
      object: { metadata: { annotations: { "k8s.io/initial-events-end": "true" } } },
    });
    expect(Number(events[0]!.object.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it("watch: a client-node informer sees ADDED, MODIFIED and DELETED in order across an API server restart", async () => {
    const ns = await mkns();
    const kc = c.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: ns }),
    );
    const seen: string[] = [];
    const waiters: { pred: () => boolean; resolve: () => void }[] = [];
    const note = (s: string) => {
      seen.push(s);
      for (const w of waiters.splice(0)) {
        if (w.pred()) w.resolve();
        else waiters.push(w);
      }
    };
    const until = (pred: () => boolean) =>
      pred() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pred, resolve }));
    informer.on("add", (o) => note(`ADDED ${o.metadata!.name} ${o.data?.["v"] ?? ""}`));
    informer.on("update", (o) => note(`MODIFIED ${o.metadata!.name} ${o.data?.["v"] ?? ""}`));
    informer.on("delete", (o) => note(`DELETED ${o.metadata!.name} ${o.data?.["v"] ?? ""}`));
    let restarts = 0;
    informer.on("error", () => {
      // client-node leaves restarting to the caller; retry as its docs suggest.
      restarts++;
      setTimeout(() => void informer.start().catch(() => {}), 200);
    });
    await informer.start();
    const cm = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "one" }, data: { v: "1" } },
    });
    await until(() => seen.includes("ADDED one 1"));

    await c.stopApiServer("SIGKILL");
    await c.startApiServer();

    await core.replaceNamespacedConfigMap({ namespace: ns, name: "one", body: { ...cm, data: { v: "2" } } });
    await until(() => seen.includes("MODIFIED one 2"));
    await core.deleteNamespacedConfigMap({ namespace: ns, name: "one" });
    await until(() => seen.includes("DELETED one 2"));
    await informer.stop();
    expect(seen).toEqual(["ADDED one 1", "MODIFIED one 2", "DELETED one 2"]);
    expect(informer.list()).toEqual([]);
    expect(restarts).toBeGreaterThanOrEqual(0);
  });
});
