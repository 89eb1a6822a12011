import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { generateSchemaFile } from "./generate.ts";

test("schemas.json: matches a fresh generation from the installed client-node (run scripts/generate.ts)", () => {
  const committed: unknown = JSON.parse(readFileSync(new URL("./schemas.json", import.meta.url), "utf8"));
  expect(committed).toEqual(generateSchemaFile());
});

test("generate: every $ref resolves to a generated schema", () => {
  const { schemas } = generateSchemaFile();
  const refs = JSON.stringify(schemas).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
  const missing = refs.map((r) => r.slice('"#/components/schemas/'.length, -1)).filter((n) => !schemas[n]);
  expect(missing).toEqual([]);
});
