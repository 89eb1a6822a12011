// Regenerates src/schemas.json from the installed @kubernetes/client-node: `node scripts/generate.ts`.

import { writeFileSync } from "node:fs";
import * as prettier from "prettier";
import { generateSchemaFile } from "../src/generate.ts";

const target = new URL("../src/schemas.json", import.meta.url);
const file = generateSchemaFile();
const options = (await prettier.resolveConfig(target)) ?? {};
const text = await prettier.format(JSON.stringify(file), { ...options, filepath: target.pathname });
writeFileSync(target, text);
process.stdout.write(`wrote ${Object.keys(file.schemas).length} schemas from ${file.generatedFrom}\n`);
