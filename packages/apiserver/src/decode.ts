/**
 * Request body decoding with kube-apiserver's error texts: JSON, YAML and Kubernetes protobuf.
 * A body the server cannot read is a 400 whose message says what kind was expected, what the
 * decoder (phrased as Go's encoding/json and go-yaml phrase it) objected to, and a summary of
 * the data (handlers/rest.go transformDecodeError and summarizeData).
 */
import { parse as parseYaml, YAMLParseError } from "yaml";
import { decodeKubernetesProtobuf, ProtobufError } from "@kemu/protobuf";
import { ApiError } from "./errors.ts";

const ACCEPTED = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

/** The first 30 bytes of a body, as text when it looks like JSON, else hex (upstream's summarizeData). */
export function summarizeData(data: Buffer, max = 30): string {
  if (data.length === 0) return "<empty>";
  const head = data.subarray(0, max);
  const more = data.length > max ? " ..." : "";
  return data[0] === 0x7b ? head.toString("utf8") + more : head.toString("hex") + more;
}

/** V8's JSON.parse message, phrased as Go's encoding/json phrases the same problem. */
export function goJsonError(err: Error, text: string): string {
  const msg = err.message;
  const pos = /at position (\d+)/.exec(msg);
  const at = pos ? Number(pos[1]) : -1;
  const ch = at >= 0 && at < text.length ? text[at]! : undefined;
  const quoted = (c: string) =>
    c === "\n" ? "'\\n'" : c === "\t" ? "'\\t'" : c === "\r" ? "'\\r'" : `'${c}'`;
  if (/Unexpected end of JSON input|Unterminated string/.test(msg) || (pos && ch === undefined)) {
    return "unexpected end of JSON input";
  }
  const token = /Unexpected token '?(.)'?/.exec(msg);
  if (token) return `invalid character ${quoted(token[1]!)} looking for beginning of value`;
  if (ch === undefined) return msg;
  if (/Expected ',' or '}' after property value/.test(msg))
    return `invalid character ${quoted(ch)} after object key:value pair`;
  if (/Expected ',' or ']' after array element/.test(msg))
    return `invalid character ${quoted(ch)} after array element`;
  if (/Expected property name or '}'/.test(msg))
    return `invalid character ${quoted(ch)} looking for beginning of object key string`;
  if (/Expected ':' after property name/.test(msg)) return `invalid character ${quoted(ch)} after object key`;
  if (/Bad control character/.test(msg)) return `invalid character ${quoted(ch)} in string literal`;
  if (/non-whitespace character after JSON/.test(msg))
    return `invalid character ${quoted(ch)} after top-level value`;
  return `invalid character ${quoted(ch)} looking for beginning of value`;
}

/** A yaml-library parse error, phrased as go-yaml phrases it. */
export function goYamlError(err: unknown): string {
  if (!(err instanceof YAMLParseError)) return String((err as Error)?.message ?? err);
  const line = err.linePos?.[0]?.line ?? 1;
  const text: Record<string, string> = {
    BLOCK_AS_IMPLICIT_KEY: "mapping values are not allowed in this context",
    MULTILINE_IMPLICIT_KEY: "could not find expected ':'",
    TAB_AS_INDENT: "found character that cannot start any token",
    MISSING_CHAR: "found unexpected end of stream",
    BAD_INDENT: "did not find expected node content",
    UNEXPECTED_TOKEN: "did not find expected key",
    DUPLICATE_KEY: "mapping key already defined",
  };
  return `line ${line}: ${text[err.code] ?? "did not find expected key"}`;
}

/**
 * Decodes an object body of the given content type for a resource of kind. Wrong media types
 * are 415; unreadable bodies are 400 with upstream's wording.
 */
export function decodeObject(raw: Buffer, contentType: string, kind: string): Record<string, unknown> {
  const ct = contentType.split(";")[0]!.trim().toLowerCase() || "application/json";
  const unrecognized = (why: string) =>
    ApiError.badRequest(
      `the object provided is unrecognized (must be of type ${kind}): ${why} (${summarizeData(raw)})`,
    );
  let v: unknown;
  if (ct === "application/vnd.kubernetes.protobuf") {
    try {
      v = decodeKubernetesProtobuf(raw);
    } catch (err) {
      if (err instanceof ProtobufError) throw unrecognized(err.message);
      throw err;
    }
  } else if (ct === "application/yaml") {
    try {
      v = parseYaml(raw.toString("utf8"));
    } catch (err) {
      throw unrecognized(`error converting YAML to JSON: yaml: ${goYamlError(err)}`);
    }
  } else if (ct === "application/json" || ct === "*/*") {
    const text = raw.toString("utf8");
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw unrecognized(`couldn't get version/kind; json parse error: ${goJsonError(err as Error, text)}`);
    }
  } else {
    throw ApiError.unsupportedMediaType(ct, ACCEPTED);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw unrecognized("Object 'Kind' is missing in '" + raw.toString("utf8").slice(0, 200) + "'");
  }
  return v as Record<string, unknown>;
}

/** Decodes a patch body (always JSON): 400 with encoding/json's message when it is not. */
export function decodePatch(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw ApiError.badRequest(goJsonError(err as Error, text));
  }
}
