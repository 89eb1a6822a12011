import { afterEach, describe, expect, it } from "vitest";
import { httpGet, parseResponse, rawExchange, testAppContext, type TestAppContext } from "../../fixtures.ts";
import { nginxApp, linuxeaLine, timeLocal } from "./index.ts";

let ctx: TestAppContext | undefined;
afterEach(async () => {
  await ctx?.close();
  ctx = undefined;
});

async function start(image = "marksugar/nginx:1.14.a") {
  ctx = testAppContext({ name: "linuxea", image, ports: [{ name: "http", containerPort: 80 }] });
  await nginxApp.start(ctx);
  return ctx;
}

describe("apps/nginx", () => {
  it("apps/nginx: /linuxea.html answers the walkthrough's line naming the pod and the container", async () => {
    const c = await start();
    const r = parseResponse(await rawExchange(c.bound.get("80/TCP")!, httpGet("/linuxea.html")));
    expect(r.status).toBe(200);
    expect(r.headers["server"]).toBe("nginx/1.14");
    expect(r.body).toBe("linuxea-web-1.com ▍ 33b9df88388ed ▍version number 1.0\n");
    expect(linuxeaLine("nginx-linuxea-8hvk6", "33b9df88388ed99")).toBe(
      "linuxea-nginx-linuxea-8hvk6.com ▍ 33b9df88388ed ▍version number 1.0\n",
    );
  });

  it("apps/nginx: welcome page, 404 and 405 pages, and the access log in nginx's main format", async () => {
    const c = await start("nginx:1.27.3");
    const port = c.bound.get("80/TCP")!;
    const welcome = parseResponse(await rawExchange(port, httpGet("/", { proxyFrom: "10.244.2.7:40000" })));
    expect(welcome.body).toContain("<title>Welcome to nginx!</title>");
    const missing = parseResponse(await rawExchange(port, httpGet("/nope")));
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("<hr><center>nginx/1.27.3</center>");
    const post = parseResponse(
      await rawExchange(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    );
    expect(post.status).toBe(405);
    const lines = c.logs.read().trimEnd().split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "/docker-entrypoint.sh: Configuration complete; ready for start up",
      expect.stringMatching(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[notice\] 1#1: nginx\/1\.27\.3$/),
      expect.stringMatching(/start worker processes$/),
    ]);
    expect(lines[3]).toMatch(
      /^10\.244\.2\.7 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/ HTTP\/1\.1" 200 \d+ "-" "curl\/8\.5\.0" "-"$/,
    );
    expect(lines[4]).toMatch(/"GET \/nope HTTP\/1\.1" 404 /);
    expect(timeLocal(Date.parse("2026-11-24T22:41:05Z"))).toBe("24/Nov/2026:22:41:05 +0000");
  });
});
