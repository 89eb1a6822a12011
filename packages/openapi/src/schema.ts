// The structural schema of every kind kemu serves, as OpenAPI v3 component schemas. It is generated
// from @kubernetes/client-node by scripts/generate.ts into schemas.json and loaded once, on first use,
// so that the API server's start-up does not pay for importing client-node.

import { readFileSync } from "node:fs";

/** A group/version/kind triple as the x-kubernetes-group-version-kind extension spells it. */
export interface GVK {
  group: string;
  version: string;
  kind: string;
}

/** The subset of an OpenAPI v3 schema object that kemu's schemas use. */
export interface Schema {
  description?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  "x-kubernetes-group-version-kind"?: GVK[];
  "x-kubernetes-patch-strategy"?: string;
  "x-kubernetes-patch-merge-key"?: string;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** The generated file: component schemas keyed by upstream definition name. */
export interface SchemaFile {
  generatedFrom: string;
  schemas: Record<string, Schema>;
}

/** The `$ref` prefix used inside OpenAPI v3 documents. */
export const REF_PREFIX = "#/components/schemas/";

/** Loaded schemas plus the GVK -> definition index built from their extensions. */
export interface Catalog {
  schemas: Record<string, Schema>;
  byGVK: Map<string, string>;
}

let loaded: Catalog | undefined;

/** Key of a GVK in Catalog.byGVK. */
export function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/** The schemas, read from schemas.json on first call. */
export function catalog(): Catalog {
  if (loaded) return loaded;
  const file = JSON.parse(readFileSync(new URL("./schemas.json", import.meta.url), "utf8")) as SchemaFile;
  const byGVK = new Map<string, string>();
  for (const [name, schema] of Object.entries(file.schemas)) {
    for (const g of schema["x-kubernetes-group-version-kind"] ?? [])
      byGVK.set(gvkKey(g.group, g.version, g.kind), name);
  }
  loaded = { schemas: file.schemas, byGVK };
  return loaded;
}

/** The definition a schema points at (`$ref`, or upstream's single-element `allOf` wrapper), if any. */
export function refOf(schema: Schema): string | undefined {
  const ref = schema.$ref ?? schema.allOf?.[0]?.$ref;
  return ref?.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}
