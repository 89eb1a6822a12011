import { describe, expect, it } from "vitest";
import {
  canonicalJSON,
  computeHash,
  fnv32a,
  newRevision,
  revisionData,
  revisionMatches,
  safeEncodeString,
} from "./history.ts";
import { makeDaemonSet } from "./fixtures.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("daemonset history", () => {
  it("history: FNV-1a 32 matches the reference values", () => {
    expect(fnv32a(bytes(""))).toBe(0x811c9dc5);
    expect(fnv32a(bytes("a"))).toBe(0xe40c292c);
    expect(fnv32a(bytes("foobar"))).toBe(0xbf9cf968);
    // Hashing in two steps is hashing the concatenation.
    expect(fnv32a(bytes("bar"), fnv32a(bytes("foo")))).toBe(0xbf9cf968);
  });

  it("history: SafeEncodeString maps digits onto the letters and digits upstream hashes use", () => {
    expect(safeEncodeString("0123456789")).toBe("456789bcdf");
  });

  it("history: the hash depends on the template's content, not its key order, and on the collision count", () => {
    const a = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "i" }] } };
    const b = { spec: { containers: [{ image: "i", name: "c" }] }, metadata: { labels: { app: "x" } } };
    expect(computeHash(a)).toBe(computeHash(b));
    expect(computeHash(a)).toMatch(/^[456789bcdf]{1,10}$/);
    expect(computeHash(a, 1)).not.toBe(computeHash(a));
    expect(computeHash(a, 0)).not.toBe(computeHash(a));
    expect(canonicalJSON(a)).toBe(canonicalJSON(b));
    expect(canonicalJSON({ metadata: { creationTimestamp: null, labels: { app: "x" } } })).toBe(
      canonicalJSON({ metadata: { labels: { app: "x" } } }),
    );
  });

  it("history: a revision stores the template as a replace patch and is named <ds>-<hash>", () => {
    const ds = makeDaemonSet("default", "nginx-linuxea");
    const rev = newRevision(ds, 3);
    const hash = computeHash(ds.spec.template);
    expect(rev.metadata.name).toBe(`nginx-linuxea-${hash}`);
    expect(rev.metadata.labels).toEqual({ app: "nginx", release: "www", "controller-revision-hash": hash });
    expect(rev.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        name: "nginx-linuxea",
        uid: "uid-nginx-linuxea",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(rev.revision).toBe(3);
    expect(rev.data).toEqual(revisionData(ds));
    expect(rev.data.spec.template.$patch).toBe("replace");
    expect(revisionMatches(ds, rev)).toBe(true);
    const changed = makeDaemonSet(
      "default",
      "nginx-linuxea",
      (d) => (d.spec.template.spec.containers[0].image = "v2"),
    );
    expect(revisionMatches(changed, rev)).toBe(false);
  });
});
