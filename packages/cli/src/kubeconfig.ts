/** kubeconfig for a kemu cluster. */
import { stringify } from "yaml";

/**
 * A kubeconfig whose current context points at server. For https servers caPem is the cluster
 * CA; plain http servers are marked insecure-skip-tls-verify, which client-node needs before it
 * will talk plain HTTP at all.
 */
export function kubeconfig(
  server: string,
  opts: { caPem?: string; clientCertPem?: string; clientKeyPem?: string; name?: string } = {},
): string {
  const name = opts.name ?? "kemu";
  const cluster: Record<string, unknown> = { server };
  if (server.startsWith("http:")) cluster["insecure-skip-tls-verify"] = true;
  else if (opts.caPem) cluster["certificate-authority-data"] = Buffer.from(opts.caPem).toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: "default" } }],
    "current-context": name,
    preferences: {},
    users: [
      {
        name,
        user:
          opts.clientCertPem && opts.clientKeyPem
            ? {
                "client-certificate-data": Buffer.from(opts.clientCertPem).toString("base64"),
                "client-key-data": Buffer.from(opts.clientKeyPem).toString("base64"),
              }
            : {},
      },
    ],
  });
}
