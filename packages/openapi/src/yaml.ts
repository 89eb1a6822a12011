// YAML text of a JSON value, for the `yaml` field of gnostic's Any. kube-apiserver builds its protobuf
// /openapi/v2 by parsing the JSON document with gnostic, which re-marshals each vendor extension's value
// with yaml.v3 in block style (compiler.Marshal clears the JSON flow style first); kubectl then
// yaml-unmarshals that text (openapi.parseGroupVersionKind, QueryParamVerifier.hasGVKExtension). This
// emits the same block style for the plain JSON values extensions hold. Byte-for-byte equality with
// yaml.v3 is not the goal: equal values after parsing are.

/** `value` as a block-style YAML document ending in a newline. */
export function toYAML(value: unknown): string {
  return `${lines(value).join("\n")}\n`;
}

function lines(value: unknown): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return ["[]"];
    return value.flatMap((item) => {
      const [first = "", ...rest] = lines(item);
      return [`- ${first}`, ...rest.map((l) => `  ${l}`)];
    });
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return ["{}"];
    return entries.flatMap(([k, v]) =>
      isNested(v) ? [`${scalar(k)}:`, ...lines(v).map((l) => `    ${l}`)] : [`${scalar(k)}: ${lines(v)[0]}`],
    );
  }
  return [scalar(value)];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isNested(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : isObject(v) && Object.keys(v).length > 0;
}

// Words YAML 1.1 (yaml.v2, which kubectl's readers use) resolves to booleans or null.
const KEYWORDS = /^(y|n|yes|no|on|off|true|false|null)$/i;
// Plain scalars that YAML reads back as the same string; anything else is double-quoted, and JSON's
// string escapes are valid in YAML double-quoted scalars.
const PLAIN = /^[A-Za-z_/][\w./,-]*$/;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  const s = String(v);
  return PLAIN.test(s) && !KEYWORDS.test(s) ? s : JSON.stringify(s);
}
