/**
 * Per-resource behaviour beyond the generic verbs (kube-apiserver's registry strategies):
 * what a create resets, what an update may change, what a delete releases.
 */
import type { Logger } from "@kemu/common";
import type { KObject, Store } from "@kemu/store";
import type { ResourceDef } from "./resources.ts";

/** What hooks may use. */
export interface HookContext {
  store: Store;
  log: Logger;
  def: ResourceDef;
  dryRun: boolean;
}

/** Undo for an allocation made before a write, run when the write does not happen. */
export type Rollback = () => Promise<void>;

/** The outcome of beforeUpdate: undo on failure, finish on success. */
export interface UpdatePlan {
  rollback?: Rollback;
  commit?: () => Promise<void>;
}

/** One resource's strategy. All members optional; absent means the generic behaviour. */
export interface ResourceHooks {
  /** Resets fields a client may not set on create (status, for most kinds). */
  prepareForCreate?(obj: KObject): void;
  /** Allocates what the object needs (IPs, ports) after validation; may throw ApiError. */
  beforeCreate?(ctx: HookContext, obj: KObject): Promise<Rollback | void>;
  /** Runs after the object is stored, before the response. */
  afterCreate?(ctx: HookContext, obj: KObject): Promise<void>;
  /** Adjusts an update (allocations that change with it). */
  beforeUpdate?(ctx: HookContext, obj: KObject, old: KObject): Promise<UpdatePlan | void>;
  /** Releases what the object held once it is gone from the store. */
  afterDelete?(ctx: HookContext, obj: KObject): Promise<void>;
  /**
   * Decides a graceful deletion: the grace period in seconds to wait (the object stays, with
   * deletionTimestamp set), or 0 to delete at once. requested is DeleteOptions.gracePeriodSeconds.
   */
  gracePeriod?(obj: KObject, requested: number | undefined): number;
  /**
   * Whether something other than metadata.finalizers holds the object after a delete (a
   * namespace's spec.finalizers); it may mark the object (status.phase Terminating).
   */
  holdDeletion?(obj: KObject): boolean;
}
