// Rich objects of every supported kind, for the round-trip tests. Each builder takes a mutator so
// a test shows only what differs: makeKind("apps/v1", "Deployment", (d) => { ... }).

type Obj = Record<string, unknown>;

const meta = (name: string, namespace?: string): Obj => ({
  name,
  ...(namespace ? { namespace } : {}),
  generateName: "gen-",
  uid: "0d0a5b52-8a4e-4b3e-9d9c-000000000001",
  resourceVersion: "42",
  generation: 7,
  creationTimestamp: "2024-05-06T07:08:09Z",
  deletionTimestamp: "2024-05-06T08:00:00Z",
  deletionGracePeriodSeconds: 0,
  labels: { app: "web", "app.kubernetes.io/name": "web", tier: "" },
  annotations: { "kubernetes.io/description": "héllo ✓ 世界", empty: "" },
  ownerReferences: [
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name: "web-5d4f",
      uid: "0d0a5b52-8a4e-4b3e-9d9c-000000000002",
      controller: true,
      blockOwnerDeletion: false,
    },
  ],
  finalizers: ["kubernetes.io/pvc-protection", "example.com/x"],
  managedFields: [
    {
      manager: "kubectl-create",
      operation: "Update",
      apiVersion: "v1",
      time: "2024-05-06T07:08:09Z",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } } },
    },
    { manager: "kubelet", operation: "Update", apiVersion: "v1", subresource: "status" },
  ],
});

const selector = (): Obj => ({
  matchLabels: { app: "web" },
  matchExpressions: [
    { key: "tier", operator: "In", values: ["a", "b"] },
    { key: "gone", operator: "DoesNotExist" },
  ],
});

const container = (name: string): Obj => ({
  name,
  image: "nginx:1.25",
  command: ["/bin/sh", "-c"],
  args: ["exec nginx -g 'daemon off;'"],
  workingDir: "/srv",
  ports: [
    { name: "http", containerPort: 80, protocol: "TCP" },
    { containerPort: 53, protocol: "UDP", hostPort: 5353, hostIP: "0.0.0.0" },
  ],
  envFrom: [{ prefix: "CM_", configMapRef: { name: "cm", optional: true } }, { secretRef: { name: "sec" } }],
  env: [
    { name: "PLAIN", value: "1" },
    { name: "EMPTY" },
    { name: "POD", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
    {
      name: "MEM",
      valueFrom: { resourceFieldRef: { containerName: name, resource: "limits.memory", divisor: "1Mi" } },
    },
    { name: "CPU", valueFrom: { resourceFieldRef: { resource: "requests.cpu", divisor: "0" } } },
    { name: "CMK", valueFrom: { configMapKeyRef: { name: "cm", key: "k", optional: false } } },
    { name: "SK", valueFrom: { secretKeyRef: { name: "sec", key: "password" } } },
  ],
  resources: {
    limits: { cpu: "500m", memory: "128Mi", "nvidia.com/gpu": "1" },
    requests: { cpu: "250m", memory: "64Mi" },
    claims: [{ name: "gpu", request: "one" }],
  },
  resizePolicy: [{ resourceName: "cpu", restartPolicy: "NotRequired" }],
  volumeMounts: [
    { name: "data", mountPath: "/data", readOnly: true, recursiveReadOnly: "IfPossible", subPath: "sub" },
    { name: "cfg", mountPath: "/etc/cfg", mountPropagation: "None", subPathExpr: "$(POD)" },
  ],
  volumeDevices: [{ name: "raw", devicePath: "/dev/xvda" }],
  livenessProbe: {
    httpGet: {
      path: "/healthz",
      port: 8080,
      host: "localhost",
      scheme: "HTTP",
      httpHeaders: [{ name: "X", value: "y" }],
    },
    initialDelaySeconds: 3,
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    terminationGracePeriodSeconds: 5,
  },
  readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 5 },
  startupProbe: { exec: { command: ["cat", "/tmp/ready"] } },
  lifecycle: {
    postStart: { exec: { command: ["echo", "hi"] } },
    preStop: { sleep: { seconds: 5 } },
  },
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "FallbackToLogsOnError",
  imagePullPolicy: "IfNotPresent",
  securityContext: {
    capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
    privileged: false,
    seLinuxOptions: { user: "u", role: "r", type: "t", level: "s0" },
    windowsOptions: { gmsaCredentialSpecName: "g", runAsUserName: "ContainerUser", hostProcess: false },
    runAsUser: 1000,
    runAsGroup: 3000,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    procMount: "Default",
    seccompProfile: { type: "RuntimeDefault" },
    appArmorProfile: { type: "Localhost", localhostProfile: "k8s-nginx" },
  },
  stdin: true,
  stdinOnce: true,
  tty: true,
});

