/** kubeconfig for a kemu cluster. */
import { stringify } from "yaml";

/** A kubeconfig whose current context points at server. */
export function kubeconfig(server: string, name = "kemu"): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: "default" } }],
    "current-context": name,
    preferences: {},
    users: [{ name, user: {} }],
  });
}
