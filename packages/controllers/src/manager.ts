/**
 * Runs the controllers of the control plane in one process, as kube-controller-manager and
 * kube-scheduler do: one API client, one shared informer per resource, every controller from
 * the registry table.
 */
import type { Logger } from "@kemu/common";
import { connectNats, type NatsConnection } from "@kemu/nats";
import { ApiClient } from "./client.ts";
import type { ControllerSettings } from "./config.ts";
import type { ControllerContext, RunningController } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import { InformerFactory } from "./informer.ts";
import { CONTROLLERS } from "./registry.ts";

/** The running controller manager. */
export class ControllerManager {
  readonly #nc: NatsConnection;
  readonly #informers: InformerFactory;
  readonly #running: RunningController[];
  readonly #log: Logger;

  private constructor(
    nc: NatsConnection,
    informers: InformerFactory,
    running: RunningController[],
    log: Logger,
  ) {
    this.#nc = nc;
    this.#informers = informers;
    this.#running = running;
    this.#log = log;
  }

  /** Connects, starts every controller (or those named in only), and resolves once informers synced. */
  static async start(
    settings: ControllerSettings,
    log: Logger,
    opts: { only?: string[] } = {},
  ): Promise<ControllerManager> {
    const nc = await connectNats({
      url: settings.natsUrl,
      name: "kemu-controller-manager",
      log: log.child("nats"),
    });
    const client = new ApiClient(nc);
    const informers = new InformerFactory(client, log.child("informer"));
    const ctx: ControllerContext = {
      client,
      informers,
      log,
      settings,
      recorder: (component) => new EventRecorder(client, component, log.child("events")),
      now: () => new Date(),
    };
    const selected = CONTROLLERS.filter((c) => !opts.only || opts.only.includes(c.name));
    const set = selected.map((c) => ({ c, r: c.setup({ ...ctx, log: log.child(c.name) }) }));
    await informers.start();
    for (const { c, r } of set) {
      r.run();
      log.info("controller started", { controller: c.name });
    }
    return new ControllerManager(
      nc,
      informers,
      set.map((x) => x.r),
      log,
    );
  }

  /** Stops every controller and disconnects. */
  async stop(): Promise<void> {
    for (const r of this.#running) r.stop();
    this.#informers.stop();
    await this.#nc.drain().catch(() => {});
    this.#log.info("stopped");
  }
}
