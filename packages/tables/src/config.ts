// The small kinds: namespaces, configmaps, secrets, serviceaccounts (printers.go printNamespace,
// printConfigMap, printSecret, printServiceAccount) and coordination.k8s.io leases (printLease).

import type { V1ConfigMap, V1Lease, V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { ageColumn, column, doc, nameColumn } from "./columns.ts";
import { translateTimestampSince } from "./format.ts";
import type { Plain, Printer } from "./types.ts";

function count(map: object | undefined): number {
  return Object.keys(map ?? {}).length;
}

/** core/v1 namespaces. */
export const namespacePrinter: Printer = {
  columns: [nameColumn, column("Status", "string", "The status of the namespace"), ageColumn],
  cells: (obj: Plain<V1Namespace>, now) => [
    obj.metadata?.name ?? "",
    obj.status?.phase ?? "",
    translateTimestampSince(obj.metadata?.creationTimestamp, now),
  ],
};

/** core/v1 configmaps: DATA counts data and binaryData keys. */
export const configMapPrinter: Printer = {
  columns: [nameColumn, column("Data", "string", doc["ConfigMap.data"]), ageColumn],
  cells: (obj: Plain<V1ConfigMap>, now) => [
    obj.metadata?.name ?? "",
    count(obj.data) + count(obj.binaryData),
    translateTimestampSince(obj.metadata?.creationTimestamp, now),
  ],
};

/** core/v1 secrets. */
export const secretPrinter: Printer = {
  columns: [
    nameColumn,
    column("Type", "string", doc["Secret.type"]),
    column("Data", "string", doc["Secret.data"]),
    ageColumn,
  ],
  // v1 -> internal conversion merges stringData into data, so DATA counts the union of keys.
  cells: (obj: Plain<V1Secret>, now) => [
    obj.metadata?.name ?? "",
    obj.type ?? "",
    new Set([...Object.keys(obj.data ?? {}), ...Object.keys(obj.stringData ?? {})]).size,
    translateTimestampSince(obj.metadata?.creationTimestamp, now),
  ],
};

/** core/v1 serviceaccounts. */
export const serviceAccountPrinter: Printer = {
  columns: [nameColumn, column("Secrets", "string", doc["ServiceAccount.secrets"]), ageColumn],
  cells: (obj: Plain<V1ServiceAccount>, now) => [
    obj.metadata?.name ?? "",
    (obj.secrets ?? []).length,
    translateTimestampSince(obj.metadata?.creationTimestamp, now),
  ],
};

/** coordination.k8s.io/v1 leases. */
export const leasePrinter: Printer = {
  columns: [nameColumn, column("Holder", "string", doc["LeaseSpec.holderIdentity"]), ageColumn],
  cells: (obj: Plain<V1Lease>, now) => [
    obj.metadata?.name ?? "",
    obj.spec?.holderIdentity ?? "",
    translateTimestampSince(obj.metadata?.creationTimestamp, now),
  ],
};
