// Live objects for the tests, as kube-apiserver would hold them (defaults filled in).
// Built with a mutator, so each test shows only what differs.

/** A JSON object whose shape the tests do not care to type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

function build(base: Obj, mutate?: (o: Obj) => void): Obj {
  const o = structuredClone(base);
  mutate?.(o);
  return o;
}

const DEPLOYMENT: Obj = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "default",
    uid: "3f1c1b0e-7d1a-4d5e-9a43-5c2a8f0e0d11",
    resourceVersion: "1042",
    generation: 1,
    labels: { app: "web" },
    annotations: { "deployment.kubernetes.io/revision": "1" },
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          {
            name: "web",
            image: "nginx:1.25",
            ports: [{ containerPort: 80, protocol: "TCP" }],
            env: [
              { name: "MODE", value: "prod" },
              { name: "LOG_LEVEL", value: "info" },
            ],
            volumeMounts: [{ name: "data", mountPath: "/data" }],
            resources: { limits: { cpu: "500m" }, requests: { cpu: "100m" } },
            terminationMessagePath: "/dev/termination-log",
            terminationMessagePolicy: "File",
            imagePullPolicy: "IfNotPresent",
          },
        ],
        volumes: [{ name: "data", emptyDir: {} }],
        restartPolicy: "Always",
        terminationGracePeriodSeconds: 30,
        dnsPolicy: "ClusterFirst",
        securityContext: {},
        schedulerName: "default-scheduler",
      },
    },
  },
  status: {
    observedGeneration: 1,
    replicas: 2,
    conditions: [
      { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
      { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
    ],
  },
};

/** A live Deployment "web" running one nginx container; mutate adjusts it. */
export function makeDeployment(mutate?: (d: Obj) => void): Obj {
  return build(DEPLOYMENT, mutate);
}

const SERVICE: Obj = {
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name: "web",
    namespace: "default",
    uid: "8b7d6c5e-1111-4a2b-9c3d-2e4f6a8b0c1d",
    labels: { app: "web" },
  },
  spec: {
    type: "NodePort",
    selector: { app: "web" },
    clusterIP: "10.96.0.41",
    clusterIPs: ["10.96.0.41"],
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
    ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080, nodePort: 30080 }],
    sessionAffinity: "None",
    externalTrafficPolicy: "Cluster",
    internalTrafficPolicy: "Cluster",
  },
  status: { loadBalancer: {} },
};

/** A live NodePort Service "web" with one port; mutate adjusts it. */
export function makeService(mutate?: (s: Obj) => void): Obj {
  return build(SERVICE, mutate);
}

const POD: Obj = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web-7d4b9c-x2x9q",
    namespace: "default",
    labels: { app: "web", "pod-template-hash": "7d4b9c" },
    finalizers: ["example.com/cleanup"],
    ownerReferences: [
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "web-7d4b9c",
        uid: "rs-uid-1",
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    nodeName: "node-1",
    containers: [{ name: "web", image: "nginx:1.25", ports: [{ containerPort: 80, protocol: "TCP" }] }],
    tolerations: [
      {
        key: "node.kubernetes.io/not-ready",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      },
    ],
  },
  status: {
    phase: "Running",
    podIP: "10.244.1.5",
    podIPs: [{ ip: "10.244.1.5" }],
    conditions: [
      { type: "Initialized", status: "True" },
      { type: "Ready", status: "False" },
      { type: "PodScheduled", status: "True" },
    ],
  },
};

/** A live Pod of the "web" ReplicaSet, bound to node-1; mutate adjusts it. */
export function makePod(mutate?: (p: Obj) => void): Obj {
  return build(POD, mutate);
}

const NODE: Obj = {
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "node-1", labels: { "kubernetes.io/hostname": "node-1" } },
  spec: { podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"] },
  status: {
    addresses: [
      { type: "InternalIP", address: "172.18.0.2" },
      { type: "Hostname", address: "node-1" },
    ],
    conditions: [
      { type: "MemoryPressure", status: "False", lastHeartbeatTime: "2024-01-01T00:00:00Z" },
      { type: "Ready", status: "True", lastHeartbeatTime: "2024-01-01T00:00:00Z" },
    ],
  },
};

/** A live Node "node-1"; mutate adjusts it. */
export function makeNode(mutate?: (n: Obj) => void): Obj {
  return build(NODE, mutate);
}
