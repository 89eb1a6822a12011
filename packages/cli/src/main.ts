/**
 * The kemu command line. Each command parses its flags here, validates settings once, and
 * hands over to a package. Exit codes: 0 success, 1 runtime failure, 2 usage error.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createLogger, streamSink, type Logger, type LogLevel } from "@kemu/common";
import {
  ApiServer,
  ensureAddons,
  parseSettings,
  readAdminCredential,
  SETTING_SOURCES,
  SettingsError,
} from "@kemu/apiserver";
import {
  CONTROLLER_SETTING_SOURCES,
  ControllerManager,
  ControllerSettingsError,
  parseControllerSettings,
} from "@kemu/controllers";
import { kubeconfig } from "./kubeconfig.ts";
import { LOAD_OPTIONS, loadHelp, LoadUsageError, runLoadCommand } from "./load.ts";
import { LoadSettingsError } from "@kemu/load";
import { runDown, runStatus, runUp } from "./up.ts";
import { runTop } from "./top.ts";
import { execInPod, NodeServiceError } from "@kemu/kubelet";
import { ApiClient, R } from "@kemu/controllers";
import { readRunState } from "./cluster.ts";
import { TestLog } from "@kemu/common";
import { Edge } from "@kemu/edge";
import { KernelNode, NodeHost } from "@kemu/node";
import { detectNodeIP, LoopbackFabric } from "@kemu/fabric";
import { chown, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { hostname } from "node:os";
import { connectNats } from "@kemu/nats";
import type { IpvsScheduler, ProxyMode } from "@kemu/proxy";

const USAGE = `kemu: a Kubernetes cluster emulator for service networking

Usage:
  kemu up [--nodes N] [--detach] [--fresh]
                             start a local cluster: nats-server, control plane, N nodes, edge
  kemu down                  stop it (state is kept; 'kemu up' resumes it)
  kemu status                processes, nodes, and each node's kube-proxy sync state
  kemu top                   live view: proxy sync state per node, connections/s per endpoint and node
  kemu curl --pod NS/NAME URL
                             an HTTP request from inside a pod: reach ClusterIPs, pod IPs and Service names
  kemu apiserver [flags]     run the API server (Kubernetes REST over HTTP and NATS, store in JetStream)
  kemu controller-manager [flags]
                             run the controllers and the scheduler against an API server, over NATS
  kemu control-plane [flags] run both in one process (API server flags plus controller flags)
  kemu edge --nats-url URL   run the external load balancer and LoadBalancer IP pool
  kemu nodes --nats-url URL --count N
                             run N emulated nodes (kubelet, kube-proxy, data plane) in one process
  kemu node --nats-url URL --name node-N
                             run one node on the kernel fabric (a compose container; needs NET_ADMIN)
  kemu load SCENARIO --targets HOST:PORT,...
                             play a load scenario (nodeport-spread, session-affinity, pod-churn...) like loadtests/'s k6 scripts
  kemu kubeconfig [flags]    print a kubeconfig for an API server
  kemu version               print kemu's version and the Kubernetes version it emulates
  kemu help [command]        show help for a command

Run 'kemu help <command>' for a command's flags.
`;

class UsageError extends Error {}

type Command = {
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Whether the command takes positional arguments. */
  positionals?: boolean;
  run(values: Record<string, string | boolean | undefined>, positionals?: string[]): Promise<number>;
};

const apiserverOptions = Object.fromEntries(
  Object.values(SETTING_SOURCES).map((s) => [s.flag.slice(2), { type: "string" as const }]),
);
const controllerOptions = Object.fromEntries(
  Object.values(CONTROLLER_SETTING_SOURCES).map((s) => [s.flag.slice(2), { type: "string" as const }]),
);

function flagsFor<K extends string>(
  sources: Record<K, { flag: string }>,
  values: Record<string, string | boolean | undefined>,
): Record<K, string | undefined> {
  const out = {} as Record<K, string | undefined>;
  for (const [key, src] of Object.entries(sources) as [K, { flag: string }][]) {
    out[key] = values[src.flag.slice(2)] as string | undefined;
  }
  return out;
}

