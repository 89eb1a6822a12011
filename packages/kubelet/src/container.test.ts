import { afterEach, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import type { ApiClient, KObject } from "@kemu/controllers";
import type { Protocol } from "@kemu/fabric";
import { APPS } from "./apps/registry.ts";
import type { EmulatedApp } from "./apps/types.ts";
import { Backoff } from "./backoff.ts";
import { ManualClock } from "./clock.ts";
import { Container, imageID, normalizeImage, sleepOf, type PodHandle } from "./container.ts";
import type { KubeletEvents } from "./events.ts";
import { httpGet, makePod, MemoryFabric, parseResponse, rawExchange, until } from "./fixtures.ts";

const POD_IP = "10.244.1.5";

interface Harness {
  c: Container;
  handle: PodHandle;
  deps: ConstructorParameters<typeof Container>[2];
  clock: ManualClock;
  fabric: MemoryFabric;
  events: string[];
  pod: KObject;
  setTerminating(v: boolean): void;
  /** The real port the app's container port is served at, once it is. */
  port(p: number): number | undefined;
}

const live: Container[] = [];
afterEach(async () => {
  for (const c of live.splice(0)) await c.forceStop();
});

function harness(mutate?: (p: KObject) => void): Harness {
  const pod = makePod("ns1", "web-1", mutate);
  const clock = new ManualClock();
  const fabric = new MemoryFabric();
  const events: string[] = [];
  let terminating = false;
  const ports = new Map<string, string>();
  const handle: PodHandle = {
    uid: "uid-web-1",
    nodeName: "node-1",
    hostIP: "127.0.1.1",
    pod: () => pod,
    ip: () => POD_IP,
    gateway: () => "10.244.1.1",
    terminating: () => terminating,
    changed: () => {},
    claimPort(port: number, proto: Protocol, owner: string) {
      const k = `${port}/${proto}`;
      if (ports.has(k) && ports.get(k) !== owner) return false;
      ports.set(k, owner);
      return true;
    },
    releasePort(port: number, proto: Protocol, owner: string) {
      if (ports.get(`${port}/${proto}`) === owner) ports.delete(`${port}/${proto}`);
    },
  };
  const ev: KubeletEvents = {
    pod: (_p, _c, type, reason, message) => events.push(`${type} ${reason}: ${message}`),
    node: () => {},
  };
  const deps = {
    fabric,
    api: undefined as unknown as ApiClient,
    clock,
    log: new TestLog().logger("test"),
    events: ev,
    backoff: new Backoff(10_000, 300_000, clock),
    logLines: 100,
    apps: APPS,
  };
  const c = new Container(pod["spec"]["containers"][0], handle, deps);
  live.push(c);
  return {
    c,
    handle,
    deps,
    clock,
    fabric,
    events,
    pod,
    setTerminating: (v) => (terminating = v),
    port: (p) => fabric.resolvePodPort(POD_IP, p, "TCP")?.port,
  };
}

const env = (pairs: Record<string, string>) =>
  Object.entries(pairs).map(([name, value]) => ({ name, value }));

describe("container: lifecycle", () => {
  it("container: starts with Pulled, Created and Started, serves on the fabric, ready without a readiness probe", async () => {
    const h = harness();
    h.c.start();
    expect(h.events).toEqual([
      'Normal Pulled: Container image "kemu/echo:1" already present on machine',
      "Normal Created: Created container: app",
      "Normal Started: Started container app",
    ]);
    const v = h.c.view();
    expect(v).toMatchObject({ ready: true, started: true, restartCount: 0, image: "docker.io/kemu/echo:1" });
    expect(v.containerID).toMatch(/^kemu:\/\/[0-9a-f]{64}$/);
    expect(v.imageID).toBe(imageID("kemu/echo:1"));
    await until(() => h.port(8080) !== undefined, "the app to listen");
    const r = parseResponse(await rawExchange(h.port(8080)!, httpGet("/")));
    expect(r.body).toContain("pod=web-1 namespace=ns1 node=node-1 podIP=10.244.1.5");
  });

  it("container: the start-up delay knob keeps the port closed; the exec startup probe waits for it", async () => {
    const h = harness((p) => {
      p["spec"]["containers"][0]["env"] = env({ KEMU_STARTUP_DELAY: "5s" });
      p["spec"]["containers"][0]["startupProbe"] = {
        exec: { command: ["check"] },
        periodSeconds: 1,
        failureThreshold: 30,
      };
    });
    h.c.start();
    await h.clock.advance(4_000);
    expect(h.port(8080)).toBeUndefined();
    expect(h.c.view()).toMatchObject({ started: false, ready: false });
    await h.clock.advance(1_000);
    await until(() => h.port(8080) !== undefined, "the app to listen");
    await h.clock.advance(1_000);
    expect(h.c.view()).toMatchObject({ started: true, ready: true });
  });

  it("container: a failing liveness probe restarts the container, then CrashLoopBackOff holds the next restart", async () => {
    const h = harness((p) => {
      p["spec"]["containers"][0]["env"] = env({ KEMU_FAIL_LIVENESS_AFTER: "3s", KEMU_SHUTDOWN: "immediate" });
      p["spec"]["containers"][0]["livenessProbe"] = {
        exec: { command: ["check"] },
        periodSeconds: 1,
        failureThreshold: 1,
      };
    });
    h.c.start();
    await until(() => h.port(8080) !== undefined, "the app to listen");
    const firstID = h.c.view().containerID;
    await h.clock.advance(3_000);
    await until(() => h.c.view().restartCount === 1, "the first restart");
    const v1 = h.c.view();
    expect(v1.state["running"]).toBeDefined();
    expect(v1.lastState["terminated"]).toMatchObject({
      exitCode: 0,
      reason: "Completed",
      containerID: firstID,
    });
    expect(h.events).toContain(
      "Warning Unhealthy: Liveness probe failed: kemu: unhealthy (fail-liveness-after knob)",
    );
    expect(h.events).toContain("Normal Killing: Container app failed liveness probe, will be restarted");
    // As the kubelet: the first restart had no earlier exit to measure from; the second starts the
    // back-off (10 s from the first exit, long past); the third failure comes 3 s after the second
    // exit, so the container waits, and then 10 s from its own exit (the newest one).
    await h.clock.advance(3_000);
    await until(() => h.c.view().restartCount === 2, "the second restart");
    await h.clock.advance(3_000);
    await until(() => h.c.view().state["waiting"] !== undefined, "CrashLoopBackOff");
    expect(h.c.view().state["waiting"]).toEqual({
      reason: "CrashLoopBackOff",
      message: "back-off 10s restarting failed container=app pod=web-1_ns1(uid-web-1)",
    });
    expect(h.c.view()).toMatchObject({ restartCount: 2, ready: false, started: false });
    expect(h.events).toContain(
      "Warning BackOff: Back-off restarting failed container app in pod web-1_ns1(uid-web-1)",
    );
    await h.clock.advance(9_000);
    expect(h.c.view().state["waiting"]).toBeDefined();
    await h.clock.advance(1_000);
    await until(() => h.c.view().restartCount === 3, "the restart after back-off");
    expect(h.c.view().state["running"]).toBeDefined();
  });

  it("container: restartPolicy Never keeps a container that exited; OnFailure restarts only failures", async () => {
    const never = harness((p) => {
      p["spec"]["restartPolicy"] = "Never";
      p["spec"]["containers"][0]["env"] = env({ KEMU_EXIT_AFTER: "2s", KEMU_EXIT_CODE: "3" });
    });
    never.c.start();
    await never.clock.advance(2_000);
    await until(() => never.c.view().state["terminated"] !== undefined, "the exit");
    expect(never.c.view().state["terminated"]).toMatchObject({ exitCode: 3, reason: "Error" });
    expect(never.c.view().restartCount).toBe(0);
    await never.clock.advance(60_000);
    expect(never.c.view().restartCount).toBe(0);

    const ok = harness((p) => {
      p["spec"]["restartPolicy"] = "OnFailure";
      p["spec"]["containers"][0]["env"] = env({ KEMU_EXIT_AFTER: "1s" });
    });
    ok.c.start();
    await ok.clock.advance(1_000);
    await until(() => ok.c.view().state["terminated"] !== undefined, "the exit");
    expect(ok.c.view().state["terminated"]).toMatchObject({ exitCode: 0, reason: "Completed" });

    const failing = harness((p) => {
      p["spec"]["restartPolicy"] = "OnFailure";
      p["spec"]["containers"][0]["env"] = env({ KEMU_EXIT_AFTER: "1s", KEMU_EXIT_CODE: "1" });
    });
    failing.c.start();
    await failing.clock.advance(1_000);
    await until(() => failing.c.view().restartCount === 1, "the restart");
  });

  it("container: on SIGTERM the drain knob keeps serving for the grace period; immediate stops at once", async () => {
    const drain = harness();
    drain.c.start();
    await until(() => drain.port(8080) !== undefined, "the app to listen");
    const port = drain.port(8080)!;
    const stopped = drain.c.kill({ graceMs: 30_000, cause: "delete" });
    drain.setTerminating(true);
    await drain.clock.advance(29_000);
    expect(parseResponse(await rawExchange(port, httpGet("/"))).status).toBe(200);
    expect(drain.c.view().state["running"]).toBeDefined();
    await drain.clock.advance(1_000);
    await stopped;
    expect(drain.c.view().state["terminated"]).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(drain.port(8080)).toBeUndefined();
    expect(drain.events.at(-1)).toBe("Normal Killing: Stopping container app");

    const now = harness(
      (p) => (p["spec"]["containers"][0]["env"] = env({ KEMU_SHUTDOWN: "immediate", KEMU_EXIT_CODE: "143" })),
    );
    now.c.start();
    await until(() => now.port(8080) !== undefined, "the app to listen");
    now.setTerminating(true);
    await now.c.kill({ graceMs: 30_000, cause: "delete" });
    expect(now.c.view().state["terminated"]).toMatchObject({ exitCode: 143, reason: "Error" });
  });

  it("container: a preStop sleep runs first and uses up part of the grace period", async () => {
    const h = harness((p) => {
      p["spec"]["containers"][0]["lifecycle"] = {
        preStop: { exec: { command: ["/bin/sh", "-c", "sleep 5"] } },
      };
      p["spec"]["containers"][0]["env"] = env({ KEMU_SHUTDOWN: "immediate" });
    });
    h.c.start();
    await until(() => h.port(8080) !== undefined, "the app to listen");
    h.setTerminating(true);
    let done = false;
    void h.c.kill({ graceMs: 30_000, cause: "delete" }).then(() => (done = true));
    await h.clock.advance(4_900);
    expect(done).toBe(false);
    await h.clock.advance(100);
    await until(() => done, "the stop");
    expect(sleepOf(["sleep", "3"])).toBe(3000);
    expect(sleepOf(["nginx", "-s", "quit"])).toBe(0);
  });

  it("container: logs of the current and the previous instance, and the kubelet's messages when there are none", async () => {
    const h = harness((p) => {
      p["spec"]["containers"][0]["env"] = env({ KEMU_EXIT_AFTER: "2s" });
    });
    expect(() => h.c.logFor(false, "web-1")).toThrow(
      'container "app" in pod "web-1" is waiting to start: ContainerCreating',
    );
    h.c.start();
    await until(() => h.port(8080) !== undefined, "the app to listen");
    expect(() => h.c.logFor(true, "web-1")).toThrow(
      'previous terminated container "app" in pod "web-1" not found',
    );
    await rawExchange(h.port(8080)!, httpGet("/first"));
    expect(h.c.logFor(false, "web-1").read()).toContain("GET /first");
    await h.clock.advance(2_000);
    await until(() => h.c.view().restartCount === 1 && h.port(8080) !== undefined, "the restart");
    expect(h.c.logFor(true, "web-1").read()).toContain("GET /first");
    expect(h.c.logFor(false, "web-1").read()).not.toContain("GET /first");
  });

  it("container: two containers of a pod cannot listen on the same port", async () => {
    const h = harness();
    h.c.start();
    await until(() => h.port(8080) !== undefined, "the app to listen");
    // A second container of the same pod with the same port crashes with EADDRINUSE.
    const second = new Container(
      { name: "twin", image: "kemu/echo:1", ports: [{ containerPort: 8080 }] },
      h.handle,
      h.deps,
    );
    live.push(second);
    second.start();
    await until(
      () => second.view().restartCount >= 1 || second.view().state["waiting"] !== undefined,
      "the crash",
    );
    expect(second.logFor(true, "web-1").read()).toContain("listen tcp :8080: bind: address already in use");
  });

  it("container: a container stopped while its app is still binding never publishes the port", async () => {
    const h = harness();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let bound: Promise<void> | undefined;
    const gated: EmulatedApp = {
      name: "gated",
      async start(ctx) {
        await gate;
        bound = ctx.listenTcp(8080, (s) => s.destroy());
        await bound;
      },
    };
    const c = new Container(h.pod["spec"]["containers"][0], h.handle, {
      ...h.deps,
      apps: [{ name: "gated", matches: () => true, app: gated }],
    });
    live.push(c);
    c.start();
    await c.forceStop();
    open();
    await until(() => bound !== undefined, "the app to try binding");
    await expect(bound).rejects.toThrow("container stopped");
    expect(h.fabric.records.size).toBe(0);
    expect(c.view().state["terminated"]).toMatchObject({ exitCode: 137 });
  });

  it("container: images are reported as containerd normalises them", () => {
    expect(normalizeImage("nginx")).toBe("docker.io/library/nginx:latest");
    expect(normalizeImage("marksugar/nginx:1.14.a")).toBe("docker.io/marksugar/nginx:1.14.a");
    expect(normalizeImage("registry.k8s.io/coredns/coredns:v1.11.3")).toBe(
      "registry.k8s.io/coredns/coredns:v1.11.3",
    );
    expect(imageID("nginx:1.27")).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  });
});
