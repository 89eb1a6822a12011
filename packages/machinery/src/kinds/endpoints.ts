/**
 * Endpoints (core/v1): SetDefaults_EndpointPort (protocol TCP) and ValidateEndpoints (create and update).
 */
import { required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { invalid } from "../errors.ts";
import {
  validateDNS1123Label,
  validateEnum,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateQualifiedName,
} from "../meta.ts";
import { isValidIP, isValidPortNum, nameIsDNSSubdomain } from "../names.ts";
import type { EndpointAddress, Endpoints } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";
import { SUPPORTED_PORT_PROTOCOLS } from "./podspec.ts";
import { validateNonSpecialIP } from "./service.ts";

function defaultEndpoints(ep: Endpoints, _op: Operation): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = "TCP";
}

function validateAddress(a: EndpointAddress, field: string): FieldError[] {
  const ip = a.ip ?? "";
  const errs = isValidIP(ip).map((m) => invalid(`${field}.ip`, ip, m));
  if (a.hostname) errs.push(...validateDNS1123Label(a.hostname, `${field}.hostname`));
  if (a.nodeName !== undefined && a.nodeName !== null) {
    const nodeName = a.nodeName;
    errs.push(...nameIsDNSSubdomain(nodeName, false).map((m) => invalid(`${field}.nodeName`, nodeName, m)));
  }
  errs.push(...validateNonSpecialIP(ip, `${field}.ip`));
  return errs;
}

function validateSubsets(ep: Endpoints): FieldError[] {
  const errs: FieldError[] = [];
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    if ((ss.addresses ?? []).length === 0 && (ss.notReadyAddresses ?? []).length === 0) {
      errs.push(required(p, "must specify `addresses` or `notReadyAddresses`"));
    }
    (ss.addresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, `${p}.addresses[${j}]`)));
    (ss.notReadyAddresses ?? []).forEach((a, j) =>
      errs.push(...validateAddress(a, `${p}.notReadyAddresses[${j}]`)),
    );
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if (ports.length > 1 && !port.name) errs.push(required(`${pp}.name`));
      else if (port.name) errs.push(...validateDNS1123Label(port.name, `${pp}.name`));
      errs.push(...isValidPortNum(port.port ?? 0).map((m) => invalid(`${pp}.port`, port.port ?? 0, m)));
      errs.push(...validateEnum(port.protocol, SUPPORTED_PORT_PROTOCOLS, `${pp}.protocol`));
      if (port.appProtocol !== undefined && port.appProtocol !== null) {
        errs.push(...validateQualifiedName(port.appProtocol, `${pp}.appProtocol`));
      }
    });
  });
  return errs;
}

function validateEndpoints(ep: Endpoints, old?: Endpoints): FieldError[] {
  const errs = old ? validateObjectMetaUpdate(ep.metadata, old.metadata) : [];
  errs.push(...validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain));
  errs.push(...validateSubsets(ep));
  return errs;
}

/** Endpoints handler. */
export const endpointsHandler = {
  group: "",
  version: "v1",
  kind: "Endpoints",
  defaults: defaultEndpoints,
  validate: validateEndpoints,
} satisfies KindHandler<Endpoints>;
