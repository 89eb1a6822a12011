// Errors of the strategic merge patch, with the texts and HTTP classes kube-apiserver uses.
//
// The messages are apimachinery's (k8s.io/apimachinery/pkg/util/mergepatch and
// .../strategicpatch as vendored in Kubernetes 1.32), so values inside them are printed
// the way Go's fmt prints JSON decoded into interface{}: maps as `map[k:v ...]` with sorted
// keys, lists as `[a b]`, null as `<nil>`.

/** Which Status kube-apiserver turns a strategic-merge-patch failure into. */
export type SmpErrorCode = "BadRequest" | "Unprocessable" | "Internal";

const STATUS_OF: Record<SmpErrorCode, 400 | 422 | 500> = {
  BadRequest: 400,
  Unprocessable: 422,
  Internal: 500,
};

/**
 * A patch that cannot be applied; message is kube-apiserver's text and code says which Status it sends.
 *
 * How kube-apiserver answers each code (handlers/patch.go interpretStrategicMergePatchError):
 * - BadRequest: 400, reason BadRequest, message = this message.
 * - Unprocessable: 422, reason Invalid, message "the server rejected our request due to an error
 *   in our request", details.causes = [{ message: this message }].
 * - Internal: the library returns a plain Go error, which the apiserver answers with 500,
 *   reason "" (StatusReasonUnknown) and message = this message.
 */
export class SmpError extends Error {
  /** How kube-apiserver classifies the failure. */
  readonly code: SmpErrorCode;
  /** The HTTP status kube-apiserver answers with. */
  readonly status: 400 | 422 | 500;

  constructor(code: SmpErrorCode, message: string) {
    super(message);
    this.name = "SmpError";
    this.code = code;
    this.status = STATUS_OF[code];
  }
}

// The sentinel errors of k8s.io/apimachinery/pkg/util/mergepatch/errors.go.
/** mergepatch.ErrBadJSONDoc. */
export const errBadJSONDoc = (): SmpError => new SmpError("BadRequest", "invalid JSON document");
/** mergepatch.ErrNoListOfLists; kube-apiserver answers it with 422. */
export const errNoListOfLists = (): SmpError =>
  new SmpError("Unprocessable", "lists of lists are not supported");
/** mergepatch.ErrBadPatchFormatForPrimitiveList. */
export const errBadPatchFormatForPrimitiveList = (): SmpError =>
  new SmpError("BadRequest", "invalid patch format of primitive list");
/** mergepatch.ErrBadPatchFormatForRetainKeys. */
export const errBadPatchFormatForRetainKeys = (): SmpError =>
  new SmpError("BadRequest", "invalid patch format of retainKeys");
/** mergepatch.ErrBadPatchFormatForSetElementOrderList. */
export const errBadPatchFormatForSetElementOrderList = (): SmpError =>
  new SmpError("BadRequest", "invalid patch format of setElementOrder list");

/** mergepatch.ErrNoMergeKey: a list item without the declared merge key. */
export function errNoMergeKey(m: unknown, key: string): SmpError {
  return new SmpError("Internal", `map: ${goV(m)} does not contain declared merge key: ${key}`);
}

/** mergepatch.ErrBadArgType: a value of the wrong JSON type where a list or map is needed. */
export function errBadArgType(expected: string, actual: unknown): SmpError {
  return new SmpError("Internal", `expected a ${expected}, but received a ${goTypeNameS(actual)}`);
}

/** mergepatch.ErrBadPatchType: a `$patch` value that is not allowed there. */
export function errBadPatchType(patchType: unknown, m: unknown): SmpError {
  return new SmpError("Internal", `unknown patch type: ${goS(patchType)} in map: ${goV(m)}`);
}

/** Any other failure: upstream returns a plain Go error, which kube-apiserver answers with 500. */
export function internal(message: string): SmpError {
  return new SmpError("Internal", message);
}

/** Go's reflect type name of a value decoded from JSON (integers decode as int64, as kube-apiserver does). */
export function goTypeName(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return "[]interface {}";
  switch (typeof v) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int64" : "float64";
    case "object":
      return "map[string]interface {}";
    default:
      return typeof v;
  }
}

// reflect.TypeOf(v) printed with %s: a nil type prints as %!s(<nil>).
function goTypeNameS(v: unknown): string {
  return goTypeName(v) ?? "%!s(<nil>)";
}

function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    // Go's %v switches to an exponent with at least two digits: 1e-05, 1e+21.
    return n.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  return String(n);
}

/** Formats a JSON value the way Go's %v prints it after decoding into interface{}. */
export function goV(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goV).join(" ")}]`;
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      return Number.isInteger(v) ? String(v) : goFloat(v);
    case "boolean":
      return String(v);
    case "object": {
      const o = v as Record<string, unknown>;
      const parts = Object.keys(o)
        .sort()
        .map((k) => `${k}:${goV(o[k])}`);
      return `map[${parts.join(" ")}]`;
    }
    default:
      return String(v);
  }
}

/** Formats a JSON value the way Go's %s prints it: non-strings come out as %!s(type=value). */
export function goS(v: unknown): string {
  if (v === null || v === undefined) return "%!s(<nil>)";
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return `[${v.map(goS).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const parts = Object.keys(o)
      .sort()
      .map((k) => `${k}:${goS(o[k])}`);
    return `map[${parts.join(" ")}]`;
  }
  return `%!s(${goTypeName(v)}=${goV(v)})`;
}
