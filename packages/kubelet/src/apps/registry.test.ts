import { describe, expect, it } from "vitest";
import { echoApp } from "./echo/index.ts";
import { nginxApp } from "./nginx/index.ts";
import { redisApp } from "./redis/index.ts";
import { APPS, appForImage, imageRepo } from "./registry.ts";

describe("apps/registry", () => {
  it("apps/registry: images pick their app by repository name; anything else is the echo server", () => {
    expect(appForImage("marksugar/nginx:1.14.a")).toBe(nginxApp);
    expect(appForImage("nginx")).toBe(nginxApp);
    expect(appForImage("docker.io/nginxinc/nginx-unprivileged:1.27@sha256:abc")).toBe(nginxApp);
    expect(appForImage("redis:4.0-alpine")).toBe(redisApp);
    expect(appForImage("bitnami/redis")).toBe(redisApp);
    expect(appForImage("registry.k8s.io/e2e-test-images/agnhost:2.52")).toBe(echoApp);
  });

  it("apps/registry: the coredns slot is reserved and falls through to the default until its app exists", () => {
    expect(imageRepo("registry.k8s.io/coredns/coredns:v1.11.3")).toBe("coredns");
    expect(APPS.find((e) => e.name === "coredns")?.app).toBeUndefined();
    expect(appForImage("registry.k8s.io/coredns/coredns:v1.11.3")).toBe(echoApp);
    expect(APPS.at(-1)?.name).toBe("echo");
  });
});
