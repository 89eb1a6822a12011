/** @kemu/machinery: the stateless apimachinery pieces of kube-apiserver (selectors, errors, defaults, validation). */
export {
  SelectorError,
  aggregateMessage,
  duplicate,
  fieldErrorBody,
  fieldErrorMessage,
  forbidden,
  internalError,
  invalid,
  invalidCauses,
  invalidMessage,
  invalidStatus,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
} from "./errors.ts";
export type { FieldError, FieldErrorType, StatusCause } from "./errors.ts";
export { GoRepr, goQuote, goRepr, goStringMap, goStringSlice, goValue } from "./gofmt.ts";
export {
  LabelSelector,
  everythingSelector,
  labelSelectorFromObject,
  labelSelectorFromSet,
  newRequirement,
  nothingSelector,
  parseLabelSelector,
  requirementMatches,
  requirementString,
} from "./labels.ts";
export type {
  LabelOperator,
  LabelRequirement,
  LabelSelectorObject,
  LabelSelectorRequirementObject,
  Labels,
} from "./labels.ts";
export {
  FieldSelector,
  escapeFieldValue,
  fieldSelectorFromSet,
  parseFieldSelector,
  unescapeFieldValue,
} from "./fields.ts";
export type { FieldRequirement } from "./fields.ts";
export {
  isCIdentifier,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isInRange,
  isQualifiedName,
  isValidIP,
  isValidIPv4,
  isValidIPv6,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from "./names.ts";
export type { NameValidator } from "./names.ts";
export {
  FIELD_IMMUTABLE,
  goLabelSelector,
  validateAnnotations,
  validateLabelSelector,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateOwnerReferences,
  validateFinalizers,
} from "./meta.ts";
export { applyDefaults, supportedKinds, validate } from "./registry.ts";
export type { Operation } from "./kinds/handler.ts";
export {
  clusterIPAllocated,
  clusterIPNotInRange,
  clusterIPRangeFull,
  externallyAccessible,
  isHeadless,
  needsHealthCheck,
  nodePortAllocated,
  nodePortNotInRange,
  prepareServiceUpdate,
} from "./kinds/service.ts";
export { imageTag } from "./kinds/podspec.ts";
export { podQOSClass } from "./kinds/pod.ts";
export type * from "./types.ts";
