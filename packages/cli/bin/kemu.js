#!/usr/bin/env node
// Node 24 strips TypeScript types natively, so the CLI runs from source with no build step.
import { main } from "../src/main.ts";

process.exitCode = await main(process.argv.slice(2));
