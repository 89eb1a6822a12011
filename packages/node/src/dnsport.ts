/**
 * Publishes the cluster DNS on the host for the loopback fabric: a UDP and TCP port on
 * 127.0.0.1 whose traffic enters the cluster through one node's data plane to the kube-dns
 * ClusterIP (10.96.0.10:53), exactly as a pod's query would. `dig @127.0.0.1 -p <port> ...`.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type Server } from "node:net";
import type { Logger } from "@kemu/common";
import { formatProxyHeader, type DataPlane } from "@kemu/proxy";

/** The kube-dns ClusterIP. */
export const KUBE_DNS_IP = "10.96.0.10";

/** The published DNS port. */
export class HostDnsPort {
  readonly port: number;
  readonly #udp: UdpSocket;
  readonly #tcp: Server;

  private constructor(port: number, udp: UdpSocket, tcp: Server) {
    this.port = port;
    this.#udp = udp;
    this.#tcp = tcp;
  }

  /** Listens on host:port (port 0: one free for both UDP and TCP) and forwards through dataPlane. */
  static async start(dataPlane: DataPlane, log: Logger, host = "127.0.0.1", port = 0): Promise<HostDnsPort> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket("udp4");
      await new Promise<void>((res, rej) => {
        udp.once("error", rej);
        udp.bind(port, host, () => res());
      });
      const bound = udp.address().port;
      const tcp = createServer((client) => {
        client.on("error", () => {});
        client.pause();
        dataPlane
          .connect({ ip: host, port: client.remotePort ?? 0, origin: "host" }, KUBE_DNS_IP, 53, "TCP")
          .then((to) => {
            const up = connect({ host: to.host, port: to.port });
            // Pods learn their client from a PROXY header, as from the data plane's own connections.
            up.write(
              formatProxyHeader({
                srcIP: to.sourceIP,
                srcPort: client.remotePort ?? 0,
                dstIP: KUBE_DNS_IP,
                dstPort: 53,
              }),
            );
            up.on("error", () => client.destroy());
            client.on("close", () => up.destroy());
            up.on("close", () => client.destroy());
            client.pipe(up);
            up.pipe(client);
            client.resume();
          })
          .catch(() => client.destroy());
      });
      try {
        await new Promise<void>((res, rej) => {
          tcp.once("error", rej);
          tcp.listen(bound, host, () => res());
        });
      } catch (err) {
        udp.close();
        if (port !== 0 || attempt > 20) throw err;
        continue;
      }
      udp.on("message", (msg, rinfo) => {
        dataPlane
          .connect({ ip: host, port: rinfo.port, origin: "host" }, KUBE_DNS_IP, 53, "UDP")
          .then((to) => {
            const up = createSocket("udp4");
            const timer = setTimeout(() => up.close(), 5_000);
            up.on("error", () => up.close());
            up.once("message", (reply) => {
              clearTimeout(timer);
              udp.send(reply, rinfo.port, rinfo.address);
              up.close();
            });
            up.send(msg, to.port, to.host);
          })
          .catch((err) => log.debug("dns query not forwarded", { err: String(err) }));
      });
      log.info("cluster DNS published", { address: `${host}:${bound}` });
      return new HostDnsPort(bound, udp, tcp);
    }
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    this.#udp.close();
    await new Promise<void>((r) => this.#tcp.close(() => r()));
  }
}
