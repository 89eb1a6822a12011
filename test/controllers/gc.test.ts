/** Garbage collection with real kubectl: background, foreground and orphan propagation, and dangling owners. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCluster, uniqueNamespace } from "../harness.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
});

afterAll(async () => {
  await c?.stop();
});

async function ns(): Promise<string> {
  const name = uniqueNamespace("gc");
  await c.kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
  });
  return name;
}

/** Creates owner ConfigMap and dependents that point at it; returns the owner's uid. */
async function family(
  namespace: string,
  dependents: string[],
  opts: { block?: boolean } = {},
): Promise<string> {
  const owner = JSON.parse(
    await c.kubectlOk(["apply", "-n", namespace, "-o", "json", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "owner" } }),
    }),
  );
  for (const d of dependents) {
    await c.kubectlOk(["apply", "-n", namespace, "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: d,
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "ConfigMap",
              name: "owner",
              uid: owner.metadata.uid,
              ...(opts.block ? { blockOwnerDeletion: true } : {}),
            },
          ],
        },
      }),
    });
  }
  return owner.metadata.uid;
}

describe("garbage collector", () => {
  it("gc: deleting an owner in the background removes its dependents", async () => {
    const n = await ns();
    await family(n, ["d1", "d2"]);
    expect(await c.kubectlOk(["delete", "configmap", "owner", "-n", n])).toBe('configmap "owner" deleted\n');
    await c.kubectlOk(["wait", "--for=delete", "configmap/d1", "configmap/d2", "-n", n, "--timeout=20s"]);
  });

  it("gc: --cascade=orphan keeps the dependents and strips their ownerReferences", async () => {
    const n = await ns();
    await family(n, ["d1"]);
    await c.kubectlOk(["delete", "configmap", "owner", "-n", n, "--cascade=orphan"]);
    await c.kubectlOk(["wait", "--for=delete", "configmap/owner", "-n", n, "--timeout=20s"]);
    const d1 = JSON.parse(await c.kubectlOk(["get", "configmap", "d1", "-n", n, "-o", "json"]));
    expect(d1.metadata.ownerReferences).toBeUndefined();
  });

  it("gc: --cascade=foreground deletes dependents first, and waits for blocking ones", async () => {
    const n = await ns();
    await family(n, ["d1", "held"], { block: true });
    await c.kubectlOk([
      "patch",
      "configmap",
      "held",
      "-n",
      n,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);
    await c.kubectlOk(["delete", "configmap", "owner", "-n", n, "--cascade=foreground", "--wait=false"]);
    await c.kubectlOk(["wait", "--for=delete", "configmap/d1", "-n", n, "--timeout=20s"]);
    // The owner waits, marked for deletion, while a blocking dependent remains.
    const owner = JSON.parse(await c.kubectlOk(["get", "configmap", "owner", "-n", n, "-o", "json"]));
    expect(owner.metadata.deletionTimestamp).toBeTruthy();
    expect(owner.metadata.finalizers).toEqual(["foregroundDeletion"]);
    await c.kubectlOk([
      "patch",
      "configmap",
      "held",
      "-n",
      n,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await c.kubectlOk([
      "wait",
      "--for=delete",
      "configmap/owner",
      "configmap/held",
      "-n",
      n,
      "--timeout=20s",
    ]);
  });

  it("gc: an object whose owner never existed is collected", async () => {
    const n = await ns();
    await c.kubectlOk(["apply", "-n", n, "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "stray",
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "ConfigMap",
              name: "ghost",
              uid: "00000000-0000-0000-0000-000000000000",
            },
          ],
        },
      }),
    });
    await c.kubectlOk(["wait", "--for=delete", "configmap/stray", "-n", n, "--timeout=20s"]);
  });
});
