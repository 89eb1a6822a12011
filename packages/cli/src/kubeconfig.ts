/** kubeconfig for a kemu cluster. */
import { stringify } from "yaml";

/** A kubeconfig whose current context points at server. */
export function kubeconfig(server: string, name = "kemu"): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    // Plain HTTP for now: client-node 2 only talks HTTP when TLS verification is off.
    clusters: [
      {
        name,
        cluster: server.startsWith("http:") ? { server, "insecure-skip-tls-verify": true } : { server },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name, namespace: "default" } }],
    "current-context": name,
    preferences: {},
    users: [{ name, user: {} }],
  });
}
