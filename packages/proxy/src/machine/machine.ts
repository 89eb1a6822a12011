/**
 * The rule-sync machine: when kube-proxy recomputes and applies its rules, and nothing else
 * (kube-proxy's BoundedFrequencyRunner plus the informers' "synced" gate and the API
 * connection). Computing and applying happen in the invoked `sync` actor; the informers and
 * the NATS connection are callback actors that turn what they see into events. All three
 * are injected with `.provide()`.
 *
 * States:
 * - waitingForInitialList: until the informers have listed Services and EndpointSlices once
 *   (kube-proxy does not sync before both are synced); changes are only counted.
 * - syncing: the sync actor runs (compute, then dataPlane.apply). The first sync, periodic
 *   ones, retries and the one after a reconnect are full syncs.
 * - synced: rules are current; a change moves to pending, and after syncPeriod with no sync
 *   a periodic full resync runs.
 * - pending: changes are coalesced; the next sync starts minSyncPeriod after the previous
 *   one started (at once if that is already past).
 * - failed: the sync threw; retried after an exponential backoff (initialBackoffMs doubling,
 *   capped at maxBackoffMs) with a full sync. Changes meanwhile wait for the retry.
 * - disconnected: NATS is down. The data plane keeps the last rules (marked stale) and
 *   nothing syncs; on reconnect one full resync runs over the informers' caches, which resume
 *   their watches from their last resourceVersion.
 *
 * Limitations vs Kubernetes:
 * - A failed sync is retried with exponential backoff; kube-proxy retries after syncPeriod.
 *   Changes do not cut the backoff short.
 * - kube-proxy keeps its periodic syncs running while the API server is unreachable; here
 *   nothing syncs while disconnected (no input can change), and the reconnect resyncs.
 * - Every periodic sync is full (iptables mode forces a full one only hourly).
 */
import { assign, cancel, fromCallback, fromPromise, raise, setup, type SnapshotFrom } from "xstate";

/** Why a sync runs. */
export type SyncReason = "initial" | "changes" | "periodic" | "retry" | "reconnect";

/** What the sync actor is asked to do. */
export interface SyncInput {
  /** A full sync (initial, periodic, retry, reconnect) rather than one for pending changes. */
  full: boolean;
  reason: SyncReason;
}

/** What the sync actor reports; times are the injected clock's milliseconds. */
export interface SyncOutput {
  startedAt: number;
  finishedAt: number;
  /** Service port rules applied. */
  ruleCount: number;
}

/** Events the machine handles; the callback actors send the first four. */
export type SyncEvent =
  | { type: "LISTED" }
  | { type: "CHANGED" }
  | { type: "DISCONNECTED" }
  | { type: "RECONNECTED" }
  | { type: "MIN_SYNC_ELAPSED" };

/** Settings of the machine, in milliseconds. */
export interface SyncMachineInput {
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  /** First retry delay after a failed sync (default 1000). */
  initialBackoffMs?: number;
  /** Longest retry delay (default syncPeriodMs). */
  maxBackoffMs?: number;
}

/** The machine's context: settings, flags and counters. */
export interface SyncContext {
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** The informers have delivered their initial lists. */
  listed: boolean;
  /** Changes arrived that no started sync includes yet. */
  dirty: boolean;
  /** minSyncPeriod has passed since the last sync started. */
  minIntervalElapsed: boolean;
  /** What the next sync is for. */
  nextReason: SyncReason;
  connected: boolean;
  /** The data plane serves rules that may be out of date (NATS went away since the last sync). */
  stale: boolean;
  syncs: number;
  fullSyncs: number;
  failures: number;
  consecutiveFailures: number;
  changes: number;
  coalescedChanges: number;
  lastSyncStartedAt: number | undefined;
  lastSyncAt: number | undefined;
  lastSyncDurationMs: number | undefined;
  lastError: string | undefined;
  ruleCount: number | undefined;
}

/** The machine's states. */
export type SyncState =
  "waitingForInitialList" | "synced" | "pending" | "syncing" | "failed" | "disconnected";

