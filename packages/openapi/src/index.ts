// @kemu/openapi: the structural schema of the kinds kemu serves (generated from @kubernetes/client-node's
// models), the /openapi/v3 documents kubectl needs for apply and explain, and the strict field check
// behind fieldValidation=Strict|Warn, and the /openapi/v2 document (JSON and gnostic protobuf) that
// kubectl's client-side validation reads.

export {
  groupVersionPath,
  openapiV3Document,
  openapiV3DocumentJSON,
  openapiV3Index,
  type SerializedDocument,
  type ServedResource,
} from "./document.ts";
export { definitionName, describeType, type FieldType } from "./describe.ts";
export { unknownFields } from "./strict.ts";
export { OPENAPI_V2_PROTOBUF, openapiV2Document, openapiV2Protobuf, openapiV2Response } from "./v2.ts";
