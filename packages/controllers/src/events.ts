/**
 * Records core/v1 Events the way client-go's EventRecorder does: one Event per distinct
 * (object, type, reason, message) with count and lastTimestamp bumped on repeats, named
 * `<object>.<hex timestamp>`, with source.component set. Recording never blocks or fails the
 * caller; errors are logged.
 *
 * Limitations vs Kubernetes: no spam filter or similar-event aggregation ("combined from
 * similar events"), only exact repeats are counted.
 */
import type { Logger } from "@kemu/common";
import { ApiError } from "@kemu/apiserver";
import { R, type ApiClient, type KObject } from "./client.ts";

const REPEAT_WINDOW_MS = 10 * 60_000;

/** Records Events for one component ("default-scheduler", "replicaset-controller"). */
export class EventRecorder {
  readonly #client: ApiClient;
  readonly #component: string;
  readonly #host: string | undefined;
  readonly #log: Logger;
  readonly #seen = new Map<
    string,
    { name: string; namespace: string; count: number; first: string; at: number }
  >();

  constructor(client: ApiClient, component: string, log: Logger, host?: string) {
    this.#client = client;
    this.#component = component;
    this.#log = log;
    this.#host = host;
  }

  /** Records an event about obj (fieldPath names a part of it, e.g. `spec.containers{web}`). */
  event(obj: KObject, type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string): void {
    void this.#record(obj, type, reason, message, fieldPath).catch((err) =>
      this.#log.debug("event not recorded", { reason, err: String(err) }),
    );
  }

  async #record(
    obj: KObject,
    type: string,
    reason: string,
    message: string,
    fieldPath?: string,
  ): Promise<void> {
    const md = obj["metadata"] ?? {};
    const namespace: string = md["namespace"] || "default";
    const now = new Date();
    const ts = now.toISOString().replace(/\.\d{3}Z$/, "Z");
    const key = [md["uid"], fieldPath ?? "", type, reason, message].join("\u0000");
    const prev = this.#seen.get(key);
    if (prev && now.getTime() - prev.at < REPEAT_WINDOW_MS) {
      prev.count++;
      prev.at = now.getTime();
      try {
        await this.#client.patch(R.events, prev.namespace, prev.name, {
          count: prev.count,
          lastTimestamp: ts,
        });
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    const name = `${md["name"]}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
    const source: KObject = { component: this.#component };
    if (this.#host) source["host"] = this.#host;
    await this.#client.create(R.events, namespace, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj["apiVersion"],
        kind: obj["kind"],
        name: md["name"],
        namespace: md["namespace"],
        uid: md["uid"],
        resourceVersion: md["resourceVersion"],
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      source,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.#component,
      reportingInstance: this.#host ?? "",
    });
    this.#seen.set(key, { name, namespace, count: 1, first: ts, at: now.getTime() });
    if (this.#seen.size > 4096) {
      const cutoff = now.getTime() - REPEAT_WINDOW_MS;
      for (const [k, v] of this.#seen) if (v.at < cutoff) this.#seen.delete(k);
    }
  }
}
