// pod-churn: a constant arrival rate of requests while pods are deleted and recreated by their
// Deployment, judged on failures and p(95) latency. Graceful termination, readiness and the
// EndpointSlice update decide how many requests fail.
//
//   K6_TARGETS=127.0.0.1:31180 K6_RATE=100 k6 run loadtests/pod-churn.js
//
// Deleting pods, either way:
//   - here, with K6_KUBE_API and K6_SELECTOR set: a second scenario (churn) lists the pods by
//     label selector and deletes a random Running one every K6_CHURN_EVERY, through the
//     Kubernetes API with k6/http (kemu up: K6_KUBE_API is the "API server:" URL it prints, and
//     K6_KUBE_CERT/K6_KUBE_KEY are .kemu/pki/admin.crt and admin.key, as absolute paths);
//   - or beside it, with kubectl:
//       while sleep 2; do kubectl get pods -l app=web -o name | shuf -n 1 | xargs -r kubectl delete --wait=false; done
//
// Thresholds are on requests tagged kind:traffic only, so the API calls do not count.
//
// Environment:
//   K6_TARGETS (required), K6_PATH (/), K6_RATE (requests/s, 50), K6_RUN_DURATION (60s),
//   K6_MAX_IN_FLIGHT (maxVUs, 100), K6_KEEPALIVE (0: a new connection per request),
//   K6_REQ_TIMEOUT (10s), K6_MAX_FAILED_RATE (0.01), K6_P95_MS (500)
//   K6_KUBE_API (https://127.0.0.1:6443), K6_NAMESPACE (default), K6_SELECTOR (app=web),
//   K6_CHURN_EVERY (2s), K6_KUBE_CERT and K6_KUBE_KEY (client certificate files, PEM) or
//   K6_KUBE_TOKEN (a bearer token). TLS verification of the API server is skipped
//   (insecureSkipTLSVerify): k6 trusts only the system's CAs, not the cluster's.
/* global open -- k6's init-context file reader */
/* eslint-disable no-console -- k6 prints console output beside its progress; it is how deletions show */
import http from "k6/http";
import { check } from "k6";
import { Counter } from "k6/metrics";
import { flag, landing, num, str, succeeded, targetsFromEnv } from "./lib/kemu.js";

const TARGETS = targetsFromEnv();
const PATH = str("K6_PATH", "/");
const RATE = num("K6_RATE", 50);
const DURATION = str("K6_RUN_DURATION", "60s");
const MAX_IN_FLIGHT = num("K6_MAX_IN_FLIGHT", 100);
const TIMEOUT = str("K6_REQ_TIMEOUT", "10s");
const KUBE_API = str("K6_KUBE_API", "").replace(/\/+$/, "");
const NAMESPACE = str("K6_NAMESPACE", "default");
const SELECTOR = str("K6_SELECTOR", "");
const CHURN = KUBE_API !== "" && SELECTOR !== "";

// open() works only here, in the init context; paths are best given absolute.
const CERT = CHURN && str("K6_KUBE_CERT", "") !== "" ? open(str("K6_KUBE_CERT", "")) : null;
const KEY = CHURN && str("K6_KUBE_KEY", "") !== "" ? open(str("K6_KUBE_KEY", "")) : null;
const TOKEN = str("K6_KUBE_TOKEN", "");

const podRequests = new Counter("pod_requests");
const podsDeleted = new Counter("pods_deleted");
const churnErrors = new Counter("churn_errors");

const scenarios = {
  traffic: {
    executor: "constant-arrival-rate",
    rate: RATE,
    timeUnit: "1s",
    duration: DURATION,
    preAllocatedVUs: Math.max(1, Math.min(MAX_IN_FLIGHT, Math.ceil(RATE / 5))),
    maxVUs: MAX_IN_FLIGHT,
    exec: "traffic",
  },
};
const thresholds = {
  "http_req_failed{kind:traffic}": [`rate<${num("K6_MAX_FAILED_RATE", 0.01)}`],
  "http_req_duration{kind:traffic}": [`p(95)<${num("K6_P95_MS", 500)}`],
};
if (CHURN) {
  scenarios.churn = {
    // One deletion per K6_CHURN_EVERY, for as long as the traffic runs.
    executor: "constant-arrival-rate",
    rate: 1,
    timeUnit: str("K6_CHURN_EVERY", "2s"),
    duration: DURATION,
    preAllocatedVUs: 1,
    maxVUs: 1,
    exec: "churn",
  };
  thresholds.pods_deleted = ["count>0"];
}

export const options = {
  noConnectionReuse: !flag("K6_KEEPALIVE"),
  scenarios: scenarios,
  thresholds: thresholds,
};
if (CHURN) {
  options.insecureSkipTLSVerify = true;
  if (CERT !== null && KEY !== null) {
    const host = /^https?:\/\/(\[[^\]]+\]|[^/:]+)/.exec(KUBE_API);
    options.tlsAuth = [{ domains: [host ? host[1] : KUBE_API], cert: CERT, key: KEY }];
  }
}

export function traffic() {
  const target = TARGETS[(__VU + __ITER) % TARGETS.length];
  const res = http.get(`http://${target}${PATH}`, {
    timeout: TIMEOUT,
    tags: { kind: "traffic", target: target },
  });
  const where = landing(res.body);
  check(res, { "status is 2xx/3xx": (r) => succeeded(r) }, { kind: "traffic" });
  if (succeeded(res)) podRequests.add(1, { pod: where.pod, node: where.node });
}

function kubeParams(name) {
  const headers = { Accept: "application/json" };
  if (TOKEN !== "") headers.Authorization = `Bearer ${TOKEN}`;
  return { headers: headers, timeout: "5s", tags: { kind: "kube-api", name: name } };
}

export function churn() {
  const pods = `${KUBE_API}/api/v1/namespaces/${encodeURIComponent(NAMESPACE)}/pods`;
  const list = http.get(`${pods}?labelSelector=${encodeURIComponent(SELECTOR)}`, kubeParams("list-pods"));
  if (list.status !== 200) {
    churnErrors.add(1);
    console.warn(`listing pods (${SELECTOR}) failed: ${list.status} ${list.error}`);
    return;
  }
  const body = list.json();
  const live = (body && body.items ? body.items : []).filter(
    (p) => !p.metadata.deletionTimestamp && p.status && p.status.phase === "Running",
  );
  if (live.length === 0) {
    console.warn(`no Running pod matches ${SELECTOR} in ${NAMESPACE}`);
    return;
  }
  const victim = live[Math.floor(Math.random() * live.length)].metadata.name;
  const res = http.del(`${pods}/${encodeURIComponent(victim)}`, null, kubeParams("delete-pod"));
  if (check(res, { "pod deleted": (r) => r.status === 200 || r.status === 202 }, { kind: "kube-api" })) {
    podsDeleted.add(1);
    console.log(`deleted ${NAMESPACE}/${victim}`);
  } else {
    churnErrors.add(1);
    console.warn(`deleting ${NAMESPACE}/${victim} failed: ${res.status} ${res.body}`);
  }
}
