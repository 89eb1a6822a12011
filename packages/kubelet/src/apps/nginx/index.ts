/**
 * A stand-in for nginx images: port 80 (and any other TCP containerPort) serves the welcome page
 * at / and /index.html, the walkthrough's /linuxea.html line
 * (`linuxea-<pod>.com ▍ <container id> ▍version number 1.0`, as marksugar/nginx:1.14.a has it),
 * nginx's 404 and 405 pages otherwise, with a `Server: nginx/<tag version>` header; each request
 * goes to stdout in nginx's "main" access log format.
 *
 * Limitations vs nginx: no configuration, no other files, no proxying; HEAD and GET only.
 */
import type { AppContext, EmulatedApp } from "../types.ts";
import { serveHttp, serveUdpEcho, versionFromTag, type HttpRequest } from "../serve.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** nginx's $time_local, in UTC: "24/Nov/2026:22:41:05 +0000". */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** nginx's error log time: "2026/11/24 22:41:05". */
function errorLogTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** The walkthrough's page: one line naming the pod and the container. */
export function linuxeaLine(podName: string, containerId: string): string {
  return `linuxea-${podName}.com ▍ ${containerId.slice(0, 13)} ▍version number 1.0\n`;
}

function welcome(): string {
  return `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;
}

function errorPage(status: number, text: string, version: string): string {
  return `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx/${version}</center>\r\n</body>\r\n</html>\r\n`;
}

/** The nginx app. */
export const nginxApp = {
  name: "nginx",
  async start(ctx: AppContext) {
    const version = versionFromTag(ctx.container.image, "1.27.3");
    const send = (r: HttpRequest, status: number, type: string, body: string) => {
      const len = Buffer.byteLength(body);
      r.res.writeHead(status, {
        Server: `nginx/${version}`,
        Date: new Date(ctx.clock.now()).toUTCString(),
        "Content-Type": type,
        "Content-Length": len,
        ...(status === 200 ? { "Accept-Ranges": "bytes" } : {}),
      });
      r.res.end(r.req.method === "HEAD" ? undefined : body);
      const h = r.req.headers;
      ctx.stdout(
        `${r.client.ip} - - [${timeLocal(ctx.clock.now())}] "${r.req.method} ${r.req.url} HTTP/${r.req.httpVersion}" ` +
          `${status} ${r.req.method === "HEAD" ? 0 : len} "${h.referer ?? "-"}" "${h["user-agent"] ?? "-"}" "${h["x-forwarded-for"] ?? "-"}"`,
      );
    };
    const handle = (r: HttpRequest) => {
      const path = (r.req.url ?? "/").split("?")[0];
      if (r.req.method !== "GET" && r.req.method !== "HEAD")
        return send(r, 405, "text/html", errorPage(405, "Not Allowed", version));
      if (path === "/" || path === "/index.html") return send(r, 200, "text/html", welcome());
      if (path === "/linuxea.html")
        return send(r, 200, "text/html", linuxeaLine(ctx.pod.name, ctx.container.id));
      return send(r, 404, "text/html", errorPage(404, "Not Found", version));
    };
    const onError = (r: HttpRequest, status: number) =>
      send(
        r,
        status,
        "text/html",
        errorPage(
          status,
          status === 503 ? "Service Temporarily Unavailable" : "Internal Server Error",
          version,
        ),
      );
    const ports = [...new Set([80, ...ctx.container.tcpPorts])];
    for (const port of ports) await serveHttp(ctx, port, handle, onError);
    await serveUdpEcho(ctx);
    const t = errorLogTime(ctx.clock.now());
    ctx.stdout("/docker-entrypoint.sh: Configuration complete; ready for start up");
    ctx.stdout(`${t} [notice] 1#1: nginx/${version}`);
    ctx.stdout(`${t} [notice] 1#1: start worker processes`);
    return {
      terminating(mode: "immediate" | "drain") {
        const now = errorLogTime(ctx.clock.now());
        ctx.stdout(
          `${now} [notice] 1#1: signal 15 (SIGTERM) received${mode === "immediate" ? ", exiting" : ""}`,
        );
      },
    };
  },
} satisfies EmulatedApp;
