/**
 * A stand-in for redis images: RESP2 on 6379 with an in-memory keyspace per container instance
 * (a restart empties it, as redis without persistence). Commands: PING, ECHO, GET, SET (EX, PX,
 * NX, XX), DEL, INCR, EXISTS, INFO [server], plus the handshake redis-cli sends (COMMAND, CLIENT,
 * SELECT 0, QUIT). The latency and error-rate knobs apply to each command. stdout shows redis's
 * start-up banner.
 *
 * Limitations vs redis: strings only, one database, no persistence, replication, pub/sub,
 * transactions or AUTH; other commands answer redis's "unknown command" error.
 */
import type { Socket } from "node:net";
import { sleep } from "../../clock.ts";
import { serveUdpEcho, versionFromTag } from "../serve.ts";
import type { AppContext, EmulatedApp } from "../types.ts";
import { encode, parseCommands, type RespValue } from "./resp.ts";

/** The port redis listens on. */
export const REDIS_PORT = 6379;

interface Entry {
  value: string;
  expiresAt: number | undefined;
}

const OK: RespValue = { t: "simple", v: "OK" };
const NIL: RespValue = { t: "bulk", v: null };
const err = (v: string): RespValue => ({ t: "error", v });
const wrongArgs = (cmd: string) => err(`ERR wrong number of arguments for '${cmd}' command`);

/** The keyspace and command table of one redis instance. */
export class RedisState {
  readonly #data = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #info: () => string;

  constructor(now: () => number, info: () => string) {
    this.#now = now;
    this.#info = info;
  }

