/** CustomResourceDefinitions with real kubectl: the generic path for kinds kemu does not build in. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, TestCluster } from "./harness.ts";

let c: TestCluster;
const crd = join(ROOT, "test/fixtures/crd/crontab-crd.yaml");
const cr = join(ROOT, "test/fixtures/crd/crontab.yaml");

beforeAll(async () => {
  c = await TestCluster.start();
});

afterAll(async () => {
  await c?.stop();
});

describe("crd", () => {
  it("crd: a new CRD is served at once, with its printer columns, short name and category", async () => {
    expect(await c.kubectlOk(["apply", "-f", crd])).toBe(
      "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created\n",
    );
    const established = await c.kubectlOk([
      "get",
      "crd",
      "crontabs.stable.example.com",
      "-o",
      "jsonpath={.status.conditions[?(@.type=='Established')].status}",
    ]);
    expect(established).toBe("True");
    expect(await c.kubectlOk(["apply", "-f", cr])).toBe("crontab.stable.example.com/my-cron created\n");
    const table = (await c.kubectlOk(["get", "ct"])).trim().split("\n");
    expect(table[0]!.split(/\s{2,}/)).toEqual(["NAME", "SPEC", "REPLICAS", "AGE"]);
    expect(table[1]!.split(/\s{2,}/).slice(0, 3)).toEqual(["my-cron", "* * * * */5", "2"]);
    expect(await c.kubectlOk(["get", "all", "-o", "name"])).toContain("crontab.stable.example.com/my-cron");
    const resources = await c.kubectlOk(["api-resources", "--api-group=stable.example.com"]);
    expect(resources).toMatch(/crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab/);
  });

  it("crd: apply reports unchanged and configured, merging with a merge patch", async () => {
    expect(await c.kubectlOk(["apply", "-f", cr])).toBe("crontab.stable.example.com/my-cron unchanged\n");
    const { readFile } = await import("node:fs/promises");
    const changed = (await readFile(cr, "utf8")).replace("replicas: 2", "replicas: 3");
    expect(await c.kubectlOk(["apply", "-f", "-"], { input: changed })).toBe(
      "crontab.stable.example.com/my-cron configured\n",
    );
    const obj = JSON.parse(await c.kubectlOk(["get", "crontab", "my-cron", "-o", "json"]));
    expect(obj.spec.replicas).toBe(3);
    expect(obj.metadata.generation).toBe(2);
    const smp = await c.kubectl([
      "patch",
      "crontab",
      "my-cron",
      "--type=strategic",
      "-p",
      '{"spec":{"replicas":4}}',
    ]);
    expect(smp.code).toBe(1);
    expect(smp.stderr).toContain(
      "application/strategic-merge-patch+json is not supported by stable.example.com/v1, Kind=CronTab: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    );
  });

  it("crd: deleting the CRD stops serving it and removes its objects", async () => {
    await c.kubectlOk(["delete", "crd", "crontabs.stable.example.com"]);
    // kubectl still has the resource in its discovery cache, as it would against a real cluster.
    const r = await c.kubectl(["get", "crontabs"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Unable to list "stable.example.com/v1, Resource=crontabs": the server could not find the requested resource',
    );
    const raw = await fetch(`${c.url}/apis/stable.example.com/v1/namespaces/default/crontabs/my-cron`);
    expect(raw.status).toBe(404);
    // Re-creating it starts empty.
    await c.kubectlOk(["apply", "-f", crd]);
    expect((await c.kubectl(["get", "crontabs"])).stderr).toContain(
      "No resources found in default namespace.",
    );
  });
});
