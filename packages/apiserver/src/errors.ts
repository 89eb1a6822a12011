/**
 * API errors. Everything that fails inside the API server becomes an ApiError, which carries
 * the Kubernetes Status that kube-apiserver would send (reason, code, details, message).
 * Anything unknown becomes InternalError; nothing escapes to crash the process.
 */
import { StoreError } from "@kemu/store";
import { invalidCauses, invalidMessage, type FieldError } from "@kemu/machinery";

/** Status reasons kube-apiserver uses (metav1.StatusReason). */
export type StatusReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "BadRequest"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "RequestEntityTooLarge"
  | "Expired"
  | "Gone"
  | "Forbidden"
  | "Timeout"
  | "ServiceUnavailable"
  | "InternalError";

/** One field-level cause in Status.details.causes. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** Status.details. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A metav1.Status object. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: { continue?: string; resourceVersion?: string };
  status: "Failure" | "Success";
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A qualified resource for messages: `services`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** An error that crosses the API boundary as a Kubernetes Status. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details: StatusDetails | undefined;
  /** ListMeta carried by the Status (a fresh continue token for an expired one). */
  statusMetadata: { continue?: string; resourceVersion?: string } = {};

  constructor(reason: StatusReason, code: number, message: string, details?: StatusDetails) {
    super(message);
    this.name = "ApiError";
    this.reason = reason;
    this.code = code;
    this.details = details;
  }

  /** The Status body for this error. */
  toStatus(): Status {
    const s: Status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: { ...this.statusMetadata },
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) {
      // causes is omitempty upstream.
      const { causes, ...rest } = this.details;
      s.details = causes && causes.length > 0 ? { ...rest, causes } : rest;
    }
    return s;
  }

  /** `services "redis" not found` (404). */
  static notFound(gr: GroupResource, name: string): ApiError {
    return new ApiError("NotFound", 404, `${qualified(gr)} "${name}" not found`, details(gr, name));
  }

  /** `services "redis" already exists` (409). */
  static alreadyExists(gr: GroupResource, name: string): ApiError {
    return new ApiError("AlreadyExists", 409, `${qualified(gr)} "${name}" already exists`, details(gr, name));
  }

  /** A stale resourceVersion or precondition (409). */
  static conflict(gr: GroupResource, name: string, why: string): ApiError {
    return new ApiError(
      "Conflict",
      409,
      `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`,
      details(gr, name),
    );
  }

  /** The optimistic-concurrency conflict message clients know. */
  static staleObject(gr: GroupResource, name: string): ApiError {
    return ApiError.conflict(
      gr,
      name,
      "the object has been modified; please apply your changes to the latest version and try again",
    );
  }

  /** `Service "x" is invalid: ...` (422), from field errors. */
  static invalid(group: string, kind: string, name: string, errors: readonly FieldError[]): ApiError {
    const d: StatusDetails = { name, kind, causes: invalidCauses(errors) };
    if (group) d.group = group;
    return new ApiError("Invalid", 422, invalidMessage(kind, name, errors, group), d);
  }

  /** 400 with a message. */
  static badRequest(message: string): ApiError {
    return new ApiError("BadRequest", 400, message);
  }

  /** 403 with a message. */
  static forbidden(gr: GroupResource, name: string, why: string): ApiError {
    const subject = name ? `${qualified(gr)} "${name}"` : qualified(gr);
    return new ApiError("Forbidden", 403, `${subject} is forbidden: ${why}`, {
      ...details(gr, name),
      causes: [],
    });
  }

  /** 405 for a verb the resource does not support. */
  static methodNotAllowed(): ApiError {
    return new ApiError(
      "MethodNotAllowed",
      405,
      "the server does not allow this method on the requested resource",
      {},
    );
  }

  /** 415 for a body in a format the server does not read. */
  static unsupportedMediaType(contentType: string, accepted: string[]): ApiError {
    return new ApiError(
      "UnsupportedMediaType",
      415,
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
      contentType ? undefined : undefined,
    );
  }

  /** 406 when no acceptable response type is available. */
  static notAcceptable(accepted: string[]): ApiError {
    return new ApiError(
      "NotAcceptable",
      406,
      `only the following media types are accepted: ${accepted.join(", ")}`,
    );
  }

  /** 413 for bodies over the limit. */
  static tooLarge(limit: number): ApiError {
    return new ApiError("RequestEntityTooLarge", 413, `Request entity too large: limit is ${limit}`);
  }

  /** 410 for a resourceVersion older than the store still has. */
  static expired(message: string): ApiError {
    return new ApiError("Expired", 410, message);
  }

  /** 404 for a path no resource serves. */
  static noResource(): ApiError {
    return new ApiError("NotFound", 404, "the server could not find the requested resource", {});
  }

  /** 503 while the store is unreachable. */
  static unavailable(message: string): ApiError {
    return new ApiError("ServiceUnavailable", 503, message, { retryAfterSeconds: 1 });
  }

  /** 500 for anything unexpected. */
  static internal(message: string): ApiError {
    return new ApiError("InternalError", 500, `Internal error occurred: ${message}`, {
      causes: [{ reason: "UnexpectedServerResponse", message }],
    });
  }
}

function details(gr: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: gr.resource };
  if (gr.group) d.group = gr.group;
  return d;
}

/** Turns anything thrown into an ApiError; store errors map to their Status, the rest to InternalError. */
export function toApiError(err: unknown, gr?: GroupResource, name?: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) {
    const g = gr ?? { group: "", resource: "" };
    switch (err.code) {
      case "NotFound":
        return ApiError.notFound(g, name ?? "");
      case "AlreadyExists":
        return ApiError.alreadyExists(g, name ?? "");
      case "Conflict":
        return ApiError.staleObject(g, name ?? "");
      case "Expired":
        return ApiError.expired(err.message);
      case "Unavailable":
        return ApiError.unavailable(err.message);
      default:
        return ApiError.internal(err.message);
    }
  }
  return ApiError.internal(err instanceof Error ? err.message : String(err));
}
