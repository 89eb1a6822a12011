/** What went wrong in a store operation; the API server maps each code to a Kubernetes Status. */
export type StoreErrorCode =
  "AlreadyExists" | "Conflict" | "NotFound" | "Expired" | "Unavailable" | "Internal";

/** A store failure with a typed code, and for AlreadyExists/Conflict the object as it is now. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly current: Record<string, unknown> | undefined;
  constructor(code: StoreErrorCode, message: string, current?: Record<string, unknown>) {
    super(message);
    this.name = "StoreError";
    this.code = code;
    this.current = current;
  }
}
