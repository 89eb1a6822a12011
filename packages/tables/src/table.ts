// Table assembly: printers' GenerateTable (always wide, as kube-apiserver's TableConvertor asks) plus
// the includeObject handling of the endpoint handlers' asTable.

import { defaultPrinter, printerFor } from "./registry.ts";
import type { Table, TableListMeta, TableRow } from "./types.ts";

/** A rejected TableOptions value; the API server answers it as a 400 BadRequest Status with this message. */
export class TableOptionsError extends Error {
  /** The metav1.StatusReason to send. */
  readonly reason = "BadRequest";
  /** The HTTP status code to send. */
  readonly code = 400;
  override name = "TableOptionsError";
}

/** Options of buildTable: the request's TableOptions, the clock, and the ListMeta of the list being printed. */
export interface BuildTableOptions {
  /** "None" | "Metadata" (the default) | "Object". */
  includeObject?: string;
  /** Omit columnDefinitions, as a watch does after its first event. */
  noHeaders?: boolean;
  /** The Table's own apiVersion: "meta.k8s.io/v1" (default) or "meta.k8s.io/v1beta1". */
  apiVersion?: string;
  now?: Date;
  /** The list's metadata; when omitted the table is for one object and takes that object's resourceVersion. */
  listMeta?: TableListMeta;
}

interface WithMetadata {
  metadata?: { resourceVersion?: string } & Record<string, unknown>;
}

function rowObject(obj: WithMetadata, includeObject: string, apiVersion: string): unknown {
  switch (includeObject) {
    case "Object":
      return obj;
    case "None":
      return null;
    default:
      return { kind: "PartialObjectMetadata", apiVersion, metadata: obj.metadata ?? {} };
  }
}

function tableMeta(objects: WithMetadata[], listMeta: TableListMeta | undefined): TableListMeta {
  const meta: TableListMeta = {};
  if (listMeta === undefined) {
    const rv = objects.length === 1 ? objects[0]?.metadata?.resourceVersion : undefined;
    if (rv) meta.resourceVersion = rv;
    return meta;
  }
  // ListMeta fields are omitempty.
  if (listMeta.resourceVersion) meta.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue) meta.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) meta.remainingItemCount = listMeta.remainingItemCount;
  return meta;
}

/** Builds a complete meta.k8s.io/v1 Table for a list (or a single object), honouring includeObject=None|Metadata|Object (default Metadata: each row's object is a PartialObjectMetadata with apiVersion meta.k8s.io/v1, kind PartialObjectMetadata and the metadata), and carries the list's resourceVersion/continue in metadata. */
export function buildTable(
  resource: string,
  group: string,
  objects: object[],
  opts: BuildTableOptions = {},
): Table {
  const includeObject = opts.includeObject ?? "";
  if (!["", "None", "Metadata", "Object"].includes(includeObject)) {
    throw new TableOptionsError(
      `Unable to convert to Table as requested: includeObject: Invalid value: ${JSON.stringify(includeObject)}: must be 'Metadata', 'Object', 'None', or empty`,
    );
  }
  const apiVersion = opts.apiVersion ?? "meta.k8s.io/v1";
  const now = opts.now ?? new Date();
  const printer = printerFor(resource, group);
  const items = objects as WithMetadata[];
  const rows = items.map((obj): TableRow => {
    const conditions = printer.conditions?.(obj);
    return {
      cells: printer.cells(obj, now),
      ...(conditions ? { conditions } : {}),
      object: rowObject(obj, includeObject, apiVersion),
    };
  });
  return {
    kind: "Table",
    apiVersion,
    metadata: tableMeta(items, opts.listMeta),
    columnDefinitions: opts.noHeaders ? null : printer.columns.map((c) => ({ ...c })),
    // The default convertor appends to a nil slice, so an empty list serialises as null there.
    rows: rows.length === 0 && printer === defaultPrinter ? null : rows,
  };
}
