// Server-side strategic merge patch: what kube-apiserver does with a PATCH whose
// Content-Type is application/strategic-merge-patch+json (kubectl apply, kubectl patch).
//
// This is a port of the apply half of k8s.io/apimachinery/pkg/util/strategicpatch
// (StrategicMergeMapPatch with MergeParallelList and IgnoreUnmatchedNulls, as the apiserver
// calls it), function by function, so that odd corners behave the same: new items of a
// merge list land before the server-only items, `$patch` inside content that has no
// counterpart in the original drops that content, `$deleteFromPrimitiveList` also works on
// lists without the merge strategy, and so on. The function names follow upstream so the
// two can be read side by side.
//
// Limitations vs Kubernetes:
// - Go walks the keys of a patch map in random order; we walk them in patch order, except
//   that `$deleteFromPrimitiveList/<f>` runs after `<f>`, so a value both added and deleted
//   in one patch ends up deleted (upstream: either, at random).
// - JSON numbers are JS numbers: 1 and 1.0 are the same value here, while Go tells int64
//   from float64 (so `[1]` and `[1.0]` are different list items upstream), and integers
//   beyond 2^53 lose precision.
// - Upstream's Go-struct schema fails with "unable to find api field in struct ..." when a
//   field it does not know holds a map or a list in both the original and the patch; an
//   unknown field here is merged as a plain map or replaced as a list. Stored objects never
//   carry unknown fields, so this does not show in practice.
// - Where upstream would panic (comparing or hashing maps, e.g. `$setElementOrder` on a list
//   of objects without a merge key) we throw an SmpError with code Internal; kube-apiserver
//   answers such a panic with a 500 as well, with a different text.
// - Keys of returned objects keep the original's order, with new keys appended;
//   kube-apiserver re-serialises in Go struct field order.
// - Content copied verbatim from the patch (new list items, `$patch: replace` maps, replaced
//   lists) keeps any directive keys inside it, as upstream does. kube-apiserver's typed
//   decode afterwards drops them (or reports them as unknown fields under strict field
//   validation), so the caller's structural schema must do the same.
// - Upstream mutates Go slices in place, and a caller still holding the live list sees the
//   change (see GoSlice and mergeScalars). We model that with the power-of-two capacity a
//   decoder leaves; kube-apiserver's real capacities depend on its conversion code, so where
//   it matters (the live list holds duplicates, or one `$setElementOrder` patch deletes and
//   adds items next to server-only items) the order of items may differ from a real server.
// - Error texts are those of Kubernetes 1.32 (later releases lower-case "The order in patch
//   list"). Custom resources are out of scope: kube-apiserver refuses strategic merge patch
//   for them with 415, which is the caller's check.

import {
  errBadArgType,
  errBadJSONDoc,
  errBadPatchFormatForPrimitiveList,
  errBadPatchFormatForRetainKeys,
  errBadPatchFormatForSetElementOrderList,
  errBadPatchType,
  errNoListOfLists,
  errNoMergeKey,
  goTypeName,
  goV,
  internal,
  SmpError,
} from "./errors.ts";
import type { PatchSchema } from "./schema.ts";

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject {
  [key: string]: Json;
}

const DIRECTIVE_MARKER = "$patch";
const DELETE_DIRECTIVE = "delete";
const REPLACE_DIRECTIVE = "replace";
const MERGE_DIRECTIVE = "merge";
const RETAIN_KEYS_STRATEGY = "retainKeys";
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = "$deleteFromPrimitiveList";
const RETAIN_KEYS_DIRECTIVE = "$retainKeys";
const SET_ELEMENT_ORDER_PREFIX = "$setElementOrder";

const MAP_TYPE = "map[string]interface {}";
const SLICE_TYPE = "[]interface {}";