function helpLines(sources: Record<string, { flag: string; env: string; help: string }>): string {
  return Object.values(sources)
    .map((s) => `  ${s.flag.padEnd(38)} ${s.env.padEnd(32)} ${s.help}`)
    .join("\n");
}

/** Resolves on SIGINT or SIGTERM. */
/** kube-proxy's flags, shared by `kemu nodes` and `kemu node`. */
const PROXY_OPTIONS = {
  "proxy-mode": { type: "string" },
  "ipvs-scheduler": { type: "string" },
  "min-sync-period": { type: "string" },
  "sync-period": { type: "string" },
} as const;

const PROXY_HELP =
  "  --proxy-mode MODE      iptables (default), ipvs or nftables\n" +
  "  --ipvs-scheduler S     rr (default), wrr, lc, wlc, sh, dh, sed or nq\n" +
  "  --min-sync-period S    kube-proxy's minSyncPeriod in seconds (default 1)\n" +
  "  --sync-period S        kube-proxy's syncPeriod in seconds (default 30)\n";

function proxyFlags(values: Record<string, unknown>) {
  const mode = String(values["proxy-mode"] ?? "iptables");
  if (!["iptables", "ipvs", "nftables"].includes(mode))
    throw new UsageError(`invalid --proxy-mode: "${mode}"`);
  const sched = String(values["ipvs-scheduler"] ?? "rr");
  if (!["rr", "wrr", "lc", "wlc", "sh", "dh", "sed", "nq"].includes(sched)) {
    throw new UsageError(`invalid --ipvs-scheduler: "${sched}"`);
  }
  const seconds = (flag: string, def: number) => {
    const v = Number(values[flag] ?? def);
    if (!(v >= 0 && v <= 3600)) {
      throw new UsageError(`invalid --${flag}: "${String(values[flag])}" is not a number of seconds`);
    }
    return v;
  };
  return {
    proxyMode: mode as ProxyMode,
    ipvsScheduler: sched as IpvsScheduler,
    minSyncPeriodMs: seconds("min-sync-period", 1) * 1000,
    syncPeriodMs: seconds("sync-period", 30) * 1000,
  };
}

/** --nats-url, or KEMU_NATS_URL unless a state dir was named. */
function natsUrlFlag(values: Record<string, unknown>): string | undefined {
  const v =
    values["nats-url"] ?? (values["state-dir"] === undefined ? process.env["KEMU_NATS_URL"] : undefined);
  return v === undefined ? undefined : String(v);
}

/**
 * On the loopback fabric (the API server bound to 127.0.0.1, as `kemu up` runs it) the
 * kubernetes Service's endpoint, the advertise address, is virtual: record where it is really
 * served, as pods' ports are, so that 10.96.0.1:443 reaches the API server through kube-proxy.
 * On the kernel fabric (compose) the address is real and nothing is needed.
 */
async function publishApiInFabric(
  server: ApiServer,
  settings: { listenHost: string },
  log: Logger,
): Promise<() => Promise<void>> {
  const at = server.advertise;
  if (!at || !settings.listenHost.startsWith("127.")) return async () => {};
  const fabric = await LoopbackFabric.open(server.nc, log.child("fabric"));
  await fabric.publishPodPort("control-plane", at.ip, at.port, "TCP", {
    host: settings.listenHost,
    port: at.port,
  });
  return async () => {
    await fabric.unpublishPodPort(at.ip, at.port, "TCP").catch(() => {});
    await fabric.close();
  };
}

/**
 * In a container (root) writing into a bind-mounted directory, hands what it wrote to the
 * directory's owner, so that the user who ran `docker compose up` can read the kubeconfig and
 * `kemu up` can later reuse the CA. Nothing to do when not root or when the owner is root.
 */
