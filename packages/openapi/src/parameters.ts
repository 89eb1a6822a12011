// Query and path parameters of kube-apiserver's REST operations, as OpenAPI v3 parameter objects.
// kubectl reads one of them: before it sends fieldValidation=Strict|Warn it checks that the PATCH
// operation of the kind lists a `fieldValidation` query parameter (cli-runtime's QueryParamVerifierV3).
// The descriptions are kemu's own short wording of upstream's semantics.

/** An OpenAPI v3 parameter object. */
export interface Parameter {
  name: string;
  in: "query" | "path";
  description: string;
  required?: boolean;
  schema: { type: string };
}

const query = (name: string, type: string, description: string): Parameter => ({
  name,
  in: "query",
  description,
  schema: { type },
});

/** Path parameter `{name}`, described for one kind. */
export function nameParam(kind: string): Parameter {
  return {
    name: "name",
    in: "path",
    description: `name of the ${kind}`,
    required: true,
    schema: { type: "string" },
  };
}

/** Path parameter `{namespace}`. */
export const namespaceParam: Parameter = {
  name: "namespace",
  in: "path",
  description: "object name and auth scope, such as for teams and projects",
  required: true,
  schema: { type: "string" },
};

/** Query parameter `pretty`, shared by every path. */
export const prettyParam = query(
  "pretty",
  "string",
  "If 'true', the response is pretty-printed. Defaults to 'false' unless the user agent looks like a browser or a command-line HTTP tool (curl, wget).",
);

const dryRun = query(
  "dryRun",
  "string",
  "When present, the request is processed and answered but nothing is persisted. The only valid value is All (run every dry-run stage); any other value is an error.",
);

const fieldManager = query(
  "fieldManager",
  "string",
  "Name of the actor making the change, recorded in managedFields. At most 128 printable characters.",
);

const fieldValidation = query(
  "fieldValidation",
  "string",
  "How the server treats unknown or duplicate fields in the request body. Ignore: drop them silently. Warn (the default): drop them and send one warning header per field. Strict: reject the request with BadRequest naming every unknown and duplicate field.",
);

const force = query(
  "force",
  "boolean",
  "For apply patches only: take ownership of fields that other managers own instead of failing with a conflict. Must be unset for other patch types.",
);

/** Parameters of create (POST) and update (PUT). */
export const writeParams: Parameter[] = [dryRun, fieldManager, fieldValidation];

/** Parameters of patch (PATCH). */
export const patchParams: Parameter[] = [dryRun, fieldManager, fieldValidation, force];

const selectionParams: Parameter[] = [
  query(
    "continue",
    "string",
    "Opaque token from a previous paginated list response; returns the next page of the same consistent snapshot.",
  ),
  query("fieldSelector", "string", "Restrict the returned objects by their fields, e.g. metadata.name=foo."),
  query("labelSelector", "string", "Restrict the returned objects by their labels, e.g. app=web,tier!=db."),
  query(
    "limit",
    "integer",
    "Maximum number of objects to return; if more exist, the response carries a continue token.",
  ),
  query(
    "resourceVersion",
    "string",
    'Which version of the data to serve: unset for the most recent, "0" for any, otherwise at least (or exactly, with resourceVersionMatch=Exact) this version. For watch, the version to start from.',
  ),
  query(
    "resourceVersionMatch",
    "string",
    "How resourceVersion is applied to list calls: NotOlderThan or Exact.",
  ),
  query(
    "sendInitialEvents",
    "boolean",
    "With watch=true, begin the stream with synthetic ADDED events for the current state, then a BOOKMARK.",
  ),
  query("timeoutSeconds", "integer", "Time limit for the list or watch call, in seconds."),
];

/** Parameters of list (collection GET), including watch=true. */
export const listParams: Parameter[] = [
  query(
    "allowWatchBookmarks",
    "boolean",
    "Allow the server to send BOOKMARK events in a watch; ignored for plain lists.",
  ),
  ...selectionParams,
  query(
    "watch",
    "boolean",
    "Stream changes (ADDED, MODIFIED, DELETED) to the described objects instead of listing them.",
  ),
].sort((a, b) => (a.name < b.name ? -1 : 1));

const deleteOnlyParams: Parameter[] = [
  dryRun,
  query(
    "gracePeriodSeconds",
    "integer",
    "Seconds to wait before the object is deleted; 0 deletes immediately, unset uses the kind's default.",
  ),
  query(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "boolean",
    "Delete an object whose stored data cannot be read. Dangerous; off by default.",
  ),
  query(
    "orphanDependents",
    "boolean",
    "Deprecated: use propagationPolicy. If true, dependents are orphaned rather than garbage collected.",
  ),
  query(
    "propagationPolicy",
    "string",
    "How dependents are garbage collected: Orphan, Background (the default for most kinds) or Foreground.",
  ),
];

/** Parameters of delete (item DELETE). */
export const deleteParams: Parameter[] = deleteOnlyParams;

/** Parameters of deletecollection (collection DELETE). */
export const deleteCollectionParams: Parameter[] = [...deleteOnlyParams, ...selectionParams].sort((a, b) =>
  a.name < b.name ? -1 : 1,
);

/** Parameters of the deprecated /watch/ paths (path-level, as upstream puts them). */
export const watchPathParams: Parameter[] = listParams;

/** Parameters of a pod's log subresource. */
export const logParams: Parameter[] = [
  query(
    "container",
    "string",
    "The container to stream logs from; may be omitted if the pod has one container.",
  ),
  query("follow", "boolean", "Keep streaming the log as it grows."),
  query("limitBytes", "integer", "Stop after this many bytes of log output."),
  query("previous", "boolean", "Return the log of the previous, terminated instance of the container."),
  query("sinceSeconds", "integer", "Only return lines newer than this many seconds."),
  query("tailLines", "integer", "Only return this many lines from the end of the log."),
  query("timestamps", "boolean", "Prefix every line with an RFC 3339 timestamp."),
];
