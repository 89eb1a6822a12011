import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { httpGet, parseResponse, rawExchange, testAppContext, type TestAppContext } from "../../fixtures.ts";
import { PROBE_HEADER } from "../serve.ts";
import { echoApp } from "./index.ts";

let ctx: TestAppContext | undefined;
afterEach(async () => {
  await ctx?.close();
  ctx = undefined;
});

async function start(container?: Record<string, unknown>, knobs = {}) {
  ctx = testAppContext(container, { knobs });
  await echoApp.start(ctx);
  return ctx;
}

describe("apps/echo", () => {
  it("apps/echo: answers with the pod, node, pod IP, client from the PROXY header, image, container and path", async () => {
    const c = await start();
    const r = parseResponse(
      await rawExchange(c.bound.get("8080/TCP")!, httpGet("/hello?x=1", { proxyFrom: "10.244.2.7:51234" })),
    );
    expect(r.status).toBe(200);
    expect(r.body).toBe(
      "pod=web-1 namespace=ns1 node=node-1 podIP=10.244.1.5 client=10.244.2.7:51234 image=kemu/echo:1 container=app method=GET path=/hello?x=1\n",
    );
    expect(c.logs.read()).toContain('10.244.2.7:51234 "GET /hello?x=1 HTTP/1.1" 200 curl/8.5.0');
  });

  it("apps/echo: JSON with Accept: application/json; without a PROXY header the client is the peer", async () => {
    const c = await start();
    const r = parseResponse(
      await rawExchange(c.bound.get("8080/TCP")!, httpGet("/", { headers: { Accept: "application/json" } })),
    );
    expect(r.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({
      pod: "web-1",
      namespace: "ns1",
      node: "node-1",
      podIP: "10.244.1.5",
      clientIP: "127.0.0.1",
      image: "kemu/echo:1",
      container: "app",
      method: "GET",
      path: "/",
      port: 8080,
    });
  });

  it("apps/echo: serves every TCP containerPort and echoes datagrams on UDP ones", async () => {
    const c = await start({
      name: "app",
      image: "example/anything",
      ports: [{ containerPort: 80 }, { containerPort: 9090 }, { containerPort: 5353, protocol: "UDP" }],
    });
    expect([...c.bound.keys()].sort()).toEqual(["5353/UDP", "80/TCP", "9090/TCP"]);
    const r = parseResponse(await rawExchange(c.bound.get("9090/TCP")!, httpGet("/")));
    expect(r.body).toContain("image=example/anything");
    const sock = createSocket("udp4");
    const echoed = await new Promise<string>((resolve) => {
      sock.on("message", (m) => resolve(m.toString()));
      sock.send("ping over udp", c.bound.get("5353/UDP")!, "127.0.0.1");
    });
    sock.close();
    expect(echoed).toBe("ping over udp");
  });

  it("apps/echo: the error-rate knob answers 500 (1 = always, 0 = never)", async () => {
    const c = await start(undefined, { errorRate: 1 });
    const port = c.bound.get("8080/TCP")!;
    expect(parseResponse(await rawExchange(port, httpGet("/"))).status).toBe(500);
    c.setKnobs({ errorRate: 0 });
    expect(parseResponse(await rawExchange(port, httpGet("/"))).status).toBe(200);
  });

  it("apps/echo: the latency knob delays every answer", async () => {
    const c = await start(undefined, { latencyMs: 150 });
    const t0 = Date.now();
    await rawExchange(c.bound.get("8080/TCP")!, httpGet("/"));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  });

  it("apps/echo: kubelet probes get the knobs' verdict: 503 when not ready, 500 when not alive", async () => {
    const c = await start();
    const port = c.bound.get("8080/TCP")!;
    c.setHealth((kind) => ({ ok: kind !== "readiness", message: "kemu: not ready (fail-readiness knob)" }));
    const ready = parseResponse(
      await rawExchange(port, httpGet("/healthz", { headers: { [PROBE_HEADER]: "readiness" } })),
    );
    expect(ready.status).toBe(503);
    expect(ready.body).toBe("kemu: not ready (fail-readiness knob)\n");
    const live = parseResponse(
      await rawExchange(port, httpGet("/healthz", { headers: { [PROBE_HEADER]: "liveness" } })),
    );
    expect(live.status).toBe(200);
    c.setHealth(() => ({ ok: false, message: "dead" }));
    expect(
      parseResponse(await rawExchange(port, httpGet("/healthz", { headers: { [PROBE_HEADER]: "liveness" } })))
        .status,
    ).toBe(500);
    // Ordinary requests are not probes: the health verdict does not touch them.
    expect(parseResponse(await rawExchange(port, httpGet("/healthz"))).status).toBe(200);
  });
});
