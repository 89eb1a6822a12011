/**
 * PodSpec defaulting (pkg/apis/core/v1/defaults.go: SetDefaults_PodSpec, _Container, _ContainerPort,
 * _Probe, _HTTPGetAction) and validation (ValidatePodSpec, ValidatePodTemplateSpec), shared by Pod and the
 * workload templates.
 *
 * Limitations vs Kubernetes: volumes, env, envFrom, volume mounts, resources quantities, security
 * contexts, affinity, topology spread and DNS config are not validated; lifecycle hooks are not checked.
 */
import { duplicate, forbidden, invalid, notSupported, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import {
  child,
  validateAnnotations,
  validateDNS1123Label,
  validateEnum,
  validateLabelName,
  validateLabels,
  validateNonnegative,
  validateQualifiedName,
} from "../meta.ts";
import {
  inclusiveRangeError,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
} from "../names.ts";
import type { Container, IntOrString, PodSpec, PodTemplateSpec, Probe, Toleration } from "../types.ts";

/** Protocols allowed on ports, sorted as upstream lists them. */
export const SUPPORTED_PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"] as const;

/** The tag of an image reference, as the kubelet's parsers.ParseImageName sees it ("latest" when absent). */
export function imageTag(image: string): string {
  const atDigest = image.indexOf("@");
  if (atDigest >= 0) {
    // A digest without a tag pins the image: upstream reports no tag, which is not "latest".
    const beforeDigest = image.slice(0, atDigest);
    const lastSlash = beforeDigest.lastIndexOf("/");
    const colon = beforeDigest.lastIndexOf(":");
    return colon > lastSlash ? beforeDigest.slice(colon + 1) : "";
  }
  const lastSlash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > lastSlash ? image.slice(colon + 1) : "latest";
}

function defaultProbe(p: Probe | null | undefined): void {
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  if (p.httpGet) {
    if (!p.httpGet.path) p.httpGet.path = "/";
    if (!p.httpGet.scheme) p.httpGet.scheme = "HTTP";
  }
}

/** SetDefaults_Container and the defaults of what it holds. */
export function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy)
    c.imagePullPolicy = imageTag(c.image ?? "") === "latest" ? "Always" : "IfNotPresent";
  if (!c.terminationMessagePath) c.terminationMessagePath = "/dev/termination-log";
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = "File";
  // ResourceRequirements is a struct without omitempty: the API always shows it.
  if (!c.resources) c.resources = {};
  for (const p of c.ports ?? []) if (!p.protocol) p.protocol = "TCP";
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

/** SetDefaults_PodSpec plus container defaults; hostNetwork pods get hostPort = containerPort. */
export function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  if (!spec.securityContext) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) {
    spec.terminationGracePeriodSeconds = 30;
  }
  if (!spec.schedulerName) spec.schedulerName = "default-scheduler";
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    defaultContainer(c);
    if (spec.hostNetwork) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
}

/** Template defaults: the pod spec, plus `metadata.creationTimestamp: null`, which 1.32 always serialises. */
export function defaultPodTemplate(t: PodTemplateSpec | undefined): void {
  if (!t) return;
  t.metadata ??= {};
  if (t.metadata.creationTimestamp === undefined) t.metadata.creationTimestamp = null;
  t.spec ??= {};
  defaultPodSpec(t.spec);
}

/** ValidatePortNumOrName. */
export function validatePortNumOrName(port: IntOrString | undefined, field: string): FieldError[] {
  if (typeof port === "number") return isValidPortNum(port).map((m) => invalid(field, port, m));
  if (typeof port === "string") return isValidPortName(port).map((m) => invalid(field, port, m));
  return isValidPortNum(0).map((m) => invalid(field, 0, m));
}

function validateHandler(p: Probe, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const one = (name: string, check: () => FieldError[]) => {
    if (n > 0) {
      errs.push(forbidden(child(field, name), "may not specify more than 1 handler type"));
    } else {
      n++;
      errs.push(...check());
    }
  };
  if (p.exec) {
    const exec = p.exec;
    one("exec", () => ((exec.command ?? []).length === 0 ? [required(child(field, "exec", "command"))] : []));
  }
  if (p.httpGet) {
    const h = p.httpGet;
    one("httpGet", () => {
      const e: FieldError[] = [];
      if (!h.path) e.push(required(child(field, "httpGet", "path")));
      e.push(...validatePortNumOrName(h.port, child(field, "httpGet", "port")));
      if (!["HTTP", "HTTPS"].includes(h.scheme ?? "")) {
        e.push(notSupported(child(field, "httpGet", "scheme"), h.scheme ?? "", ["HTTP", "HTTPS"]));
      }
      return e;
    });
  }
  if (p.tcpSocket) {
    const t = p.tcpSocket;
    one("tcpSocket", () => validatePortNumOrName(t.port, child(field, "tcpSocket", "port")));
  }
  if (p.grpc) {
    const g = p.grpc;
    one("grpc", () =>
      isValidPortNum(g.port ?? 0).map((m) => invalid(child(field, "grpc", "port"), g.port ?? 0, m)),
    );
  }
  if (n === 0) errs.push(required(field, "must specify a handler type"));
  return errs;
}

