// Shapes of meta.k8s.io/v1 Table and of the loose JSON objects the printers read.

/** A column of a meta.k8s.io/v1 Table, field for field as kube-apiserver serialises it. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** A row condition; kube-apiserver only ever sets type "Completed" (on finished pods). */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** One row: the cells, optional conditions, and the object as includeObject asked for (null for None). */
export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: unknown;
}

/** metav1.ListMeta as carried by a Table. */
export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A complete meta.k8s.io Table. Null columnDefinitions/rows mirror Go's nil slices. */
export interface Table {
  kind: "Table";
  apiVersion: string;
  metadata: TableListMeta;
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[] | null;
}

/** One printer: column definitions plus a function from an object to its row cells. */
export interface Printer {
  columns: TableColumnDefinition[];
  // Method syntax on purpose: each printer narrows `obj` to the plain JSON shape of its kind.
  cells(obj: object, now: Date): unknown[];
  /** Row conditions, for the kinds that have them (pods). */
  conditions?(obj: object): TableRowCondition[] | undefined;
}

/**
 * The JSON form of a client-node model: every field optional (stored objects may omit defaults) and
 * every Date a string, as objects arrive straight from the store and not through client-node's
 * deserialiser.
 */
export type Plain<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { [K in keyof T]?: Plain<T[K]> }
      : T;
