export {
  Store,
  type KObject,
  type ObjectKey,
  type Revisioned,
  type StoreEvent,
  type StoreWatch,
  type StoreOptions,
} from "./store.ts";
export { StoreError, type StoreErrorCode } from "./errors.ts";
