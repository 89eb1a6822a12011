/**
 * Label selectors: the string syntax of k8s.io/apimachinery/pkg/labels (lexer and parser reproduced so
 * errors read exactly like kube-apiserver's) and metav1.LabelSelectorAsSelector.
 *
 * Limitations vs Kubernetes: none known for parsing and matching. Errors that upstream reports through a
 * nil field path print `<nil>` as the field, as upstream does.
 */
import { SelectorError, aggregateMessage, fieldErrorMessage, invalid, notSupported } from "./errors.ts";
import type { FieldError } from "./errors.ts";
import { GoRepr, goQuote, goStringSlice } from "./gofmt.ts";
import { isQualifiedName, isValidLabelValue } from "./names.ts";

/** A selection operator (k8s.io/apimachinery/pkg/selection). */
export type LabelOperator = "in" | "notin" | "=" | "==" | "!=" | "exists" | "!" | "gt" | "lt";

/** One requirement of a label selector: a key, an operator and its values. */
export interface LabelRequirement {
  /** The label key. */
  readonly key: string;
  /** The operator. */
  readonly operator: LabelOperator;
  /** The values, as given (sorted and deduplicated when they came from a parsed set). */
  readonly values: readonly string[];
}

/** A set of labels. */
export type Labels = Readonly<Record<string, string>>;

const binaryOperators: readonly LabelOperator[] = ["in", "notin", "=", "==", "!=", "gt", "lt"];
const validRequirementOperators: readonly LabelOperator[] = [...binaryOperators, "exists", "!"];

const intRe = /^[+-]?[0-9]+$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64), or undefined. */
function parseInt64(s: string): bigint | undefined {
  if (!intRe.test(s)) return undefined;
  const n = BigInt(s);
  return n < int64Min || n > int64Max ? undefined : n;
}

/** Tests one requirement against a set of labels (Requirement.Matches). */
export function requirementMatches(r: LabelRequirement, labels: Labels | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const val = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return val !== undefined && r.values.includes(val);
    case "notin":
    case "!=":
      return val === undefined || !r.values.includes(val);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (val === undefined || r.values.length !== 1) return false;
      const lv = parseInt64(val);
      const rv = parseInt64(r.values[0] ?? "");
      if (lv === undefined || rv === undefined) return false;
      return r.operator === "gt" ? lv > rv : lv < rv;
    }
  }
}

/** Sorted copy unless already sorted, as upstream's safeSort. */
function sortedValues(values: readonly string[]): string[] {
  return [...values].sort(compareStrings);
}

/** Byte-order comparison, as Go's sort.Strings. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The string form of one requirement (Requirement.String). */
export function requirementString(r: LabelRequirement): string {
  let s = r.operator === "!" ? "!" + r.key : r.key;
  switch (r.operator) {
    case "exists":
    case "!":
      return s;
    case "=":
    case "==":
    case "!=":
      s += r.operator;
      break;
    case "in":
    case "notin":
      s += ` ${r.operator} `;
      break;
    case "gt":
      s += ">";
      break;
    case "lt":
      s += "<";
      break;
  }
  const vals = r.values.length === 1 ? (r.values[0] ?? "") : sortedValues(r.values).join(",");
  return r.operator === "in" || r.operator === "notin" ? `${s}(${vals})` : s + vals;
}

/** A parsed label selector: the AND of its requirements. */
export class LabelSelector {
  /** The requirements, sorted by key. */
  readonly requirements: readonly LabelRequirement[];
  /** True for the selector that matches nothing (a nil metav1.LabelSelector). */
  readonly nothing: boolean;

  constructor(requirements: readonly LabelRequirement[], nothing = false) {
    this.requirements = requirements;
    this.nothing = nothing;
  }

  /** True if every requirement matches the labels. */
  matches(labels: Labels | undefined): boolean {
    if (this.nothing) return false;
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  /** True if this selector does not restrict anything (labels.Everything). */
  empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  /** If the selector pins `key` to one value (=, == or a one-value in), that value. */
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (r === undefined) return undefined;
    if ((r.operator === "=" || r.operator === "==" || r.operator === "in") && r.values.length === 1) {
      return r.values[0];
    }
    return undefined;
  }

  /** The canonical string form, e.g. `app=web,tier in (a,b)`. */
  toString(): string {
    return this.requirements.map(requirementString).join(",");
  }
}

