/**
 * Field selectors (k8s.io/apimachinery/pkg/fields): comma-joined `field=value`, `field==value` and
 * `field!=value` terms, with `\,`, `\=` and `\\` escapes in values.
 *
 * Limitations vs Kubernetes: which fields each kind supports (and the `field label not supported: x`
 * error) is the caller's business; this module only parses and matches.
 */
import { SelectorError } from "./errors.ts";
import { compareStrings } from "./labels.ts";

/** One field selector term; `==` is kept as `=`, as upstream's Requirements() reports it. */
export interface FieldRequirement {
  /** The field path, e.g. `metadata.name`. */
  readonly field: string;
  /** Equality or inequality. */
  readonly op: "=" | "!=";
  /** The unescaped value. */
  readonly value: string;
}

/** Escapes a value for use in a field selector (fields.EscapeValue). */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => "\\" + c);
}

/** fields.UnescapeValue, with upstream's errors. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === "\\" || c === "," || c === "=") {
        out += c;
      } else {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      inSlash = false;
      continue;
    }
    if (c === "\\") {
      inSlash = true;
    } else if (c === "," || c === "=") {
      // Go prints the rune with %v, which is its code point.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new SelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** A parsed field selector: the AND of its terms. */
export class FieldSelector {
  /** The terms, in upstream's order (sorted by their source text). */
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: readonly FieldRequirement[]) {
    this.requirements = requirements;
  }

  /** True if every term holds; a missing field reads as the empty string. */
  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => {
      const v = Object.hasOwn(fields, r.field) ? (fields[r.field] ?? "") : "";
      return r.op === "=" ? v === r.value : v !== r.value;
    });
  }

  /** True if the selector restricts nothing. */
  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** If a term pins `field` to one value, that value (RequiresExactMatch). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.op === "=")?.value;
  }

  /** The canonical string form, values escaped. */
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.op}${escapeFieldValue(r.value)}`).join(",");
  }
}

/** Splits on commas that are not backslash-escaped, keeping the escapes. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const termOperators = ["!=", "==", "="] as const;

/** Splits a term at the first operator; no escaping is recognised on the left-hand side. */
function splitTerm(term: string): { lhs: string; op: "=" | "!="; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) {
        return { lhs: term.slice(0, i), op: op === "!=" ? "!=" : "=", rhs: term.slice(i + op.length) };
      }
    }
  }
  return undefined;
}

/**
 * Parses a field selector (fields.ParseSelector), e.g. `metadata.name=x,status.phase!=Running`. Throws a
 * SelectorError with kube-apiserver's message when it does not parse.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort(compareStrings);
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const t = splitTerm(part);
    if (t === undefined)
      throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    reqs.push({ field: t.lhs, op: t.op, value: unescapeFieldValue(t.rhs) });
  }
  return new FieldSelector(reqs);
}

/** A selector requiring exactly these field values (fields.SelectorFromSet). */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new FieldSelector(
    Object.keys(set)
      .sort(compareStrings)
      .map((field) => ({ field, op: "=" as const, value: set[field] ?? "" })),
  );
}
