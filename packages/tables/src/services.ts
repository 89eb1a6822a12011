// Services, Endpoints and EndpointSlices: printers.go printService, printEndpoints, printEndpointSlice.

import type { V1EndpointSlice, V1Endpoints, V1Service } from "@kubernetes/client-node";
import { ageColumn, column, doc, nameColumn } from "./columns.ts";
import { formatLabels, joinHostPort, listWithMore, translateTimestampSince } from "./format.ts";
import type { Plain, Printer } from "./types.ts";

type Service = Plain<V1Service>;

// A stored Service always has type and port protocols defaulted; these fallbacks only make
// un-defaulted input print the way the defaulted object would.
const DEFAULT_SERVICE_TYPE = "ClusterIP";
const DEFAULT_PROTOCOL = "TCP";

// loadBalancerStatusStringer with wide=true: kube-apiserver always prints wide, so no 16-char clipping.
function loadBalancerIngress(svc: Service): string[] {
  const set = new Set<string>();
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip) set.add(ing.ip);
    else if (ing.hostname) set.add(ing.hostname);
  }
  return [...set].sort();
}

function externalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? DEFAULT_SERVICE_TYPE) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerIngress(svc);
      if (externalIPs.length > 0) return [...lb, ...externalIPs].join(",");
      return lb.length > 0 ? lb.join(",") : "<pending>";
    }
    case "ExternalName":
      return svc.spec?.externalName ?? "";
    default:
      return "<unknown>";
  }
}

function portString(svc: Service): string {
  const s = (svc.spec?.ports ?? [])
    .map((p) => {
      const protocol = p.protocol ?? DEFAULT_PROTOCOL;
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
    })
    .join(",");
  return s === "" ? "<none>" : s;
}

function serviceCells(svc: Service, now: Date): unknown[] {
  const spec = svc.spec ?? {};
  // Stored Services keep clusterIPs in step with clusterIP; fall back for objects that only set the latter.
  const clusterIP = spec.clusterIPs?.[0] ?? (spec.clusterIP || "<none>");
  return [
    svc.metadata?.name ?? "",
    spec.type ?? DEFAULT_SERVICE_TYPE,
    clusterIP,
    externalIP(svc),
    portString(svc),
    translateTimestampSince(svc.metadata?.creationTimestamp, now),
    formatLabels(spec.selector),
  ];
}

/** core/v1 services. */
export const servicePrinter: Printer = {
  columns: [
    nameColumn,
    column("Type", "string", doc["ServiceSpec.type"]),
    column("Cluster-IP", "string", doc["ServiceSpec.clusterIP"]),
    column("External-IP", "string", doc["ServiceSpec.externalIPs"]),
    column("Port(s)", "string", doc["ServiceSpec.ports"]),
    ageColumn,
    column("Selector", "string", doc["ServiceSpec.selector"], { priority: 1 }),
  ],
  cells: (obj: Service, now) => serviceCells(obj, now),
};

const MAX_LISTED = 3;

// printers.go formatEndpoints with ports=nil: ip:port for every address and port, the first three
// listed, the rest counted.
function formatEndpoints(ep: Plain<V1Endpoints>): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return "<none>";
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      // headless services may have no ports
      count += addresses.length;
      for (const addr of addresses) {
        if (list.length === MAX_LISTED) {
          more = true;
          break;
        }
        list.push(addr.ip ?? "");
      }
      continue;
    }
    for (const port of ss.ports ?? []) {
      count += addresses.length;
      for (const addr of addresses) {
        if (list.length === MAX_LISTED) {
          more = true;
          break;
        }
        list.push(joinHostPort(addr.ip ?? "", port.port ?? 0));
      }
    }
  }
  const s = list.join(",");
  return more ? `${s} + ${count - MAX_LISTED} more...` : s;
}

/** core/v1 endpoints. */
export const endpointsPrinter: Printer = {
  columns: [nameColumn, column("Endpoints", "string", doc["Endpoints.subsets"]), ageColumn],
  cells: (obj: Plain<V1Endpoints>, now) => [
    obj.metadata?.name ?? "",
    formatEndpoints(obj),
    translateTimestampSince(obj.metadata?.creationTimestamp, now),
  ],
};

function formatDiscoveryPorts(slice: Plain<V1EndpointSlice>): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const port of slice.ports ?? []) {
    if (list.length < MAX_LISTED) {
      list.push(port.port !== undefined && port.port !== null ? String(port.port) : (port.name ?? "*"));
    } else if (list.length === MAX_LISTED) {
      more = true;
    }
    count++;
  }
  return listWithMore(list, more, count, MAX_LISTED);
}

function formatDiscoveryEndpoints(slice: Plain<V1EndpointSlice>): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const endpoint of slice.endpoints ?? []) {
    for (const address of endpoint.addresses ?? []) {
      if (list.length < MAX_LISTED) list.push(address);
      else if (list.length === MAX_LISTED) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, MAX_LISTED);
}

/** discovery.k8s.io/v1 endpointslices. */
export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn,
    column("AddressType", "string", doc["EndpointSlice.addressType"]),
    column("Ports", "string", doc["EndpointSlice.ports"]),
    column("Endpoints", "string", doc["EndpointSlice.endpoints"]),
    ageColumn,
  ],
  cells: (obj: Plain<V1EndpointSlice>, now) => [
    obj.metadata?.name ?? "",
    obj.addressType ?? "",
    formatDiscoveryPorts(obj),
    formatDiscoveryEndpoints(obj),
    translateTimestampSince(obj.metadata?.creationTimestamp, now),
  ],
};
