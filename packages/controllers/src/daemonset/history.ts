/**
 * DaemonSet history: ControllerRevisions named `<ds>-<hash>` that store the pod template as a
 * patch ({"spec":{"template":{...,"$patch":"replace"}}}), and the hash that names them and labels
 * the pods (controller-revision-hash), as the DaemonSet controller's update.go does.
 */
import type { KObject } from "../client.ts";

/** The label with the template hash, on revisions and pods. */
export const REVISION_HASH_LABEL = "controller-revision-hash";

/**
 * JSON with object keys sorted and null fields left out (the API server drops them from what it
 * stores, as Go omits nil fields), so equal objects give equal text whatever their key order.
 */
export function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJSON(x))).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined && o[k] !== null)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJSON(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** 32-bit FNV-1a of some bytes, continuing from a previous hash. */
export function fnv32a(data: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

/** rand.SafeEncodeString: maps each character onto letters and digits that spell no words. */
export function safeEncodeString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/**
 * controller.ComputeHash: FNV-1a of the template, then of the collision count (4 bytes little
 * endian and 4 zero bytes) when there is one, printed in decimal and safe-encoded. The template
 * is hashed as canonical JSON rather than Go's deep-print, so values differ from upstream's.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJSON(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** The revision data for a DaemonSet's current template (getPatch). */
export function revisionData(ds: KObject): KObject {
  return { spec: { template: { ...(ds["spec"]?.["template"] ?? {}), $patch: "replace" } } };
}

/** Whether a revision holds the DaemonSet's current template (Match). */
export function revisionMatches(ds: KObject, rev: KObject): boolean {
  return canonicalJSON(rev["data"]) === canonicalJSON(revisionData(ds));
}

/** The owner reference a DaemonSet puts on what it creates. */
export function controllerRef(ds: KObject): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    name: ds["metadata"]["name"],
    uid: ds["metadata"]["uid"],
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A new ControllerRevision for the DaemonSet's template (snapshot). */
export function newRevision(ds: KObject, revision: number): KObject {
  const md = ds["metadata"];
  const hash = computeHash(ds["spec"]?.["template"], ds["status"]?.["collisionCount"]);
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: `${md["name"]}-${hash}`,
      namespace: md["namespace"],
      labels: { ...(ds["spec"]?.["template"]?.["metadata"]?.["labels"] ?? {}), [REVISION_HASH_LABEL]: hash },
      ...(md["annotations"] ? { annotations: md["annotations"] } : {}),
      ownerReferences: [controllerRef(ds)],
    },
    data: revisionData(ds),
    revision,
  };
}
