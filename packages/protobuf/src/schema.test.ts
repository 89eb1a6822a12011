import { describe, expect, it } from "vitest";
import { MESSAGES } from "./kinds.ts";
import { compile } from "./schema.ts";

describe("schema", () => {
  it("schema: the tables compile, and every inline field embeds a message", () => {
    expect(MESSAGES.size).toBeGreaterThan(150);
    for (const m of MESSAGES.values()) {
      for (const f of m.fields) if (f.inline) expect(f.kind, `${m.name}`).toBe("message");
    }
  });

  it("schema: a dangling type, a bad flag or a reused number is refused", () => {
    expect(() => compile([{ A: [[1, "x", "B"]] }])).toThrow("A.x: unknown type B");
    expect(() => compile([{ A: [[1, "x", "string", "z"]] }])).toThrow("unknown flag z");
    expect(() =>
      compile([
        {
          A: [
            [1, "x", "string"],
            [1, "y", "bool"],
          ],
        },
      ]),
    ).toThrow("field number 1 used twice");
    expect(() => compile([{ A: [] }, { A: [] }])).toThrow("message A defined twice");
  });

  it("schema: no message reaches itself, so decoding depth is bounded by the tables", () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string): void => {
      if (done.has(name)) return;
      expect(visiting.has(name), `cycle through ${name}`).toBe(false);
      visiting.add(name);
      for (const f of MESSAGES.get(name)!.fields) if (f.message) visit(f.message);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of MESSAGES.keys()) visit(name);
  });
});