/** Stable sort by key, as selectors are kept. */
function byKey(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs
    .map((r, i) => [r, i] as const)
    .sort((a, b) => compareStrings(a[0].key, b[0].key) || a[1] - b[1])
    .map(([r]) => r);
}

/** Joins field errors the way ErrorList.ToAggregate().Error() does, or undefined for none. */
function aggregate(errs: readonly FieldError[]): string | undefined {
  if (errs.length === 0) return undefined;
  return aggregateMessage(errs.map(fieldErrorMessage));
}

function child(path: string | undefined, name: string): string {
  return path === undefined ? name : `${path}.${name}`;
}

function validateLabelKey(key: string, path: string): FieldError | undefined {
  const errs = isQualifiedName(key);
  return errs.length === 0 ? undefined : invalid(path, key, errs.join("; "));
}

function validateLabelValue(key: string, value: string, path: string): FieldError | undefined {
  const errs = isValidLabelValue(value);
  return errs.length === 0 ? undefined : invalid(`${path}[${key}]`, value, errs.join("; "));
}

/**
 * labels.NewRequirement: validates and builds a requirement, or returns the aggregated error message.
 * `values` are printed with %#v on error, so pass `undefined` where upstream holds a nil slice.
 */
export function newRequirement(
  key: string,
  operator: string,
  values: readonly string[] | undefined,
  path?: string,
): LabelRequirement | string {
  const errs: FieldError[] = [];
  const keyErr = validateLabelKey(key, child(path, "key"));
  if (keyErr) errs.push(keyErr);
  const vals = values ?? [];
  const valuePath = child(path, "values");
  const shown = () => goStringSliceRepr(values);
  switch (operator) {
    case "in":
    case "notin":
      if (vals.length === 0) {
        errs.push(invalid(valuePath, shown(), "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case "=":
    case "==":
    case "!=":
      if (vals.length !== 1)
        errs.push(invalid(valuePath, shown(), "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (vals.length !== 0) {
        errs.push(invalid(valuePath, shown(), "values set must be empty for exists and does not exist"));
      }
      break;
    case "gt":
    case "lt":
      if (vals.length !== 1) {
        errs.push(invalid(valuePath, shown(), "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(
            invalid(`${valuePath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"),
          );
        }
      });
      break;
    default:
      errs.push(notSupported(child(path, "operator"), operator, validRequirementOperators));
  }
  vals.forEach((v, i) => {
    const e = validateLabelValue(key, v, `${valuePath}[${i}]`);
    if (e) errs.push(e);
  });
  const msg = aggregate(errs);
  if (msg !== undefined) return msg;
  return { key, operator: operator as LabelOperator, values: [...vals] };
}

function goStringSliceRepr(values: readonly string[] | undefined): GoRepr {
  return new GoRepr(goStringSlice(values));
}

// ---- lexer ----

const T = {
  Error: 0,
  EndOfString: 1,
  ClosedPar: 2,
  Comma: 3,
  DoesNotExist: 4,
  DoubleEquals: 5,
  Equals: 6,
  GreaterThan: 7,
  Identifier: 8,
  In: 9,
  LessThan: 10,
  NotEquals: 11,
  NotIn: 12,
  OpenPar: 13,
} as const;
type Token = (typeof T)[keyof typeof T];

const string2token: Record<string, Token> = {
  ")": T.ClosedPar,
  ",": T.Comma,
  "!": T.DoesNotExist,
  "==": T.DoubleEquals,
  "=": T.Equals,
  ">": T.GreaterThan,
  in: T.In,
  "<": T.LessThan,
  "!=": T.NotEquals,
  notin: T.NotIn,
  "(": T.OpenPar,
};

interface Scanned {
  tok: Token;
  lit: string;
}

function isWhitespace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

function isSpecialSymbol(ch: string): boolean {
  return "=!(),><".includes(ch) && ch.length === 1;
}

function lex(s: string): Scanned[] {
  let pos = 0;
  // Go's lexer reads bytes and returns 0 at the end; an empty string plays that part here.
  const read = (): string => (pos < s.length ? (s[pos++] ?? "") : "");
  const unread = () => {
    pos--;
  };
  const tokenFor = (text: string): Token | undefined =>
    Object.hasOwn(string2token, text) ? string2token[text] : undefined;

  const scanIDOrKeyword = (): Scanned => {
    let buf = "";
    for (;;) {
      const ch = read();
      if (ch === "") break;
      if (isSpecialSymbol(ch) || isWhitespace(ch)) {
        unread();
        break;
      }
      buf += ch;
    }
    const tok = tokenFor(buf);
    return tok !== undefined ? { tok, lit: buf } : { tok: T.Identifier, lit: buf };
  };

  const scanSpecialSymbol = (): Scanned => {
    let last: Scanned | undefined;
    let buf = "";
    for (;;) {
      const ch = read();
      if (ch === "") break;
      if (isSpecialSymbol(ch)) {
        buf += ch;
        const tok = tokenFor(buf);
        if (tok !== undefined) {
          last = { tok, lit: buf };
        } else if (last !== undefined) {
          unread();
          break;
        }
      } else {
        unread();
        break;
      }
    }
    if (last === undefined) return { tok: T.Error, lit: `error expected: keyword found '${buf}'` };
    return last;
  };

  const out: Scanned[] = [];
  for (;;) {
    let ch = read();
    while (ch !== "" && isWhitespace(ch)) ch = read();
    let item: Scanned;
    if (ch === "") {
      item = { tok: T.EndOfString, lit: "" };
    } else if (isSpecialSymbol(ch)) {
      unread();
      item = scanSpecialSymbol();
    } else {
      unread();
      item = scanIDOrKeyword();
    }
    out.push(item);
    if (item.tok === T.EndOfString) return out;
  }
}

// ---- parser ----

/** Parsing context: in Values, the keywords `in` and `notin` are plain identifiers. */
const KeyAndOperator = 0;
const Values = 1;
type Context = typeof KeyAndOperator | typeof Values;

class ParseFailure extends Error {}

class Parser {
  private readonly items: Scanned[];
  private position = 0;

  constructor(selector: string) {
    this.items = lex(selector);
  }

  private at(i: number, ctx: Context): Scanned {
    const item = this.items[i] ?? { tok: T.EndOfString, lit: "" };
    if (ctx === Values && (item.tok === T.In || item.tok === T.NotIn))
      return { tok: T.Identifier, lit: item.lit };
    return item;
  }

  private lookahead(ctx: Context): Scanned {
    return this.at(this.position, ctx);
  }

  private consume(ctx: Context): Scanned {
    this.position++;
    return this.at(this.position - 1, ctx);
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(Values);
      if (tok === T.Identifier || tok === T.DoesNotExist) {
        let r: LabelRequirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          if (e instanceof ParseFailure) throw new SelectorError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        reqs.push(r);
        const next = this.consume(Values);
        if (next.tok === T.EndOfString) return reqs;
        if (next.tok === T.Comma) {
          const after = this.lookahead(Values);
          if (after.tok !== T.Identifier && after.tok !== T.DoesNotExist) {
            throw new SelectorError(`found '${after.lit}', expected: identifier after ','`);
          }
        } else {
          throw new SelectorError(`found '${next.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === T.EndOfString) {
        return reqs;
      } else {
        throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const { key, operator: inferred } = this.parseKeyAndInferOperator();
    let values: string[];
    let operator: LabelOperator;
    if (inferred === "exists" || inferred === "!") {
      operator = inferred;
      values = [];
    } else {
      operator = this.parseOperator();
      values = operator === "in" || operator === "notin" ? this.parseValues() : this.parseExactValue();
    }
    const r = newRequirement(key, operator, values);
    if (typeof r === "string") throw new ParseFailure(r);
    return r;
  }

  private parseKeyAndInferOperator(): { key: string; operator: LabelOperator | undefined } {
    let operator: LabelOperator | undefined;
    let { tok, lit } = this.consume(Values);
    if (tok === T.DoesNotExist) {
      operator = "!";
      ({ tok, lit } = this.consume(Values));
    }
    if (tok !== T.Identifier) throw new ParseFailure(`found '${lit}', expected: identifier`);
    // Upstream validates the key against a nil field path, which prints as "<nil>".
    const keyErr = validateLabelKey(lit, "<nil>");
    if (keyErr) throw new ParseFailure(fieldErrorMessage(keyErr));
    const next = this.lookahead(Values).tok;
    if ((next === T.EndOfString || next === T.Comma) && operator !== "!") operator = "exists";
    return { key: lit, operator };
  }

  private parseOperator(): LabelOperator {
    const { tok, lit } = this.consume(KeyAndOperator);
    switch (tok) {
      case T.In:
        return "in";
      case T.Equals:
        return "=";
      case T.DoubleEquals:
        return "==";
      case T.GreaterThan:
        return "gt";
      case T.LessThan:
        return "lt";
      case T.NotIn:
        return "notin";
      case T.NotEquals:
        return "!=";
      default:
        throw new ParseFailure(`found '${lit}', expected: ${binaryOperators.join(", ")}`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(Values);
    if (open.tok !== T.OpenPar) throw new ParseFailure(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(Values);
    if (tok === T.Identifier || tok === T.Comma) {
      const set = this.parseIdentifiersList();
      if (this.consume(Values).tok !== T.ClosedPar) throw new ParseFailure(`found '${lit}', expected: ')'`);
      return [...set].sort(compareStrings);
    }
    if (tok === T.ClosedPar) {
      this.consume(Values);
      return [""];
    }
    throw new ParseFailure(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const set = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume(Values);
      if (tok === T.Identifier) {
        set.add(lit);
        const next = this.lookahead(Values);
        if (next.tok === T.Comma) continue;
        if (next.tok === T.ClosedPar) return set;
        throw new ParseFailure(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === T.Comma) {
        // "(," ",," and ",)" each stand for an empty value.
        if (set.size === 0) set.add("");
        const next = this.lookahead(Values).tok;
        if (next === T.ClosedPar) {
          set.add("");
          return set;
        }
        if (next === T.Comma) set.add("");
      } else {
        throw new ParseFailure(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const ahead = this.lookahead(Values).tok;
    if (ahead === T.EndOfString || ahead === T.Comma) return [""];
    const { tok, lit } = this.consume(Values);
    if (tok === T.Identifier) return [lit];
    throw new ParseFailure(`found '${lit}', expected: identifier`);
  }
}

/**
 * Parses a label selector string (labels.Parse), e.g. `app=web,tier in (a,b),!canary`. Throws a
 * SelectorError with kube-apiserver's message when it does not parse or validate.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  return new LabelSelector(byKey(new Parser(selector).parse()));
}

/** The selector that matches everything (labels.Everything). */
export function everythingSelector(): LabelSelector {
  return new LabelSelector([]);
}

/** The selector that matches nothing (labels.Nothing). */
export function nothingSelector(): LabelSelector {
  return new LabelSelector([], true);
}

/** A selector requiring exactly these labels (labels.SelectorFromSet); empty or missing matches everything. */
export function labelSelectorFromSet(set: Labels | undefined | null): LabelSelector {
  const reqs: LabelRequirement[] = Object.keys(set ?? {})
    .sort(compareStrings)
    .map((k) => ({ key: k, operator: "=" as const, values: [set?.[k] ?? ""] }));
  return new LabelSelector(reqs);
}

/** One matchExpressions entry of a metav1.LabelSelector. */
export interface LabelSelectorRequirementObject {
  /** The label key. */
  key: string;
  /** In, NotIn, Exists or DoesNotExist. */
  operator: string;
  /** Values for In and NotIn. */
  values?: string[] | null;
}

/** A metav1.LabelSelector as found in specs. */
export interface LabelSelectorObject {
  /** Exact-match labels. */
  matchLabels?: Record<string, string> | null;
  /** Set-based requirements. */
  matchExpressions?: LabelSelectorRequirementObject[] | null;
}

const objectOperators: Record<string, LabelOperator> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/**
 * metav1.LabelSelectorAsSelector: null or undefined selects nothing, an empty selector selects
 * everything. Throws a SelectorError with upstream's message for a bad operator, key or value.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return nothingSelector();
  const matchLabels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  const keys = Object.keys(matchLabels).sort(compareStrings);
  if (keys.length + exprs.length === 0) return everythingSelector();
  const reqs: LabelRequirement[] = [];
  for (const k of keys) {
    const r = newRequirement(k, "=", [matchLabels[k] ?? ""]);
    if (typeof r === "string") throw new SelectorError(r);
    reqs.push(r);
  }
  for (const expr of exprs) {
    const op = Object.hasOwn(objectOperators, expr.operator) ? objectOperators[expr.operator] : undefined;
    if (op === undefined)
      throw new SelectorError(`${goQuote(expr.operator)} is not a valid pod selector operator`);
    const values = expr.values && expr.values.length > 0 ? expr.values : undefined;
    const r = newRequirement(expr.key, op, values);
    if (typeof r === "string") throw new SelectorError(r);
    reqs.push(r);
  }
  return new LabelSelector(byKey(reqs));
}
