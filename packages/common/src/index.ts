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
export {
  formatProxyHeader,
  parseProxyHeader,
  readProxyHeader,
  unmapIPv4,
  writeProxyHeader,
  ProxyHeaderError,
  PROXY_V1_MAX_LENGTH,
  type ProxyAddresses,
  type ProxyHeader,
} from "./proxyprotocol.ts";
export { cidrContains, firstHostIPv4, intToIPv4, ipv4ToInt, prefixMask } from "./ipv4.ts";
