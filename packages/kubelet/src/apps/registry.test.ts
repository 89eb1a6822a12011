import { describe, expect, it } from "vitest";
import { echoApp } from "./echo/index.ts";
import { nginxApp } from "./nginx/index.ts";
import { redisApp } from "./redis/index.ts";
import { APPS, appForImage, imageRepo } from "./registry.ts";
import { corednsApp } from "./coredns/index.ts";

describe("apps/registry", () => {
  it("apps/registry: images pick their app by repository name; anything else is the echo server", () => {
    expect(appForImage("marksugar/nginx:1.14.a")).toBe(nginxApp);
    expect(appForImage("nginx")).toBe(nginxApp);
    expect(appForImage("docker.io/nginxinc/nginx-unprivileged:1.27@sha256:abc")).toBe(nginxApp);
    expect(appForImage("redis:4.0-alpine")).toBe(redisApp);
    expect(appForImage("bitnami/redis")).toBe(redisApp);
    expect(appForImage("registry.k8s.io/e2e-test-images/agnhost:2.52")).toBe(echoApp);
  });

  it("apps/registry: CoreDNS images run the cluster DNS; anything unknown runs echo", () => {
    expect(imageRepo("registry.k8s.io/coredns/coredns:v1.11.3")).toBe("coredns");
    expect(appForImage("registry.k8s.io/coredns/coredns:v1.11.3")).toBe(corednsApp);
    expect(appForImage("k8s.gcr.io/kube-dns:1.14")).toBe(corednsApp);
    expect(appForImage("example.com/something:1")).toBe(echoApp);
    expect(APPS.at(-1)?.name).toBe("echo");
  });
});