const podSpec = (): Obj => ({
  volumes: [
    { name: "data", persistentVolumeClaim: { claimName: "pvc", readOnly: true } },
    {
      name: "cfg",
      configMap: { name: "cm", items: [{ key: "k", path: "p", mode: 0o400 }], defaultMode: 420 },
    },
    { name: "sec", secret: { secretName: "sec", optional: true } },
    { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
    { name: "host", hostPath: { path: "/var/log", type: "Directory" } },
    {
      name: "proj",
      projected: {
        sources: [
          { serviceAccountToken: { audience: "api", expirationSeconds: 3600, path: "token" } },
          { downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
          { configMap: { name: "cm", optional: false } },
          { secret: { name: "sec", items: [{ key: "a", path: "b" }] } },
        ],
        defaultMode: 420,
      },
    },
    { name: "nfs", nfs: { server: "10.0.0.1", path: "/export", readOnly: true } },
    { name: "csi", csi: { driver: "csi.example.com", readOnly: true, volumeAttributes: { size: "1" } } },
    {
      name: "eph",
      ephemeral: {
        volumeClaimTemplate: {
          metadata: { labels: { v: "1" } },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "1Gi" } },
            storageClassName: "fast",
            volumeMode: "Filesystem",
          },
        },
      },
    },
    { name: "img", image: { reference: "registry.example.com/data:1", pullPolicy: "IfNotPresent" } },
    {
      name: "dapi",
      downwardAPI: { items: [{ path: "cpu", resourceFieldRef: { resource: "limits.cpu", divisor: "1m" } }] },
    },
  ],
  initContainers: [{ ...container("init"), restartPolicy: "Always" }],
  containers: [container("main"), { name: "side", image: "busybox" }],
  ephemeralContainers: [{ name: "debug", image: "busybox", targetContainerName: "main", stdin: true }],
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 30,
  activeDeadlineSeconds: 600,
  dnsPolicy: "ClusterFirst",
  nodeSelector: { "kubernetes.io/os": "linux", disk: "ssd" },
  serviceAccountName: "sa",
  serviceAccount: "sa",
  automountServiceAccountToken: false,
  nodeName: "node-1",
  hostNetwork: true,
  hostPID: true,
  hostIPC: true,
  shareProcessNamespace: true,
  securityContext: {
    seLinuxOptions: { level: "s0:c1" },
    runAsUser: 0,
    runAsGroup: 0,
    runAsNonRoot: false,
    supplementalGroups: [1, 2, 3000000000],
    supplementalGroupsPolicy: "Strict",
    fsGroup: 2000,
    sysctls: [{ name: "net.core.somaxconn", value: "1024" }],
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "Localhost", localhostProfile: "p.json" },
    appArmorProfile: { type: "RuntimeDefault" },
    seLinuxChangePolicy: "MountOption",
  },
  imagePullSecrets: [{ name: "reg" }],
  hostname: "h",
  subdomain: "sub",
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 10,
          preference: { matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["n"] }] },
        },
      ],
    },
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: selector(), topologyKey: "kubernetes.io/hostname", namespaces: ["a"] },
      ],
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: "zone",
            namespaceSelector: {},
            matchLabelKeys: ["pod-template-hash"],
            mismatchLabelKeys: ["x"],
          },
        },
      ],
    },
  },
  schedulerName: "default-scheduler",
  tolerations: [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    { operator: "Exists" },
  ],
  hostAliases: [{ ip: "127.0.0.1", hostnames: ["foo.local", "bar.local"] }],
  priorityClassName: "high",
  priority: -5,
  dnsConfig: {
    nameservers: ["1.1.1.1"],
    searches: ["svc.local"],
    options: [{ name: "ndots", value: "2" }, { name: "edns0" }],
  },
  readinessGates: [{ conditionType: "example.com/ready" }],
  runtimeClassName: "gvisor",
  enableServiceLinks: false,
  preemptionPolicy: "Never",
  overhead: { cpu: "100m" },
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: "zone",
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: { app: "web" } },
      minDomains: 2,
      nodeAffinityPolicy: "Honor",
      nodeTaintsPolicy: "Ignore",
      matchLabelKeys: ["pod-template-hash"],
    },
  ],
  setHostnameAsFQDN: true,
  os: { name: "linux" },
  hostUsers: false,
  schedulingGates: [{ name: "example.com/gate" }],
  resourceClaims: [{ name: "gpu", resourceClaimTemplateName: "gpu-template" }],
  resources: { limits: { cpu: "2" } },
});

