import { connect, createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { formatProxyHeader, parseProxyHeader, readProxyHeader, type ClientAddress } from "./proxyproto.ts";

const b = (s: string) => Buffer.from(s, "latin1");

describe("proxyproto: parseProxyHeader", () => {
  it("proxyproto: parses a TCP4 header and says where the stream starts", () => {
    const r = parseProxyHeader(b("PROXY TCP4 10.244.2.7 10.244.1.5 51234 80\r\nGET / HTTP/1.1\r\n"));
    expect(r).toEqual({
      kind: "header",
      header: { protocol: "TCP4", srcIP: "10.244.2.7", dstIP: "10.244.1.5", srcPort: 51234, dstPort: 80 },
      length: 43,
    });
  });

  it("proxyproto: parses TCP6 and UNKNOWN", () => {
    const r = parseProxyHeader(b("PROXY TCP6 fd00::1 fd00::2 1000 443\r\n"));
    expect(r.kind === "header" && r.header).toMatchObject({
      protocol: "TCP6",
      srcIP: "fd00::1",
      dstPort: 443,
    });
    const u = parseProxyHeader(b("PROXY UNKNOWN\r\n"));
    expect(u).toMatchObject({ kind: "header", header: { protocol: "UNKNOWN" }, length: 15 });
  });

  it("proxyproto: a stream that does not start with the signature has no header, even one starting with P", () => {
    expect(parseProxyHeader(b("POST / HTTP/1.1\r\n"))).toEqual({ kind: "none" });
    expect(parseProxyHeader(b("PUT"))).toEqual({ kind: "none" });
    expect(parseProxyHeader(b("*1\r\n$4\r\nPING\r\n"))).toEqual({ kind: "none" });
  });

  it("proxyproto: a partial header waits for more bytes", () => {
    expect(parseProxyHeader(b("PRO"))).toEqual({ kind: "incomplete" });
    expect(parseProxyHeader(b("PROXY TCP4 10.244.2.7 10.2"))).toEqual({ kind: "incomplete" });
  });

  it("proxyproto: rejects bad addresses, ports, protocols and lengths", () => {
    for (const bad of [
      "PROXY TCP4 10.244.2.300 10.244.1.5 1 80\r\n",
      "PROXY TCP4 10.244.2.3 10.244.1.5 1 65536\r\n",
      "PROXY TCP4 10.244.2.3 10.244.1.5 01 80\r\n",
      "PROXY UDP4 10.244.2.3 10.244.1.5 1 80\r\n",
      "PROXY TCP4 10.244.2.3 10.244.1.5 1\r\n",
      "PROXY TCP4 fd00::1 10.244.1.5 1 80\r\n",
    ])
      expect(parseProxyHeader(b(bad)).kind, bad).toBe("invalid");
    expect(parseProxyHeader(b("PROXY " + "x".repeat(120))).kind).toBe("invalid");
  });

  it("proxyproto: formatProxyHeader round-trips", () => {
    const h = formatProxyHeader({ srcIP: "10.244.1.1", dstIP: "10.244.1.9", srcPort: 40000, dstPort: 6379 });
    expect(h).toBe("PROXY TCP4 10.244.1.1 10.244.1.9 40000 6379\r\n");
    expect(parseProxyHeader(b(h))).toMatchObject({
      kind: "header",
      header: { srcIP: "10.244.1.1", srcPort: 40000 },
    });
  });
});

describe("proxyproto: readProxyHeader on a socket", () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  /** A server that reports the client address and echoes what follows the header. */
  async function serve(): Promise<{
    port: number;
    seen: Promise<{ client: ClientAddress | undefined; rest: string }>;
  }> {
    let report!: (v: { client: ClientAddress | undefined; rest: string }) => void;
    const seen = new Promise<{ client: ClientAddress | undefined; rest: string }>((r) => (report = r));
    const server = createServer((sock) => {
      void readProxyHeader(sock).then((client) => {
        let rest = "";
        sock.on("data", (d) => (rest += d));
        sock.on("end", () => report({ client, rest }));
        sock.on("close", () => report({ client, rest }));
        sock.resume();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { port: (server.address() as AddressInfo).port, seen };
  }

  async function send(port: number, chunks: string[]): Promise<void> {
    const s = connect(port, "127.0.0.1");
    await new Promise((r) => s.once("connect", r));
    for (const c of chunks) {
      s.write(c);
      // Separate writes arrive as separate segments often enough to exercise reassembly.
      await new Promise((r) => setImmediate(r));
    }
    s.end();
  }

  it("proxyproto: the header's source is the client, split across segments, and the rest passes through", async () => {
    const { port, seen } = await serve();
    await send(port, ["PROX", "Y TCP4 10.244.2.7 10.244.1.5 512", "34 80\r\nhel", "lo"]);
    expect(await seen).toEqual({ client: { ip: "10.244.2.7", port: 51234 }, rest: "hello" });
  });

  it("proxyproto: without a header the peer is the client and nothing is lost", async () => {
    const { port, seen } = await serve();
    await send(port, ["P", "OST / HTTP/1.1\r\n"]);
    const r = await seen;
    expect(r.client?.ip).toBe("127.0.0.1");
    expect(r.rest).toBe("POST / HTTP/1.1\r\n");
  });
});
