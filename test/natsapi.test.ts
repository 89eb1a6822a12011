/**
 * The API over NATS (what node agents use): the same verbs and errors as over HTTP, served by
 * the real API server process, seen through NatsApiClient on a real nats-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { connectNats, type NatsConnection } from "@kemu/nats";
import { ApiError, NatsApiClient, type WatchEvent } from "@kemu/apiserver";
import { TestCluster, uniqueNamespace } from "./harness.ts";

let c: TestCluster;
let nc: NatsConnection;
let client: NatsApiClient;

beforeAll(async () => {
  c = await TestCluster.start();
  nc = await connectNats({ url: c.nats.url, name: "natsapi-test", log: new TestLog().logger() });
  client = new NatsApiClient(nc);
});

afterAll(async () => {
  await nc?.drain();
  await c?.stop();
});

const cm = { group: "", version: "v1", resource: "configmaps" };

describe("natsapi", () => {
  it("natsapi: create, get, list, patch, update and delete a ConfigMap", async () => {
    const namespace = uniqueNamespace("nats");
    await client.call("create", {
      group: "",
      version: "v1",
      resource: "namespaces",
      body: { metadata: { name: namespace } },
    });
    const created = await client.call("create", {
      ...cm,
      namespace,
      body: { metadata: { name: "a", labels: { x: "1" } }, data: { k: "v" } },
    });
    expect(created["metadata"].uid).toBeTruthy();
    expect((await client.call("get", { ...cm, namespace, name: "a" }))["data"]).toEqual({ k: "v" });
    const list = await client.call("list", { ...cm, namespace, options: { labelSelector: "x=1" } });
    expect(list["items"].map((o: any) => o.metadata.name)).toEqual(["a"]);
    const patched = await client.call("patch", {
      ...cm,
      namespace,
      name: "a",
      patchType: "merge",
      body: { data: { k: "w" } },
    });
    expect(patched["data"]).toEqual({ k: "w" });
    const updated = await client.call("update", {
      ...cm,
      namespace,
      name: "a",
      body: { ...patched, data: { k: "z" } },
    });
    expect(updated["data"]).toEqual({ k: "z" });
    // A stale resourceVersion is the same Conflict Status as over HTTP.
    const stale = await client
      .call("update", { ...cm, namespace, name: "a", body: { ...patched, data: { k: "q" } } })
      .catch((e) => e);
    expect(stale).toBeInstanceOf(ApiError);
    expect(stale).toMatchObject({ reason: "Conflict", code: 409 });
    await client.call("delete", { ...cm, namespace, name: "a" });
    const gone = await client.call("get", { ...cm, namespace, name: "a" }).catch((e) => e);
    expect(gone).toMatchObject({ reason: "NotFound", code: 404, message: 'configmaps "a" not found' });
  });

  it("natsapi: watch delivers ADDED, MODIFIED and DELETED in order and stops cleanly", async () => {
    const namespace = uniqueNamespace("natsw");
    await client.call("create", {
      group: "",
      version: "v1",
      resource: "namespaces",
      body: { metadata: { name: namespace } },
    });
    const events: WatchEvent[] = [];
    let notify = () => {};
    const w = await client.watch(
      { ...cm, namespace, options: { resourceVersion: "0" } },
      (ev) => {
        events.push(ev);
        notify();
      },
      () => {},
    );
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        notify = () => events.length >= n && resolve();
        notify();
      });
    const o = await client.call("create", {
      ...cm,
      namespace,
      body: { metadata: { name: "w" }, data: { v: "1" } },
    });
    await client.call("update", { ...cm, namespace, name: "w", body: { ...o, data: { v: "2" } } });
    await client.call("delete", { ...cm, namespace, name: "w" });
    await until(3);
    w.stop();
    expect(events.map((e) => [e.type, e.object["data"]?.v])).toEqual([
      ["ADDED", "1"],
      ["MODIFIED", "2"],
      ["DELETED", "2"],
    ]);
  });

  it("natsapi: a request that is not JSON gets a BadRequest Status", async () => {
    const reply = await nc.request("kemu.api.get", new TextEncoder().encode("\u0000garbage{"), {
      timeout: 5_000,
    });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({
      error: { reason: "BadRequest", code: 400 },
    });
  });

  it("natsapi: the binding subresource assigns a pod to a node once", async () => {
    const namespace = uniqueNamespace("natsb");
    await client.call("create", {
      group: "",
      version: "v1",
      resource: "namespaces",
      body: { metadata: { name: namespace } },
    });
    const pods = { group: "", version: "v1", resource: "pods", namespace };
    await client.call("create", {
      ...pods,
      body: { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "nginx" }] } },
    });
    const binding = {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name: "p" },
      target: { kind: "Node", name: "node-1" },
    };
    expect(
      await client.call("create", { ...pods, name: "p", subresource: "binding", body: binding }),
    ).toMatchObject({
      status: "Success",
    });
    const pod = await client.call("get", { ...pods, name: "p" });
    expect(pod["spec"].nodeName).toBe("node-1");
    expect(pod["status"].conditions).toContainEqual(
      expect.objectContaining({ type: "PodScheduled", status: "True" }),
    );
    const again = await client
      .call("create", { ...pods, name: "p", subresource: "binding", body: binding })
      .catch((e) => e);
    expect(again).toMatchObject({
      reason: "Conflict",
      message: 'Operation cannot be fulfilled on pods "p": pod p is already assigned to node "node-1"',
    });
  });
});