async function giveToDirOwner(dir: string, paths: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = await stat(dir);
  if (uid === 0) return;
  const walk = async (p: string): Promise<void> => {
    await chown(p, uid, gid);
    if ((await stat(p)).isDirectory()) for (const e of await readdir(p)) await walk(join(p, e));
  };
  const root = resolve(dir);
  for (const p of paths.map((x) => resolve(x))) {
    if (p === root || p.startsWith(root + "/")) await walk(p).catch(() => {});
  }
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

const COMMANDS: Record<string, Command> = {
  apiserver: {
    help:
      "Usage: kemu apiserver [flags]\n\nRuns the API server until interrupted. Flags (or environment variables):\n" +
      Object.values(SETTING_SOURCES)
        .map((s) => `  ${s.flag.padEnd(28)} ${s.env.padEnd(30)} ${s.help}`)
        .join("\n") +
      "\n",
    options: apiserverOptions,
    async run(values) {
      const flags: Record<string, string | undefined> = {};
      for (const [key, src] of Object.entries(SETTING_SOURCES))
        flags[key] = values[src.flag.slice(2)] as string | undefined;
      const settings = parseSettings(flags);
      const log = createLogger(
        "apiserver",
        streamSink((l) => process.stderr.write(l)),
        settings.logLevel as LogLevel,
      );
      const server = await ApiServer.start(settings, log);
      // One machine-readable line on stdout, for scripts and tests.
      process.stdout.write(`kemu apiserver listening on ${server.url}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.stop();
      return 0;
    },
  },
  up: {
    help:
      "Usage: kemu up [flags]\n\n" +
      "Starts a local cluster and waits until every node is Ready, then prints what to do next.\n" +
      "State (store, certificates, kubeconfig, logs) lives in --state-dir and survives 'kemu down'.\n\n" +
      "  --nodes N            number of nodes (default 3; node N answers on 127.0.1.N)\n" +
      "  --detach             return once Ready, leaving the cluster running in the background\n" +
      "  --fresh              start from an empty store\n" +
      "  --state-dir DIR      default .kemu\n" +
      "  --nats-url URL       use this NATS (JetStream) instead of starting nats-server\n" +
      "  --api-port PORT      API server port (default 6443)\n" +
      "  --dns-port PORT      127.0.0.1 port for the cluster DNS, UDP and TCP (default: the last\n" +
      "                       run's, else a free one; printed either way)\n" +
      "  --proxy-mode MODE    kube-proxy mode on every node: iptables (default), ipvs or nftables\n",
    options: {
      nodes: { type: "string" },
      "dns-port": { type: "string" },
      detach: { type: "boolean" },
      fresh: { type: "boolean" },
      "state-dir": { type: "string" },
      "nats-url": { type: "string" },
      "api-port": { type: "string" },
      "proxy-mode": { type: "string" },
    },
    async run(values) {
      const nodes = Number(values["nodes"] ?? 3);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 250)
        throw new UsageError(`invalid --nodes: must be 1-250, got "${String(values["nodes"])}"`);
      const apiPort = Number(values["api-port"] ?? 6443);
      if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535)
        throw new UsageError(`invalid --api-port: "${String(values["api-port"])}"`);
      const proxyMode = String(values["proxy-mode"] ?? "iptables");
      if (!["iptables", "ipvs", "nftables"].includes(proxyMode)) {
        throw new UsageError(`invalid --proxy-mode: must be iptables, ipvs or nftables, got "${proxyMode}"`);
      }
      const dnsPort = values["dns-port"] === undefined ? undefined : Number(values["dns-port"]);
      if (dnsPort !== undefined && (!Number.isInteger(dnsPort) || dnsPort < 0 || dnsPort > 65535))
        throw new UsageError(`invalid --dns-port: "${String(values["dns-port"])}"`);
      const o: Parameters<typeof runUp>[0] = {
        nodes,
        apiPort,
        proxyMode,
        stateDir: String(values["state-dir"] ?? ".kemu"),
        fresh: values["fresh"] === true,
        detach: values["detach"] === true,
        out: (l) => process.stdout.write(l + "\n"),
      };
      if (values["nats-url"]) o.natsUrl = String(values["nats-url"]);
      if (dnsPort !== undefined) o.dnsPort = dnsPort;
      return runUp(o);
    },
  },
  down: {
    help: "Usage: kemu down [--state-dir DIR]\n\nStops the cluster started from DIR (default .kemu). Its state is kept.\n",
    options: { "state-dir": { type: "string" } },
    run: (values) => runDown(String(values["state-dir"] ?? ".kemu"), (l) => process.stdout.write(l + "\n")),
  },
  status: {
    help:
      "Usage: kemu status [--state-dir DIR | --nats-url URL]\n\n" +
      "Shows the processes of the cluster that kemu up started from DIR (default .kemu) and, per node,\n" +
      "its kube-proxy sync machine. With --nats-url (or KEMU_NATS_URL, set in the compose containers:\n" +
      "`docker compose exec control-plane kemu status`) it asks that cluster directly.\n",
    options: { "state-dir": { type: "string" }, "nats-url": { type: "string" } },
    run: (values) =>
      runStatus(
        String(values["state-dir"] ?? ".kemu"),
        (l) => process.stdout.write(l + "\n"),
        natsUrlFlag(values),
      ),
  },
  nodes: {
    help:
      "Usage: kemu nodes --nats-url URL [flags]\n\n" +
      "Runs emulated nodes in this process until interrupted. Node N is named <prefix>N, answers on\n" +
      "127.0.1.N (NodePorts, kube-proxy /healthz on 10256 and /metrics on 10249) and runs its pods\n" +
      "in 10.244.N.0/24.\n\n" +
      "  --count N              how many nodes (default 1)\n" +
      "  --first-index N        index of the first node (default 1)\n" +
      "  --name-prefix P        default node-\n" +
      PROXY_HELP +
      "  --dns-port PORT        publish the cluster DNS on 127.0.0.1:PORT (0: any free port)\n",
    options: {
      "nats-url": { type: "string" },
      count: { type: "string" },
      "first-index": { type: "string" },
      "name-prefix": { type: "string" },
      "dns-port": { type: "string" },
      ...PROXY_OPTIONS,
    },
    async run(values) {
      const url = values["nats-url"] ?? process.env["KEMU_NATS_URL"];
      if (!url) throw new UsageError("invalid --nats-url: is required");
      const count = Number(values["count"] ?? 1);
      const first = Number(values["first-index"] ?? 1);
      if (
        !Number.isInteger(count) ||
        count < 1 ||
        !Number.isInteger(first) ||
        first < 1 ||
        first + count - 1 > 254
      ) {
        throw new UsageError("invalid --count/--first-index: node indexes must lie within 1-254");
      }
      const proxy = proxyFlags(values);
      const log = createLogger(
        "nodes",
        streamSink((l) => process.stderr.write(l)),
        "info",
      );
      const host = await NodeHost.start({
        natsUrl: String(url),
        log,
        count,
        firstIndex: first,
        namePrefix: String(values["name-prefix"] ?? "node-"),
        ...proxy,
        ...(values["dns-port"] !== undefined ? { dnsPort: Number(values["dns-port"]) } : {}),
        onNode: (a) => log.info("node started", { node: a.name, ip: a.ip }),
      });
      const dns = host.dns ? `; cluster DNS on 127.0.0.1:${host.dns.port}` : "";
      process.stdout.write(`kemu nodes running (${host.agents.map((a) => a.name).join(", ")})${dns}\n`);
      await untilSignal();
      await host.stop();
      return 0;
    },
  },
  node: {
    help:
      "Usage: kemu node --nats-url URL --name NAME [flags]\n\n" +
      "Runs one emulated node on the kernel fabric, as in a compose container (root or NET_ADMIN):\n" +
      "its pod IPs and the cluster's service IPs go onto lo, pods listen on their own IPs, and a route\n" +
      "to every other node's pod /24 goes via that node's InternalIP, kept current as nodes come and go.\n\n" +
      "  --nats-url URL         NATS server (or KEMU_NATS_URL)\n" +
      "  --name NAME            node name (or KEMU_NODE_NAME; default this host's name)\n" +
      "  --index N              pod CIDR 10.244.N.0/24 (or KEMU_NODE_INDEX; default the number NAME ends in)\n" +
      "  --node-ip IP           InternalIP (or KEMU_NODE_IP; default the first non-loopback IPv4 address)\n" +
      PROXY_HELP,
    options: {
      "nats-url": { type: "string" },
      name: { type: "string" },
      index: { type: "string" },
      "node-ip": { type: "string" },
      ...PROXY_OPTIONS,
    },
    async run(values) {
      const url = values["nats-url"] ?? process.env["KEMU_NATS_URL"];
      if (!url) throw new UsageError("invalid --nats-url: is required");
      const name = String(values["name"] ?? process.env["KEMU_NODE_NAME"] ?? hostname());
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
        throw new UsageError(`invalid --name: "${name}" is not a DNS-1123 label`);
      const indexText = values["index"] ?? process.env["KEMU_NODE_INDEX"] ?? /(\d+)$/.exec(name)?.[1];
      const index = Number(indexText);
      if (!Number.isInteger(index) || index < 1 || index > 254) {
        throw new UsageError(
          `invalid --index: "${String(indexText)}" must be 1-254 (name the node node-N, or pass --index)`,
        );
      }
      const nodeIP = String(values["node-ip"] ?? process.env["KEMU_NODE_IP"] ?? detectNodeIP() ?? "");
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(nodeIP))
        throw new UsageError(`invalid --node-ip: "${nodeIP}" (no IPv4 address found; pass --node-ip)`);
      const log = createLogger(
        "node",
        streamSink((l) => process.stderr.write(l)),
        "info",
      );
      const node = await KernelNode.start({
        natsUrl: String(url),
        log,
        name,
        index,
        nodeIP,
        ...proxyFlags(values),
      });
      process.stdout.write(`kemu node ${name} running on ${nodeIP} (pods 10.244.${index}.0/24)\n`);
      await untilSignal();
      await node.stop();
      return 0;
    },
  },
  top: {
    help:
      "Usage: kemu top [--state-dir DIR | --nats-url URL] [--interval SECONDS] [--once]\n\n" +
      "A live view of the cluster started from DIR (default .kemu): per node, kube-proxy's sync state,\n" +
      "stale flag and rule count; per Service port, each endpoint's new connections per second, in\n" +
      "total and per node that proxied them. --once prints one frame and exits. With --nats-url (or\n" +
      "KEMU_NATS_URL, set in the compose containers: `docker compose exec control-plane kemu top`)\n" +
      "it watches that cluster.\n",
    options: {
      "state-dir": { type: "string" },
      "nats-url": { type: "string" },
      interval: { type: "string" },
      once: { type: "boolean" },
    },
    async run(values) {
      const interval = Number(values["interval"] ?? 1);
      if (!(interval > 0 && interval <= 60))
        throw new UsageError(`invalid --interval: "${String(values["interval"])}"`);
      const url = natsUrlFlag(values);
      const state = url ? { natsUrl: url } : await readRunState(String(values["state-dir"] ?? ".kemu"));
      if (!state?.natsUrl) {
        process.stderr.write(
          `kemu top: no cluster state in ${String(values["state-dir"] ?? ".kemu")} (start one with kemu up)\n`,
        );
        return 1;
      }
      const nc = await connectNats({
        url: state.natsUrl,
        name: "kemu-top",
        log: new TestLog().logger(),
        timeoutMs: 3_000,
      });
      try {
        await runTop(nc, {
          intervalSeconds: interval,
          once: values["once"] === true,
          write: (s) => process.stdout.write(s),
        });
      } finally {
        await nc.drain().catch(() => {});
      }
      return 0;
    },
  },
  curl: {
    help:
      "Usage: kemu curl --pod [NAMESPACE/]NAME [flags] URL\n\n" +
      "Sends one HTTP request from inside a running pod, as `kubectl exec POD -- curl URL` would on a\n" +
      "real cluster: ClusterIPs and external IPs go through that node's kube-proxy rules, pod IPs\n" +
      "through the pod network, and Service names (svc, svc.ns, svc.ns.svc.cluster.local) resolve.\n" +
      "Prints the body; exits with curl's codes (7 refused, 28 timed out, 22 with --fail on >= 400).\n\n" +
      "  --pod NS/NAME          the pod to run in (namespace default if omitted)\n" +
      "  -X, --request METHOD   default GET\n" +
      "  -H, --header 'K: V'    request header (repeatable)\n" +
      "  -i, --include          print the status line and headers too\n" +
      "  -k, --insecure         https: do not verify the server certificate\n" +
      "  --fail                 exit 22 on an HTTP status >= 400\n" +
      "  --max-time SECONDS     default 10\n" +
      "  --state-dir DIR        the cluster kemu up started there (default .kemu)\n" +
      "  --nats-url URL         or this cluster's NATS (KEMU_NATS_URL; set in the compose containers)\n",
    options: {
      pod: { type: "string" },
      request: { type: "string", short: "X" },
      header: { type: "string", short: "H", multiple: true },
      include: { type: "boolean", short: "i" },
      fail: { type: "boolean" },
      "max-time": { type: "string" },
      "state-dir": { type: "string" },
      "nats-url": { type: "string" },
      insecure: { type: "boolean", short: "k" },
    },
    positionals: true,
    async run(values, positionals) {
      const url = positionals?.[0];
      if (!url || positionals!.length > 1) throw new UsageError("exactly one URL is required");
      if (!values["pod"]) throw new UsageError("invalid --pod: is required (NAMESPACE/NAME)");
      const [namespace, name] = String(values["pod"]).includes("/")
        ? (String(values["pod"]).split("/", 2) as [string, string])
        : ["default", String(values["pod"])];
      const maxTime = Number(values["max-time"] ?? 10);
      if (!(maxTime > 0)) throw new UsageError(`invalid --max-time: "${String(values["max-time"])}"`);
      const natsUrl = natsUrlFlag(values);
      const state = natsUrl ? { natsUrl } : await readRunState(String(values["state-dir"] ?? ".kemu"));
      if (!state?.natsUrl) {
        process.stderr.write(
          "kemu curl: no cluster state (start one with kemu up, or pass --state-dir or --nats-url)\n",
        );
        return 1;
      }
      const nc = await connectNats({
        url: state.natsUrl,
        name: "kemu-curl",
        log: new TestLog().logger(),
        timeoutMs: 3_000,
      });
      try {
        const pod = await new ApiClient(nc).get(R.pods, namespace, name);
        if (!pod) {
          process.stderr.write(`kemu curl: pods "${name}" not found in namespace ${namespace}\n`);
          return 1;
        }
        const node: string | undefined = pod["spec"]?.["nodeName"];
        if (!node) {
          process.stderr.write(`kemu curl: pod ${namespace}/${name} is not running on a node yet\n`);
          return 1;
        }
        const headers: Record<string, string> = {};
        for (const h of (values["header"] as unknown as string[] | undefined) ?? []) {
          const i = h.indexOf(":");
          if (i <= 0) throw new UsageError(`invalid --header: "${h}" is not "Name: value"`);
          headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
        }
        const result = await execInPod(
          nc,
          node,
          {
            namespace,
            pod: name,
            url,
            method: String(values["request"] ?? "GET"),
            headers,
            timeoutSeconds: maxTime,
            ...(values["insecure"] === true ? { insecure: true } : {}),
          },
          (maxTime + 5) * 1000,
        );
        if (!("status" in result)) {
          process.stderr.write(
            `${result.error.startsWith("curl:") ? result.error : `curl: (${result.exitCode}) ${result.error}`}\n`,
          );
          return result.exitCode;
        }
        if (values["include"]) {
          process.stdout.write(`HTTP/1.1 ${result.status}\r\n`);
          for (const [k, v] of Object.entries(result.headers))
            if (v !== undefined) process.stdout.write(`${k}: ${String(v)}\r\n`);
          process.stdout.write("\r\n");
        }
        process.stdout.write(result.body);
        return values["fail"] && result.status >= 400 ? 22 : 0;
      } catch (err) {
        if (err instanceof NodeServiceError) {
          process.stderr.write(`kemu curl: ${err.message}\n`);
          return 1;
        }
        throw err;
      } finally {
        await nc.drain().catch(() => {});
      }
    },
  },
  edge: {
    help:
      "Usage: kemu edge --nats-url URL [--edge-host HOST] [--lb-pool CIDR]\n\n" +
      "Runs the external load balancer (every NodePort on HOST, default 127.0.0.1) and the\n" +
      "LoadBalancer IP pool (default 127.0.2.0/24). --lb-pool auto takes the top /28 of this host's\n" +
      "network and puts each assigned address on lo (a compose container with NET_ADMIN), so other\n" +
      "hosts on that network, Docker's host included, reach the LoadBalancer IPs.\n",
    options: {
      "nats-url": { type: "string" },
      "edge-host": { type: "string" },
      "lb-pool": { type: "string" },
    },
    async run(values) {
      const url = values["nats-url"] ?? process.env["KEMU_NATS_URL"];
      if (!url) throw new UsageError("invalid --nats-url: is required");
      const log = createLogger(
        "edge",
        streamSink((l) => process.stderr.write(l)),
        "info",
      );
      const nc = await connectNats({ url: String(url), name: "kemu-edge", log: log.child("nats") });
      const opts: Parameters<typeof Edge.start>[0] = { nc, log };
      if (values["edge-host"]) opts.edgeHost = String(values["edge-host"]);
      if (values["lb-pool"]) opts.lbPool = String(values["lb-pool"]);
      const edge = await Edge.start(opts);
      process.stdout.write("kemu edge running\n");
      await untilSignal();
      await edge.stop();
      await nc.drain().catch(() => {});
      return 0;
    },
  },
  "controller-manager": {
    help:
      "Usage: kemu controller-manager [flags]\n\nRuns the controllers and the scheduler until interrupted. Flags (or environment variables):\n" +
      helpLines(CONTROLLER_SETTING_SOURCES) +
      "\n",
    options: controllerOptions,
    async run(values) {
      const settings = parseControllerSettings(flagsFor(CONTROLLER_SETTING_SOURCES, values));
      const log = createLogger(
        "controller-manager",
        streamSink((l) => process.stderr.write(l)),
        settings.logLevel as LogLevel,
      );
      const cm = await ControllerManager.start(settings, log);
      process.stdout.write("kemu controller-manager running\n");
      await untilSignal();
      await cm.stop();
      return 0;
    },
  },
  "control-plane": {
    help:
      "Usage: kemu control-plane [flags]\n\nRuns the API server, the controllers and the scheduler in one process.\n\nAPI server flags:\n" +
      helpLines(SETTING_SOURCES) +
      "\n\nController flags:\n" +
      helpLines(CONTROLLER_SETTING_SOURCES) +
      "\n\nOther flags:\n" +
      "  --write-kubeconfig PATH    write an admin kubeconfig there once the API server is up\n" +
      "  --kubeconfig-server URL    the server URL it names (default this API server's URL)\n",
    options: {
      ...controllerOptions,
      ...apiserverOptions,
      "write-kubeconfig": { type: "string" },
      "kubeconfig-server": { type: "string" },
    },
    async run(values) {
      const settings = parseSettings(flagsFor(SETTING_SOURCES, values));
      const cSettings = parseControllerSettings(flagsFor(CONTROLLER_SETTING_SOURCES, values));
      const log = createLogger(
        "control-plane",
        streamSink((l) => process.stderr.write(l)),
        settings.logLevel as LogLevel,
      );
      const server = await ApiServer.start(settings, log.child("apiserver"));
      const cm = await ControllerManager.start(cSettings, log.child("controllers"));
      await ensureAddons(server.api, log.child("addons"));
      const unpublish = await publishApiInFabric(server, settings, log);
      const out = values["write-kubeconfig"] ?? process.env["KEMU_WRITE_KUBECONFIG"];
      if (out) {
        const url = String(
          values["kubeconfig-server"] ?? process.env["KEMU_KUBECONFIG_SERVER"] ?? server.url,
        );
        const cred = url.startsWith("https:") ? await readAdminCredential(settings.certDir) : undefined;
        await mkdir(dirname(String(out)), { recursive: true });
        await writeFile(String(out), kubeconfig(url, cred ?? {}), { mode: 0o600 });
        await giveToDirOwner(dirname(String(out)), [String(out), settings.certDir]);
        log.info("kubeconfig written", { path: String(out), server: url });
      }
      process.stdout.write(`kemu apiserver listening on ${server.url}\n`);
      await untilSignal();
      await unpublish();
      await cm.stop();
      await server.stop();
      return 0;
    },
  },
  kubeconfig: {
    help:
      "Usage: kemu kubeconfig [--server URL] [--cert-dir DIR]\n\n" +
      "Prints a kubeconfig for the API server at URL (default https://127.0.0.1:6443), trusting the\n" +
      "cluster CA in DIR (default .kemu/pki, where 'kemu apiserver' creates it).\n",
    options: { server: { type: "string" }, "cert-dir": { type: "string" } },
    async run(values) {
      const server = String(values["server"] ?? "https://127.0.0.1:6443");
      if (!/^https?:\/\/[^/]+/.test(server)) {
        throw new UsageError(`invalid --server: must be a URL like https://127.0.0.1:6443, got "${server}"`);
      }
      const dir = String(values["cert-dir"] ?? ".kemu/pki");
      const cred = server.startsWith("https:") ? await readAdminCredential(dir) : undefined;
      if (server.startsWith("https:") && !cred) {
        throw new UsageError(
          `invalid --cert-dir: no ca.crt in ${dir} (start 'kemu apiserver --cert-dir ${dir}' first)`,
        );
      }
      process.stdout.write(kubeconfig(server, cred ?? {}));
      return 0;
    },
  },
  load: {
    help: loadHelp(),
    options: LOAD_OPTIONS,
    positionals: true,
    async run(values, positionals) {
      if ((positionals?.length ?? 0) > 1) throw new UsageError("exactly one scenario is expected");
      return runLoadCommand(positionals?.[0], values, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      });
    },
  },
  version: {
    help: "Usage: kemu version\n",
    options: {},
    async run() {
      process.stdout.write("kemu 0.1.0 (emulates Kubernetes v1.32)\n");
      return 0;
    },
  },
};

/** Runs the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    const topic = rest[0] && COMMANDS[rest[0]];
    process.stdout.write(topic ? topic.help : USAGE);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`kemu: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(cmd.help);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: cmd.options,
      strict: true,
      allowPositionals: cmd.positionals === true,
    });
    return await cmd.run(values as Record<string, string | boolean | undefined>, positionals);
  } catch (err) {
    if (
      err instanceof SettingsError ||
      err instanceof ControllerSettingsError ||
      err instanceof UsageError ||
      err instanceof LoadUsageError ||
      err instanceof LoadSettingsError ||
      String((err as { code?: unknown }).code ?? "").startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`kemu ${name}: ${(err as Error).message}\n\n${cmd.help}`);
      return 2;
    }
    process.stderr.write(`kemu ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