/** Applies a strategic merge patch to original and returns a new object; never mutates its inputs. Throws SmpError on a bad patch. */
export function strategicMergePatch(
  original: object,
  patch: unknown,
  schema: PatchSchema | undefined,
): object {
  if (!isMap(original as Json)) throw new TypeError("strategicMergePatch: original must be a JSON object");
  // kube-apiserver decodes the body into a Go map: JSON null leaves the map nil, which patches nothing.
  if (patch === null) return clone(original as Json) as JsonObject;
  if (patch === undefined) throw errBadJSONDoc();
  if (!isMap(patch as Json)) {
    throw new SmpError(
      "BadRequest",
      `json: cannot unmarshal ${jsonKind(patch)} into Go value of type map[string]interface {}`,
    );
  }
  const o = clone(original as Json) as JsonObject;
  const p = clone(patch as Json) as JsonObject;
  return mergeMap(o, p, schema);
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

// ---- JSON helpers ----

function isMap(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function has(o: JsonObject, key: string): boolean {
  return Object.hasOwn(o, key);
}

function get(o: JsonObject, key: string): Json | undefined {
  return has(o, key) ? o[key] : undefined;
}

// A plain assignment to "__proto__" would change the prototype instead of adding a key.
function set(o: JsonObject, key: string, v: Json): void {
  if (key === "__proto__")
    Object.defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
  else o[key] = v;
}

// A deep copy, with undefined handled as JSON.stringify would (key absent, list item null).
function clone(v: Json | undefined): Json {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(clone);
  if (isMap(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      if (v[k] !== undefined) set(out, k, clone(v[k]));
    }
    return out;
  }
  return v;
}

// Stands in for reflect.TypeOf: the Go type a JSON value decodes into.
function typeOf(v: Json): string {
  return goTypeName(v) ?? "nil";
}

// Go's == on two interface{} values holding JSON scalars; maps and slices make Go panic.
function scalarEqual(a: Json | undefined, b: Json | undefined): boolean {
  if ((typeof a === "object" && a !== null) || (typeof b === "object" && b !== null)) {
    if (typeOf(a ?? null) === typeOf(b ?? null)) {
      throw internal(`runtime error: comparing uncomparable type ${typeOf(a ?? null)}`);
    }
    return false;
  }
  return a === b && typeOf(a ?? null) === typeOf(b ?? null);
}

// A key for a Go map[interface{}] holding scalars; maps and slices make Go panic.
function hashKey(v: Json): string {
  if (typeof v === "object" && v !== null)
    throw internal(`runtime error: hash of unhashable type ${typeOf(v)}`);
  return `${typeOf(v)}:${String(v)}`;
}

// ---- patch metadata ----

interface Meta {
  strategy: string;
  mergeKey: string;
  schema: PatchSchema | undefined;
}

function lookupPatchMeta(schema: PatchSchema | undefined, key: string): Meta {
  const f = schema?.field(key);
  const strategies = f?.patchStrategy ? f.patchStrategy.split(",").map((s) => s.trim()) : [];
  return {
    strategy: extractRetainKeysPatchStrategy(strategies),
    mergeKey: f?.patchMergeKey ?? "",
    schema: f?.schema,
  };
}

// The strategy besides retainKeys; retainKeys itself only matters when building patches.
function extractRetainKeysPatchStrategy(strategies: string[]): string {
  const [a, b] = strategies;
  switch (strategies.length) {
    case 0:
      return "";
    case 1:
      return a === RETAIN_KEYS_STRATEGY ? "" : (a ?? "");
    case 2:
      if (a === RETAIN_KEYS_STRATEGY) return b ?? "";
      if (b === RETAIN_KEYS_STRATEGY) return a ?? "";
      break;
  }
  throw internal(`unexpected patch strategy: ${goV(strategies)}`);
}

// ---- maps ----

function mergeMap(original: JsonObject, patch: JsonObject, schema: PatchSchema | undefined): JsonObject {
  if (has(patch, DIRECTIVE_MARKER)) return handleDirectiveInMergeMap(patch[DIRECTIVE_MARKER] ?? null, patch);

  applyRetainKeysDirective(original, patch);
  // $setElementOrder lists are merged (with their patch list) first, and removed from patch.
  mergePatchIntoOriginal(original, patch, schema);

  const keys = Object.keys(patch);
  const ordered = [
    ...keys.filter((k) => !k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)),
    ...keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)),
  ];
  for (const patchKey of ordered) {
    const patchV = patch[patchKey] ?? null;
    let k = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      k = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST_PREFIX);
      isDeleteList = true;
    }

    // null deletes the key (IgnoreUnmatchedNulls: a null for a missing key is dropped).
    if (patchV === null) {
      delete original[k];
      continue;
    }

    const originalV = get(original, k);
    if (originalV === undefined || typeOf(originalV) !== typeOf(patchV)) {
      // Not in the original, or a different type: the patch value wins, minus its nulls and directives.
      if (!isDeleteList) takePatchValue(original, k, patchV);
      continue;
    }

    if (isMap(originalV)) {
      const meta = lookupPatchMeta(schema, k);
      set(original, k, mergeMapHandler(originalV, patchV as JsonObject, meta));
    } else if (Array.isArray(originalV)) {
      const meta = lookupPatchMeta(schema, k);
      set(original, k, mergeSliceHandler(originalV, patchV as Json[], meta, isDeleteList));
    } else {
      takePatchValue(original, k, patchV);
    }
  }
  return original;
}