const notProvided = (what: string) => () => {
  throw new Error(`proxy sync machine: the ${what} actor was not provided`);
};

/** The rule-sync machine; provide `sync`, `watch` and `connection` actors with `.provide()`. */
export const proxySyncMachine = setup({
  types: {} as { context: SyncContext; events: SyncEvent; input: SyncMachineInput },
  actors: {
    /** Computes and applies the rules. */
    sync: fromPromise<SyncOutput, SyncInput>(async () => notProvided("sync")()),
    /** Informers: sends LISTED once, then CHANGED for every recorded change. */
    watch: fromCallback<SyncEvent>(() => () => {}),
    /** The NATS connection: sends DISCONNECTED and RECONNECTED. */
    connection: fromCallback<SyncEvent>(() => () => {}),
  },
  delays: {
    syncPeriod: ({ context }) => context.syncPeriodMs,
    minSyncPeriod: ({ context }) => context.minSyncPeriodMs,
    backoff: ({ context }) =>
      Math.min(
        context.initialBackoffMs * 2 ** Math.max(0, context.consecutiveFailures - 1),
        context.maxBackoffMs,
      ),
  },
  guards: {
    listed: ({ context }) => context.listed,
    dirty: ({ context }) => context.dirty,
    minIntervalElapsed: ({ context }) => context.minIntervalElapsed,
  },
  actions: {
    markListed: assign({ listed: true, nextReason: "initial" }),
    /** A change that will get a sync of its own. */
    recordChange: assign({
      changes: ({ context }) => context.changes + 1,
      dirty: true,
      nextReason: "changes",
    }),
    /** A change folded into a sync that is already due. */
    recordCoalescedChange: assign({
      changes: ({ context }) => context.changes + 1,
      coalescedChanges: ({ context }) => context.coalescedChanges + 1,
      dirty: true,
    }),
    /** A change while syncing: the first one makes another sync due, later ones coalesce. */
    recordChangeDuringSync: assign({
      changes: ({ context }) => context.changes + 1,
      coalescedChanges: ({ context }) => context.coalescedChanges + (context.dirty ? 1 : 0),
      dirty: true,
    }),
    markMinIntervalElapsed: assign({ minIntervalElapsed: true }),
    startSync: assign({ dirty: false, minIntervalElapsed: false }),
    cancelMinSyncTimer: cancel("minSync"),
    startMinSyncTimer: raise({ type: "MIN_SYNC_ELAPSED" }, { delay: "minSyncPeriod", id: "minSync" }),
    requestPeriodicSync: assign({ nextReason: "periodic" }),
    requestRetrySync: assign({ nextReason: "retry" }),
    requestReconnectSync: assign({ nextReason: "reconnect" }),
    requestChangesSync: assign({ nextReason: "changes" }),
    recordSuccess: assign(({ context }, out: SyncOutput) => {
      const full = context.nextReason !== "changes";
      return {
        syncs: context.syncs + 1,
        fullSyncs: context.fullSyncs + (full ? 1 : 0),
        consecutiveFailures: 0,
        stale: false,
        lastSyncStartedAt: out.startedAt,
        lastSyncAt: out.finishedAt,
        lastSyncDurationMs: out.finishedAt - out.startedAt,
        lastError: undefined,
        ruleCount: out.ruleCount,
      };
    }),
    recordFailure: assign(({ context }, params: { error: unknown }) => ({
      failures: context.failures + 1,
      consecutiveFailures: context.consecutiveFailures + 1,
      lastError: params.error instanceof Error ? params.error.message : String(params.error),
    })),
    markDisconnected: assign({ connected: false, stale: true }),
    markReconnected: assign({ connected: true }),
  },
}).createMachine({
  id: "proxySync",
  context: ({ input }) => ({
    minSyncPeriodMs: input.minSyncPeriodMs,
    syncPeriodMs: input.syncPeriodMs,
    initialBackoffMs: input.initialBackoffMs ?? 1_000,
    maxBackoffMs: input.maxBackoffMs ?? input.syncPeriodMs,
    listed: false,
    dirty: false,
    minIntervalElapsed: true,
    nextReason: "initial",
    connected: true,
    stale: false,
    syncs: 0,
    fullSyncs: 0,
    failures: 0,
    consecutiveFailures: 0,
    changes: 0,
    coalescedChanges: 0,
    lastSyncStartedAt: undefined,
    lastSyncAt: undefined,
    lastSyncDurationMs: undefined,
    lastError: undefined,
    ruleCount: undefined,
  }),
  invoke: [
    { id: "watch", src: "watch" },
    { id: "connection", src: "connection" },
  ],
  on: {
    DISCONNECTED: { target: ".disconnected", actions: "markDisconnected" },
    MIN_SYNC_ELAPSED: { actions: "markMinIntervalElapsed" },
  },
  initial: "waitingForInitialList",
  states: {
    waitingForInitialList: {
      on: {
        CHANGED: { actions: "recordCoalescedChange" },
        LISTED: { target: "syncing", actions: "markListed" },
      },
    },
    synced: {
      after: { syncPeriod: { target: "syncing", actions: "requestPeriodicSync" } },
      on: { CHANGED: { target: "pending", actions: "recordChange" } },
    },
    pending: {
      always: { guard: "minIntervalElapsed", target: "syncing", actions: "requestChangesSync" },
      on: {
        CHANGED: { actions: "recordCoalescedChange" },
        MIN_SYNC_ELAPSED: { target: "syncing", actions: ["markMinIntervalElapsed", "requestChangesSync"] },
      },
    },
    syncing: {
      entry: ["startSync", "cancelMinSyncTimer", "startMinSyncTimer"],
      invoke: {
        src: "sync",
        input: ({ context }) => ({ full: context.nextReason !== "changes", reason: context.nextReason }),
        onDone: [
          {
            guard: "dirty",
            target: "pending",
            actions: [{ type: "recordSuccess", params: ({ event }) => event.output }, "requestChangesSync"],
          },
          { target: "synced", actions: { type: "recordSuccess", params: ({ event }) => event.output } },
        ],
        onError: {
          target: "failed",
          actions: { type: "recordFailure", params: ({ event }) => ({ error: event.error }) },
        },
      },
      on: { CHANGED: { actions: "recordChangeDuringSync" } },
    },
    failed: {
      after: { backoff: { target: "syncing", actions: "requestRetrySync" } },
      on: { CHANGED: { actions: "recordCoalescedChange" } },
    },
    disconnected: {
      on: {
        DISCONNECTED: {},
        CHANGED: { actions: "recordCoalescedChange" },
        LISTED: { actions: "markListed" },
        RECONNECTED: [
          { guard: "listed", target: "syncing", actions: ["markReconnected", "requestReconnectSync"] },
          { target: "waitingForInitialList", actions: "markReconnected" },
        ],
      },
    },
  },
});

