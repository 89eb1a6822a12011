/**
 * Durability: writers keep creating and updating objects through the HTTP API while the API
 * server, and then nats-server, are killed with SIGKILL and restarted. Every write that was
 * acknowledged must still be there afterwards, and none may be half-applied.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCluster, uniqueNamespace } from "./harness.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start();
});

afterAll(async () => {
  await c?.stop();
});

interface Ledger {
  /** Names whose create was acknowledged. */
  created: Set<string>;
  /** Per counter object: the highest value acknowledged, and the highest ever sent. */
  counters: Map<string, { acked: number; sent: number }>;
  errors: number;
}

async function request(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any } | undefined> {
  try {
    const res = await fetch(c.url + path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, json: await res.json() };
  } catch {
    return undefined; // connection refused or reset: not acknowledged
  }
}

/** One writer: alternately creates a fresh ConfigMap and bumps its own counter ConfigMap. */
async function writer(ns: string, id: number, ledger: Ledger, stop: () => boolean): Promise<void> {
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  const counter = `counter-${id}`;
  ledger.counters.set(counter, { acked: 0, sent: 0 });
  let created = await request("POST", base, { metadata: { name: counter }, data: { n: "0" } });
  while (!created || created.status !== 201) {
    if (created?.status === 409) break;
    created = await request("POST", base, { metadata: { name: counter }, data: { n: "0" } });
  }
  for (let i = 0; !stop(); i++) {
    const name = `w${id}-${i}`;
    const r = await request("POST", base, { metadata: { name }, data: { writer: String(id), i: String(i) } });
    if (r?.status === 201) ledger.created.add(name);
    else ledger.errors++;
    const state = ledger.counters.get(counter)!;
    const next = state.sent + 1;
    state.sent = next;
    const res = await fetch(`${c.url}${base}/${counter}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ data: { n: String(next) } }),
      signal: AbortSignal.timeout(15_000),
    }).catch(() => undefined);
    if (res?.status === 200) state.acked = next;
    else ledger.errors++;
    await res?.arrayBuffer().catch(() => undefined);
  }
}

/** Runs writers until `acks` more creates are acknowledged after the disruption. */
async function runWithDisruption(ns: string, disrupt: () => Promise<void>): Promise<Ledger> {
  const ledger: Ledger = { created: new Set(), counters: new Map(), errors: 0 };
  let done = false;
  const writers = [0, 1, 2, 3].map((id) => writer(ns, id, ledger, () => done));
  const waitFor = async (n: number) => {
    while (ledger.created.size < n) await new Promise((r) => setImmediate(r));
  };
  await waitFor(40);
  await disrupt();
  const after = ledger.created.size;
  await waitFor(after + 40);
  done = true;
  await Promise.all(writers);
  return ledger;
}

async function verify(ns: string, ledger: Ledger): Promise<void> {
  const list = await request("GET", `/api/v1/namespaces/${ns}/configmaps`);
  expect(list?.status).toBe(200);
  const items: any[] = list!.json.items;
  const byName = new Map(items.map((o) => [o.metadata.name, o]));
  const missing = [...ledger.created].filter((n) => !byName.has(n));
  expect(missing).toEqual([]);
  for (const [name, o] of byName) {
    // Nothing half-applied: every object is whole and carries its own data.
    expect(o.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    if (name.startsWith("w")) expect(name).toBe(`w${o.data.writer}-${o.data.i}`);
  }
  for (const [name, { acked, sent }] of ledger.counters) {
    const n = Number(byName.get(name)?.data?.n);
    expect(n).toBeGreaterThanOrEqual(acked);
    expect(n).toBeLessThanOrEqual(sent);
  }
  const rvs = items.map((o) => Number(o.metadata.resourceVersion));
  expect(rvs.every((rv) => rv > 0 && rv <= Number(list!.json.metadata.resourceVersion))).toBe(true);
}

describe("restart", () => {
  it("restart: kill -9 of the API server during writes loses no acknowledged write", async () => {
    const ns = uniqueNamespace("crash-api");
    expect((await request("POST", "/api/v1/namespaces", { metadata: { name: ns } }))?.status).toBe(201);
    const ledger = await runWithDisruption(ns, async () => {
      await c.stopApiServer("SIGKILL");
      await c.startApiServer();
    });
    expect(ledger.created.size).toBeGreaterThanOrEqual(80);
    await verify(ns, ledger);
  }, 120_000);

  it("restart: kill -9 of nats-server during writes loses no acknowledged write", async () => {
    const ns = uniqueNamespace("crash-nats");
    expect((await request("POST", "/api/v1/namespaces", { metadata: { name: ns } }))?.status).toBe(201);
    const ledger = await runWithDisruption(ns, async () => {
      await c.nats.stop("SIGKILL");
      await c.nats.start();
    });
    expect(ledger.created.size).toBeGreaterThanOrEqual(80);
    await verify(ns, ledger);
    // The API server kept running through the outage and still serves consistent reads.
    const r = await request("GET", `/api/v1/namespaces/${ns}/configmaps/counter-0`);
    expect(r?.status).toBe(200);
  }, 120_000);
});
