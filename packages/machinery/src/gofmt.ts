/**
 * Go-style value rendering, so that messages built here read byte for byte like the ones kube-apiserver
 * builds with fmt's %q, %v and %#v.
 */

/** A value whose Go rendering is already known (a struct or a typed slice), printed verbatim by %#v. */
export class GoRepr {
  /** The text Go's %#v would print for the value. */
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Wraps text that should be printed verbatim where Go would print a value with %#v. */
export function goRepr(text: string): GoRepr {
  return new GoRepr(text);
}

const namedEscapes: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/** Quotes a string the way Go's strconv.Quote (and so fmt's %q) does. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const named = namedEscapes[ch];
    if (named !== undefined) {
      out += named;
      continue;
    }
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || cp === 0x7f) {
      out += "\\x" + cp.toString(16).padStart(2, "0");
    } else if (cp >= 0x80 && cp < 0xa0) {
      out += "\\u" + cp.toString(16).padStart(4, "0");
    } else {
      out += ch;
    }
  }
  return out + '"';
}

/** Renders a string slice as Go's %#v does: `[]string{"a", "b"}`, or `[]string(nil)` for none. */
export function goStringSlice(values: readonly string[] | undefined | null): string {
  if (values === undefined || values === null) return "[]string(nil)";
  return "[]string{" + values.map(goQuote).join(", ") + "}";
}

/** Renders a string map as Go's %#v does, keys sorted: `map[string]string{"a":"b"}`. */
export function goStringMap(m: Record<string, string> | undefined | null): string {
  if (m === undefined || m === null) return "map[string]string(nil)";
  const keys = Object.keys(m).sort();
  return "map[string]string{" + keys.map((k) => `${goQuote(k)}:${goQuote(m[k] ?? "")}`).join(", ") + "}";
}

/**
 * Renders a bad value as field.Error.ErrorBody does: strings quoted, numbers and booleans bare, null as
 * `null`, string slices and maps in %#v form, GoRepr verbatim.
 */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof GoRepr) return value.text;
  switch (typeof value) {
    case "string":
      return goQuote(value);
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) return goStringSlice(value as string[]);
    if (value.every((v) => typeof v === "number")) return "[]int32{" + value.join(", ") + "}";
    return "[]interface {}{" + value.map(goValue).join(", ") + "}";
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === "string")) return goStringMap(value as Record<string, string>);
  }
  return JSON.stringify(value) ?? "null";
}