  #get(key: string): Entry | undefined {
    const e = this.#data.get(key);
    if (e && e.expiresAt !== undefined && e.expiresAt <= this.#now()) {
      this.#data.delete(key);
      return undefined;
    }
    return e;
  }

  /** Runs one command; "quit" asks the caller to close after replying. */
  exec(args: string[]): { reply: RespValue; quit?: boolean } {
    const name = (args[0] ?? "").toLowerCase();
    const a = args.slice(1);
    switch (name) {
      case "ping":
        if (a.length > 1) return { reply: wrongArgs(name) };
        return { reply: a.length === 1 ? { t: "bulk", v: a[0]! } : { t: "simple", v: "PONG" } };
      case "echo":
        return { reply: a.length === 1 ? { t: "bulk", v: a[0]! } : wrongArgs(name) };
      case "get": {
        if (a.length !== 1) return { reply: wrongArgs(name) };
        const e = this.#get(a[0]!);
        return { reply: e ? { t: "bulk", v: e.value } : NIL };
      }
      case "set":
        return { reply: this.#set(a) };
      case "del":
      case "unlink": {
        if (a.length < 1) return { reply: wrongArgs(name) };
        let n = 0;
        for (const k of a) if (this.#get(k) && this.#data.delete(k)) n++;
        return { reply: { t: "int", v: n } };
      }
      case "exists": {
        if (a.length < 1) return { reply: wrongArgs(name) };
        return { reply: { t: "int", v: a.filter((k) => this.#get(k) !== undefined).length } };
      }
      case "incr": {
        if (a.length !== 1) return { reply: wrongArgs(name) };
        const e = this.#get(a[0]!);
        const cur = e ? e.value : "0";
        if (
          !/^-?\d+$/.test(cur) ||
          !Number.isSafeInteger(Number(cur)) ||
          Number(cur) >= Number.MAX_SAFE_INTEGER
        )
          return { reply: err("ERR value is not an integer or out of range") };
        const v = Number(cur) + 1;
        this.#data.set(a[0]!, { value: String(v), expiresAt: e?.expiresAt });
        return { reply: { t: "int", v } };
      }
      case "info": {
        const section = (a[0] ?? "default").toLowerCase();
        if (!["server", "default", "all", "everything"].includes(section))
          return { reply: { t: "bulk", v: "" } };
        return { reply: { t: "bulk", v: this.#info() } };
      }
      case "command":
        return { reply: { t: "array", v: [] } };
      case "client":
        return { reply: OK };
      case "select":
        return { reply: a[0] === "0" ? OK : err("ERR DB index is out of range") };
      case "quit":
        return { reply: OK, quit: true };
      default: {
        const shown = a
          .slice(0, 20)
          .map((x) => `'${x}' `)
          .join("");
        return {
          reply: err(`ERR unknown command '${args[0] ?? ""}', with args beginning with: ${shown}`),
        };
      }
    }
  }

  #set(a: string[]): RespValue {
    if (a.length < 2) return wrongArgs("set");
    const [key, value] = a as [string, string];
    let expiresAt: number | undefined;
    let nx = false;
    let xx = false;
    for (let i = 2; i < a.length; i++) {
      const opt = a[i]!.toUpperCase();
      if (opt === "NX") nx = true;
      else if (opt === "XX") xx = true;
      else if (opt === "EX" || opt === "PX") {
        const n = Number(a[++i]);
        if (a[i] === undefined) return err("ERR syntax error");
        if (!Number.isInteger(n)) return err("ERR value is not an integer or out of range");
        if (n <= 0) return err("ERR invalid expire time in 'set' command");
        expiresAt = this.#now() + (opt === "EX" ? n * 1000 : n);
      } else return err("ERR syntax error");
    }
    if (nx && xx) return err("ERR syntax error");
    const exists = this.#get(key) !== undefined;
    if ((nx && exists) || (xx && !exists)) return NIL;
    this.#data.set(key, { value, expiresAt });
    return OK;
  }
}

const pad = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** redis's log time: "24 Nov 2026 22:41:05.123". */
function logTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, "0")}`
  );
}

/** The redis app. */
export const redisApp = {
  name: "redis",
  async start(ctx: AppContext) {
    const v = versionFromTag(ctx.container.image, "7.4.1");
    const version = v.split(".").length === 1 ? `${v}.0.0` : v.split(".").length === 2 ? `${v}.0` : v;
    const startedAt = ctx.clock.now();
    const info = () =>
      [
        "# Server",
        `redis_version:${version}`,
        "redis_git_sha1:00000000",
        "redis_mode:standalone",
        "os:Linux (kemu emulated)",
        "arch_bits:64",
        "process_id:1",
        `run_id:${ctx.container.id.slice(0, 40)}`,
        "tcp_port:6379",
        `uptime_in_seconds:${Math.floor((ctx.clock.now() - startedAt) / 1000)}`,
        `uptime_in_days:${Math.floor((ctx.clock.now() - startedAt) / 86_400_000)}`,
        "executable:/usr/local/bin/redis-server",
        "",
      ].join("\r\n");
    const state = new RedisState(() => ctx.clock.now(), info);
    await ctx.listenTcp(REDIS_PORT, (socket) => serveConnection(ctx, state, socket));
    await serveUdpEcho(ctx);
    const t = () => logTime(ctx.clock.now());
    ctx.stdout(`1:C ${t()} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo`);
    ctx.stdout(
      `1:C ${t()} # Redis version=${version}, bits=64, commit=00000000, modified=0, pid=1, just started`,
    );
    ctx.stdout(`1:M ${t()} * Running mode=standalone, port=${REDIS_PORT}.`);
    ctx.stdout(`1:M ${t()} * Ready to accept connections tcp`);
    return {
      terminating(mode: "immediate" | "drain") {
        ctx.stdout(
          `1:signal-handler (${Math.floor(ctx.clock.now() / 1000)}) Received SIGTERM scheduling shutdown...`,
        );
        if (mode === "immediate") ctx.stdout(`1:M ${t()} # Redis is now ready to exit, bye bye...`);
      },
    };
  },
} satisfies EmulatedApp;

function serveConnection(ctx: AppContext, state: RedisState, socket: Socket): void {
  let buf: Buffer = Buffer.alloc(0);
  // Replies go out in request order even when latency delays them.
  let chain = Promise.resolve();
  socket.on("data", (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const r = parseCommands(buf);
    buf = r.rest;
    for (const cmd of r.commands) {
      chain = chain.then(async () => {
        if (socket.destroyed) return;
        const knobs = ctx.knobs();
        if (knobs.latencyMs > 0) await sleep(ctx.clock, knobs.latencyMs);
        if (socket.destroyed) return;
        if (knobs.errorRate > 0 && Math.random() < knobs.errorRate) {
          socket.write(encode(err("ERR kemu: injected error (error-rate knob)")));
          return;
        }
        const out = state.exec(cmd);
        socket.write(encode(out.reply));
        if (out.quit) socket.end();
      });
    }
    if (r.error) {
      const msg = r.error;
      chain = chain.then(() => {
        if (!socket.destroyed) socket.end(encode(err(`ERR ${msg}`)));
      });
    }
  });
  socket.on("error", () => socket.destroy());
  socket.resume();
}
