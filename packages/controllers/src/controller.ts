/**
 * What every controller gets, and the shape of one. Controllers are registered in one table
 * (registry.ts) and run by the manager (manager.ts).
 */
import type { Logger } from "@kemu/common";
import type { ApiClient } from "./client.ts";
import type { EventRecorder } from "./events.ts";
import type { InformerFactory } from "./informer.ts";
import type { ControllerSettings } from "./config.ts";

/** Dependencies injected into each controller. */
export interface ControllerContext {
  client: ApiClient;
  informers: InformerFactory;
  log: Logger;
  /** An event recorder for a component name. */
  recorder(component: string): EventRecorder;
  settings: ControllerSettings;
  /** The clock; tests may inject one. */
  now(): Date;
}

/** A running controller. */
export interface RunningController {
  stop(): void;
}

/** A controller: registers its informers and handlers, then runs once informers have synced. */
export interface Controller {
  name: string;
  /** Called before informers start: set up informers, handlers and queues. */
  setup(ctx: ControllerContext): RunningController & { run(): void };
}
