/** events.k8s.io/v1 and core/v1 Events share storage, each seen in its own schema. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCluster, uniqueNamespace } from "./harness.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start();
});

afterAll(async () => {
  await c?.stop();
});

describe("conversion", () => {
  it("conversion: an events.k8s.io/v1 Event reads back as a core/v1 Event and in kubectl get events", async () => {
    const ns = uniqueNamespace("ev");
    await c.kubectlOk(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
    });
    const res = await fetch(`${c.url}/apis/events.k8s.io/v1/namespaces/${ns}/events`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { name: "e1" },
        eventTime: new Date().toISOString().replace("Z", "000Z"),
        reportingController: "kemu.dev/test",
        reportingInstance: "test-1",
        action: "Probing",
        reason: "Probed",
        note: "all good",
        type: "Normal",
        regarding: { apiVersion: "v1", kind: "Service", name: "redis", namespace: ns },
      }),
    });
    expect(res.status).toBe(201);
    const core = JSON.parse(await c.kubectlOk(["get", "events.v1.", "e1", "-n", ns, "-o", "json"]));
    expect(core).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      message: "all good",
      reportingComponent: "kemu.dev/test",
      involvedObject: { kind: "Service", name: "redis" },
    });
    const v1 = JSON.parse(
      await c.kubectlOk(["get", "events.v1.events.k8s.io", "e1", "-n", ns, "-o", "json"]),
    );
    expect(v1).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      note: "all good",
      regarding: { name: "redis" },
    });
    expect(v1.message).toBeUndefined();
    const table = await c.kubectlOk(["get", "events", "-n", ns]);
    expect(table).toMatch(/Normal\s+Probed\s+service\/redis\s+all good/);
    const selected = await c.kubectlOk([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      "involvedObject.name=redis,reason=Probed",
      "-o",
      "name",
    ]);
    expect(selected.trim()).toBe("event/e1");
  });
});
