import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@kemu/common";

/** Options for connectNats. */
export interface ConnectOptions {
  /** nats://host:port, or several separated by commas. */
  url: string;
  /** Connection name shown by the server's monitoring. */
  name: string;
  log: Logger;
  /** Give up the first connection after this long (ms). Reconnects afterwards never give up. */
  timeoutMs?: number;
}

/**
 * Connects to NATS and keeps reconnecting forever after a drop: components keep serving
 * from what they have while NATS is away, as kube-proxy does while the API server is away.
 */
export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.url.split(","),
    name: opts.name,
    timeout: opts.timeoutMs ?? 10_000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
    // Stack traces for every request cost ~14% of the API server's CPU under load.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") opts.log.warn("nats disconnected", { server: s.server });
      else if (s.type === "reconnect") opts.log.info("nats reconnected", { server: s.server });
    }
  })();
  return nc;
}
