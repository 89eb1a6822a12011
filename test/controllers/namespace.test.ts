/** Namespace lifecycle with the controller manager running: default ServiceAccount, and deletion that empties the namespace first. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCluster, uniqueNamespace } from "../harness.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
});

afterAll(async () => {
  await c?.stop();
});

describe("namespace controller", () => {
  it("namespace: a new namespace gets its default ServiceAccount", async () => {
    const ns = uniqueNamespace("sa");
    await c.kubectlOk(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
    });
    // kubectl wait polls the API until the object exists, with its own timeout.
    const r = await c.kubectl(["wait", "--for=create", `serviceaccount/default`, "-n", ns, "--timeout=20s"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("serviceaccount/default condition met\n");
  });

  it("namespace: kubectl delete namespace empties it, goes Terminating, then it is gone", async () => {
    const ns = uniqueNamespace("del");
    await c.kubectlOk(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
    });
    for (let i = 0; i < 3; i++) {
      await c.kubectlOk(["apply", "-n", ns, "-f", "-"], {
        input: JSON.stringify({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `cm${i}` },
          data: { i: String(i) },
        }),
      });
    }
    // A finalizer on one object holds the namespace in Terminating until it is removed.
    await c.kubectlOk([
      "patch",
      "configmap",
      "cm0",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);
    const del = await c.kubectl(["delete", "namespace", ns, "--wait=false"]);
    expect(del.stdout).toBe(`namespace "${ns}" deleted\n`);
    await c.kubectlOk([
      "wait",
      "--for=jsonpath={.status.phase}=Terminating",
      `namespace/${ns}`,
      "--timeout=20s",
    ]);
    await c.kubectlOk(["wait", "--for=delete", "configmap/cm1", "configmap/cm2", "-n", ns, "--timeout=20s"]);
    const created = await c.kubectl([
      "create",
      "configmap",
      "late",
      "-n",
      ns,
      "--dry-run=client",
      "-o",
      "json",
    ]);
    const late = await c.kubectl(["apply", "-n", ns, "-f", "-"], { input: created.stdout });
    expect(late.stderr).toContain(
      `is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
    );
    await c.kubectlOk([
      "patch",
      "configmap",
      "cm0",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await c.kubectlOk(["wait", "--for=delete", `namespace/${ns}`, "--timeout=30s"]);
    const gone = await c.kubectl(["get", "namespace", ns]);
    expect(gone.stderr).toContain(`Error from server (NotFound): namespaces "${ns}" not found`);
  });
});
