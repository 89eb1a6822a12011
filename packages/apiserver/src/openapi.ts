/** The resource table as @kemu/openapi wants it. */
import type { ServedResource } from "@kemu/openapi";
import type { Registry } from "./resources.ts";

const cache = new WeakMap<readonly unknown[], ServedResource[]>();

/** Every served resource, for the OpenAPI documents (computed once per set of resources). */
export function servedResources(reg: Registry): ServedResource[] {
  let out = cache.get(reg.resources);
  if (!out) {
    out = reg.resources.map((d) => {
      const r: ServedResource = {
        group: d.group,
        version: d.version,
        kind: d.kind,
        resource: d.resource,
        namespaced: d.namespaced,
        subresources: d.subresources,
        verbs: d.verbs,
      };
      if (d.shortNames) r.shortNames = d.shortNames;
      return r;
    });
    cache.set(reg.resources, out);
  }
  return out;
}
