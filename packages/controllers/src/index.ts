/** @kemu/controllers: the control loops of the control plane (kube-controller-manager and kube-scheduler). */
export {
  ApiClient,
  R,
  keyOf,
  splitKey,
  type Gvr,
  type KObject,
  type ListOpts,
  type DeleteOpts,
} from "./client.ts";
export { Informer, InformerFactory, type InformerHandlers, type InformerOptions } from "./informer.ts";
export { WorkQueue, type Reconcile } from "./queue.ts";
export { EventRecorder } from "./events.ts";
export type { Controller, ControllerContext, RunningController } from "./controller.ts";
export {
  ControllerSettings,
  CONTROLLER_SETTING_SOURCES,
  ControllerSettingsError,
  parseControllerSettings,
} from "./config.ts";
export { ControllerManager } from "./manager.ts";
export { CONTROLLERS } from "./registry.ts";
