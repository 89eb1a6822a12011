/**
 * Conversion between versions that share one storage: events.k8s.io/v1 Events are stored as
 * core/v1 Events (as kube-apiserver stores both through the internal Event type).
 */
import type { KObject } from "@kemu/store";

/** Converts a served object to its storage form and back. */
export interface Converter {
  /** The storage resource's group, version and resource. */
  storage: { group: string; version: string; resource: string };
  toStorage(obj: KObject): KObject;
  fromStorage(obj: KObject): KObject;
}

/** Field renames between events.k8s.io/v1 (left) and core/v1 (right). */
const EVENT_RENAMES: [string, string][] = [
  ["regarding", "involvedObject"],
  ["note", "message"],
  ["reportingController", "reportingComponent"],
  ["deprecatedSource", "source"],
  ["deprecatedFirstTimestamp", "firstTimestamp"],
  ["deprecatedLastTimestamp", "lastTimestamp"],
  ["deprecatedCount", "count"],
];

function rename(obj: KObject, pairs: [string, string][], apiVersion: string): KObject {
  const out: KObject = { ...obj, apiVersion, kind: "Event" };
  for (const [from, to] of pairs) {
    delete out[from];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out;
}

/** events.k8s.io/v1 Event <-> core/v1 Event. */
export const eventsV1: Converter = {
  storage: { group: "", version: "v1", resource: "events" },
  toStorage: (obj) => rename(obj, EVENT_RENAMES, "v1"),
  fromStorage: (obj) =>
    rename(
      obj,
      EVENT_RENAMES.map(([a, b]) => [b, a]),
      "events.k8s.io/v1",
    ),
};

/** Converters by served group/version/resource. */
export const CONVERTERS: Record<string, Converter> = {
  "events.k8s.io/v1/events": eventsV1,
};
