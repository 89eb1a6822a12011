/** The kemu command line: help, bad flags named in their errors, exit codes. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./harness.ts";

const KEMU = join(ROOT, "packages/cli/bin/kemu.js");
const kemu = (...args: string[]) => run(process.execPath, [KEMU, ...args]);

describe("cli", () => {
  it("cli: help lists the commands and exits 0", async () => {
    const r = await kemu("help");
    expect(r.code).toBe(0);
    for (const cmd of [
      "up",
      "down",
      "status",
      "top",
      "curl",
      "apiserver",
      "controller-manager",
      "nodes",
      "edge",
      "kubeconfig",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  kemu ${cmd}\\b`, "m"));
    }
    expect((await kemu("apiserver", "--help")).stdout).toContain("--service-node-port-range");
  });

  it("cli: a bad flag value is a usage error naming the flag, exit 2", async () => {
    const r = await kemu("apiserver", "--nats-url", "nats://127.0.0.1:1", "--service-cidr", "banana");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "kemu apiserver: invalid --service-cidr: must be an IPv4 CIDR like 10.96.0.0/12",
    );
    const env = await run(process.execPath, [KEMU, "apiserver", "--nats-url", "nats://127.0.0.1:1"], {
      env: { KEMU_SERVICE_NODE_PORT_RANGE: "9-1" },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("invalid KEMU_SERVICE_NODE_PORT_RANGE: must be LOW-HIGH within 1-65535");
    const up = await kemu("up", "--nodes", "0");
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('invalid --nodes: must be 1-250, got "0"');
    const dnsPort = await kemu("up", "--dns-port", "70000");
    expect(dnsPort.code).toBe(2);
    expect(dnsPort.stderr).toContain('invalid --dns-port: "70000"');
  });

  it("cli: unknown commands and flags exit 2", async () => {
    expect((await kemu("frobnicate")).code).toBe(2);
    const r = await kemu("kubeconfig", "--bogus");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--bogus");
  });

  it("cli: a required setting that is missing is named", async () => {
    const r = await run(process.execPath, [KEMU, "controller-manager"], { env: { KEMU_NATS_URL: "" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid --nats-url");
  });
});