/** A snapshot of the rule-sync machine. */
export type ProxySyncSnapshot = SnapshotFrom<typeof proxySyncMachine>;

/** What a dashboard shows of one node's machine: its state and counters (times in clock ms). */
export interface ProxySyncStatus {
  state: SyncState;
  connected: boolean;
  stale: boolean;
  syncs: number;
  fullSyncs: number;
  failures: number;
  consecutiveFailures: number;
  changes: number;
  coalescedChanges: number;
  lastSyncAt: number | undefined;
  lastSyncDurationMs: number | undefined;
  lastError: string | undefined;
  ruleCount: number | undefined;
}

/** The status of a machine snapshot. */
export function syncStatus(snapshot: ProxySyncSnapshot): ProxySyncStatus {
  const c = snapshot.context;
  return {
    state: snapshot.value as SyncState,
    connected: c.connected,
    stale: c.stale,
    syncs: c.syncs,
    fullSyncs: c.fullSyncs,
    failures: c.failures,
    consecutiveFailures: c.consecutiveFailures,
    changes: c.changes,
    coalescedChanges: c.coalescedChanges,
    lastSyncAt: c.lastSyncAt,
    lastSyncDurationMs: c.lastSyncDurationMs,
    lastError: c.lastError,
    ruleCount: c.ruleCount,
  };
}
