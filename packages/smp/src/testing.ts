// Shared by the *.test.ts files: the MergeItem schema of apimachinery's strategicpatch tests
// and small runners for tables of cases.

import { expect, it } from "vitest";
import { SmpError, type SmpErrorCode } from "./errors.ts";
import { strategicMergePatch } from "./merge.ts";
import { schemaFromSpec, type PatchSchema, type SchemaSpec } from "./schema.ts";

/** One application of a patch: original + patch -> expected. */
export interface ApplyCase {
  name: string;
  original: object;
  patch: unknown;
  expected: object;
}

/** One patch that must fail, with the message (or a part of it) and the error code. */
export interface FailCase {
  name: string;
  original: object;
  patch: unknown;
  message: string | RegExp;
  code: SmpErrorCode;
}

// MergeItem as upstream's tests declare it (struct tags turned into field metadata).
const mergeItemSpec: SchemaSpec = { fields: {} };
const retainKeysMergeItemSpec: SchemaSpec = {
  fields: {
    simpleMap: {},
    mergingIntList: { patchStrategy: "merge" },
    mergingList: { patchStrategy: "merge", patchMergeKey: "name", schema: mergeItemSpec },
    nonMergingList: { schema: mergeItemSpec },
  },
};
mergeItemSpec.fields = {
  name: {},
  value: {},
  other: {},
  mergingList: { patchStrategy: "merge", patchMergeKey: "name", schema: mergeItemSpec },
  nonMergingList: { schema: mergeItemSpec },
  mergingIntList: { patchStrategy: "merge" },
  nonMergingIntList: {},
  mergeItemPtr: { patchStrategy: "merge", patchMergeKey: "name", schema: mergeItemSpec },
  simpleMap: {},
  replacingItem: { patchStrategy: "replace" },
  retainKeysMap: { patchStrategy: "retainKeys", schema: retainKeysMergeItemSpec },
  retainKeysMergingList: { patchStrategy: "merge,retainKeys", patchMergeKey: "name", schema: mergeItemSpec },
};

/** The MergeItem type of upstream's tests, as a PatchSchema. */
export const mergeItem: PatchSchema = schemaFromSpec(mergeItemSpec);

/** Registers one vitest case per ApplyCase, each also checking that the inputs are left alone. */
export function applyCases(area: string, cases: ApplyCase[], schema: PatchSchema | undefined): void {
  for (const c of cases) {
    it(`${area}: ${c.name}`, () => {
      const original = structuredClone(c.original);
      const patch = structuredClone(c.patch);
      expect(strategicMergePatch(original, patch, schema)).toEqual(c.expected);
      expect(original).toEqual(c.original);
      expect(patch).toEqual(c.patch);
    });
  }
}

/** Registers one vitest case per FailCase. */
export function failCases(area: string, cases: FailCase[], schema: PatchSchema | undefined): void {
  for (const c of cases) {
    it(`${area}: ${c.name}`, () => {
      const err = catchSmpError(() => strategicMergePatch(c.original, c.patch, schema));
      if (typeof c.message === "string") expect(err.message).toBe(c.message);
      else expect(err.message).toMatch(c.message);
      expect(err.code).toBe(c.code);
    });
  }
}

/** Runs f, which must throw an SmpError, and returns that error. */
export function catchSmpError(f: () => unknown): SmpError {
  try {
    f();
  } catch (e) {
    if (e instanceof SmpError) return e;
    throw e;
  }
  throw new Error("expected an SmpError");
}
