/**
 * Structured logging with a component prefix ("node-2/proxy"). Library code takes a Logger
 * from its caller and never writes to the console itself; tests capture lines with TestLog.
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One structured log line. */
export interface LogRecord {
  level: LogLevel;
  component: string;
  msg: string;
  fields: Record<string, unknown>;
  time: Date;
}

/** Where log records go. */
export type LogSink = (record: LogRecord) => void;

/** A logger bound to a component; child() extends the prefix. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

/** Creates a logger for component that drops records below level. */
export function createLogger(component: string, sink: LogSink, level: LogLevel = "info"): Logger {
  const emit = (lvl: LogLevel, msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[lvl] < RANK[level]) return;
    sink({ level: lvl, component, msg, fields, time: new Date() });
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (sub) => createLogger(`${component}/${sub}`, sink, level),
  };
}

/** Formats a record as one human-readable line: `12:00:01.123 info  apiserver: listening addr=...`. */
export function formatRecord(r: LogRecord): string {
  const fields = Object.entries(r.fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const t = r.time.toISOString().slice(11, 23);
  return `${t} ${r.level.padEnd(5)} ${r.component}: ${r.msg}${fields ? " " + fields : ""}`;
}

/** A sink that writes formatted lines to a stream (stderr by default in the CLI). */
export function streamSink(write: (line: string) => void): LogSink {
  return (r) => write(formatRecord(r) + "\n");
}

/** A logger that discards everything. */
export const nullLogger: Logger = createLogger("null", () => {}, "error");

/** Captures records in memory, for tests. */
export class TestLog {
  /** Every record logged so far. */
  readonly records: LogRecord[] = [];
  /** A logger for component that appends to records. */
  logger(component = "test", level: LogLevel = "debug"): Logger {
    return createLogger(component, (r) => this.records.push(r), level);
  }
  /** Messages logged at level or above. */
  messages(level: LogLevel = "debug"): string[] {
    return this.records.filter((r) => RANK[r.level] >= RANK[level]).map((r) => r.msg);
  }
}