function takePatchValue(original: JsonObject, k: string, patchV: Json): void {
  discardNullValuesFromPatch(patchV);
  const [v, keep] = removeDirectives(patchV);
  if (keep) set(original, k, v);
  else delete original[k];
}

function handleDirectiveInMergeMap(directive: Json, patch: JsonObject): JsonObject {
  if (directive === REPLACE_DIRECTIVE) {
    // The patch, as it is, becomes the map.
    delete patch[DIRECTIVE_MARKER];
    return patch;
  }
  if (directive === DELETE_DIRECTIVE) return {};
  throw errBadPatchType(directive, patch);
}

function mergeMapHandler(original: JsonObject, patch: JsonObject, meta: Meta): JsonObject {
  if (meta.strategy !== REPLACE_DIRECTIVE) return mergeMap(original, patch, meta.schema);
  return patch;
}

// Removes null-valued keys from maps, at any depth (null list items stay).
function discardNullValuesFromPatch(v: Json): void {
  if (Array.isArray(v)) {
    for (const item of v) discardNullValuesFromPatch(item);
  } else if (isMap(v)) {
    for (const k of Object.keys(v)) {
      const item = v[k] ?? null;
      if (item === null) delete v[k];
      else discardNullValuesFromPatch(item);
    }
  }
}

// Drops every map that carries `$patch`, at any depth; [value, keep].
function removeDirectives(v: Json): [Json, boolean] {
  if (isMap(v)) {
    if (has(v, DIRECTIVE_MARKER)) return [null, false];
    for (const k of Object.keys(v)) {
      const [nv, keep] = removeDirectives(v[k] ?? null);
      if (keep) set(v, k, nv);
      else delete v[k];
    }
    return [v, true];
  }
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const item of v) {
      const [nv, keep] = removeDirectives(item);
      if (keep) out.push(nv);
    }
    return [out, true];
  }
  return [v, true];
}

// "$deleteFromPrimitiveList/finalizers" -> "finalizers".
function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf("/");
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX) throw errBadPatchFormatForPrimitiveList();
    throw errBadPatchFormatForSetElementOrderList();
  }
  return s.slice(slash + 1);
}

// Keeps only the listed keys of original; every key the patch sets must be listed.
function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!has(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retainKeys = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retainKeys)) throw errBadPatchFormatForRetainKeys();

  const keep = new Set(retainKeys.map(hashKey));
  for (const k of Object.keys(patch)) {
    if (
      patch[k] === null ||
      k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) ||
      k.startsWith(SET_ELEMENT_ORDER_PREFIX)
    ) {
      continue;
    }
    if (!keep.has(hashKey(k))) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) {
    if (!keep.has(hashKey(k))) delete original[k];
  }
}

// ---- $setElementOrder ----

