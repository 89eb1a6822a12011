/** The interface every kind implements; the registry in ../registry.ts holds one of each. */
import type { FieldError } from "../errors.ts";

/** Whether defaults are applied to a new object or to an update of an existing one. */
export type Operation = "create" | "update";

/** Defaulting and validation for one group/version/kind. */
export interface KindHandler<T = object> {
  /** API group ("" for core). */
  readonly group: string;
  /** API version. */
  readonly version: string;
  /** Kind. */
  readonly kind: string;
  /**
   * Mutates `obj` in place: SetDefaults_* of the kind, plus what admission plugins and the registry
   * strategy add (only on create where upstream does it only then).
   */
  defaults(obj: T, op: Operation): void;
  /** Field errors for a create (`old` undefined) or an update. */
  validate(obj: T, old?: T): FieldError[];
}
