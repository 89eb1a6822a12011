import { describe, expect, it } from "vitest";
import { escapeToken, objectSubject, parseObjectSubject, resourceToken, unescapeToken } from "./subjects.ts";

describe("subjects", () => {
  it("subjects: escaping is reversible for any name", () => {
    for (const s of ["redis", "a.b.c", "kube-system", "x_y", "system:node:n1", "ünï", "a%b", "", "a b*>"]) {
      const t = escapeToken(s);
      expect(t).not.toMatch(/[.\s*>]/);
      expect(unescapeToken(t)).toBe(s);
    }
  });
  it("subjects: object subjects round-trip", () => {
    const subj = objectSubject(resourceToken("endpointslices", "discovery.k8s.io"), "default", "redis-abc.x");
    expect(subj).toBe("kemu.obj.endpointslices_discovery_k8s_io.default.redis-abc_x");
    expect(parseObjectSubject(subj)).toEqual({
      resourceTok: "endpointslices_discovery_k8s_io",
      namespace: "default",
      name: "redis-abc.x",
    });
    expect(parseObjectSubject(objectSubject("nodes", undefined, "n1"))).toEqual({
      resourceTok: "nodes",
      namespace: undefined,
      name: "n1",
    });
  });
});
