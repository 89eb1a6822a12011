/** readClientAddress on real sockets (the PROXY line itself is tested in @kemu/common). */
import { connect, createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { formatProxyHeader, readClientAddress, type ClientAddress } from "./proxyproto.ts";

describe("proxyproto: readClientAddress on a socket", () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  /** A server that reports the client address and what follows the header. */
  async function serve(): Promise<{
    port: number;
    seen: Promise<{ client: ClientAddress | undefined; rest: string; destroyed: boolean }>;
  }> {
    let report!: (v: { client: ClientAddress | undefined; rest: string; destroyed: boolean }) => void;
    const seen = new Promise<{ client: ClientAddress | undefined; rest: string; destroyed: boolean }>(
      (r) => (report = r),
    );
    const server = createServer((sock) => {
      void readClientAddress(sock).then((client) => {
        if (!client) return report({ client, rest: "", destroyed: sock.destroyed });
        let rest = "";
        sock.on("data", (d) => (rest += d));
        sock.on("end", () => report({ client, rest, destroyed: false }));
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
    expect(await seen).toEqual({
      client: { ip: "10.244.2.7", port: 51234 },
      rest: "hello",
      destroyed: false,
    });
  });

  it("proxyproto: without a header the peer is the client and nothing is lost", async () => {
    const { port, seen } = await serve();
    await send(port, ["P", "OST / HTTP/1.1\r\n"]);
    const r = await seen;
    expect(r.client?.ip).toBe("127.0.0.1");
    expect(r.rest).toBe("POST / HTTP/1.1\r\n");
  });

  it("proxyproto: PROXY UNKNOWN means the peer; formatProxyHeader writes what the reader reads", async () => {
    const { port, seen } = await serve();
    await send(port, ["PROXY UNKNOWN\r\nx"]);
    expect((await seen).client?.ip).toBe("127.0.0.1");
    const again = await serve();
    await send(again.port, [
      formatProxyHeader({ srcIP: "10.244.1.1", dstIP: "10.244.1.9", srcPort: 40000, dstPort: 6379 }) + "PING",
    ]);
    expect(await again.seen).toMatchObject({ client: { ip: "10.244.1.1", port: 40000 }, rest: "PING" });
  });

  it("proxyproto: a malformed header closes the connection, with no client", async () => {
    const { port, seen } = await serve();
    await send(port, ["PROXY TCP4 10.244.2.300 10.244.1.5 1 80\r\nGET /"]);
    expect(await seen).toEqual({ client: undefined, rest: "", destroyed: true });
  });
});
