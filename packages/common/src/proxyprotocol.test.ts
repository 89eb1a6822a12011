import * as http from "node:http";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  formatProxyHeader,
  parseProxyHeader,
  ProxyHeaderError,
  readProxyHeader,
  writeProxyHeader,
  type ProxyHeader,
} from "./proxyprotocol.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server on 127.0.0.1 whose connections go to onSocket; returns its port. */
async function serve(onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

/** Reads a header, then the rest of the stream; resolves both. */
function readAll(
  s: net.Socket,
  timeoutMs?: number,
): Promise<{ header: ProxyHeader | undefined; rest: string }> {
  return readProxyHeader(s, { timeoutMs }).then(
    (header) =>
      new Promise((resolve) => {
        let rest = "";
        s.on("data", (d: Buffer) => (rest += d.toString()));
        s.on("end", () => {
          resolve({ header, rest });
          s.end();
        });
      }),
  );
}

async function connect(port: number): Promise<net.Socket> {
  const c = net.connect(port, "127.0.0.1");
  await new Promise((r) => c.once("connect", r));
  cleanups.push(() => void c.destroy());
  return c;
}

describe("proxy protocol", () => {
  it("proxy protocol: formats TCP4, TCP6 and UNKNOWN lines", () => {
    expect(formatProxyHeader({ srcIP: "127.0.1.2", srcPort: 5123, dstIP: "10.244.1.5", dstPort: 80 })).toBe(
      "PROXY TCP4 127.0.1.2 10.244.1.5 5123 80\r\n",
    );
    expect(formatProxyHeader({ srcIP: "::ffff:127.0.0.1", srcPort: 1, dstIP: "10.0.0.1", dstPort: 2 })).toBe(
      "PROXY TCP4 127.0.0.1 10.0.0.1 1 2\r\n",
    );
    expect(formatProxyHeader({ srcIP: "fd00::1", srcPort: 1, dstIP: "fd00::2", dstPort: 2 })).toBe(
      "PROXY TCP6 fd00::1 fd00::2 1 2\r\n",
    );
    expect(formatProxyHeader({ srcIP: "fd00::1", srcPort: 1, dstIP: "10.0.0.1", dstPort: 2 })).toBe(
      "PROXY UNKNOWN\r\n",
    );
  });

  it("proxy protocol: parses valid lines and rejects malformed ones", () => {
    expect(parseProxyHeader("PROXY TCP4 1.2.3.4 5.6.7.8 1000 80")).toEqual({
      protocol: "TCP4",
      srcIP: "1.2.3.4",
      dstIP: "5.6.7.8",
      srcPort: 1000,
      dstPort: 80,
    });
    expect(parseProxyHeader("PROXY UNKNOWN ffff::1 ffff::2 1 2")).toEqual({ protocol: "UNKNOWN" });
    for (const bad of [
      "PROXY TCP4 1.2.3.4 5.6.7.8 1000",
      "PROXY TCP4 1.2.3.4 5.6.7.8 01000 80",
      "PROXY TCP4 1.2.3.4 5.6.7.8 70000 80",
      "PROXY TCP4 fd00::1 5.6.7.8 1 80",
      "PROXY UDP4 1.2.3.4 5.6.7.8 1 80",
    ]) {
      expect(() => parseProxyHeader(bad), bad).toThrow(ProxyHeaderError);
    }
  });

  it("proxy protocol: a header and data in one segment are split exactly", async () => {
    const got = new Promise<{ header: ProxyHeader | undefined; rest: string }>((resolve) => {
      void serve((s) => void readAll(s).then(resolve)).then(async (port) => {
        const c = await connect(port);
        writeProxyHeader(c, { srcIP: "127.0.1.9", srcPort: 4000, dstIP: "10.244.2.3", dstPort: 8080 });
        c.end("GET / HTTP/1.1\r\n\r\n");
      });
    });
    expect(await got).toEqual({
      header: { protocol: "TCP4", srcIP: "127.0.1.9", dstIP: "10.244.2.3", srcPort: 4000, dstPort: 8080 },
      rest: "GET / HTTP/1.1\r\n\r\n",
    });
  });

  it("proxy protocol: a header that arrives a few bytes at a time is reassembled", async () => {
    let resolveGot!: (v: { header: ProxyHeader | undefined; rest: string }) => void;
    const got = new Promise<{ header: ProxyHeader | undefined; rest: string }>((r) => (resolveGot = r));
    const port = await serve((s) => void readAll(s).then(resolveGot));
    const c = await connect(port);
    c.setNoDelay(true);
    const bytes = "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\nhello";
    for (let i = 0; i < bytes.length; i += 4) {
      c.write(bytes.slice(i, i + 4));
      await new Promise((r) => setTimeout(r, 2));
    }
    c.end();
    expect(await got).toEqual({
      header: { protocol: "TCP4", srcIP: "1.1.1.1", dstIP: "2.2.2.2", srcPort: 1, dstPort: 2 },
      rest: "hello",
    });
  });

  it("proxy protocol: a connection without a header keeps all its bytes", async () => {
    let resolveGot!: (v: { header: ProxyHeader | undefined; rest: string }) => void;
    const got = new Promise<{ header: ProxyHeader | undefined; rest: string }>((r) => (resolveGot = r));
    const port = await serve((s) => void readAll(s).then(resolveGot));
    const c = await connect(port);
    c.end("PING\r\n");
    expect(await got).toEqual({ header: undefined, rest: "PING\r\n" });
  });

  it("proxy protocol: a silent client resolves undefined after timeoutMs and keeps later bytes", async () => {
    let resolveGot!: (v: { header: ProxyHeader | undefined; rest: string }) => void;
    const got = new Promise<{ header: ProxyHeader | undefined; rest: string }>((r) => (resolveGot = r));
    const port = await serve((s) => void readAll(s, 50).then(resolveGot));
    const c = await connect(port);
    await new Promise((r) => setTimeout(r, 150));
    c.end("late");
    expect(await got).toEqual({ header: undefined, rest: "late" });
  });

  it("proxy protocol: a malformed or overlong header rejects", async () => {
    for (const bytes of ["PROXY TCP4 nonsense\r\n", `PROXY TCP4 ${"9".repeat(120)}`]) {
      let resolveErr!: (e: unknown) => void;
      const err = new Promise((r) => (resolveErr = r));
      const port = await serve((s) => void readProxyHeader(s).then(() => resolveErr(undefined), resolveErr));
      const c = await connect(port);
      c.write(bytes);
      expect(await err).toBeInstanceOf(ProxyHeaderError);
    }
  });

  it("proxy protocol: an HTTP server behind readProxyHeader serves the request and knows the client", async () => {
    const seen = new WeakMap<net.Socket, string>();
    const app = http.createServer((req, res) => res.end(`hello ${seen.get(req.socket) ?? "?"}`));
    const port = await serve((s) => {
      void readProxyHeader(s).then((h) => {
        if (h && h.protocol !== "UNKNOWN") seen.set(s, `${h.srcIP}:${h.srcPort}`);
        app.emit("connection", s);
      });
    });
    const body = await new Promise<string>((resolve, reject) => {
      const c = net.connect(port, "127.0.0.1", () => {
        writeProxyHeader(c, { srcIP: "127.0.1.3", srcPort: 777, dstIP: "10.244.1.1", dstPort: 80 });
        c.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      });
      let out = "";
      c.on("data", (d: Buffer) => (out += d.toString()));
      c.on("end", () => resolve(out));
      c.on("error", reject);
    });
    expect(body).toMatch(/^HTTP\/1.1 200 OK/);
    expect(body.endsWith("hello 127.0.1.3:777")).toBe(true);
  });
});
