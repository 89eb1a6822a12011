/**
 * Event (core/v1): the fields a v1 Event always serialises (eventTime, firstTimestamp and lastTimestamp as
 * null, empty reportingComponent / reportingInstance, source and involvedObject), and the legacy Event
 * validation that core/v1 requests get (legacyValidateEvent).
 *
 * Limitations vs Kubernetes: events.k8s.io/v1's stricter validation is not implemented.
 */
import { invalid, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { validateObjectMetaUpdate, validateQualifiedName } from "../meta.ts";
import { byteLength, isDNS1123Subdomain } from "../names.ts";
import type { Event } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

function defaultEvent(ev: Event, _op: Operation): void {
  if (ev.eventTime === undefined) ev.eventTime = null;
  if (ev.firstTimestamp === undefined) ev.firstTimestamp = null;
  if (ev.lastTimestamp === undefined) ev.lastTimestamp = null;
  ev.reportingComponent ??= "";
  ev.reportingInstance ??= "";
  ev.source ??= {};
  ev.involvedObject ??= {};
}

function validateEvent(ev: Event, old?: Event): FieldError[] {
  const errs = old ? validateObjectMetaUpdate(ev.metadata, old.metadata) : [];
  const ns = ev.metadata?.namespace ?? "";
  const involvedNs = ev.involvedObject?.namespace ?? "";
  const mismatch = () => invalid("involvedObject.namespace", involvedNs, "does not match event.namespace");
  if (!ev.eventTime) {
    if (involvedNs === "") {
      if (ns !== "" && ns !== "default") errs.push(mismatch());
    } else if (ns !== involvedNs) {
      errs.push(mismatch());
    }
  } else {
    if (involvedNs === "" && ns !== "default" && ns !== "kube-system") errs.push(mismatch());
    const rc = ev.reportingComponent ?? "";
    if (rc === "") errs.push(required("reportingComponent"));
    errs.push(...validateQualifiedName(rc, "reportingComponent"));
    const ri = ev.reportingInstance ?? "";
    if (ri === "") errs.push(required("reportingInstance"));
    if (byteLength(ri) > REPORTING_INSTANCE_LIMIT) {
      errs.push(invalid("reportingInstance", "", `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    }
    if (!ev.action) errs.push(required("action"));
    if (byteLength(ev.action ?? "") > ACTION_LIMIT)
      errs.push(invalid("action", "", `can have at most ${ACTION_LIMIT} characters`));
    if (!ev.reason) errs.push(required("reason"));
    if (byteLength(ev.reason ?? "") > REASON_LIMIT)
      errs.push(invalid("reason", "", `can have at most ${REASON_LIMIT} characters`));
    if (byteLength(ev.message ?? "") > NOTE_LIMIT)
      errs.push(invalid("message", "", `can have at most ${NOTE_LIMIT} characters`));
  }
  errs.push(...isDNS1123Subdomain(ns).map((m) => invalid("namespace", ns, m)));
  return errs;
}

/** Event handler. */
export const eventHandler = {
  group: "",
  version: "v1",
  kind: "Event",
  defaults: defaultEvent,
  validate: validateEvent,
} satisfies KindHandler<Event>;
