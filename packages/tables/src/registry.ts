// The one table of printers, keyed by API group and resource, plus the default printer that
// kube-apiserver's generic registry uses for everything printers.go does not know.

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { column, doc, nameColumn } from "./columns.ts";
import {
  configMapPrinter,
  leasePrinter,
  namespacePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from "./config.ts";
import { eventPrinter } from "./events.ts";
import { formatRFC3339 } from "./format.ts";
import { nodePrinter } from "./nodes.ts";
import { podPrinter } from "./pods.ts";
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from "./services.ts";
import type { Plain, Printer } from "./types.ts";
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
} from "./workloads.ts";

/** rest.NewDefaultTableConvertor: NAME and CREATED AT (RFC3339, UTC) for resources without a printer. */
export const defaultPrinter: Printer = {
  columns: [nameColumn, column("Created At", "date", doc["ObjectMeta.creationTimestamp"])],
  cells: (obj: { metadata?: Plain<V1ObjectMeta> }) => [
    obj.metadata?.name ?? "",
    formatRFC3339(obj.metadata?.creationTimestamp),
  ],
};

// "<group>/<resource>", group "" for the core API.
const printers: Record<string, Printer> = {
  "/pods": podPrinter,
  "/services": servicePrinter,
  "/endpoints": endpointsPrinter,
  "discovery.k8s.io/endpointslices": endpointSlicePrinter,
  "/nodes": nodePrinter,
  "/namespaces": namespacePrinter,
  "/events": eventPrinter,
  "events.k8s.io/events": eventPrinter,
  "/configmaps": configMapPrinter,
  "/secrets": secretPrinter,
  "/serviceaccounts": serviceAccountPrinter,
  "coordination.k8s.io/leases": leasePrinter,
  "apps/deployments": deploymentPrinter,
  "apps/replicasets": replicaSetPrinter,
  "apps/daemonsets": daemonSetPrinter,
  "apps/controllerrevisions": controllerRevisionPrinter,
};

/** Looks up the printer for a resource (plural, group), e.g. ("pods",""), ("deployments","apps"), ("events","events.k8s.io"); falls back to the default printer (Name, Created At) for unknown resources. */
export function printerFor(resource: string, group: string): Printer {
  return printers[`${group}/${resource}`] ?? defaultPrinter;
}