// Merges each `$setElementOrder/<f>` with its list `<f>` and orders the result:
// $setElementOrder first, then the patch list, then the live list.
function mergePatchIntoOriginal(
  original: JsonObject,
  patch: JsonObject,
  schema: PatchSchema | undefined,
): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const setElementOrder = patch[key] ?? null;
    delete patch[key];

    if (!Array.isArray(setElementOrder)) throw errBadArgType(SLICE_TYPE, setElementOrder);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER_PREFIX);

    const foundOriginal = has(original, originalKey);
    const foundPatch = has(patch, originalKey);
    let originalFieldValue: Json[] = [];
    let patchFieldValue: Json[] = [];
    if (foundOriginal) {
      const v = original[originalKey] ?? null;
      if (!Array.isArray(v)) throw errBadArgType(SLICE_TYPE, v);
      originalFieldValue = v;
    }
    if (foundPatch) {
      const v = patch[originalKey] ?? null;
      if (!Array.isArray(v)) throw errBadArgType(SLICE_TYPE, v);
      patchFieldValue = v;
    }

    const meta = lookupPatchMeta(schema, originalKey);
    validatePatchWithSetOrderList(patchFieldValue, setElementOrder, meta.mergeKey);

    let merged: Json[];
    if (foundOriginal && !foundPatch) {
      merged = originalFieldValue;
    } else if (!foundOriginal && foundPatch) {
      merged = removeDirectives(patchFieldValue)[0] as Json[];
    } else if (foundOriginal && foundPatch) {
      merged = mergeSliceHandler(originalFieldValue, patchFieldValue, meta, false);
    } else {
      continue;
    }

    const [patchItems, serverOnlyItems] =
      meta.mergeKey === ""
        ? partitionPrimitivesByPresentInList(merged, setElementOrder)
        : partitionMapsByPresentInList(merged, setElementOrder, meta.mergeKey);
    const kind = sliceElementType(originalFieldValue, patchFieldValue);
    set(
      original,
      originalKey,
      normalizeElementOrder(
        patchItems,
        serverOnlyItems,
        setElementOrder,
        originalFieldValue,
        meta.mergeKey,
        kind,
      ),
    );
    delete patch[originalKey];
  }
}

// The patch list's items must appear in $setElementOrder, in the same relative order.
function validatePatchWithSetOrderList(patchList: Json[], setOrderList: Json[], mergeKey: string): void {
  if (setOrderList.length === 0 || patchList.length === 0) return;
  const nonDeleteList = mergeKey !== "" ? extractToDeleteItems(patchList)[0] : patchList;

  let patchIndex = 0;
  let setOrderIndex = 0;
  while (patchIndex < nonDeleteList.length && setOrderIndex < setOrderList.length) {
    const item = nonDeleteList[patchIndex] ?? null;
    if (isMap(item) && has(item, DIRECTIVE_MARKER)) {
      patchIndex++;
      continue;
    }
    if (mergeKeyValueEqual(item, setOrderList[setOrderIndex] ?? null, mergeKey)) patchIndex++;
    setOrderIndex++;
  }
  if (patchIndex < nonDeleteList.length && setOrderIndex >= setOrderList.length) {
    throw internal(
      `The order in patch list:\n${goV(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goV(setOrderList)}\n`,
    );
  }
}

