/**
 * Secret (core/v1): SetDefaults_Secret (type Opaque), stringData folded into data as the conversion does,
 * and ValidateSecret / ValidateSecretUpdate (keys, size, type-specific required keys, immutability).
 */
import { forbidden, invalid, required, tooLong } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import {
  semanticEqual,
  sortedKeys,
  validateImmutable,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../meta.ts";
import { isConfigMapKey, nameIsDNSSubdomain } from "../names.ts";
import type { Secret } from "../types.ts";
import { MAX_DATA_SIZE } from "./configmap.ts";
import type { KindHandler, Operation } from "./handler.ts";

function defaultSecret(s: Secret, _op: Operation): void {
  if (!s.type) s.type = "Opaque";
  // The v1 -> internal conversion merges stringData into data (base64) and drops stringData.
  if (s.stringData) {
    s.data ??= {};
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v, "utf8").toString("base64");
    delete s.stringData;
  }
}

function validateSecretContent(s: Secret): FieldError[] {
  const errs = validateObjectMeta(s.metadata, true, nameIsDNSSubdomain);
  let total = 0;
  const data = s.data ?? {};
  for (const k of sortedKeys(data)) {
    errs.push(...isConfigMapKey(k).map((m) => invalid(`data[${k}]`, k, m)));
    total += Buffer.from(data[k] ?? "", "base64").length;
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong("data", "", MAX_DATA_SIZE));
  const has = (k: string) => Object.hasOwn(data, k);
  switch (s.type) {
    case "kubernetes.io/service-account-token":
      if (!s.metadata?.annotations?.["kubernetes.io/service-account.name"]) {
        errs.push(required("metadata.annotations[kubernetes.io/service-account.name]"));
      }
      break;
    case "kubernetes.io/dockercfg":
      if (!has(".dockercfg")) errs.push(required("data[.dockercfg]"));
      break;
    case "kubernetes.io/dockerconfigjson":
      if (!has(".dockerconfigjson")) errs.push(required("data[.dockerconfigjson]"));
      break;
    case "kubernetes.io/basic-auth":
      if (!has("username") && !has("password"))
        errs.push(required("data[username]"), required("data[password]"));
      break;
    case "kubernetes.io/ssh-auth":
      if (!data["ssh-privatekey"]) errs.push(required("data[ssh-privatekey]"));
      break;
    case "kubernetes.io/tls":
      if (!has("tls.crt")) errs.push(required("data[tls.crt]"));
      if (!has("tls.key")) errs.push(required("data[tls.key]"));
      break;
  }
  return errs;
}

function validateSecret(s: Secret, old?: Secret): FieldError[] {
  if (!old) return validateSecretContent(s);
  const errs = validateObjectMetaUpdate(s.metadata, old.metadata);
  errs.push(...validateImmutable(s.type ?? "", old.type ?? "", "type"));
  if (old.immutable) {
    const msg = "field is immutable when `immutable` is set";
    if (!s.immutable) errs.push(forbidden("immutable", msg));
    if (!semanticEqual(s.data, old.data)) errs.push(forbidden("data", msg));
  }
  errs.push(...validateSecretContent(s));
  return errs;
}

/** Secret handler. */
export const secretHandler = {
  group: "",
  version: "v1",
  kind: "Secret",
  defaults: defaultSecret,
  validate: validateSecret,
} satisfies KindHandler<Secret>;
