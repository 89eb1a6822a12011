/**
 * The one table of emulated apps. A container runs the first entry whose `matches` accepts its
 * image's repository name (the last path component, without tag or digest); the last entry
 * (echo) matches everything. An entry with no app is a reserved slot: its images fall through
 * to the default until the app exists.
 */
import { echoApp } from "./echo/index.ts";
import { nginxApp } from "./nginx/index.ts";
import { redisApp } from "./redis/index.ts";
import { corednsApp } from "./coredns/index.ts";
import type { EmulatedApp } from "./types.ts";

/** One row of the table. */
export interface AppEntry {
  name: string;
  /** Whether this app stands in for an image whose repository's last component is repo. */
  matches(repo: string): boolean;
  app: EmulatedApp | undefined;
}

/** The emulated apps, most specific first. */
export const APPS: readonly AppEntry[] = [
  { name: "nginx", matches: (repo) => repo.includes("nginx"), app: nginxApp },
  { name: "redis", matches: (repo) => repo.includes("redis"), app: redisApp },
  // Cluster DNS (coredns, kube-dns).
  { name: "coredns", matches: (repo) => repo === "coredns" || repo.includes("kube-dns"), app: corednsApp },
  { name: "echo", matches: () => true, app: echoApp },
];

/** The repository name an image is matched on: "registry.k8s.io/coredns/coredns:v1.11" → "coredns". */
export function imageRepo(image: string): string {
  const noDigest = image.split("@")[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf("/") + 1);
  return last.split(":")[0]!.toLowerCase();
}

/** The app a container with this image runs (table given for tests and extensions). */
export function appForImage(image: string, table: readonly AppEntry[] = APPS): EmulatedApp {
  const repo = imageRepo(image);
  for (const e of table) if (e.app && e.matches(repo)) return e.app;
  return echoApp;
}
