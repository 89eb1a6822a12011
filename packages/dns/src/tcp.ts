/** DNS over TCP (RFC 1035 4.2.2, RFC 7766): every message goes with a two-byte length prefix. */
import type { Socket } from "node:net";

/** msg with its TCP length prefix. */
export function frameTcp(msg: Buffer): Buffer {
  const frame = Buffer.alloc(2 + msg.length);
  frame.writeUInt16BE(msg.length, 0);
  msg.copy(frame, 2);
  return frame;
}

/**
 * Sends one message on socket and resolves with the first whole reply (prefix removed). Rejects
 * with "timed out" after timeoutMs, with the socket's error, or with "connection closed". The
 * socket is destroyed either way.
 */
export function exchangeTcp(socket: Socket, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | undefined, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new Error("timed out")), timeoutMs);
    socket.on("error", (err) => done(err));
    socket.on("close", () => done(new Error("connection closed")));
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
        done(undefined, Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
    });
    socket.write(frameTcp(msg));
  });
}
