/**
 * The plain-JSON shapes this package reads and writes: only the fields defaulting and validation touch.
 * Objects arrive as decoded JSON, so every field is optional and may also be null.
 */

/** A string, or an integer, as intstr.IntOrString. */
export type IntOrString = number | string;

/** metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean | null;
  blockOwnerDeletion?: boolean | null;
}

/** metav1.ObjectMeta. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string | null;
  deletionGracePeriodSeconds?: number | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  ownerReferences?: OwnerReference[] | null;
  finalizers?: string[] | null;
  managedFields?: unknown[] | null;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** metav1.LabelSelector. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

/** core/v1 ContainerPort. */
export interface ContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

/** core/v1 HTTPGetAction. */
export interface HTTPGetAction {
  path?: string;
  port?: IntOrString;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}

/** core/v1 ProbeHandler plus timings. */
export interface Probe {
  exec?: { command?: string[] } | null;
  httpGet?: HTTPGetAction | null;
  tcpSocket?: { port?: IntOrString; host?: string } | null;
  grpc?: { port?: number; service?: string | null } | null;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number | null;
}

/** core/v1 ResourceRequirements. */
export interface ResourceRequirements {
  limits?: Record<string, string | number> | null;
  requests?: Record<string, string | number> | null;
  claims?: unknown[] | null;
}

/** core/v1 Container. */
export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: ContainerPort[] | null;
  env?: { name: string; value?: string; valueFrom?: unknown }[] | null;
  resources?: ResourceRequirements;
  livenessProbe?: Probe | null;
  readinessProbe?: Probe | null;
  startupProbe?: Probe | null;
  lifecycle?: unknown;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  imagePullPolicy?: string;
  restartPolicy?: string | null;
  securityContext?: unknown;
  volumeMounts?: unknown[] | null;
}

/** core/v1 Toleration. */
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
}

/** core/v1 PodSpec. */
export interface PodSpec {
  containers?: Container[] | null;
  initContainers?: Container[] | null;
  ephemeralContainers?: unknown[] | null;
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number | null;
  activeDeadlineSeconds?: number | null;
  dnsPolicy?: string;
  nodeSelector?: Record<string, string> | null;
  serviceAccountName?: string;
  serviceAccount?: string;
  nodeName?: string;
  hostNetwork?: boolean;
  securityContext?: Record<string, unknown> | null;
  schedulerName?: string;
  tolerations?: Toleration[] | null;
  hostname?: string;
  subdomain?: string;
  priority?: number | null;
  priorityClassName?: string;
  preemptionPolicy?: string | null;
  enableServiceLinks?: boolean | null;
  schedulingGates?: { name: string }[] | null;
  volumes?: unknown[] | null;
  [other: string]: unknown;
}

/** core/v1 PodTemplateSpec. */
export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

/** core/v1 Pod. */
export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: Record<string, unknown>;
}

/** core/v1 ServicePort. */
export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string | null;
  port?: number;
  targetPort?: IntOrString;
  nodePort?: number;
}

/** core/v1 ServiceSpec. */
export interface ServiceSpec {
  type?: string;
  ports?: ServicePort[] | null;
  selector?: Record<string, string> | null;
  clusterIP?: string;
  clusterIPs?: string[] | null;
  externalIPs?: string[] | null;
  externalName?: string;
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number | null } | null } | null;
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string | null;
  healthCheckNodePort?: number;
  ipFamilies?: string[] | null;
  ipFamilyPolicy?: string | null;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[] | null;
  loadBalancerClass?: string | null;
  allocateLoadBalancerNodePorts?: boolean | null;
  publishNotReadyAddresses?: boolean;
  trafficDistribution?: string | null;
}

/** core/v1 Service. */
export interface Service extends KubeObject {
  spec?: ServiceSpec;
  status?: {
    loadBalancer?: { ingress?: { ip?: string; hostname?: string; ipMode?: string | null }[] | null };
  };
}

/** apps/v1 DeploymentSpec (and the fields ReplicaSet and DaemonSet share with it). */
export interface WorkloadSpec {
  replicas?: number | null;
  selector?: LabelSelectorSpec | null;
  template?: PodTemplateSpec;
  minReadySeconds?: number;
  revisionHistoryLimit?: number | null;
  progressDeadlineSeconds?: number | null;
  paused?: boolean;
  strategy?: {
    type?: string;
    rollingUpdate?: { maxUnavailable?: IntOrString | null; maxSurge?: IntOrString | null } | null;
  };
  updateStrategy?: {
    type?: string;
    rollingUpdate?: { maxUnavailable?: IntOrString | null; maxSurge?: IntOrString | null } | null;
  };
  templateGeneration?: number;
}

/** apps/v1 Deployment, ReplicaSet or DaemonSet. */
export interface Workload extends KubeObject {
  spec?: WorkloadSpec;
  status?: Record<string, unknown>;
}

/** core/v1 Namespace. */
export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] | null };
  status?: { phase?: string };
}

/** core/v1 Node. */
export interface Node extends KubeObject {
  spec?: {
    podCIDR?: string;
    podCIDRs?: string[] | null;
    providerID?: string;
    unschedulable?: boolean;
    taints?: { key?: string; value?: string; effect?: string; timeAdded?: string | null }[] | null;
    externalID?: string;
  };
  status?: {
    capacity?: Record<string, string> | null;
    allocatable?: Record<string, string> | null;
    addresses?: { type?: string; address?: string }[] | null;
    [other: string]: unknown;
  };
}

/** core/v1 EndpointAddress. */
export interface EndpointAddress {
  ip?: string;
  hostname?: string;
  nodeName?: string | null;
  targetRef?: unknown;
}

/** core/v1 Endpoints. */
export interface Endpoints extends KubeObject {
  subsets?:
    | {
        addresses?: EndpointAddress[] | null;
        notReadyAddresses?: EndpointAddress[] | null;
        ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string | null }[] | null;
      }[]
    | null;
}

/** discovery/v1 EndpointSlice. */
export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?:
    | {
        addresses?: string[] | null;
        conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
        hostname?: string | null;
        nodeName?: string | null;
        zone?: string | null;
        targetRef?: unknown;
      }[]
    | null;
  ports?:
    | { name?: string | null; protocol?: string | null; port?: number | null; appProtocol?: string | null }[]
    | null;
}

/** core/v1 Event. */
export interface Event extends KubeObject {
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string };
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  count?: number;
  type?: string;
  eventTime?: string | null;
  action?: string;
  reportingComponent?: string;
  reportingInstance?: string;
}

/** core/v1 ConfigMap. */
export interface ConfigMap extends KubeObject {
  data?: Record<string, string> | null;
  binaryData?: Record<string, string> | null;
  immutable?: boolean | null;
}

/** core/v1 Secret. */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string> | null;
  stringData?: Record<string, string> | null;
  immutable?: boolean | null;
}

/** coordination/v1 Lease. */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
    strategy?: string | null;
    preferredHolder?: string | null;
  };
}
