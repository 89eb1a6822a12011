/**
 * Runs every benchmark in bench/, one after another, each in its own process:
 * `npm run bench [-- --quick]`. Extra arguments are passed to each benchmark. Exits non-zero if
 * any benchmark failed to run (a missed target is reported in its table, not here).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

/** Every benchmark, by entry file; add the next one here. */
const BENCHMARKS = [
  "apiserver.ts",
  "scheduler.ts",
  "endpoints.ts",
  "dataplane.ts",
  "programming.ts",
  "dns.ts",
];

function runOne(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(import.meta.dirname, file), ...args], { stdio: "inherit" });
    // Ctrl-C reaches the child through the terminal by itself, and the child cleans up on the
    // first one (a second would kill it at once), so SIGINT is only kept from killing this
    // process; SIGTERM is sent to this process alone and is passed on.
    const ignore = () => {};
    const forward = () => p.kill("SIGTERM");
    process.on("SIGINT", ignore);
    process.on("SIGTERM", forward);
    p.on("error", reject);
    p.on("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

let failed = 0;
for (const file of BENCHMARKS) {
  process.stderr.write(`== bench/${file}\n`);
  const code = await runOne(file, process.argv.slice(2));
  if (code !== 0) {
    failed++;
    process.stderr.write(`== bench/${file} exited with ${code}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
