/** ConfigMap (core/v1): ValidateConfigMap / ValidateConfigMapUpdate (keys, size, immutability). */
import { forbidden, invalid, tooLong } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { semanticEqual, sortedKeys, validateObjectMeta, validateObjectMetaUpdate } from "../meta.ts";
import { byteLength, isConfigMapKey, nameIsDNSSubdomain } from "../names.ts";
import type { ConfigMap } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";

/** Largest total size of a ConfigMap's or Secret's data (1 MiB). */
export const MAX_DATA_SIZE = 1024 * 1024;

function validateConfigMapContent(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  let total = 0;
  for (const k of sortedKeys(cm.data)) {
    errs.push(...isConfigMapKey(k).map((m) => invalid(`data[${k}]`, k, m)));
    if (cm.binaryData && k in cm.binaryData)
      errs.push(invalid(`data[${k}]`, k, "duplicate of key present in binaryData"));
    total += byteLength(cm.data?.[k] ?? "");
  }
  for (const k of sortedKeys(cm.binaryData)) {
    errs.push(...isConfigMapKey(k).map((m) => invalid(`binaryData[${k}]`, k, m)));
    total += Buffer.from(cm.binaryData?.[k] ?? "", "base64").length;
  }
  // Upstream reports the size against the whole object, with an empty path.
  if (total > MAX_DATA_SIZE) errs.push(tooLong("", "", MAX_DATA_SIZE));
  return errs;
}

function validateConfigMap(cm: ConfigMap, old?: ConfigMap): FieldError[] {
  if (!old) return validateConfigMapContent(cm);
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata);
  if (old.immutable) {
    const msg = "field is immutable when `immutable` is set";
    if (!cm.immutable) errs.push(forbidden("immutable", msg));
    if (!semanticEqual(cm.data, old.data)) errs.push(forbidden("data", msg));
    if (!semanticEqual(cm.binaryData, old.binaryData)) errs.push(forbidden("binaryData", msg));
  }
  errs.push(...validateConfigMapContent(cm));
  return errs;
}

/** ConfigMap handler. */
export const configMapHandler = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  defaults: (_cm: ConfigMap, _op: Operation) => {},
  validate: validateConfigMap,
} satisfies KindHandler<ConfigMap>;
