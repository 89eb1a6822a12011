import { describe, expect, it } from "vitest";
import { encodeMessage, peekQuestionType, RRType } from "@kemu/dns";
import { upstreamFromResolvConf } from "./index.ts";
import { CorednsMetrics } from "./metrics.ts";

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

  it("apps/coredns: metrics count requests by proto and type and responses by rcode, under CoreDNS's names", async () => {
    const m = new CorednsMetrics("1.11.3");
    const query = encodeMessage({
      id: 1,
      questions: [{ name: "web.default.svc.cluster.local", type: RRType.SRV, class: 1 }],
    });
    const qtype = peekQuestionType(query);
    expect(qtype).toBe(RRType.SRV);
    m.observe({ transport: "udp", qtype, rcode: 0, seconds: 0.0003 });
    m.observe({ transport: "tcp", qtype: RRType.A, rcode: 3, seconds: 0.002 });
    m.observe({ transport: "udp", qtype: 99, rcode: 5, seconds: 0.001 });
    const text = await m.registry.metrics();
    expect(text).toContain(
      'coredns_dns_requests_total{server="dns://:53",zone=".",proto="udp",family="1",type="SRV"} 1',
    );
    expect(text).toContain(
      'coredns_dns_requests_total{server="dns://:53",zone=".",proto="tcp",family="1",type="A"} 1',
    );
    expect(text).toContain('type="other"} 1');
    expect(text).toContain(
      'coredns_dns_responses_total{server="dns://:53",zone=".",rcode="NXDOMAIN",plugin=""} 1',
    );
    expect(text).toContain(
      'coredns_dns_responses_total{server="dns://:53",zone=".",rcode="REFUSED",plugin=""} 1',
    );
    expect(text).toContain(
      'coredns_dns_request_duration_seconds_bucket{le="0.0005",server="dns://:53",zone=".",type="SRV"} 1',
    );
    expect(text).toMatch(
      /^coredns_build_info\{version="1\.11\.3",revision="kemu",goversion="node[\d.]+"\} 1$/m,
    );
  });

  it("apps/coredns: a question type cannot be read from a truncated or compressed query", () => {
    expect(peekQuestionType(Buffer.alloc(5))).toBeUndefined();
    const q = encodeMessage({ id: 1, questions: [{ name: "a.b", type: RRType.A, class: 1 }] });
    expect(peekQuestionType(q.subarray(0, q.length - 3))).toBeUndefined();
    const pointer = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
    expect(peekQuestionType(pointer)).toBeUndefined();
  });
});
