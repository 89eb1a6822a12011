/**
 * EndpointSlice (discovery.k8s.io/v1): SetDefaults_EndpointPort (name "" and protocol TCP) and
 * ValidateEndpointSlice / ValidateEndpointSliceUpdate.
 *
 * Limitations vs Kubernetes: topology hints and deprecatedTopology are not validated.
 */
import { duplicate, invalid, notSupported, required, tooMany } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { GoRepr, goQuote } from "../gofmt.ts";
import {
  validateDNS1123Label,
  validateImmutable,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateQualifiedName,
} from "../meta.ts";
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidIPv4,
  isValidIPv6,
  nameIsDNSSubdomain,
} from "../names.ts";
import type { EndpointSlice } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";
import { SUPPORTED_PORT_PROTOCOLS } from "./podspec.ts";
import { validateNonSpecialIP } from "./service.ts";

const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];

function defaultEndpointSlice(slice: EndpointSlice, _op: Operation): void {
  for (const p of slice.ports ?? []) {
    if (p.name === undefined || p.name === null) p.name = "";
    if (!p.protocol) p.protocol = "TCP";
  }
  for (const e of slice.endpoints ?? []) e.conditions ??= {};
}

/** IsFullyQualifiedDomainName. */
function validateFQDN(name: string, field: string): FieldError[] {
  if (name.length === 0) return [required(field)];
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  const sub = isDNS1123Subdomain(n);
  if (sub.length > 0) return [invalid(field, n, sub.join(","))];
  const labels = n.split(".");
  if (labels.length < 2)
    return [invalid(field, n, "should be a domain with at least two segments separated by dots")];
  for (const l of labels) {
    const e = isDNS1123Label(l);
    if (e.length > 0) return [invalid(field, l, e.join(","))];
  }
  return [];
}

function validateSlice(slice: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, true, nameIsDNSSubdomain);
  const addrType = slice.addressType ?? "";
  if (!addrType) errs.push(required("addressType"));
  else if (!ADDRESS_TYPES.includes(addrType)) errs.push(notSupported("addressType", addrType, ADDRESS_TYPES));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) errs.push(tooMany("endpoints", endpoints.length, MAX_ENDPOINTS));
  endpoints.forEach((ep, i) => {
    const p = `endpoints[${i}]`;
    const addrs = ep.addresses ?? [];
    if (addrs.length === 0) errs.push(required(`${p}.addresses`, "must contain at least 1 address"));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(`${p}.addresses`, addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => {
      const ap = `${p}.addresses[${j}]`;
      if (addrType === "IPv4" || addrType === "IPv6") {
        const msgs = addrType === "IPv4" ? isValidIPv4(a) : isValidIPv6(a);
        if (msgs.length > 0) errs.push(...msgs.map((m) => invalid(ap, a, m)));
        else errs.push(...validateNonSpecialIP(a, ap));
      } else if (addrType === "FQDN") {
        errs.push(...validateFQDN(a, ap));
      }
    });
    if (ep.nodeName !== undefined && ep.nodeName !== null) {
      const nodeName = ep.nodeName;
      errs.push(...nameIsDNSSubdomain(nodeName, false).map((m) => invalid(`${p}.nodeName`, nodeName, m)));
    }
    if (ep.hostname !== undefined && ep.hostname !== null)
      errs.push(...validateDNS1123Label(ep.hostname, `${p}.hostname`));
  });
  const ports = slice.ports ?? [];
  if (ports.length > MAX_PORTS) errs.push(tooMany("ports", ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `ports[${i}]`;
    const name = port.name ?? "";
    if (name.length > 0) errs.push(...validateDNS1123Label(name, `${p}.name`));
    if (names.has(name)) errs.push(duplicate(`${p}.name`, new GoRepr(`(*string)(${goQuote(name)})`)));
    else names.add(name);
    if (port.protocol === undefined || port.protocol === null) errs.push(required(`${p}.protocol`));
    else if (!(SUPPORTED_PORT_PROTOCOLS as readonly string[]).includes(port.protocol)) {
      errs.push(notSupported(`${p}.protocol`, port.protocol, SUPPORTED_PORT_PROTOCOLS));
    }
    if (port.appProtocol !== undefined && port.appProtocol !== null) {
      errs.push(...validateQualifiedName(port.appProtocol, `${p}.appProtocol`));
    }
  });
  return errs;
}

function validateEndpointSlice(slice: EndpointSlice, old?: EndpointSlice): FieldError[] {
  if (!old) return validateSlice(slice);
  return [
    ...validateObjectMetaUpdate(slice.metadata, old.metadata),
    ...validateSlice(slice),
    ...validateImmutable(slice.addressType ?? "", old.addressType ?? "", "addressType"),
  ];
}

/** EndpointSlice handler. */
export const endpointSliceHandler = {
  group: "discovery.k8s.io",
  version: "v1",
  kind: "EndpointSlice",
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
} satisfies KindHandler<EndpointSlice>;
