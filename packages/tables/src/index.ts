// @kemu/tables: server-side Table printing (meta.k8s.io/v1 Table) with kube-apiserver's columns,
// column definitions and cell formats (k8s.io/kubernetes/pkg/printers/internalversion/printers.go),
// so that `kubectl get` against kemu prints what it prints against a real cluster.
//
// Limitations vs Kubernetes:
// - Only the kinds kemu serves have printers (pods, services, endpoints, endpointslices, nodes,
//   namespaces, events, configmaps, secrets, serviceaccounts, leases, deployments, replicasets,
//   daemonsets, controllerrevisions); every other resource gets the default NAME / CREATED AT table,
//   as kube-apiserver's generic registry gives it. CRD additionalPrinterColumns are not evaluated.
// - Printers read v1 JSON rather than internal types. Where v1 -> internal conversion or defaulting
//   would fill a field (podIPs from podIP, clusterIPs from clusterIP, Service type, port protocol,
//   replicas, Secret stringData), the printer does the same; otherwise an un-defaulted object prints
//   what its zero values print.
// - includeObject=Object returns the object as given: converting it to the requested version is the
//   caller's job, as it is the API handler's in kube-apiserver.

export { humanDuration, translateTimestampSince } from "./format.ts";
export { defaultPrinter, printerFor } from "./registry.ts";
export { buildTable, TableOptionsError } from "./table.ts";
export type { BuildTableOptions } from "./table.ts";
export type {
  Plain,
  Printer,
  Table,
  TableColumnDefinition,
  TableListMeta,
  TableRow,
  TableRowCondition,
} from "./types.ts";
