export {
  createLogger,
  formatRecord,
  streamSink,
  nullLogger,
  TestLog,
  type Logger,
  type LogLevel,
  type LogRecord,
  type LogSink,
} from "./log.ts";
export { deferred, type Deferred } from "./async.ts";
