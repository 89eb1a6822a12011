// Cell formatting helpers shared by the printers, each a re-implementation of the apimachinery or
// printers.go function named in its comment.

import type { V1LabelSelector } from "@kubernetes/client-node";
import type { Plain } from "./types.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * duration.HumanDuration from k8s.io/apimachinery: ~2-3 significant figures, e.g. "45s", "119s",
 * "5m10s", "3h", "5h30m", "3d4h", "400d", "2y30d". Up to 2s in the future still reads "0s".
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "<invalid>";
  // Go truncates toward zero (int(d.Seconds())), and so does every step below.
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 2 * 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

// Go's zero time.Time, which is what a missing or null metav1.Time decodes to.
const GO_ZERO_MS = Date.parse("0001-01-01T00:00:00Z");

/** Milliseconds since the epoch for a JSON timestamp, or undefined when missing, unparsable or Go's zero time. */
export function timestampMillis(ts: unknown): number | undefined {
  let ms: number;
  if (ts instanceof Date) ms = ts.getTime();
  else if (typeof ts === "string" && ts !== "") ms = Date.parse(ts);
  else return undefined;
  if (Number.isNaN(ms) || ms === GO_ZERO_MS) return undefined;
  return ms;
}

/** printers.go translateTimestampSince: "<unknown>" for a missing timestamp, else the HumanDuration of its age. */
export function translateTimestampSince(ts: unknown, now: Date): string {
  const ms = timestampMillis(ts);
  if (ms === undefined) return "<unknown>";
  return humanDuration(now.getTime() - ms);
}

/** metav1.Time formatted as Go's time.RFC3339 in UTC (whole seconds); the zero time when missing. */
export function formatRFC3339(ts: unknown): string {
  const ms = timestampMillis(ts);
  if (ms === undefined) return "0001-01-01T00:00:00Z";
  return new Date(Math.floor(ms / SECOND) * SECOND).toISOString().replace(".000Z", "Z");
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** labels.FormatLabels: "k1=v1,k2=v2" sorted by key, or "<none>". */
export function formatLabels(labels: Record<string, string | undefined> | undefined): string {
  const s = Object.keys(labels ?? {})
    .sort(byCodeUnit)
    .map((k) => `${k}=${labels?.[k] ?? ""}`)
    .join(",");
  return s === "" ? "<none>" : s;
}

// Label syntax from k8s.io/apimachinery/pkg/util/validation, enough to reject what
// LabelSelectorAsSelector rejects.
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validLabelKey(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1] ?? "";
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) return false;
  if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return false;
  }
  return true;
}

function validLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && QUALIFIED_NAME.test(value));
}

interface Requirement {
  key: string;
  op: "=" | "in" | "notin" | "exists" | "!";
  values: string[];
}

function requirementString(r: Requirement): string {
  const values = [...r.values].sort(byCodeUnit).join(",");
  switch (r.op) {
    case "=":
      return `${r.key}=${values}`;
    case "in":
      return `${r.key} in (${values})`;
    case "notin":
      return `${r.key} notin (${values})`;
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
  }
}

/**
 * metav1.LabelSelectorAsSelector(sel).String(): "" for a nil or empty selector, requirements sorted
 * by key, set-based values sorted. Returns undefined where Go returns an error.
 */
export function labelSelectorString(sel: Plain<V1LabelSelector> | null | undefined): string | undefined {
  if (sel === null || sel === undefined) return "";
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    if (!validLabelKey(key) || !validLabelValue(value ?? "")) return undefined;
    reqs.push({ key, op: "=", values: [value ?? ""] });
  }
  for (const expr of sel.matchExpressions ?? []) {
    const key = expr.key ?? "";
    const values = expr.values ?? [];
    const ops = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" } as const;
    const op = ops[expr.operator as keyof typeof ops] as Requirement["op"] | undefined;
    if (op === undefined || !validLabelKey(key)) return undefined;
    if ((op === "in" || op === "notin") && values.length === 0) return undefined;
    if ((op === "exists" || op === "!") && values.length !== 0) return undefined;
    if (!values.every(validLabelValue)) return undefined;
    reqs.push({ key, op, values });
  }
  // Go sorts with sort.Sort (not stable); a stable sort only differs for duplicate keys.
  reqs.sort((a, b) => byCodeUnit(a.key, b.key));
  return reqs.map(requirementString).join(",");
}

/** metav1.FormatLabelSelector: the selector string, "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(sel: Plain<V1LabelSelector> | null | undefined): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return "<error>";
  return s === "" ? "<none>" : s;
}

/** printers.go layoutContainerCells: container names and images, each joined by ",". */
export function layoutContainerCells(
  containers: { name?: string; image?: string }[] | undefined,
): [names: string, images: string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? "").join(","), list.map((c) => c.image ?? "").join(",")];
}

/** net.JoinHostPort: brackets around IPv6 hosts. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** printers.go listWithMoreString: "a,b,c + 2 more...", or "<unset>" for an empty list. */
export function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const s = list.join(",");
  if (more) return `${s} + ${count - max} more...`;
  return s === "" ? "<unset>" : s;
}
