/** Every controller the manager runs. To add one: write <name>/index.ts and list it here. */
import type { Controller } from "./controller.ts";
import { namespaceController } from "./namespace/index.ts";
import { serviceAccountController } from "./serviceaccount/index.ts";
// controller imports (one line each, keep sorted)
import { garbageCollector } from "./garbagecollector/index.ts";
import { nodeLifecycleController } from "./nodelifecycle/index.ts";

/** The controllers, in start order. */
export const CONTROLLERS: readonly Controller[] = [
  namespaceController,
  serviceAccountController,
  // controller entries (one line each)
  garbageCollector,
  nodeLifecycleController,
];
