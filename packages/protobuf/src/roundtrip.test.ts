import { describe, expect, it } from "vitest";
import { FIXTURE_KINDS, makeKind } from "./fixtures.ts";
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, supportedProtobufKinds } from "./index.ts";
import { messageFor } from "./kinds.ts";

function decodeStrict(body: Uint8Array): Record<string, unknown> {
  return decodeKubernetesProtobuf(body, {
    onUnknownField: (u) => {
      throw new Error(`unknown field ${u.field} at ${u.path}`);
    },
  });
}

describe("round trip", () => {
  for (const gvk of FIXTURE_KINDS) {
    it(`${gvk}: encode then decode keeps every value and adds only Go's zero values`, () => {
      const obj = makeKind(gvk);
      const body = encodeKubernetesProtobuf(obj);
      const decoded = decodeStrict(body);
      expect(decoded).toMatchObject(obj);
      // The decoded form is canonical: another trip is the identity, byte for byte.
      const again = encodeKubernetesProtobuf(decoded);
      expect(Buffer.from(again)).toEqual(Buffer.from(body));
      expect(decodeStrict(again)).toEqual(decoded);
    });
  }

  it("round trip: every supported kind's message has a rich fixture", () => {
    const covered = new Set(FIXTURE_KINDS.map((gvk) => messageFor(...split(gvk))?.name));
    for (const gvk of supportedProtobufKinds()) {
      expect(covered, gvk).toContain(messageFor(...split(gvk))?.name);
    }
    for (const gvk of FIXTURE_KINDS) expect(supportedProtobufKinds()).toContain(gvk);
  });

  it("round trip: decoding fills in what Go's JSON encoder always writes", () => {
    const d = decodeStrict(
      encodeKubernetesProtobuf(
        makeKind("v1/Service", (s) => {
          s.metadata = { name: "svc" };
          s.spec = { ports: [{ port: 9000 }] };
          delete s.status;
        }),
      ),
    );
    expect(d).toEqual({
      kind: "Service",
      apiVersion: "v1",
      metadata: { name: "svc", creationTimestamp: null },
      // targetPort is an IntOrString value: Go writes its zero value, 0.
      spec: { ports: [{ port: 9000, targetPort: 0 }] },
      status: { loadBalancer: {} },
    });
  });

  it("round trip: pointers keep explicit zero values, nil pointers without omitempty become null", () => {
    const d = decodeStrict(
      encodeKubernetesProtobuf({
        kind: "Deployment",
        apiVersion: "apps/v1",
        metadata: { name: "web" },
        spec: { replicas: 0, template: { spec: { containers: [] } } },
      }),
    );
    expect(d["spec"]).toEqual({
      replicas: 0,
      selector: null,
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      strategy: {},
    });
  });

  it("round trip: DeleteOptions decode under whatever group version the client used", () => {
    const body = encodeKubernetesProtobuf({
      kind: "DeleteOptions",
      apiVersion: "apps/v1",
      propagationPolicy: "Orphan",
    });
    expect(decodeStrict(body)).toEqual({
      kind: "DeleteOptions",
      apiVersion: "apps/v1",
      propagationPolicy: "Orphan",
    });
  });
});

function split(gvk: string): [string, string] {
  const i = gvk.lastIndexOf("/");
  return [gvk.slice(0, i), gvk.slice(i + 1)];
}