function mergeKeyValueEqual(left: Json, right: Json, mergeKey: string): boolean {
  if (mergeKey === "") return scalarEqual(left, right);
  if (!isMap(left)) throw errBadArgType(MAP_TYPE, left);
  if (!isMap(right)) throw errBadArgType(MAP_TYPE, right);
  if (!has(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!has(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return scalarEqual(left[mergeKey], right[mergeKey]);
}

// ---- lists ----

function mergeSliceHandler(original: Json[], patch: Json[], meta: Meta, isDeleteList: boolean): Json[] {
  // A deletion list works the same whatever the field's strategy.
  if (meta.strategy === MERGE_DIRECTIVE || isDeleteList) {
    return mergeSlice(original, patch, meta.schema, meta.mergeKey, isDeleteList);
  }
  return patch;
}

function mergeSlice(
  original: Json[],
  patch: Json[],
  schema: PatchSchema | undefined,
  mergeKey: string,
  isDeleteList: boolean,
): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementType(original, patch);

  let merged: Json[];
  let serverOrder = original;
  if (kind !== MAP_TYPE) {
    if (isDeleteList) return deleteFromSlice(original, patch);
    merged = mergeScalars(original, patch);
  } else {
    if (mergeKey === "") throw internal("cannot merge lists without merge key for struct");
    const live = goSlice(original);
    const [afterSpecial, plainPatch] = mergeSliceWithSpecialElements(live, patch, mergeKey);
    serverOrder = goView(afterSpecial);
    merged = goView(mergeSliceWithoutSpecialElements(afterSpecial, plainPatch, mergeKey, schema));
    patch = plainPatch;
    // What the caller's view of the live list now shows (see GoSlice).
    for (let i = 0; i < original.length; i++) original[i] = live.arr[i] ?? null;
  }

  const [patchItems, serverOnlyItems] =
    mergeKey === ""
      ? partitionPrimitivesByPresentInList(merged, patch)
      : partitionMapsByPresentInList(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnlyItems, patch, serverOrder, mergeKey, kind);
}

// A Go slice: a window of len items on a backing array with room for cap. Upstream deletes
// from and appends to the live list in place, so a caller still holding the live list (the
// $setElementOrder code, which then uses it as the reference order) sees the tail shifted
// left over deleted items and overwritten by appended ones, as far as the capacity reaches.
// We model that, assuming the capacity a list gets when decoded one append at a time (a
// power of two), which is what kubectl's and kube-apiserver's decoders leave for most lists.
interface GoSlice {
  arr: Json[];
  len: number;
  cap: number;
}

function goSlice(items: Json[]): GoSlice {
  return { arr: [...items], len: items.length, cap: goAppendCapacity(items.length) };
}

function goView(s: GoSlice): Json[] {
  return s.arr.slice(0, s.len);
}

function goAppend(s: GoSlice, v: Json): GoSlice {
  if (s.len < s.cap) {
    s.arr[s.len] = v;
    return { arr: s.arr, len: s.len + 1, cap: s.cap };
  }
  const arr = s.arr.slice(0, s.len);
  arr.push(v);
  return { arr, len: s.len + 1, cap: Math.max(1, s.cap * 2) };
}

// append(s[:i], s[i+1:]...): the tail moves left inside the same backing array.
function goRemoveAt(s: GoSlice, i: number): GoSlice {
  s.arr.copyWithin(i, i + 1, s.len);
  return { arr: s.arr, len: s.len - 1, cap: s.cap };
}

// Applies the `$patch` items of a merge list: delete removes matching items, replace makes
// the rest of the patch list the whole list. Returns [live list, patch without those items].
function mergeSliceWithSpecialElements(
  original: GoSlice,
  patch: Json[],
  mergeKey: string,
): [GoSlice, Json[]] {
  const plain: Json[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!has(item, DIRECTIVE_MARKER)) {
      plain.push(v);
      continue;
    }
    const patchType = item[DIRECTIVE_MARKER] ?? null;
    if (patchType === DELETE_DIRECTIVE) {
      if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      original = deleteMatchingEntries(original, mergeKey, item[mergeKey] ?? null);
    } else if (patchType === REPLACE_DIRECTIVE) {
      // Keep going, to prune any other $patch items.
      replace = true;
    } else if (patchType === MERGE_DIRECTIVE) {
      throw internal("merging lists cannot yet be specified in the patch");
    } else {
      throw errBadPatchType(patchType, item);
    }
  }
  if (replace) return [goSlice(plain), []];
  return [original, plain];
}

function deleteMatchingEntries(original: GoSlice, mergeKey: string, mergeValue: Json): GoSlice {
  for (;;) {
    const found = findMapInSliceBasedOnKeyValue(goView(original), mergeKey, mergeValue);
    if (found < 0) return original;
    original = goRemoveAt(original, found);
  }
}

// Merges patch items into the live items with the same key; the others are appended.
function mergeSliceWithoutSpecialElements(
  original: GoSlice,
  patch: Json[],
  mergeKey: string,
  schema: PatchSchema | undefined,
): GoSlice {
  for (const v of patch) {
    const item = v as JsonObject;
    if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(goView(original), mergeKey, item[mergeKey] ?? null);
    if (found >= 0) original.arr[found] = mergeMap(original.arr[found] as JsonObject, item, schema);
    else original = goAppend(original, v);
  }
  return original;
}

function deleteFromSlice(current: Json[], toDelete: Json[]): Json[] {
  const gone = new Set(toDelete.map(hashKey));
  return current.filter((v) => !gone.has(hashKey(v)));
}

function findMapInSliceBasedOnKeyValue(list: Json[], key: string, value: Json): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i] ?? null;
    if (!isMap(v)) throw internal(`value for key ${i} is not a map.`);
    if (has(v, key) && scalarEqual(v[key], value)) return i;
  }
  return -1;
}