function validateProbe(
  p: Probe | null | undefined,
  field: string,
  kind: "liveness" | "readiness" | "startup",
): FieldError[] {
  if (!p) return [];
  const errs = validateHandler(p, field);
  for (const f of [
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
  ] as const) {
    errs.push(...validateNonnegative(p[f], child(field, f)));
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds !== null) {
    if (p.terminationGracePeriodSeconds <= 0) {
      errs.push(
        invalid(
          child(field, "terminationGracePeriodSeconds"),
          p.terminationGracePeriodSeconds,
          "must be greater than 0",
        ),
      );
    }
    if (kind === "readiness") {
      errs.push(
        invalid(
          child(field, "terminationGracePeriodSeconds"),
          p.terminationGracePeriodSeconds,
          "must not be set for readinessProbes",
        ),
      );
    }
  }
  if (kind !== "readiness" && (p.successThreshold ?? 0) !== 1) {
    errs.push(invalid(child(field, "successThreshold"), p.successThreshold ?? 0, "must be 1"));
  }
  return errs;
}

function validateContainerPorts(c: Container, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = `${field}[${i}]`;
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) errs.push(...msgs.map((m) => invalid(child(p, "name"), port.name, m)));
      else if (names.has(port.name)) errs.push(duplicate(child(p, "name"), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) {
      errs.push(required(child(p, "containerPort")));
    } else {
      errs.push(
        ...isValidPortNum(port.containerPort).map((m) =>
          invalid(child(p, "containerPort"), port.containerPort, m),
        ),
      );
    }
    if (port.hostPort) {
      errs.push(...isValidPortNum(port.hostPort).map((m) => invalid(child(p, "hostPort"), port.hostPort, m)));
    }
    errs.push(...validateEnum(port.protocol, SUPPORTED_PORT_PROTOCOLS, child(p, "protocol")));
  });
  return errs;
}

function validateContainerCommon(c: Container, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(child(field, "name")));
  else errs.push(...validateDNS1123Label(c.name, child(field, "name")));
  if (!c.image) errs.push(required(child(field, "image")));
  errs.push(
    ...validateEnum(
      c.terminationMessagePolicy,
      ["File", "FallbackToLogsOnError"],
      child(field, "terminationMessagePolicy"),
    ),
  );
  errs.push(...validateContainerPorts(c, child(field, "ports")));
  errs.push(
    ...validateEnum(c.imagePullPolicy, ["Always", "IfNotPresent", "Never"], child(field, "imagePullPolicy")),
  );
  return errs;
}

