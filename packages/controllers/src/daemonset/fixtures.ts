/** Test fixtures for the DaemonSet controller: the walkthrough's nginx-linuxea, changed by mutator. */
import type { KObject } from "../client.ts";

/** A DaemonSet as the API server stores it (defaults applied), generation 1. */
export function makeDaemonSet(
  namespace: string,
  name: string,
  mutate: (d: KObject) => void = () => {},
): KObject {
  const d: KObject = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { namespace, name, uid: `uid-${name}`, generation: 1 },
    spec: {
      selector: { matchLabels: { app: "nginx", release: "www" } },
      template: {
        metadata: { labels: { app: "nginx", release: "www" } },
        spec: {
          containers: [
            {
              name: "linuxea",
              image: "marksugar/nginx:1.14.a",
              ports: [{ name: "http", containerPort: 80 }],
            },
          ],
          restartPolicy: "Always",
        },
      },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
    status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 },
  };
  mutate(d);
  return d;
}
