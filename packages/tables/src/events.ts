// Events: printers.go printEvent. kube-apiserver prints core/v1 and events.k8s.io/v1 Events with the
// same printer, on the internal Event both convert to; toInternal does that conversion here.

import type { CoreV1Event, EventsV1Event, V1EventSource, V1ObjectReference } from "@kubernetes/client-node";
import { column, doc, nameColumn } from "./columns.ts";
import { timestampMillis, translateTimestampSince } from "./format.ts";
import type { Plain, Printer } from "./types.ts";

type AnyEvent = Plain<CoreV1Event> & Plain<EventsV1Event>;

// The fields of the internal core.Event that the printer reads.
interface InternalEvent {
  name: string;
  involvedObject: Plain<V1ObjectReference>;
  reason: string;
  message: string;
  source: Plain<V1EventSource>;
  firstTimestamp?: string;
  lastTimestamp?: string;
  count: number;
  type: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
  reportingController: string;
  reportingInstance: string;
}

// core/v1 names first; events.k8s.io/v1 renamed regarding, note, deprecated* and reportingController.
function toInternal(e: AnyEvent): InternalEvent {
  return {
    name: e.metadata?.name ?? "",
    involvedObject: e.involvedObject ?? e.regarding ?? {},
    reason: e.reason ?? "",
    message: e.message ?? e.note ?? "",
    source: e.source ?? e.deprecatedSource ?? {},
    firstTimestamp: e.firstTimestamp ?? e.deprecatedFirstTimestamp,
    lastTimestamp: e.lastTimestamp ?? e.deprecatedLastTimestamp,
    count: e.count ?? e.deprecatedCount ?? 0,
    type: e.type ?? "",
    eventTime: e.eventTime,
    series: e.series,
    reportingController: e.reportingComponent ?? e.reportingController ?? "",
    reportingInstance: e.reportingInstance ?? "",
  };
}

// formatEventSource: component (or reportingController) and host (or reportingInstance), ", "-joined.
function formatEventSource(e: InternalEvent): string {
  const component = e.source.component || e.reportingController;
  const instance = e.source.host || e.reportingInstance;
  return instance ? `${component}, ${instance}` : component;
}

function eventCells(obj: AnyEvent, now: Date): unknown[] {
  const e = toInternal(obj);
  const firstSeen =
    timestampMillis(e.firstTimestamp) === undefined
      ? translateTimestampSince(e.eventTime, now)
      : translateTimestampSince(e.firstTimestamp, now);
  let lastSeen =
    timestampMillis(e.lastTimestamp) === undefined
      ? firstSeen
      : translateTimestampSince(e.lastTimestamp, now);
  let count = e.count;
  if (e.series) {
    lastSeen = translateTimestampSince(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    // singleton events don't have a count set in the new API
    count = 1;
  }
  const kind = (e.involvedObject.kind ?? "").toLowerCase();
  const target = e.involvedObject.name ? `${kind}/${e.involvedObject.name}` : kind;
  return [
    lastSeen,
    e.type,
    e.reason,
    target,
    e.involvedObject.fieldPath ?? "",
    formatEventSource(e),
    e.message.trim(),
    firstSeen,
    count,
    e.name,
  ];
}

/** core/v1 and events.k8s.io/v1 events. */
export const eventPrinter: Printer = {
  columns: [
    column("Last Seen", "string", doc["Event.lastTimestamp"]),
    column("Type", "string", doc["Event.type"]),
    column("Reason", "string", doc["Event.reason"]),
    column("Object", "string", doc["Event.involvedObject"]),
    column("Subobject", "string", doc["ObjectReference.fieldPath"], { priority: 1 }),
    column("Source", "string", doc["Event.source"], { priority: 1 }),
    column("Message", "string", doc["Event.message"]),
    column("First Seen", "string", doc["Event.firstTimestamp"], { priority: 1 }),
    column("Count", "string", doc["Event.count"], { priority: 1 }),
    { ...nameColumn, priority: 1 },
  ],
  cells: (obj: AnyEvent, now) => eventCells(obj, now),
};
