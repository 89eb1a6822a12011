/** @kemu/dns: the cluster DNS server (CoreDNS's kubernetes plugin) and its pure resolver. */
export {
  ClusterDNS,
  InformerSource,
  parseUpstream,
  peekQuestionType,
  type AnswerInfo,
  type ObjectSource,
  type ClusterDNSOptions,
  type ListenOptions,
  type Transport,
} from "./server.ts";
export {
  buildZone,
  lookup,
  resolve,
  reverseName,
  dashedIp,
  SCHEMA_VERSION,
  type Resolution,
  type ZoneData,
  type ZoneOptions,
} from "./resolver.ts";
export {
  decodeMessage,
  encodeMessage,
  DnsFormatError,
  RRType,
  Rcode,
  CLASS_IN,
  type DnsMessage,
  type OutMessage,
  type Question,
  type ResourceRecord,
  type RData,
  type Edns,
} from "./packet.ts";
export { exchangeTcp, frameTcp } from "./tcp.ts";
