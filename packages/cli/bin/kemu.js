#!/usr/bin/env node
// Node 24 strips TypeScript types natively, so the CLI runs from source with no build step.
import { main } from "../src/main.ts";

// Detached children print one ready line and their parent may be gone since: never die of EPIPE.
process.stdout.on("error", () => {});

process.exitCode = await main(process.argv.slice(2));
