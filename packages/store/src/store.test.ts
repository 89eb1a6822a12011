import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { connectNats, NatsServer, type NatsConnection } from "@kemu/nats";
import { Store, StoreError, type StoreEvent } from "./index.ts";

const log = new TestLog();
let dir: string;
let server: NatsServer;
let nc: NatsConnection;
let streamN = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kemu-store-"));
  server = new NatsServer({ stateDir: dir, log: log.logger("nats") });
  await server.start();
  nc = await connectNats({ url: server.url, name: "store-test", log: log.logger("nc") });
});

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function openStore(stream = `T${++streamN}`): Promise<Store> {
  return Store.open({ nc, log: log.logger("store"), stream });
}

const key = (name: string, namespace: string | undefined = "default") => ({
  resource: "services",
  namespace,
  name,
});

describe("store", () => {
  it("store: create, get, update and delete with compare-and-set", async () => {
    const s = await openStore();
    const rev1 = await s.create(key("a"), { metadata: { name: "a" }, spec: { x: 1 } });
    const got = await s.get(key("a"));
    expect(got?.rev).toBe(rev1);
    expect(got?.obj["metadata"].resourceVersion).toBe(String(rev1));
    await expect(s.create(key("a"), { metadata: { name: "a" } })).rejects.toMatchObject({
      code: "AlreadyExists",
    });
    const rev2 = await s.update(key("a"), { metadata: { name: "a" }, spec: { x: 2 } }, rev1);
    expect(rev2).toBeGreaterThan(rev1);
    await expect(s.update(key("a"), { metadata: { name: "a" }, spec: { x: 3 } }, rev1)).rejects.toMatchObject(
      {
        code: "Conflict",
      },
    );
    const rev3 = await s.delete(key("a"), { metadata: { name: "a" }, spec: { x: 2 } }, rev2);
    expect(await s.get(key("a"))).toBeUndefined();
    expect(rev3).toBeGreaterThan(rev2);
    await expect(s.update(key("a"), { metadata: { name: "a" } }, rev2)).rejects.toMatchObject({
      code: "NotFound",
    });
    await expect(s.delete(key("a"), { metadata: { name: "a" } }, rev2)).rejects.toBeInstanceOf(StoreError);
    // Re-creating after a delete works and gets a newer revision.
    const rev4 = await s.create(key("a"), { metadata: { name: "a" } });
    expect(rev4).toBeGreaterThan(rev3);
    await s.close();
  });

  it("store: consistent lists see every acknowledged write", async () => {
    const s = await openStore();
    for (let i = 0; i < 50; i++)
      await s.create(key(`s${i}`, i % 2 ? "odd" : "even"), { metadata: { name: `s${i}` } });
    const all = await s.list("services", undefined);
    expect(all.items).toHaveLength(50);
    const odd = await s.list("services", "odd");
    expect(odd.items.map((o) => o["metadata"].name).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `s${i * 2 + 1}`).sort(),
    );
    expect(all.rev).toBeGreaterThanOrEqual(50);
    await s.close();
  });

  it("store: watches resume from a revision in order, with the last state on DELETED", async () => {
    const s = await openStore();
    const r1 = await s.create(key("w"), { metadata: { name: "w" }, v: 1 });
    const r2 = await s.update(key("w"), { metadata: { name: "w" }, v: 2 }, r1);
    const seen: StoreEvent[] = [];
    const w = s.watch("services", "default", r1, (e) => seen.push(e));
    const r3 = await s.delete(key("w"), { metadata: { name: "w" }, v: 2 }, r2);
    await s.waitFresh();
    expect(seen.map((e) => [e.type, e.rev, e.obj["v"]])).toEqual([
      ["MODIFIED", r2, 2],
      ["DELETED", r3, 2],
    ]);
    w.stop();
    await s.close();
  });

  it("store: a watch older than the window is Expired", async () => {
    const s = await Store.open({ nc, log: log.logger("store"), stream: `T${++streamN}`, eventWindow: 4 });
    let rev = await s.create(key("e"), { metadata: { name: "e" }, v: 0 });
    for (let i = 1; i < 20; i++) rev = await s.update(key("e"), { metadata: { name: "e" }, v: i }, rev);
    await s.waitFresh();
    expect(() => s.watch("services", undefined, 1, () => {})).toThrow(/too old resource version/);
    const ok = s.watch("services", undefined, rev - 1, () => {});
    ok.stop();
    await s.close();
  });

  it("store: acknowledged writes survive kill -9 of nats-server", async () => {
    const stream = `T${++streamN}`;
    const s = await openStore(stream);
    const revs: number[] = [];
    for (let i = 0; i < 20; i++) revs.push(await s.create(key(`k${i}`), { metadata: { name: `k${i}` }, i }));
    await s.close();
    await server.stop("SIGKILL");
    await server.start();
    const s2 = await openStore(stream);
    const { items } = await s2.list("services", "default");
    expect(items.map((o) => o["i"]).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await s2.get(key("k7")))?.rev).toBe(revs[7]);
    await s2.close();
  }, 30_000);

  it("store: the watch cache follows the stream again right after nats-server restarts under load", async () => {
    // A short operation timeout: waitFresh fails unless the cache resumes promptly.
    const s = await Store.open({ nc, log: log.logger("store"), stream: `T${++streamN}`, timeoutMs: 3_000 });
    let next = 0;
    let acked = 0;
    let stop = false;
    const writers = [0, 1, 2, 3].map(async () => {
      while (!stop) {
        const i = next++;
        try {
          await s.create(key(`o${i}`), { metadata: { name: `o${i}` } });
          acked++;
        } catch {
          // not acknowledged while NATS is down
        }
      }
    });
    const until = async (n: number) => {
      while (acked < n) await new Promise((r) => setTimeout(r, 5));
    };
    await until(40);
    await server.stop("SIGKILL");
    await server.start();
    await until(acked + 40);
    stop = true;
    await Promise.all(writers);
    const rev = await s.waitFresh();
    expect(s.revision).toBe(rev);
    const { items } = await s.list("services", "default");
    // Every acknowledged create is there; a create whose ack was lost to the crash may be too.
    expect(items.length).toBeGreaterThanOrEqual(acked);
    expect(items.length).toBeLessThanOrEqual(next);
    await s.close();
  }, 60_000);

  it("store: compaction purges superseded revisions, forgets old deletions and expires older watches", async () => {
    const stream = `T${++streamN}`;
    const s = await openStore(stream);
    let rev = await s.create(key("c"), { metadata: { name: "c" }, v: 0 });
    for (let i = 1; i <= 5; i++) rev = await s.update(key("c"), { metadata: { name: "c" }, v: i }, rev);
    const gone = await s.create(key("gone"), { metadata: { name: "gone" } });
    await s.delete(key("gone"), { metadata: { name: "gone" } }, gone);
    const at = await s.waitFresh();
    const later = await s.update(key("c"), { metadata: { name: "c" }, v: 6 }, rev);
    await s.waitFresh();
    const purged = await s.compact(at);
    // c's versions 0-4 (v5 is the state at `at`, but only the newest is kept per object) and both messages of "gone".
    expect(purged).toBeGreaterThanOrEqual(6);
    expect(s.compactedRevision).toBe(at);
    expect((await s.get(key("c")))?.obj["v"]).toBe(6);
    expect(() => s.watch("services", undefined, at - 1, () => {})).toThrow(/too old resource version/);
    const seen: number[] = [];
    s.watch("services", undefined, at, (e) => seen.push(e.rev)).stop();
    expect(seen).toEqual([later]);
    // A deleted name whose tombstone was compacted can be created again.
    expect(await s.create(key("gone"), { metadata: { name: "gone" } })).toBeGreaterThan(later);
    await s.close();
    // A restarted store knows the compacted revision and rebuilds the same state.
    const s2 = await openStore(stream);
    expect(s2.compactedRevision).toBe(at);
    expect(() => s2.watch("services", undefined, at - 1, () => {})).toThrow(/too old resource version/);
    const { items } = await s2.list("services", "default");
    expect(items.map((o) => o["metadata"].name).sort()).toEqual(["c", "gone"]);
    expect(items.find((o) => o["metadata"].name === "c")?.["v"]).toBe(6);
    await s2.close();
  });
});