// The Go type shared by the items of all the lists; an error if they differ or are lists.
function sliceElementType(...slices: Json[][]): string {
  let prev: string | undefined;
  for (const s of slices) {
    for (const v of s) {
      const t = typeOf(v);
      if (prev === undefined) {
        prev = t;
        if (t === SLICE_TYPE) throw errNoListOfLists();
      } else if (prev !== t) {
        throw internal(`list element types are not identical: ${goV(slices)}`);
      }
    }
  }
  if (prev === undefined) throw internal("no elements in any of the given slices");
  return prev;
}

// Upstream does `deduplicateScalars(append(original, patch...))`. When the live list has
// spare capacity, append writes into its backing array and the in-place de-duplication
// then rewrites the live list itself, which later serves as the reference order. That only
// shows when the live list holds duplicates, and we reproduce it: a list decoded from JSON
// or protobuf one append at a time has a power-of-two capacity, and ToUnstructured keeps it.
function mergeScalars(original: Json[], patch: Json[]): Json[] {
  const backing = [...original, ...patch];
  const length = deduplicateScalars(backing);
  if (backing.length <= goAppendCapacity(original.length)) {
    for (let i = 0; i < original.length; i++) original[i] = backing[i] ?? null;
  }
  return backing.slice(0, length);
}

function goAppendCapacity(n: number): number {
  let cap = 0;
  while (cap < n) cap = cap === 0 ? 1 : cap * 2;
  return cap;
}

// apimachinery's in-place de-duplication: a duplicate is overwritten by the last item and
// the list shortened. Returns the new length; s keeps its physical size, as Go's backing array.
function deduplicateScalars(s: Json[]): number {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (scalarEqual(s[i], s[j])) {
        s[j] = s[length] ?? null;
        length--;
        j--;
      }
    }
  }
  return length + 1;
}

// ---- ordering ----