const template = (): Obj => ({ metadata: { labels: { app: "web" } }, spec: podSpec() });

const BUILDERS: Record<string, () => Obj> = {
  "v1/Namespace": () => ({
    metadata: meta("ns"),
    spec: { finalizers: ["kubernetes"] },
    status: {
      phase: "Terminating",
      conditions: [
        {
          type: "NamespaceDeletionContentFailure",
          status: "False",
          lastTransitionTime: "2024-01-01T00:00:00Z",
          reason: "ContentDeleted",
          message: "done",
        },
      ],
    },
  }),
  "v1/ConfigMap": () => ({
    metadata: meta("cm", "default"),
    immutable: false,
    data: { "a.txt": "1", b: "", ü: "ünïcode" },
    binaryData: { blob: "/wD+gEE=", empty: "" },
  }),
  "v1/Secret": () => ({
    metadata: meta("sec", "default"),
    immutable: true,
    data: { password: "czNjcjN0", empty: "" },
    stringData: { extra: "plain" },
    type: "Opaque",
  }),
  "v1/ServiceAccount": () => ({
    metadata: meta("sa", "default"),
    secrets: [
      {
        kind: "Secret",
        namespace: "default",
        name: "sa-token",
        uid: "u",
        apiVersion: "v1",
        resourceVersion: "1",
        fieldPath: "f",
      },
    ],
    imagePullSecrets: [{ name: "reg" }, {}],
    automountServiceAccountToken: true,
  }),
  "v1/Service": () => ({
    metadata: meta("svc", "default"),
    spec: {
      ports: [
        {
          name: "http",
          protocol: "TCP",
          appProtocol: "kubernetes.io/h2c",
          port: 80,
          targetPort: 8080,
          nodePort: 30080,
        },
        { name: "named", protocol: "UDP", port: 53, targetPort: "dns" },
        { port: 9000 },
      ],
      selector: { app: "web" },
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10", "fd00::10"],
      type: "LoadBalancer",
      externalIPs: ["203.0.113.5"],
      sessionAffinity: "ClientIP",
      loadBalancerIP: "198.51.100.7",
      loadBalancerSourceRanges: ["0.0.0.0/0"],
      externalTrafficPolicy: "Local",
      healthCheckNodePort: 32000,
      publishNotReadyAddresses: true,
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      ipFamilies: ["IPv4", "IPv6"],
      ipFamilyPolicy: "PreferDualStack",
      allocateLoadBalancerNodePorts: false,
      loadBalancerClass: "example.com/lb",
      internalTrafficPolicy: "Cluster",
      trafficDistribution: "PreferClose",
    },
    status: {
      loadBalancer: {
        ingress: [
          {
            ip: "198.51.100.7",
            ipMode: "VIP",
            ports: [{ port: 80, protocol: "TCP", error: "MixedProtocolNotSupported" }],
          },
          { hostname: "lb.example.com" },
        ],
      },
      conditions: [
        {
          type: "LoadBalancerPortsError",
          status: "True",
          observedGeneration: 3,
          lastTransitionTime: "2024-02-03T04:05:06Z",
          reason: "LoadBalancerMixedProtocolNotSupported",
          message: "mixed",
        },
      ],
    },
  }),
  "v1/Pod": () => ({
    metadata: meta("pod", "default"),
    spec: podSpec(),
    status: {
      phase: "Running",
      conditions: [
        {
          type: "Ready",
          status: "True",
          lastProbeTime: null,
          lastTransitionTime: "2024-03-04T05:06:07Z",
        },
      ],
      message: "m",
      reason: "r",
      nominatedNodeName: "node-2",
      hostIP: "192.0.2.1",
      hostIPs: [{ ip: "192.0.2.1" }],
      podIP: "10.244.0.5",
      podIPs: [{ ip: "10.244.0.5" }, { ip: "fd00::5" }],
      startTime: "2024-03-04T05:06:00Z",
      initContainerStatuses: [
        {
          name: "init",
          state: {
            terminated: {
              exitCode: 0,
              reason: "Completed",
              startedAt: "2024-03-04T05:06:01Z",
              finishedAt: "2024-03-04T05:06:02Z",
              containerID: "containerd://abc",
            },
          },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: "nginx:1.25",
          imageID: "docker.io/library/nginx@sha256:0",
        },
      ],
      containerStatuses: [
        {
          name: "main",
          state: { running: { startedAt: "2024-03-04T05:06:03Z" } },
          lastState: {
            terminated: {
              exitCode: -1,
              signal: 9,
              reason: "Error",
              message: "killed",
              startedAt: null,
              finishedAt: null,
            },
          },
          ready: true,
          restartCount: 2,
          image: "nginx:1.25",
          imageID: "sha256:1",
          containerID: "containerd://def",
          started: true,
          allocatedResources: { cpu: "250m" },
          resources: { requests: { cpu: "250m" } },
          volumeMounts: [{ name: "data", mountPath: "/data", readOnly: true, recursiveReadOnly: "Enabled" }],
          user: { linux: { uid: 1000, gid: 3000, supplementalGroups: [3000, 4000] } },
          allocatedResourcesStatus: [
            { name: "claim:gpu", resources: [{ resourceID: "gpu-0", health: "Healthy" }] },
          ],
        },
        {
          name: "side",
          state: { waiting: { reason: "ContainerCreating", message: "pulling" } },
          lastState: {},
          ready: false,
          restartCount: 0,
          image: "busybox",
          imageID: "",
        },
      ],
      qosClass: "Burstable",
      ephemeralContainerStatuses: [
        {
          name: "debug",
          state: {},
          lastState: {},
          ready: false,
          restartCount: 0,
          image: "busybox",
          imageID: "",
        },
      ],
      resize: "InProgress",
      resourceClaimStatuses: [{ name: "gpu", resourceClaimName: "pod-gpu-x" }],
    },
  }),
  "v1/Endpoints": () => ({
    metadata: meta("svc", "default"),
    subsets: [
      {
        addresses: [
          {
            ip: "10.244.0.5",
            hostname: "web-0",
            nodeName: "node-1",
            targetRef: { kind: "Pod", namespace: "default", name: "web-0", uid: "u" },
          },
        ],
        notReadyAddresses: [{ ip: "10.244.0.6" }],
        ports: [
          { name: "http", port: 8080, protocol: "TCP", appProtocol: "http" },
          { port: 53, protocol: "UDP" },
        ],
      },
    ],
  }),
  "v1/Event": () => ({
    metadata: meta("web.17a", "default"),
    involvedObject: {
      kind: "Pod",
      namespace: "default",
      name: "web",
      uid: "u",
      apiVersion: "v1",
      resourceVersion: "9",
      fieldPath: "spec.containers{main}",
    },
    reason: "Started",
    message: "Started container main",
    source: { component: "kubelet", host: "node-1" },
    firstTimestamp: "2024-03-04T05:06:03Z",
    lastTimestamp: "2024-03-04T05:07:03Z",
    count: 2,
    type: "Normal",
    eventTime: "2024-03-04T05:06:03.123456Z",
    series: { count: 2, lastObservedTime: "2024-03-04T05:07:03.000001Z" },
    action: "Started",
    related: { kind: "Node", name: "node-1" },
    reportingComponent: "kubelet",
    reportingInstance: "node-1",
  }),
  "v1/Node": () => ({
    metadata: meta("node-1"),
    spec: {
      podCIDR: "10.244.0.0/24",
      podCIDRs: ["10.244.0.0/24", "fd00:10:244::/64"],
      providerID: "kemu://node-1",
      unschedulable: true,
      taints: [
        { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" },
        { key: "k", value: "v", effect: "NoExecute", timeAdded: "2024-01-02T03:04:05Z" },
      ],
      configSource: { configMap: { namespace: "kube-system", name: "kubelet", kubeletConfigKey: "kubelet" } },
      externalID: "ext",
    },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "100Gi" },
      allocatable: { cpu: "3800m", memory: "7Gi", pods: "110" },
      phase: "Running",
      conditions: [
        {
          type: "Ready",
          status: "True",
          lastHeartbeatTime: "2024-01-02T03:04:05Z",
          lastTransitionTime: "2024-01-01T00:00:00Z",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
        },
      ],
      addresses: [
        { type: "InternalIP", address: "192.0.2.10" },
        { type: "Hostname", address: "node-1" },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: "m",
        systemUUID: "s",
        bootID: "b",
        kernelVersion: "6.1.0",
        osImage: "Debian",
        containerRuntimeVersion: "containerd://1.7.0",
        kubeletVersion: "v1.32.0",
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: "amd64",
      },
      images: [{ names: ["nginx:1.25", "nginx@sha256:0"], sizeBytes: 67108864 }, { names: ["pause:3.9"] }],
      volumesInUse: ["kubernetes.io/csi/x"],
      volumesAttached: [{ name: "kubernetes.io/csi/x", devicePath: "/dev/xvdb" }],
      config: {
        active: {
          configMap: {
            namespace: "kube-system",
            name: "kubelet",
            uid: "u",
            resourceVersion: "1",
            kubeletConfigKey: "k",
          },
        },
        error: "none",
      },
      runtimeHandlers: [
        { name: "", features: { recursiveReadOnlyMounts: true, userNamespaces: false } },
        { name: "runc" },
      ],
      features: { supplementalGroupsPolicy: true },
    },
  }),
  "v1/Binding": () => ({
    metadata: meta("web-0", "default"),
    target: { kind: "Node", name: "node-1", apiVersion: "v1" },
  }),
  "v1/Status": () => ({
    metadata: { selfLink: "/x", resourceVersion: "5", continue: "c", remainingItemCount: 3 },
    status: "Failure",
    message: 'pods "web" not found',
    reason: "NotFound",
    details: {
      name: "web",
      kind: "pods",
      uid: "u",
      causes: [{ reason: "FieldValueInvalid", message: "bad", field: "spec.x" }, {}],
      retryAfterSeconds: 1,
    },
    code: 404,
  }),
  "meta.k8s.io/v1/DeleteOptions": () => ({
    gracePeriodSeconds: 0,
    preconditions: { uid: "u", resourceVersion: "7" },
    orphanDependents: false,
    propagationPolicy: "Foreground",
    dryRun: ["All"],
    ignoreStoreReadErrorWithClusterBreakingPotential: true,
  }),
  "apps/v1/Deployment": () => ({
    metadata: meta("web", "default"),
    spec: {
      replicas: 0,
      selector: selector(),
      template: template(),
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: 1 } },
      minReadySeconds: 5,
      revisionHistoryLimit: 10,
      paused: true,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: 7,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [
        {
          type: "Available",
          status: "True",
          lastUpdateTime: "2024-01-01T00:00:00Z",
          lastTransitionTime: "2024-01-01T00:00:00Z",
          reason: "MinimumReplicasAvailable",
          message: "ok",
        },
      ],
      collisionCount: 0,
    },
  }),
  "apps/v1/ReplicaSet": () => ({
    metadata: meta("web-5d4f", "default"),
    spec: {
      replicas: 3,
      minReadySeconds: 1,
      selector: { matchLabels: { app: "web" } },
      template: template(),
    },
    status: {
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
      conditions: [
        { type: "ReplicaFailure", status: "False", lastTransitionTime: null, reason: "r", message: "m" },
      ],
    },
  }),
  "apps/v1/DaemonSet": () => ({
    metadata: meta("agent", "kube-system"),
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: template(),
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "10%" } },
      revisionHistoryLimit: 3,
    },
    status: {
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 1,
      observedGeneration: 4,
      updatedNumberScheduled: 2,
      numberAvailable: 1,
      numberUnavailable: 1,
      collisionCount: 1,
      conditions: [{ type: "Degraded", status: "Unknown" }],
    },
  }),
  "apps/v1/ControllerRevision": () => ({
    metadata: meta("agent-6b8f", "kube-system"),
    data: { spec: { template: { spec: { containers: [{ name: "a", image: "b" }] } } }, $patch: "replace" },
    revision: 3,
  }),
  "discovery.k8s.io/v1/EndpointSlice": () => ({
    metadata: meta("web-abc", "default"),
    addressType: "IPv4",
    endpoints: [
      {
        addresses: ["10.244.0.5"],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: "web-0",
        targetRef: { kind: "Pod", namespace: "default", name: "web-0", uid: "u" },
        deprecatedTopology: { "kubernetes.io/hostname": "node-1" },
        nodeName: "node-1",
        zone: "zone-a",
        hints: { forZones: [{ name: "zone-a" }] },
      },
      { addresses: ["10.244.0.6"], conditions: {} },
    ],
    ports: [
      { name: "http", protocol: "TCP", port: 8080, appProtocol: "http" },
      { name: "", port: 0 },
    ],
  }),
  "coordination.k8s.io/v1/Lease": () => ({
    metadata: meta("node-1", "kube-node-lease"),
    spec: {
      holderIdentity: "node-1",
      leaseDurationSeconds: 40,
      acquireTime: "2024-01-02T03:04:05.000000Z",
      renewTime: "2024-01-02T03:04:45.123456Z",
      leaseTransitions: 0,
      strategy: "OldestEmulationVersion",
      preferredHolder: "node-2",
    },
  }),
  "events.k8s.io/v1/Event": () => ({
    metadata: meta("web.17b", "default"),
    eventTime: "2024-03-04T05:06:03.999999Z",
    series: { count: 5, lastObservedTime: "2024-03-04T05:09:03.000000Z" },
    reportingController: "kubernetes.io/kubelet",
    reportingInstance: "kubelet-node-1",
    action: "Pulling",
    reason: "Pulled",
    regarding: { kind: "Pod", namespace: "default", name: "web", uid: "u", apiVersion: "v1" },
    related: { kind: "Node", name: "node-1" },
    note: "Successfully pulled image",
    type: "Normal",
    deprecatedSource: { component: "kubelet", host: "node-1" },
    deprecatedFirstTimestamp: "2024-03-04T05:06:03Z",
    deprecatedLastTimestamp: "2024-03-04T05:09:03Z",
    deprecatedCount: 5,
  }),
  "policy/v1/Eviction": () => ({
    metadata: { name: "web-0", namespace: "default" },
    deleteOptions: { gracePeriodSeconds: 30, dryRun: ["All"], preconditions: { uid: "u" } },
  }),
  "autoscaling/v1/Scale": () => ({
    metadata: meta("web", "default"),
    spec: { replicas: 5 },
    status: { replicas: 3, selector: "app=web" },
  }),
};

/** The supported "apiVersion/kind" pairs that have a rich fixture. */
export const FIXTURE_KINDS: readonly string[] = Object.keys(BUILDERS);

/** A rich object of a kind ("apps/v1/Deployment"), changed by `mutate`. */
export function makeKind(gvk: string, mutate: (o: Obj) => void = () => {}): Obj {
  const build = BUILDERS[gvk];
  if (!build) throw new Error(`no fixture for ${gvk}`);
  const slash = gvk.lastIndexOf("/");
  const o: Obj = { kind: gvk.slice(slash + 1), apiVersion: gvk.slice(0, slash), ...build() };
  mutate(o);
  return o;
}
