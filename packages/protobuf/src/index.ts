// @kemu/protobuf: Kubernetes protobuf (application/vnd.kubernetes.protobuf) bodies for the kinds
// kemu serves, decoded into exactly the JSON object the same request would carry as JSON.
//
// A body is the magic "k8s\0" followed by a runtime.Unknown {typeMeta(1) {apiVersion(1),
// kind(2)}, raw(2), contentEncoding(3), contentType(4)} whose raw is the typed message. The
// field tables (messages/) hold the k8s.io/api and apimachinery protobuf numbers; the codec turns
// a message into what Go's encoding/json writes for the decoded Go struct: omitempty fields left
// out, struct values always present ("resources": {}, "creationTimestamp": null), Time as
// RFC 3339, IntOrString as a number or a string, []byte as base64.
//
// Limitations vs Kubernetes:
// - Only the kinds in kinds.ts; any other apiVersion/kind is a ProtobufError (kube-apiserver
//   would decode every registered kind).
// - Fields newer than Kubernetes 1.32 (and a few alpha ones) are not in the tables: they are
//   skipped and reported through onUnknownField, as kube-apiserver drops unknown fields.
// - Quantities are checked against Quantity's syntax but passed through as sent, not
//   canonicalized ("1000m" stays "1000m"; Go would write "1"). Go clients always send canonical ones.
// - int64 values beyond 2^53 lose precision (they become JavaScript numbers).
// - Times with a year outside 0..9999 are rejected at decode; kube-apiserver accepts them and
//   fails later when writing JSON.
// - A message field sent several times is merged by concatenation; for Time that keeps the last
//   non-empty value where Go would reset to zero on a trailing empty occurrence.
// - contentEncoding (never set by Go clients) is not supported.

import { decodeMessage, encodeMessage, type DecodeContext, type UnknownField } from "./codec.ts";
import { ProtobufError } from "./errors.ts";
import { messageFor } from "./kinds.ts";
import { LEN, readFields, utf8Decode, utf8Encode, Writer, type WireField } from "./wire.ts";

export { ProtobufError } from "./errors.ts";
export { supportedProtobufKinds } from "./kinds.ts";
export type { UnknownField } from "./codec.ts";

/** The media type of Kubernetes protobuf bodies. */
export const PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";

/** Options for decodeKubernetesProtobuf. */
export interface DecodeOptions {
  /** Called once per skipped field after a successful decode, so the server can warn. */
  onUnknownField?: (field: UnknownField) => void;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;

/** Decodes a Kubernetes protobuf body (with the k8s\0 magic) into its JSON object (apiVersion and kind included). Throws ProtobufError on malformed input. */
export function decodeKubernetesProtobuf(
  body: Uint8Array,
  options: DecodeOptions = {},
): Record<string, unknown> {
  const ctx: DecodeContext = { unknown: [] };
  let out: Record<string, unknown>;
  try {
    out = decodeBody(body, ctx);
  } catch (err) {
    // Anything else (a stack overflow on absurd nesting, say) is still a bad body, not a crash.
    if (err instanceof ProtobufError) throw err;
    throw new ProtobufError(`cannot decode protobuf body: ${(err as Error).message}`);
  }
  for (const u of ctx.unknown) options.onUnknownField?.(u);
  return out;
}

function decodeBody(body: Uint8Array, ctx: DecodeContext): Record<string, unknown> {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw new ProtobufError(
      `provided data does not appear to be a protobuf message, expected prefix [${MAGIC.join(" ")}]`,
    );
  }
  let typeMeta: Uint8Array | undefined;
  let raw: Uint8Array | undefined;
  let contentEncoding = "";
  for (const f of readFields(body.subarray(MAGIC.length))) {
    if (f.num === 1) typeMeta = len(f, "typeMeta");
    else if (f.num === 2) raw = len(f, "raw");
    else if (f.num === 3) contentEncoding = utf8Decode(len(f, "contentEncoding"));
    else if (f.num === 4) len(f, "contentType");
    else ctx.unknown.push({ path: "<envelope>", field: f.num, wireType: f.wireType });
  }
  let apiVersion = "";
  let kind = "";
  for (const f of readFields(typeMeta ?? new Uint8Array(0))) {
    if (f.num === 1) apiVersion = utf8Decode(len(f, "typeMeta.apiVersion"));
    else if (f.num === 2) kind = utf8Decode(len(f, "typeMeta.kind"));
  }
  if (kind === "") throw new ProtobufError("Object 'Kind' is missing in protobuf body");
  if (contentEncoding !== "") {
    throw new ProtobufError(`unsupported protobuf contentEncoding ${JSON.stringify(contentEncoding)}`);
  }
  const msg = messageFor(apiVersion, kind);
  if (!msg)
    throw new ProtobufError(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf`);
  const obj = decodeMessage(msg, raw ?? new Uint8Array(0), ctx, "");
  return { kind, apiVersion, ...obj };
}

function len(f: WireField, what: string): Uint8Array {
  if (f.wireType !== LEN) throw new ProtobufError(`proto: wrong wireType = ${f.wireType} for ${what}`);
  return f.value as Uint8Array;
}

/** Encodes a JSON object of a supported kind as a Kubernetes protobuf body (for tests and for clients that want protobuf replies). */
export function encodeKubernetesProtobuf(obj: Record<string, unknown>): Uint8Array {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string" || kind === "") {
    throw new ProtobufError("cannot encode an object without string apiVersion and kind");
  }
  const msg = messageFor(apiVersion, kind);
  if (!msg)
    throw new ProtobufError(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf`);
  let raw: Uint8Array;
  try {
    raw = encodeMessage(msg, obj, "");
  } catch (err) {
    if (err instanceof ProtobufError) throw err;
    throw new ProtobufError(`cannot encode ${apiVersion}/${kind}: ${(err as Error).message}`);
  }
  const typeMeta = new Writer().lenField(1, utf8Encode(apiVersion)).lenField(2, utf8Encode(kind)).finish();
  // Go always writes contentEncoding and contentType, empty.
  const envelope = new Writer()
    .lenField(1, typeMeta)
    .lenField(2, raw)
    .lenField(3, new Uint8Array(0))
    .lenField(4, new Uint8Array(0))
    .finish();
  const out = new Uint8Array(MAGIC.length + envelope.length);
  out.set(MAGIC);
  out.set(envelope, MAGIC.length);
  return out;
}
