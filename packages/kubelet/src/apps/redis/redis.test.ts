import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../clock.ts";
import { testAppContext, type TestAppContext } from "../../fixtures.ts";
import { redisApp, RedisState } from "./index.ts";
import { encode, parseCommands, splitInline } from "./resp.ts";

describe("apps/redis: RESP", () => {
  it("apps/redis: parses arrays of bulk strings, pipelined, and keeps a partial command for later", () => {
    const r = parseCommands(
      Buffer.from("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1"),
    );
    expect(r.commands).toEqual([["PING"], ["SET", "k", "v1"]]);
    expect(r.rest.toString()).toBe("*2\r\n$3\r\nGET\r\n$1");
    expect(parseCommands(Buffer.concat([r.rest, Buffer.from("\r\nk\r\n")])).commands).toEqual([["GET", "k"]]);
  });

  it("apps/redis: inline commands with quotes, as telnet and nc send them", () => {
    expect(
      parseCommands(Buffer.from('PING\r\nset greeting "hello world"\nGET greeting\r\n')).commands,
    ).toEqual([["PING"], ["set", "greeting", "hello world"], ["GET", "greeting"]]);
    expect(splitInline(`echo 'a b' "c\\"d"`)).toEqual(["echo", "a b", 'c"d']);
    expect(splitInline(`echo "unclosed`)).toBeUndefined();
  });

  it("apps/redis: protocol errors are reported as redis words them", () => {
    expect(parseCommands(Buffer.from("*1\r\n+PING\r\n")).error).toBe("Protocol error: expected '$', got '+'");
    expect(parseCommands(Buffer.from("*x\r\n")).error).toBe("Protocol error: invalid multibulk length");
  });

  it("apps/redis: encodes every reply type", () => {
    expect(
      encode({
        t: "array",
        v: [
          { t: "simple", v: "OK" },
          { t: "error", v: "ERR x" },
          { t: "int", v: 3 },
          { t: "bulk", v: "héllo" },
          { t: "bulk", v: null },
        ],
      }),
    ).toBe("*5\r\n+OK\r\n-ERR x\r\n:3\r\n$6\r\nhéllo\r\n$-1\r\n");
  });
});

describe("apps/redis: commands", () => {
  const run = (s: RedisState, ...args: string[]) => encode(s.exec(args).reply);

  it("apps/redis: PING, ECHO, GET, SET, DEL, INCR, EXISTS", () => {
    const s = new RedisState(
      () => 0,
      () => "",
    );
    expect(run(s, "PING")).toBe("+PONG\r\n");
    expect(run(s, "ping", "hi")).toBe("$2\r\nhi\r\n");
    expect(run(s, "ECHO", "x")).toBe("$1\r\nx\r\n");
    expect(run(s, "GET", "k")).toBe("$-1\r\n");
    expect(run(s, "SET", "k", "v")).toBe("+OK\r\n");
    expect(run(s, "GET", "k")).toBe("$1\r\nv\r\n");
    expect(run(s, "EXISTS", "k", "k", "nope")).toBe(":2\r\n");
    expect(run(s, "INCR", "n")).toBe(":1\r\n");
    expect(run(s, "INCR", "n")).toBe(":2\r\n");
    expect(run(s, "INCR", "k")).toBe("-ERR value is not an integer or out of range\r\n");
    expect(run(s, "DEL", "k", "n", "nope")).toBe(":2\r\n");
    expect(run(s, "GET")).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(run(s, "FLUSHALL", "ASYNC")).toBe(
      "-ERR unknown command 'FLUSHALL', with args beginning with: 'ASYNC' \r\n",
    );
  });

  it("apps/redis: SET options NX, XX, EX and PX; expired keys are gone", async () => {
    const clock = new ManualClock();
    const s = new RedisState(
      () => clock.now(),
      () => "",
    );
    expect(run(s, "SET", "k", "1", "XX")).toBe("$-1\r\n");
    expect(run(s, "SET", "k", "1", "NX")).toBe("+OK\r\n");
    expect(run(s, "SET", "k", "2", "NX")).toBe("$-1\r\n");
    expect(run(s, "SET", "k", "3", "XX", "PX", "1500")).toBe("+OK\r\n");
    expect(run(s, "SET", "e", "x", "EX", "0")).toBe("-ERR invalid expire time in 'set' command\r\n");
    expect(run(s, "SET", "e", "x", "BOGUS")).toBe("-ERR syntax error\r\n");
    await clock.advance(1499);
    expect(run(s, "GET", "k")).toBe("$1\r\n3\r\n");
    await clock.advance(1);
    expect(run(s, "GET", "k")).toBe("$-1\r\n");
  });
});

describe("apps/redis: over a socket", () => {
  let ctx: TestAppContext | undefined;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  /** Sends data and resolves once `replies` lines starting with +,-,:,$ or * have arrived. */
  function talk(port: number, data: string, until: (got: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1");
      let got = "";
      s.setEncoding("utf8");
      s.on("data", (d: string) => {
        got += d;
        if (until(got)) {
          s.destroy();
          resolve(got);
        }
      });
      s.on("error", reject);
      s.write(data);
    });
  }

  it("apps/redis: listens on 6379, behind an optional PROXY header, and logs its banner", async () => {
    ctx = testAppContext({ name: "redis", image: "redis:4.0-alpine", ports: [{ containerPort: 6379 }] });
    await redisApp.start(ctx);
    const port = ctx.bound.get("6379/TCP")!;
    const got = await talk(
      port,
      "PROXY TCP4 10.244.2.3 10.96.65.65 40000 6379\r\n*3\r\n$3\r\nSET\r\n$7\r\ncounter\r\n$2\r\n41\r\n*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\nPING\r\n",
      (g) => g.endsWith("+PONG\r\n"),
    );
    expect(got).toBe("+OK\r\n:42\r\n+PONG\r\n");
    const info = await talk(port, "INFO server\r\n", (g) => g.includes("executable"));
    expect(info).toMatch(/^\$\d+\r\n# Server\r\nredis_version:4\.0\.0\r\n/);
    const log = ctx.logs.read();
    expect(log).toMatch(/^1:C \d\d \w{3} \d{4} [\d:.]+ # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo\n/);
    expect(log).toContain("Ready to accept connections tcp");
  });

  it("apps/redis: the error-rate knob answers -ERR", async () => {
    ctx = testAppContext({ name: "redis", image: "redis", ports: [] }, { knobs: { errorRate: 1 } });
    await redisApp.start(ctx);
    const got = await talk(ctx.bound.get("6379/TCP")!, "PING\r\n", (g) => g.endsWith("\r\n"));
    expect(got).toBe("-ERR kemu: injected error (error-rate knob)\r\n");
  });
});
