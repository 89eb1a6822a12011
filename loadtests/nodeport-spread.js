// nodeport-spread: requests to NodePorts spread over nodes and pods.
//
//   K6_TARGETS=127.0.1.1:31180,127.0.1.2:31180,127.0.1.3:31180 K6_EXPECT_PODS=3 k6 run loadtests/nodeport-spread.js
//
// By default every request opens a new TCP connection (noConnectionReuse), so kube-proxy picks
// an endpoint per request and every pod gets a share. With K6_KEEPALIVE=1 each VU keeps one
// connection to one target, so all of a VU's requests land on the pod that connection reached
// (same_pod_as_first = 1): this is why a keep-alive client "sticks" without any affinity.
//
// Environment:
//   K6_TARGETS        host:port,host:port (required)
//   K6_PATH           request path (default /)
//   K6_KEEPALIVE      1: one kept-alive connection per VU instead of a new one per request
//   K6_RUN_VUS        VUs (default 10)       K6_RUN_DURATION  how long (default 30s)
//   K6_REQ_TIMEOUT    per-request timeout (default 10s)
//   K6_EXPECT_PODS    how many pods should answer
//   K6_PODS           the pod names, comma-separated, for a share threshold per pod
//   K6_MIN_POD_SHARE  the least share each pod in K6_PODS must get (default 0.05)
//   K6_MAX_FAILED_RATE threshold on http_req_failed (default 0.01)
//
// Why the share check is built this way: k6 fixes thresholds in the init context, before any
// request, and keeps a per-tag sub-metric only when a threshold names it; the end-of-test summary
// and handleSummary() see no other per-tag figures. So a pod's share can be a threshold only if
// its name is known up front:
//   - K6_PODS=web-a,web-b,web-c: for every response the Rate pod_share gets one sample per named
//     pod, tagged {pod: NAME}, true when the response came from that pod; the threshold
//     'pod_share{pod:NAME}': ['rate>K6_MIN_POD_SHARE'] is then exactly that pod's share.
//     kubectl get pods -l app=web -o jsonpath='{.items[*].metadata.name}' | tr ' ' ',' gives the list.
//   - K6_EXPECT_PODS=N alone: the Trend pods_seen gets, per response, how many distinct pods this
//     VU has reached so far; 'pods_seen': ['max>=N'] passes once some VU has reached all N pods
//     (every pod answered), but it says nothing about shares.
// The Counter pod_requests, tagged {pod, node}, carries the per-pod counts to outputs such as
// --out json=results.json or --out csv for a full table.
import http from "k6/http";
import { check } from "k6";
import { Counter, Rate, Trend } from "k6/metrics";
import { flag, landing, list, num, str, succeeded, targetsFromEnv } from "./lib/kemu.js";

const TARGETS = targetsFromEnv();
const PATH = str("K6_PATH", "/");
const KEEPALIVE = flag("K6_KEEPALIVE");
const PODS = list("K6_PODS");
const EXPECT_PODS = num("K6_EXPECT_PODS", PODS.length);
const MIN_POD_SHARE = num("K6_MIN_POD_SHARE", 0.05);
const TIMEOUT = str("K6_REQ_TIMEOUT", "10s");

const podRequests = new Counter("pod_requests");
const podShare = new Rate("pod_share");
const podsSeen = new Trend("pods_seen");
const samePodAsFirst = new Rate("same_pod_as_first");

const thresholds = {
  http_req_failed: [`rate<${num("K6_MAX_FAILED_RATE", 0.01)}`],
};
if (EXPECT_PODS > 0) thresholds.pods_seen = [`max>=${EXPECT_PODS}`];
for (const pod of PODS) thresholds[`pod_share{pod:${pod}}`] = [`rate>${MIN_POD_SHARE}`];
if (KEEPALIVE) thresholds.same_pod_as_first = ["rate==1"];

export const options = {
  // k6 keeps connections alive by default; a new one per request is what spreads over pods.
  noConnectionReuse: !KEEPALIVE,
  scenarios: {
    [KEEPALIVE ? "spread_keepalive" : "spread"]: {
      executor: "constant-vus",
      vus: num("K6_RUN_VUS", 10),
      duration: str("K6_RUN_DURATION", "30s"),
    },
  },
  thresholds,
};

// Per VU (each VU has its own JavaScript runtime): the pods it reached, and its first one.
const seen = {};
let firstPod = null;

export default function () {
  // A kept-alive VU talks to one target, so it keeps one connection; new connections go round.
  const target = KEEPALIVE ? TARGETS[(__VU - 1) % TARGETS.length] : TARGETS[(__VU + __ITER) % TARGETS.length];
  const res = http.get(`http://${target}${PATH}`, { timeout: TIMEOUT, tags: { target: target } });
  const where = landing(res.body);
  check(res, {
    "status is 2xx/3xx": (r) => succeeded(r),
    "answer names the pod": () => where.pod !== "unknown",
  });
  if (!succeeded(res)) return;

  podRequests.add(1, { pod: where.pod, node: where.node });
  for (const pod of PODS) podShare.add(where.pod === pod, { pod: pod });
  if (where.pod !== "unknown") seen[where.pod] = true;
  podsSeen.add(Object.keys(seen).length);
  if (firstPod === null) firstPod = where.pod;
  samePodAsFirst.add(where.pod === firstPod);
}
