// session-affinity: with sessionAffinity: ClientIP, every request of a client reaches the same pod,
// even though each request opens a new TCP connection.
//
//   kubectl patch svc web -p '{"spec":{"sessionAffinity":"ClientIP"}}'
//   K6_TARGETS=127.0.1.1:31180 k6 run --local-ips=127.0.0.2-127.0.0.11 loadtests/session-affinity.js
//
// The Rate same_pod_as_first gets, per response, whether it came from the same pod as this VU's
// first response; with affinity it is 1 (threshold rate==1), without it about 1/pods.
//
// Clients: kube-proxy keys affinity on the source IP. k6 VUs all share the machine's source
// address unless --local-ips (or K6_LOCAL_IPS) gives them several, handed out to VUs in turn;
// the addresses must exist on the machine (all of 127.0.0.0/8 does on Linux). Without it the
// test still passes with affinity on, but as one client, so every VU sticks to the same pod.
//
// Targets: each VU keeps to one target. Affinity is kept by each node's kube-proxy, so one
// client sent to several nodes (or through the edge, which spreads connections round-robin
// over the nodes) may reach a different pod per node, as on a real cluster; list nodes, not
// the edge, and VU n uses node n.
//
// Connections are never reused (noConnectionReuse): a kept-alive connection stays on its pod
// whatever the affinity, and the test would pass for the wrong reason.
//
// Environment: K6_TARGETS (required), K6_PATH (/), K6_RUN_VUS (10), K6_RUN_ITERATIONS
// (requests per VU, 20), K6_RUN_DURATION (most time, 5m), K6_REQ_TIMEOUT (10s),
// K6_MAX_FAILED_RATE (0.01).
import http from "k6/http";
import { check } from "k6";
import { Counter, Rate } from "k6/metrics";
import { landing, num, str, succeeded, targetsFromEnv } from "./lib/kemu.js";

const TARGETS = targetsFromEnv();
const PATH = str("K6_PATH", "/");
const TIMEOUT = str("K6_REQ_TIMEOUT", "10s");

const podRequests = new Counter("pod_requests");
const samePodAsFirst = new Rate("same_pod_as_first");

export const options = {
  noConnectionReuse: true,
  scenarios: {
    affinity: {
      executor: "per-vu-iterations",
      vus: num("K6_RUN_VUS", 10),
      iterations: num("K6_RUN_ITERATIONS", 20),
      maxDuration: str("K6_RUN_DURATION", "5m"),
    },
  },
  thresholds: {
    http_req_failed: [`rate<${num("K6_MAX_FAILED_RATE", 0.01)}`],
    same_pod_as_first: ["rate==1"],
  },
};

// Per VU: the pod its first successful request reached.
let firstPod = null;

export default function () {
  const target = TARGETS[(__VU - 1) % TARGETS.length];
  const res = http.get(`http://${target}${PATH}`, { timeout: TIMEOUT, tags: { target: target } });
  const where = landing(res.body);
  check(res, {
    "status is 2xx/3xx": (r) => succeeded(r),
    "answer names the pod": () => where.pod !== "unknown",
  });
  if (!succeeded(res)) return;
  podRequests.add(1, { pod: where.pod, node: where.node });
  if (firstPod === null) firstPod = where.pod;
  samePodAsFirst.add(where.pod === firstPod);
}