/** ValidateTolerations. */
export function validateTolerations(
  tolerations: Toleration[] | null | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = `${field}[${i}]`;
    if (t.key) errs.push(...validateLabelName(t.key, child(p, "key")));
    if (!t.key && t.operator !== "Exists") {
      errs.push(
        invalid(
          child(p, "operator"),
          t.operator ?? "",
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute") {
      errs.push(
        invalid(
          child(p, "effect"),
          t.effect ?? "",
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (t.operator ?? "") {
      case "Equal":
      case "": {
        const msgs = isValidLabelValue(t.value ?? "");
        if (msgs.length > 0) errs.push(invalid(child(p, "operator"), t.value ?? "", msgs.join(";")));
        break;
      }
      case "Exists":
        if (t.value)
          errs.push(
            invalid(child(p, "operator"), t.value, "value must be empty when `operator` is 'Exists'"),
          );
        break;
      default:
        errs.push(notSupported(child(p, "operator"), t.operator, ["Equal", "Exists"]));
    }
    if (t.effect) {
      errs.push(
        ...validateEnum(t.effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"], child(p, "effect")),
      );
    }
  });
  return errs;
}

/** ValidatePodSpec (the parts listed in this module's header). */
export function validatePodSpec(spec: PodSpec | undefined, field: string): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    errs.push(required(child(field, "terminationGracePeriodSeconds")));
  }
  const containers = s.containers ?? [];
  const cPath = child(field, "containers");
  if (containers.length === 0) {
    errs.push(required(cPath));
  } else {
    const names = new Set<string>();
    containers.forEach((c, i) => {
      const p = `${cPath}[${i}]`;
      errs.push(...validateContainerCommon(c, p));
      if (names.has(c.name ?? "")) errs.push(duplicate(child(p, "name"), c.name ?? ""));
      else names.add(c.name ?? "");
      errs.push(...validateProbe(c.livenessProbe, child(p, "livenessProbe"), "liveness"));
      errs.push(...validateProbe(c.readinessProbe, child(p, "readinessProbe"), "readiness"));
      errs.push(...validateProbe(c.startupProbe, child(p, "startupProbe"), "startup"));
      if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
        errs.push(forbidden(child(p, "restartPolicy"), "may not be set for non-init containers"));
      }
    });
    // Host ports must not collide across containers (AccumulateUniqueHostPorts).
    const hostPorts = new Set<string>();
    containers.forEach((c, ci) => {
      (c.ports ?? []).forEach((port, pi) => {
        if (!port.hostPort) return;
        const key = `${port.hostIP ?? ""}/${port.protocol ?? ""}/${port.hostPort}`;
        if (hostPorts.has(key)) errs.push(duplicate(`${cPath}[${ci}].ports[${pi}].hostPort`, key));
        else hostPorts.add(key);
      });
    });
  }
  const initNames = new Set((s.containers ?? []).map((c) => c.name ?? ""));
  (s.initContainers ?? []).forEach((c, i) => {
    const p = `${child(field, "initContainers")}[${i}]`;
    errs.push(...validateContainerCommon(c, p));
    if (initNames.has(c.name ?? "")) errs.push(duplicate(child(p, "name"), c.name ?? ""));
    else initNames.add(c.name ?? "");
  });
  errs.push(
    ...validateEnum(s.restartPolicy, ["Always", "OnFailure", "Never"], child(field, "restartPolicy")),
  );
  errs.push(
    ...validateEnum(
      s.dnsPolicy,
      ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
      child(field, "dnsPolicy"),
    ),
  );
  errs.push(...validateLabels(s.nodeSelector, child(field, "nodeSelector")));
  if (s.serviceAccountName) {
    errs.push(
      ...nameIsDNSSubdomain(s.serviceAccountName, false).map((m) =>
        invalid(child(field, "serviceAccountName"), s.serviceAccountName, m),
      ),
    );
  }
  if (s.nodeName) {
    errs.push(
      ...nameIsDNSSubdomain(s.nodeName, false).map((m) => invalid(child(field, "nodeName"), s.nodeName, m)),
    );
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (v < 1 || v > 2147483647) {
      errs.push(invalid(child(field, "activeDeadlineSeconds"), v, inclusiveRangeError(1, 2147483647)));
    }
  }
  if (s.hostname) errs.push(...validateDNS1123Label(s.hostname, child(field, "hostname")));
  if (s.subdomain) errs.push(...validateDNS1123Label(s.subdomain, child(field, "subdomain")));
  if ((s.tolerations ?? []).length > 0)
    errs.push(...validateTolerations(s.tolerations, child(field, "tolerations")));
  if (s.priorityClassName) {
    errs.push(
      ...nameIsDNSSubdomain(s.priorityClassName, false).map((m) =>
        invalid(child(field, "priorityClassName"), s.priorityClassName, m),
      ),
    );
  }
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null) {
    errs.push(
      ...validateEnum(
        s.preemptionPolicy,
        ["PreemptLowerPriority", "Never"],
        child(field, "preemptionPolicy"),
      ),
    );
  }
  (s.schedulingGates ?? []).forEach((g, i) => {
    errs.push(...validateQualifiedName(g.name, `${child(field, "schedulingGates")}[${i}]`));
  });
  return errs;
}

/** ValidatePodTemplateSpec: template labels and annotations, then the pod spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, field: string): FieldError[] {
  const errs = validateLabels(t?.metadata?.labels, child(field, "labels"));
  errs.push(...validateAnnotations(t?.metadata?.annotations, child(field, "annotations")));
  errs.push(...validatePodSpec(t?.spec, child(field, "spec")));
  if ((t?.spec?.ephemeralContainers ?? []).length > 0) {
    errs.push(
      forbidden(
        child(field, "spec", "ephemeralContainers"),
        "ephemeral containers not allowed in pod template",
      ),
    );
  }
  return errs;
}