function partitionPrimitivesByPresentInList(list: Json[], partitionBy: Json[]): [Json[], Json[]] {
  const inPatch = new Set(partitionBy.map(hashKey));
  const patch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of list) (inPatch.has(hashKey(v)) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMapsByPresentInList(list: Json[], partitionBy: Json[], mergeKey: string): [Json[], Json[]] {
  const patch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of list) {
    if (!isMap(v)) throw errBadArgType(MAP_TYPE, v);
    if (!has(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(partitionBy, mergeKey, v[mergeKey] ?? null);
    (found >= 0 ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

// Sorts the patch items by patchOrder and the server-only items by serverOrder, then
// interleaves them, keeping a server-only item ahead of a patch item only where the live
// list has it ahead.
function normalizeElementOrder(
  patch: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  mergeKey: string,
  kind: string,
): Json[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function normalizeSliceOrder(toSort: Json[], order: Json[], mergeKey: string, kind: string): Json[] {
  let items = toSort;
  let toDelete: Json[] = [];
  if (kind === MAP_TYPE) {
    validateMergeKeyInLists(mergeKey, toSort, order);
    [items, toDelete] = extractToDeleteItems(toSort);
  }
  // Upstream's comparator calls any pair it cannot place "less", which is not a consistent
  // order, so the result depends on the sort algorithm: we run Go's own.
  const sorted = [...items];
  const at = (i: number): number => index(order, sorted[i] ?? null, mergeKey, kind);
  goSliceStable(sorted, (i, j) => {
    const ii = at(i);
    if (ii < 0) return true;
    const ij = at(j);
    return ij < 0 || ii < ij;
  });
  return [...sorted, ...toDelete];
}

// Go's sort.SliceStable (insertion sort on blocks of 20, then SymMerge), step for step.
function goSliceStable(data: Json[], less: (i: number, j: number) => boolean): void {
  const swap = (i: number, j: number): void => {
    const t = data[i] ?? null;
    data[i] = data[j] ?? null;
    data[j] = t;
  };
  const insertionSort = (a: number, b: number): void => {
    for (let i = a + 1; i < b; i++) {
      for (let j = i; j > a && less(j, j - 1); j--) swap(j, j - 1);
    }
  };
  const swapRange = (a: number, b: number, n: number): void => {
    for (let i = 0; i < n; i++) swap(a + i, b + i);
  };
  const rotate = (a: number, m: number, b: number): void => {
    let i = m - a;
    let j = b - m;
    while (i !== j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  };
  const symMerge = (a: number, m: number, b: number): void => {
    if (m - a === 1) {
      let i = m;
      let j = b;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (less(h, a)) i = h + 1;
        else j = h;
      }
      for (let k = a; k < i - 1; k++) swap(k, k + 1);
      return;
    }
    if (b - m === 1) {
      let i = a;
      let j = m;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (!less(m, h)) i = h + 1;
        else j = h;
      }
      for (let k = m; k > i; k--) swap(k, k - 1);
      return;
    }
    const mid = (a + b) >>> 1;
    const n = mid + m;
    let start: number;
    let r: number;
    if (m > mid) {
      start = n - b;
      r = mid;
    } else {
      start = a;
      r = m;
    }
    const p = n - 1;
    while (start < r) {
      const c = (start + r) >>> 1;
      if (!less(p - c, c)) start = c + 1;
      else r = c;
    }
    const end = n - start;
    if (start < m && m < end) rotate(start, m, end);
    if (a < start && start < mid) symMerge(a, start, mid);
    if (mid < end && end < b) symMerge(mid, end, b);
  };

  const n = data.length;
  let blockSize = 20;
  let a = 0;
  let b = blockSize;
  while (b <= n) {
    insertionSort(a, b);
    a = b;
    b += blockSize;
  }
  insertionSort(a, n);
  while (blockSize < n) {
    a = 0;
    b = 2 * blockSize;
    while (b <= n) {
      symMerge(a, a + blockSize, b);
      a = b;
      b += 2 * blockSize;
    }
    const m = a + blockSize;
    if (m < n) symMerge(a, m, n);
    blockSize *= 2;
  }
}

function validateMergeKeyInLists(mergeKey: string, ...lists: Json[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isMap(item)) throw errBadArgType(MAP_TYPE, item);
      if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

// [items to keep, items carrying `$patch: delete`].
function extractToDeleteItems(list: Json[]): [Json[], Json[]] {
  const nonDelete: Json[] = [];
  const toDelete: Json[] = [];
  for (const v of list) {
    if (!isMap(v)) throw errBadArgType(MAP_TYPE, v);
    (get(v, DIRECTIVE_MARKER) === DELETE_DIRECTIVE ? toDelete : nonDelete).push(v);
  }
  return [nonDelete, toDelete];
}

function mergeSortedSlice(
  left: Json[],
  right: Json[],
  serverOrder: Json[],
  mergeKey: string,
  kind: string,
): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const l = left[i] ?? null;
    const r = right[j] ?? null;
    const li = index(serverOrder, l, mergeKey, kind);
    const ri = index(serverOrder, r, mergeKey, kind);
    if (li >= 0 && ri >= 0 && li < ri) {
      out.push(l);
      i++;
    } else {
      out.push(r);
      j++;
    }
  }
  return [...out, ...left.slice(i), ...right.slice(j)];
}

// The position of val in list: by merge key value for maps, by value for scalars.
function index(list: Json[], val: Json, mergeKey: string, kind: string): number {
  const key = (item: Json): Json =>
    kind === MAP_TYPE ? (isMap(item) ? (get(item, mergeKey) ?? null) : null) : item;
  const want = key(val);
  for (let i = 0; i < list.length; i++) {
    if (scalarEqual(want, key(list[i] ?? null))) return i;
  }
  return -1;
}
