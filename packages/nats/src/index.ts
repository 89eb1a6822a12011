export {
  STORE_STREAM,
  OBJECT_PREFIX,
  CLUSTER_SCOPE,
  API_PREFIX,
  API_QUEUE,
  escapeToken,
  unescapeToken,
  resourceToken,
  objectSubject,
  parseObjectSubject,
  apiSubject,
  FABRIC_BUCKET,
  nodeSubject,
} from "./subjects.ts";
export { connectNats, type ConnectOptions } from "./connect.ts";
export { NatsServer, type NatsServerOptions } from "./server.ts";
export type { NatsConnection, Msg, Subscription } from "@nats-io/transport-node";
export { headers, type MsgHdrs } from "@nats-io/transport-node";
