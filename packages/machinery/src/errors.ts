/**
 * Field errors (k8s.io/apimachinery/pkg/util/validation/field) and the Invalid / BadRequest Status text
 * built from them (k8s.io/apimachinery/pkg/api/errors), with upstream's exact wording.
 */
import { goQuote, goValue } from "./gofmt.ts";

/** The machine-readable kind of a field error; also the StatusCause reason. */
export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueTypeInvalid"
  | "InternalError";

/** One field-level validation failure, as field.Error. */
export interface FieldError {
  /** What went wrong. */
  type: FieldErrorType;
  /** The field's path, e.g. `spec.ports[0].port`. */
  field: string;
  /** The offending value; printed for Invalid, NotSupported, Duplicate and TypeInvalid. */
  badValue?: unknown;
  /** Human-readable detail, appended after the value. */
  detail: string;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueTypeInvalid: "Invalid value",
  InternalError: "Internal error",
};

/** Types whose message never shows the value. */
const valueless = new Set<FieldErrorType>([
  "FieldValueRequired",
  "FieldValueForbidden",
  "FieldValueTooLong",
  "InternalError",
]);

/** The message without the field name (field.Error.ErrorBody); this is a StatusCause's message. */
export function fieldErrorBody(e: FieldError): string {
  let s = typeText[e.type];
  if (!valueless.has(e.type)) s += ": " + goValue(e.badValue);
  if (e.detail.length > 0) s += ": " + e.detail;
  return s;
}

/** The full message of one field error, `field: body` (field.Error.Error). */
export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** field.Required. */
export function required(field: string, detail = ""): FieldError {
  return { type: "FieldValueRequired", field, badValue: "", detail };
}

/** field.Invalid. */
export function invalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: "FieldValueInvalid", field, badValue, detail };
}

/** field.NotSupported: the detail lists the supported values, each quoted. */
export function notSupported(field: string, badValue: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length > 0 ? "supported values: " + supported.map(goQuote).join(", ") : "";
  return { type: "FieldValueNotSupported", field, badValue, detail };
}

/** field.Duplicate. */
export function duplicate(field: string, badValue: unknown): FieldError {
  return { type: "FieldValueDuplicate", field, badValue, detail: "" };
}

/** field.Forbidden. */
export function forbidden(field: string, detail: string): FieldError {
  return { type: "FieldValueForbidden", field, badValue: "", detail };
}

/** field.TooLong. */
export function tooLong(field: string, badValue: unknown, maxLength: number): FieldError {
  return { type: "FieldValueTooLong", field, badValue, detail: `must have at most ${maxLength} bytes` };
}

/** field.TooMany. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: "FieldValueTooMany", field, badValue: actual, detail: `must have at most ${max} items` };
}

/** field.TypeInvalid. */
export function typeInvalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: "FieldValueTypeInvalid", field, badValue, detail };
}

/** field.InternalError. */
export function internalError(field: string, detail: string): FieldError {
  return { type: "InternalError", field, badValue: null, detail };
}

/**
 * Joins messages the way utilerrors.Aggregate prints: duplicates dropped, one message bare, several as
 * `[a, b]`.
 */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 1) return unique[0] ?? "";
  return "[" + unique.join(", ") + "]";
}

/** A StatusCause as it appears in Status.details.causes. */
export interface StatusCause {
  /** The field error type, e.g. FieldValueInvalid. */
  reason: string;
  /** The error body (message without the field). */
  message: string;
  /** The field path. */
  field: string;
}

/** `Kind` for the core group, `Kind.group` otherwise (schema.GroupKind.String). */
function qualifiedKind(group: string, kind: string): string {
  return group === "" ? kind : `${kind}.${group}`;
}

/**
 * The Status message of errors.NewInvalid: `Service "x" is invalid: [a, b]` (one error without brackets).
 * Pass the API group for non-core kinds, which upstream prints as `Deployment.apps`.
 */
export function invalidMessage(
  kind: string,
  name: string,
  errors: readonly FieldError[],
  group = "",
): string {
  const head = `${qualifiedKind(group, kind)} ${goQuote(name)} is invalid`;
  if (errors.length === 0) return head;
  return `${head}: ${aggregateMessage(errors.map(fieldErrorMessage))}`;
}

/** The Status.details.causes of errors.NewInvalid, one per field error, in order. */
export function invalidCauses(errors: readonly FieldError[]): StatusCause[] {
  return errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
}

/** A complete 422 Invalid Status, as errors.NewInvalid produces it. */
export function invalidStatus(
  group: string,
  kind: string,
  name: string,
  errors: readonly FieldError[],
): {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: "Invalid";
  details: { name: string; group?: string; kind: string; causes: StatusCause[] };
  code: 422;
} {
  const details: { name: string; group?: string; kind: string; causes: StatusCause[] } = {
    name,
    kind,
    causes: [],
  };
  if (group !== "") details.group = group;
  details.causes = invalidCauses(errors);
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: invalidMessage(kind, name, errors, group),
    reason: "Invalid",
    details,
    code: 422,
  };
}

/**
 * A label or field selector that does not parse or validate. The message is exactly what kube-apiserver
 * returns in its 400 BadRequest Status.
 */
export class SelectorError extends Error {
  /** The Status reason to return. */
  readonly reason = "BadRequest";
  /** The HTTP code to return. */
  readonly code = 400;
  constructor(message: string) {
    super(message);
    this.name = "SelectorError";
  }
}
