import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { LogBuffer, rfc3339Nano } from "./logbuffer.ts";

describe("logbuffer", () => {
  it("logbuffer: keeps the last capacity lines, oldest first", () => {
    const b = new LogBuffer(3, () => 0);
    for (const l of ["a", "b", "c", "d", "e"]) b.write(l);
    expect(b.read()).toBe("c\nd\ne\n");
  });

  it("logbuffer: tailLines, sinceMs, timestamps and limitBytes as kubectl logs has them", async () => {
    const clock = new ManualClock(Date.parse("2026-11-24T22:41:05.123Z"));
    const b = new LogBuffer(100, () => clock.now());
    b.write("one");
    await clock.advance(1000);
    b.write("two\nthree");
    expect(b.read({ tailLines: 2 })).toBe("two\nthree\n");
    expect(b.read({ tailLines: 0 })).toBe("");
    expect(b.read({ sinceMs: clock.now() })).toBe("two\nthree\n");
    expect(b.read({ tailLines: 1, timestamps: true })).toBe("2026-11-24T22:41:06.123000000Z three\n");
    expect(b.read({ limitBytes: 5 })).toBe("one\nt");
    expect(rfc3339Nano(Date.parse("2026-01-02T03:04:05Z"))).toBe("2026-01-02T03:04:05.000000000Z");
  });

  it("logbuffer: followers get new lines until the instance stops", () => {
    const b = new LogBuffer(10, () => 0);
    const got: string[] = [];
    let ended = false;
    b.write("before");
    b.follow(
      (l) => got.push(l.text),
      () => (ended = true),
    );
    b.write("after");
    b.close();
    b.write("ignored");
    expect(got).toEqual(["after"]);
    expect(ended).toBe(true);
    let endedLate = false;
    b.follow(
      () => {},
      () => (endedLate = true),
    );
    expect(endedLate).toBe(true);
  });
});
