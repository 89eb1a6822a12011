/**
 * The baseline: the raw JetStream operations underneath kemu's store, on the same nats-server
 * but on a stream of the benchmark's own, so that each kemu figure can be read next to what
 * JetStream alone costs. Writes are published the way the store publishes them (a message ID and
 * a compare-and-set on the subject's last sequence); reads are direct gets; lists read the stream
 * with an ordered consumer; watchers are ordered consumers of their own.
 */
import { randomUUID } from "node:crypto";
import {
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/** The benchmark's stream, apart from kemu's own. */
export const BASELINE_STREAM = "KEMU_BENCH_BASELINE";
const PREFIX = "kemubench";

/** The baseline subject of one object of a kind ("cm", "svc", "watch"). */
export function baselineSubject(kind: string, name: string): string {
  return `${PREFIX}.${kind}.${name}`;
}

/** The subject filter for every object of a kind. */
export function baselineFilter(kind: string): string {
  return `${PREFIX}.${kind}.>`;
}

/** A stream subscription that delivers only messages published after it started. */
export interface BaselineWatch {
  stop(): Promise<void>;
}

/** Raw JetStream on the bench stream. */
export class RawJetStream {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #watches = new Set<ConsumerMessages>();

  private constructor(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager) {
    this.#nc = nc;
    this.#js = js;
    this.#jsm = jsm;
  }

  /** Connects and (re)creates the bench stream with the store stream's settings. */
  static async open(natsUrl: string): Promise<RawJetStream> {
    const nc = await connect({ servers: natsUrl, name: "kemu-bench-baseline" });
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await jsm.streams.delete(BASELINE_STREAM).catch(() => false);
      await jsm.streams.add({
        name: BASELINE_STREAM,
        subjects: [`${PREFIX}.>`],
        storage: StorageType.File,
        allow_direct: true,
        max_msgs_per_subject: -1,
        discard: DiscardPolicy.Old,
        duplicate_window: 120_000_000_000,
      });
      return new RawJetStream(nc, jetstream(nc, { timeout: 5_000 }), jsm);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** Publishes with an ack, as a compare-and-set on the subject's last sequence (0: must not exist). */
  async put(subject: string, data: string, expectLastSeq: number): Promise<number> {
    const ack = await this.#js.publish(subject, data, {
      expect: { lastSubjectSequence: expectLastSeq },
      msgID: randomUUID(),
    });
    return ack.seq;
  }

  /** Reads the last message of a subject with a direct get; returns its payload size. */
  async get(subject: string): Promise<number> {
    const m = await this.#jsm.direct.getMessage(BASELINE_STREAM, { last_by_subj: subject });
    if (!m) throw new Error(`direct get ${subject}: no message`);
    return m.data.length;
  }

  /**
   * Reads the count messages of a subject filter from the start of the stream with an ordered
   * consumer and decodes each, as a store without a watch cache would serve a list.
   */
  async readAll(filter: string, count: number): Promise<{ items: unknown[]; bytes: number }> {
    const c = await this.#js.consumers.get(BASELINE_STREAM, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.All,
    });
    const items: unknown[] = [];
    let bytes = 0;
    const it = await c.fetch({ max_messages: count, expires: 30_000 });
    for await (const m of it) {
      bytes += m.data.length;
      items.push(m.json());
      if (items.length >= count) break;
    }
    await it.close();
    return { items, bytes };
  }

  /** Follows a subject filter from now on with an ordered consumer of its own. */
  async watch(filter: string, onMsg: (m: JsMsg) => void): Promise<BaselineWatch> {
    const c = await this.#js.consumers.get(BASELINE_STREAM, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await c.consume();
    this.#watches.add(messages);
    void (async () => {
      try {
        for await (const m of messages) onMsg(m);
      } catch {
        // Stopped.
      }
    })();
    return {
      stop: async () => {
        this.#watches.delete(messages);
        await messages.close();
      },
    };
  }

  /** Stops every watch, deletes the bench stream and closes the connection. */
  async close(): Promise<void> {
    try {
      await Promise.all([...this.#watches].map((m) => m.close()));
      await this.#jsm.streams.delete(BASELINE_STREAM).catch(() => false);
    } finally {
      await this.#nc.close();
    }
  }
}
