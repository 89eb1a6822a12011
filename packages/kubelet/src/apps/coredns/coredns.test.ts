import { describe, expect, it } from "vitest";
import { upstreamFromResolvConf } from "./index.ts";

describe("apps/coredns", () => {
  it("apps/coredns: the upstream is the first nameserver of resolv.conf, port 53", () => {
    expect(
      upstreamFromResolvConf(
        "# generated\nsearch example.com\nnameserver 10.255.255.53\nnameserver 8.8.8.8\n",
      ),
    ).toBe("10.255.255.53:53");
    expect(upstreamFromResolvConf("nameserver fd00::53\n")).toBe("[fd00::53]:53");
    expect(upstreamFromResolvConf("search local\noptions ndots:5\n")).toBeUndefined();
  });
});
