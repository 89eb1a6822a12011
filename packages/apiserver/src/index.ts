/** @kemu/apiserver: the Kubernetes API server on NATS JetStream, over HTTP and NATS. */
export {
  Api,
  type ApiOptions,
  type WriteOptions,
  type WriteResult,
  type ListOptions,
  type DeleteOptions,
  type PatchType,
  type WatchEvent,
} from "./api.ts";
export { ApiError, toApiError, type Status, type StatusReason } from "./errors.ts";
export { ApiServer, bootstrap } from "./server.ts";
export { ApiServerSettings, SETTING_SOURCES, SettingsError, parseSettings } from "./config.ts";
export { HttpServer } from "./http.ts";
export { NatsApi, NatsApiClient, type NatsApiRequest } from "./natsapi.ts";
export { RESOURCES, Registry, apiVersionOf, type ResourceDef } from "./resources.ts";
export { KUBE_VERSION } from "./discovery.ts";
export { ensurePki, readAdminCredential, readCa, type AdminCredential, type ServingPki } from "./pki.ts";
export { ensureAddons, corednsDeployment } from "./addons.ts";
