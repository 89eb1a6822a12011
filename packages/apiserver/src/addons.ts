/**
 * Cluster add-ons a kubeadm cluster starts with, created once if missing: the coredns
 * Deployment (2 replicas, k8s-app=kube-dns) behind the kube-dns Service at 10.96.0.10. Its
 * containers are the emulated CoreDNS (the cluster DNS server).
 */
import type { Logger } from "@kemu/common";
import type { Api } from "./api.ts";
import { ApiError } from "./errors.ts";

/** The coredns Deployment as kubeadm creates it (probes on /health and /ready). */
export function corednsDeployment(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "coredns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { "k8s-app": "kube-dns" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
      template: {
        metadata: { labels: { "k8s-app": "kube-dns" } },
        spec: {
          dnsPolicy: "Default",
          tolerations: [
            { key: "CriticalAddonsOnly", operator: "Exists" },
            { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
          ],
          containers: [
            {
              name: "coredns",
              image: "registry.k8s.io/coredns/coredns:v1.11.3",
              args: ["-conf", "/etc/coredns/Corefile"],
              ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                { name: "metrics", containerPort: 9153, protocol: "TCP" },
              ],
              livenessProbe: {
                httpGet: { path: "/health", port: 8080, scheme: "HTTP" },
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
                successThreshold: 1,
                failureThreshold: 5,
              },
              readinessProbe: { httpGet: { path: "/ready", port: 8181, scheme: "HTTP" } },
            },
          ],
        },
      },
    },
  };
}

/** Creates the add-ons that do not exist yet (a deleted add-on stays deleted until the next start). */
export async function ensureAddons(api: Api, log: Logger): Promise<void> {
  const def = api.registry.lookup("apps", "v1", "deployments")!;
  try {
    await api.create(def, "kube-system", corednsDeployment());
    log.info("add-on created", { deployment: "kube-system/coredns" });
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === "AlreadyExists")) throw err;
  }
}
