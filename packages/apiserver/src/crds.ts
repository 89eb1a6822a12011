/**
 * CustomResourceDefinitions: the generic path for further kinds. Creating a CRD serves its
 * resources at once (discovery, REST, watch, Tables with additionalPrinterColumns); deleting it
 * stops serving them and removes their objects, as kube-apiserver's apiextensions server does.
 *
 * Limitations vs Kubernetes: openAPIV3Schema is not enforced (objects are stored as sent, like
 * x-kubernetes-preserve-unknown-fields); no conversion webhooks (all served versions share one
 * storage and are returned as stored, with apiVersion rewritten); no scale subresource; no CEL
 * validation rules.
 */
import type { Logger } from "@kemu/common";
import type { KObject, Store, StoreWatch } from "@kemu/store";
import { invalid, required, type FieldError } from "@kemu/machinery";
import { translateTimestampSince } from "@kemu/tables";
import { ApiError } from "./errors.ts";
import type { ResourceHooks } from "./hooks.ts";
import { storageToken, type Registry, type ResourceDef, type Subresource } from "./resources.ts";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** The storage token of CRDs themselves. */
export const CRD_STORAGE = "customresourcedefinitions_apiextensions_k8s_io";

/** An additionalPrinterColumns entry. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The resources one CRD serves, one per served version. */
export function defsFromCrd(crd: KObject): ResourceDef[] {
  const spec = crd["spec"] ?? {};
  const names = spec["names"] ?? {};
  const group: string = spec["group"];
  const plural: string = names["plural"];
  return (spec["versions"] ?? [])
    .filter((v: KObject) => v["served"] !== false)
    .map((v: KObject): ResourceDef => {
      const subresources: Subresource[] = v["subresources"]?.["status"] !== undefined ? ["status"] : [];
      const d: ResourceDef = {
        group,
        version: v["name"],
        kind: names["kind"],
        resource: plural,
        singular: names["singular"] || String(names["kind"]).toLowerCase(),
        namespaced: spec["scope"] !== "Cluster",
        subresources,
        verbs: ALL_VERBS,
        generation: true,
        storage: `${plural}.${group}`,
        custom: { printerColumns: v["additionalPrinterColumns"] ?? [] },
      };
      if (names["shortNames"]?.length) d.shortNames = names["shortNames"];
      if (names["categories"]?.length) d.categories = names["categories"];
      return d;
    });
}

function validateCrd(crd: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd["spec"] ?? {};
  const names = spec["names"] ?? {};
  const name = crd["metadata"]?.["name"];
  if (!spec["group"]) errs.push(required("spec.group"));
  if (!names["plural"]) errs.push(required("spec.names.plural"));
  if (!names["kind"]) errs.push(required("spec.names.kind"));
  if (spec["group"] && names["plural"] && name !== `${names["plural"]}.${spec["group"]}`) {
    errs.push(invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (!["Namespaced", "Cluster"].includes(spec["scope"])) {
    errs.push({
      type: "FieldValueNotSupported",
      field: "spec.scope",
      badValue: spec["scope"],
      detail: 'supported values: "Cluster", "Namespaced"',
    });
  }
  const versions: KObject[] = spec["versions"] ?? [];
  if (versions.length === 0)
    errs.push(invalid("spec.versions", versions, "must have exactly one version marked as storage version"));
  else if (versions.filter((v) => v["storage"] === true).length !== 1) {
    errs.push(
      invalid(
        "spec.versions",
        versions.map((v) => v["name"]),
        "must have exactly one version marked as storage version",
      ),
    );
  }
  return errs;
}

/** CRD strategy: validation, the Established status, and removing custom objects on delete. */
export const crdHooks: ResourceHooks = {
  prepareForCreate(crd) {
    const errs = validateCrd(crd);
    if (errs.length > 0)
      throw ApiError.invalid(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        String(crd["metadata"]?.["name"] ?? ""),
        errs,
      );
    const names = crd["spec"]["names"];
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const condition = (type: string, reason: string, message: string) => ({
      type,
      status: "True",
      lastTransitionTime: now,
      reason,
      message,
    });
    crd["status"] = {
      conditions: [
        condition("NamesAccepted", "NoConflicts", "no conflicts found"),
        condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
      ],
      acceptedNames: {
        ...names,
        singular: names["singular"] || String(names["kind"]).toLowerCase(),
        listKind: names["listKind"] || `${names["kind"]}List`,
      },
      storedVersions: (crd["spec"]["versions"] as KObject[])
        .filter((v) => v["storage"])
        .map((v) => v["name"]),
    };
  },
  async afterCreate(ctx) {
    // Serve the new resources before answering, so the next request can use them.
    await ctx.store.waitFresh();
  },
  async afterDelete(ctx, crd) {
    const token = storageToken({
      storage: `${crd["spec"]["names"]["plural"]}.${crd["spec"]["group"]}`,
    } as ResourceDef);
    const { items } = await ctx.store.list(token, undefined);
    for (const o of items) {
      const md = o["metadata"];
      const key = { resource: token, namespace: md["namespace"], name: md["name"] };
      await ctx.store.delete(key, o, Number(md["resourceVersion"])).catch(() => {});
    }
  },
};

/** Keeps the registry serving exactly the resources of the stored CRDs. */
export function followCrds(store: Store, registry: Registry, log: Logger): StoreWatch {
  return store.watchFromNow(CRD_STORAGE, undefined, (ev) => {
    const name: string = ev.obj["metadata"]["name"];
    if (ev.type === "DELETED") {
      registry.removeCustom(name);
      log.info("custom resource removed", { crd: name });
    } else {
      registry.setCustom(name, defsFromCrd(ev.obj));
      if (ev.type === "ADDED") log.info("custom resource served", { crd: name });
    }
  }).watch;
}

/** A Table for custom resources: NAME plus the additionalPrinterColumns, or NAME and AGE. */
export function customTable(
  def: ResourceDef,
  objects: KObject[],
  apiVersion: string,
  listMeta?: KObject,
): KObject {
  const cols: PrinterColumn[] = def.custom?.printerColumns?.length
    ? def.custom.printerColumns
    : [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "" }];
  const now = new Date();
  const columnDefinitions = [
    {
      name: "Name",
      type: "string",
      format: "name",
      description:
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
      priority: 0,
    },
    ...cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? "",
      description: c.description ?? "",
      priority: c.priority ?? 0,
    })),
  ];
  const rows = objects.map((o) => ({
    cells: [
      o["metadata"]?.["name"],
      ...cols.map((c) => {
        const v = jsonPath(o, c.jsonPath);
        if (v === undefined) return null;
        return c.type === "date" ? translateTimestampSince(String(v), now) : v;
      }),
    ],
    object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o["metadata"] },
  }));
  const metadata: KObject = {};
  if (listMeta?.["resourceVersion"]) metadata["resourceVersion"] = listMeta["resourceVersion"];
  if (listMeta?.["continue"]) metadata["continue"] = listMeta["continue"];
  return { kind: "Table", apiVersion, metadata, columnDefinitions, rows };
}

/** Evaluates the simple JSONPath forms CRDs use: `.spec.replicas`, `.status.conditions[0].type`. */
function jsonPath(obj: KObject, path: string): unknown {
  const parts = path
    .replace(/^\{?\.?/, "")
    .replace(/\}$/, "")
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== "");
  let cur: unknown = obj;
  for (const p of parts) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === "object" && cur !== null ? JSON.stringify(cur) : cur;
}
