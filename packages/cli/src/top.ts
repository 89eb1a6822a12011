/**
 * `kemu top`: a live terminal view of the cluster as traffic flows. Per node: the kube-proxy
 * sync machine's state, whether its rules are stale, and its rule count. Per Service port: its
 * endpoints (pod, node) with new connections per second in total and per node that proxied
 * them, so a curl loop or k6 run in another terminal shows the spread shift as pods come and go.
 *
 * It polls each node's `proxy.status.get` and `proxy.stats.get` subjects every interval and
 * turns the data planes' counters into rates.
 */
import { ApiClient, R, type KObject } from "@kemu/controllers";
import { nodeSubject, type NatsConnection } from "@kemu/nats";

interface NodeSample {
  status: KObject | undefined;
  stats:
    | { connections: Record<string, Record<string, number>>; pods: Record<string, string>; at: number }
    | undefined;
}

/** One frame's data: nodes, and rates per service port → endpoint → ingress node. */
export interface TopFrame {
  nodes: {
    name: string;
    ready: boolean;
    ip: string;
    mode: string;
    state: string;
    stale: string;
    rules: string;
    rate: number;
  }[];
  services: {
    rule: string;
    endpoints: {
      endpoint: string;
      pod: string;
      node: string;
      rate: number;
      byNode: Record<string, number>;
    }[];
  }[];
  nodeNames: string[];
}

const dec = new TextDecoder();

async function ask(nc: NatsConnection, subject: string): Promise<KObject | undefined> {
  try {
    const m = await nc.request(subject, new Uint8Array(), { timeout: 1_000 });
    return JSON.parse(dec.decode(m.data)) as KObject;
  } catch {
    return undefined;
  }
}

/** Takes samples and turns consecutive ones into rates. */
export class TopSampler {
  readonly #nc: NatsConnection;
  readonly #api: ApiClient;
  #previous = new Map<string, NodeSample>();

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#api = new ApiClient(nc, 3_000);
  }

  /** Samples every node and returns the frame (rates are 0 on the first call). */
  async frame(): Promise<TopFrame> {
    const nodes = ((await this.#api.list(R.nodes, undefined))["items"] as KObject[]).sort((a, b) =>
      a["metadata"]["name"] < b["metadata"]["name"] ? -1 : 1,
    );
    const samples = new Map<string, NodeSample>();
    await Promise.all(
      nodes.map(async (n) => {
        const name: string = n["metadata"]["name"];
        const [status, stats] = await Promise.all([
          ask(this.#nc, nodeSubject(name, "proxy.status.get")),
          ask(this.#nc, nodeSubject(name, "proxy.stats.get")),
        ]);
        samples.set(name, { status, stats: stats as NodeSample["stats"] });
      }),
    );
    const frame: TopFrame = { nodes: [], services: [], nodeNames: nodes.map((n) => n["metadata"]["name"]) };
    const perRule = new Map<
      string,
      Map<string, { pod: string; node: string; byNode: Record<string, number> }>
    >();
    for (const n of nodes) {
      const name: string = n["metadata"]["name"];
      const cur = samples.get(name)!;
      const prev = this.#previous.get(name);
      const dt = cur.stats && prev?.stats ? (cur.stats.at - prev.stats.at) / 1000 : 0;
      let nodeRate = 0;
      for (const [rule, eps] of Object.entries(cur.stats?.connections ?? {})) {
        let m = perRule.get(rule);
        if (!m) perRule.set(rule, (m = new Map()));
        for (const [ep, count] of Object.entries(eps)) {
          const before = prev?.stats?.connections[rule]?.[ep] ?? count;
          const rate = dt > 0 ? Math.max(0, count - before) / dt : 0;
          nodeRate += rate;
          const [pod, podNode] = (cur.stats?.pods[ep] ?? "?@?").split("@") as [string, string];
          const e = m.get(ep) ?? { pod, node: podNode, byNode: {} };
          e.byNode[name] = (e.byNode[name] ?? 0) + rate;
          m.set(ep, e);
        }
      }
      const ready = (n["status"]?.["conditions"] as KObject[] | undefined)?.find(
        (c) => c["type"] === "Ready",
      );
      frame.nodes.push({
        name,
        ready: ready?.["status"] === "True",
        ip:
          (n["status"]?.["addresses"] as KObject[] | undefined)?.find((a) => a["type"] === "InternalIP")?.[
            "address"
          ] ?? "",
        mode: cur.status?.["mode"] ?? "-",
        state: cur.status?.["state"] ?? "unreachable",
        stale: cur.status ? (cur.status["stale"] ? "yes" : "no") : "-",
        rules: cur.status?.["ruleCount"] !== undefined ? String(cur.status["ruleCount"]) : "-",
        rate: nodeRate,
      });
    }
    this.#previous = samples;
    for (const [rule, m] of [...perRule].sort(([a], [b]) => (a < b ? -1 : 1))) {
      frame.services.push({
        rule,
        endpoints: [...m]
          .map(([endpoint, e]) => ({
            endpoint,
            ...e,
            rate: Object.values(e.byNode).reduce((a, b) => a + b, 0),
          }))
          .sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1)),
      });
    }
    return frame;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]! + 2))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}

const fmt = (r: number) => (r >= 10 ? r.toFixed(0) : r.toFixed(1));

/** Renders a frame as text (no escape codes). */
export function renderTop(f: TopFrame, intervalSeconds: number): string {
  const out: string[] = [];
  out.push(
    `kemu top: ${f.nodes.length} nodes, every ${intervalSeconds}s (new connections per second; Ctrl-C quits)`,
    "",
  );
  out.push(
    table([
      ["NODE", "STATUS", "INTERNAL-IP", "PROXY", "SYNC STATE", "STALE", "RULES", "CONN/S"],
      ...f.nodes.map((n) => [
        n.name,
        n.ready ? "Ready" : "NotReady",
        n.ip,
        n.mode,
        n.state,
        n.stale,
        n.rules,
        fmt(n.rate),
      ]),
    ]),
  );
  out.push("");
  const shown = f.nodeNames.slice(0, 8);
  const rows = [["SERVICE PORT", "ENDPOINT", "POD", "POD NODE", "CONN/S", ...shown.map((n) => `via ${n}`)]];
  for (const s of f.services) {
    for (const e of s.endpoints) {
      rows.push([s.rule, e.endpoint, e.pod, e.node, fmt(e.rate), ...shown.map((n) => fmt(e.byNode[n] ?? 0))]);
    }
  }
  out.push(rows.length > 1 ? table(rows) : "no service endpoints yet");
  return out.join("\n");
}

/** Runs the live view until interrupted (or one frame with once). */
export async function runTop(
  nc: NatsConnection,
  o: { intervalSeconds: number; once: boolean; write: (s: string) => void },
): Promise<void> {
  const sampler = new TopSampler(nc);
  await sampler.frame();
  if (o.once) {
    await new Promise((r) => setTimeout(r, o.intervalSeconds * 1000));
    o.write(renderTop(await sampler.frame(), o.intervalSeconds) + "\n");
    return;
  }
  let stop = false;
  process.once("SIGINT", () => (stop = true));
  while (!stop) {
    await new Promise((r) => setTimeout(r, o.intervalSeconds * 1000));
    if (stop) break;
    const text = renderTop(await sampler.frame(), o.intervalSeconds);
    // Clear the screen and draw from the top, as top(1) does.
    o.write(`\x1b[H\x1b[2J${text}\n`);
  }
}
