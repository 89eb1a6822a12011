/** Every controller the manager runs. To add one: write <name>/index.ts and list it here. */
import type { Controller } from "./controller.ts";
import { namespaceController } from "./namespace/index.ts";
import { serviceAccountController } from "./serviceaccount/index.ts";
// controller imports (one line each, keep sorted)
import { daemonSetController } from "./daemonset/index.ts";
import { deploymentController } from "./deployment/index.ts";
import { endpointsController } from "./endpoints/index.ts";
import { endpointSliceController } from "./endpointslice/index.ts";
import { endpointSliceMirroringController } from "./endpointslice/mirroring.ts";
import { garbageCollector } from "./garbagecollector/index.ts";
import { nodeLifecycleController } from "./nodelifecycle/index.ts";
import { replicaSetController } from "./replicaset/index.ts";
import { schedulerController } from "./scheduler/index.ts";

/** The controllers, in start order. */
export const CONTROLLERS: readonly Controller[] = [
  namespaceController,
  serviceAccountController,
  // controller entries (one line each)
  endpointSliceMirroringController,
  replicaSetController,
  deploymentController,
  daemonSetController,
  schedulerController,
  endpointsController,
  endpointSliceController,
  garbageCollector,
  nodeLifecycleController,
];
