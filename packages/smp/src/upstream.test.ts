// The cases of k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go, re-expressed as
// (original, patch, expected) over the same MergeItem type. Where upstream gives a two-way
// and a three-way patch for a case, both applications are here: the two-way patch applied to
// Original, and the three-way patch applied to Current.

import { describe } from "vitest";
import { applyCases, failCases, mergeItem } from "./testing.ts";

describe("upstream custom cases", () => {
  applyCases(
    "custom",
    [
      {
        name: "merging int lists keeps scalars unique",
        original: { mergingIntList: [1, 2] },
        patch: { mergingIntList: [2, 3] },
        expected: { mergingIntList: [1, 2, 3] },
      },
      {
        name: "$patch: delete on a nested map empties it",
        original: { simpleMap: { key1: 1, key2: 1 } },
        patch: { simpleMap: { $patch: "delete" } },
        expected: { simpleMap: {} },
      },
      {
        name: "a lone $patch: replace item empties a merging list",
        original: { mergingList: [{ name: 1 }, { name: 2 }] },
        patch: { mergingList: [{ $patch: "replace" }] },
        expected: { mergingList: [] },
      },
      {
        name: "empty merging lists stay empty",
        original: { mergingList: [] },
        patch: { mergingList: [] },
        expected: { mergingList: [] },
      },
      {
        name: "$patch: replace at the top clears every key",
        original: { name: 1, value: 1 },
        patch: { $patch: "replace" },
        expected: {},
      },
      {
        name: "$patch: replace at the top keeps only the patch's keys",
        original: { name: 1, value: 1 },
        patch: { other: "a", $patch: "replace" },
        expected: { other: "a" },
      },
      {
        name: "$patch: delete removes every duplicate of a key",
        original: {
          mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: "a" }, { name: 3 }, { name: 3 }],
        },
        patch: {
          mergingList: [
            { name: 1, $patch: "delete" },
            { name: 3, $patch: "delete" },
          ],
        },
        expected: { mergingList: [{ name: 2, value: "a" }] },
      },
      {
        name: "retainKeys map adds a field without a $retainKeys directive",
        original: { retainKeysMap: { name: "foo" } },
        patch: { retainKeysMap: { value: "bar" } },
        expected: { retainKeysMap: { name: "foo", value: "bar" } },
      },
      {
        name: "retainKeys map changes a field without a $retainKeys directive",
        original: { retainKeysMap: { name: "foo", value: "a" } },
        patch: { retainKeysMap: { value: "b" } },
        expected: { retainKeysMap: { name: "foo", value: "b" } },
      },
      {
        name: "retainKeys map deletes a field without a $retainKeys directive",
        original: { retainKeysMap: { name: "foo", value: "a" } },
        patch: { retainKeysMap: { value: null } },
        expected: { retainKeysMap: { name: "foo" } },
      },
      {
        name: "retainKeys map merged with an empty map is unchanged",
        original: { retainKeysMap: { name: "foo", value: "a" } },
        patch: { retainKeysMap: {} },
        expected: { retainKeysMap: { name: "foo", value: "a" } },
      },
      {
        name: "retainKeys list adds a field to an item without a directive",
        original: { retainKeysMergingList: [{ name: "bar" }, { name: "foo" }] },
        patch: { retainKeysMergingList: [{ name: "foo", value: "a" }] },
        expected: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "a" }] },
      },
      {
        name: "retainKeys list changes a field of an item without a directive",
        original: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "a" }] },
        patch: { retainKeysMergingList: [{ name: "foo", value: "b" }] },
        expected: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "b" }] },
      },
      {
        name: "retainKeys list deletes a field of an item without a directive",
        original: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "a" }] },
        patch: { retainKeysMergingList: [{ name: "foo", value: null }] },
        expected: { retainKeysMergingList: [{ name: "bar" }, { name: "foo" }] },
      },
      {
        name: "a merging list takes the order of the patch",
        original: { mergingList: [{ name: 1 }, { name: 2, value: "b" }, { name: 3 }] },
        patch: {
          mergingList: [
            { name: 3, value: "c" },
            { name: 1, value: "a" },
            { name: 2, other: "x" },
          ],
        },
        expected: {
          mergingList: [
            { name: 3, value: "c" },
            { name: 1, value: "a" },
            { name: 2, value: "b", other: "x" },
          ],
        },
      },
      {
        name: "server-only items keep their place ahead of later patch items",
        original: { mergingList: [{ name: 1 }, { name: 2, value: "b" }, { name: 3 }] },
        patch: {
          mergingList: [
            { name: 3, value: "c" },
            { name: 1, value: "a" },
          ],
        },
        expected: {
          mergingList: [
            { name: 2, value: "b" },
            { name: 3, value: "c" },
            { name: 1, value: "a" },
          ],
        },
      },
      {
        name: "a merging int list takes the order of the patch",
        original: { mergingIntList: [1, 2, 3] },
        patch: { mergingIntList: [3, 1, 2] },
        expected: { mergingIntList: [3, 1, 2] },
      },
      {
        name: "a merging int list interleaves server-only values",
        original: { mergingIntList: [1, 2, 3] },
        patch: { mergingIntList: [3, 1] },
        expected: { mergingIntList: [2, 3, 1] },
      },
      {
        name: "$setElementOrder may name items the list does not have",
        original: { mergingList: [{ name: 1 }, { name: 3 }] },
        patch: {
          "$setElementOrder/mergingList": [{ name: 3 }, { name: 2 }, { name: 1 }],
          mergingList: [
            { name: 3, value: 3 },
            { name: 1, value: 1 },
          ],
        },
        expected: {
          mergingList: [
            { name: 3, value: 3 },
            { name: 1, value: 1 },
          ],
        },
      },
      {
        name: "$setElementOrder may name values an int list does not have",
        original: { mergingIntList: [1, 3] },
        patch: { "$setElementOrder/mergingIntList": [3, 2, 1] },
        expected: { mergingIntList: [3, 1] },
      },
      {
        name: "$deleteFromPrimitiveList of a missing value adds nothing",
        original: { mergingIntList: [1, 2] },
        patch: { "$deleteFromPrimitiveList/mergingIntList": [3] },
        expected: { mergingIntList: [1, 2] },
      },
      {
        name: "$deleteFromPrimitiveList on a null list leaves it null",
        original: { mergingIntList: null },
        patch: { "$deleteFromPrimitiveList/mergingIntList": [3] },
        expected: { mergingIntList: null },
      },
      {
        name: "$deleteFromPrimitiveList on a missing list does not create it",
        original: { foo: ["bar"] },
        patch: { "$deleteFromPrimitiveList/mergingIntList": [3] },
        expected: { foo: ["bar"] },
      },
      {
        name: "$deleteFromPrimitiveList removes from a merge list",
        original: { mergingIntList: [1, 2, 3] },
        patch: { "$deleteFromPrimitiveList/mergingIntList": [2] },
        expected: { mergingIntList: [1, 3] },
      },
      {
        name: "$deleteFromPrimitiveList removes from a list without the merge strategy",
        original: { nonMergingIntList: [1, 2, 3] },
        patch: { "$deleteFromPrimitiveList/nonMergingIntList": [2] },
        expected: { nonMergingIntList: [1, 3] },
      },
    ],
    mergeItem,
  );

  failCases(
    "custom",
    [
      {
        name: "patch list out of $setElementOrder order fails",
        original: { mergingList: [{ name: 1 }, { name: 3 }, { name: 2 }] },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }, { name: 3 }],
          mergingList: [
            { name: 3, value: 3 },
            { name: 1, value: 1 },
          ],
        },
        message:
          "The order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n doesn't match $setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]\n",
        code: "Internal",
      },
      {
        name: "int patch list out of $setElementOrder order fails",
        original: { mergingIntList: [1, 3, 2] },
        patch: { "$setElementOrder/mergingIntList": [1, 2, 3], mergingIntList: [3, 1] },
        message: /^The order in patch list:\n\[3 1\]\n doesn't match \$setElementOrder list:\n\[1 2 3\]/,
        code: "Internal",
      },
      {
        name: "a merge list item without the merge key fails",
        original: { mergingList: [{ name: 1, value: "a" }] },
        patch: { mergingList: [{ value: "b" }] },
        message: "map: map[value:b] does not contain declared merge key: name",
        code: "Internal",
      },
    ],
    mergeItem,
  );
});

describe("upstream create cases", () => {
  applyCases(
    "maps",
    [
      {
        name: "patch on an empty object sets its keys",
        original: {},
        patch: { name: 1, value: 1 },
        expected: { name: 1, value: 1 },
      },
      {
        name: "three-way patch adds to the live object",
        original: { name: 1, other: "a" },
        patch: { value: 1 },
        expected: { name: 1, value: 1, other: "a" },
      },
      {
        name: "empty patch changes nothing",
        original: { name: 1 },
        patch: {},
        expected: { name: 1 },
      },
      {
        name: "patch overrides a conflicting live value",
        original: { name: "a", other: "a" },
        patch: { name: 1, value: 1 },
        expected: { name: 1, value: 1, other: "a" },
      },
      {
        name: "null deletes a key while another is added",
        original: { name: 1, other: "a" },
        patch: { name: null, value: 1 },
        expected: { value: 1, other: "a" },
      },
      {
        name: "null deletes a key of a nested map",
        original: { simpleMap: { key1: 1, key2: 1, other: "a" } },
        patch: { simpleMap: { key2: null } },
        expected: { simpleMap: { key1: 1, other: "a" } },
      },
      {
        name: "nested map merges a change and a deletion",
        original: { simpleMap: { key1: "a", key2: 1, other: "a" } },
        patch: { simpleMap: { key1: 1, key2: null } },
        expected: { simpleMap: { key1: 1, other: "a" } },
      },
      {
        name: "nulls delete every field they name",
        original: { name: 1, value: 1, other: "a" },
        patch: { name: null, value: null },
        expected: { other: "a" },
      },
      {
        name: "null for a missing key is dropped",
        original: { name: "a", other: "a" },
        patch: { name: 1, value: 1, other: null },
        expected: { name: 1, value: 1 },
      },
      {
        name: "null removes an original field next to a change",
        original: { name: "original-name", value: "original-value", other: "current-other" },
        patch: { name: "modified-name", value: null },
        expected: { name: "modified-name", other: "current-other" },
      },
      {
        name: "a retainKeys map untouched by the patch is kept",
        original: { name: "a", other: "c", retainKeysMap: { name: "foo" } },
        patch: { value: "b" },
        expected: { name: "a", value: "b", other: "c", retainKeysMap: { name: "foo" } },
      },
    ],
    mergeItem,
  );

  applyCases(
    "lists",
    [
      {
        name: "a list of scalars without strategy is replaced",
        original: { nonMergingIntList: [1, 4] },
        patch: { nonMergingIntList: [2, 3] },
        expected: { nonMergingIntList: [2, 3] },
      },
      {
        name: "$patch: delete items empty a merging list",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, other: "b" },
          ],
        },
        patch: {
          mergingList: [
            { name: 1, $patch: "delete" },
            { name: 2, $patch: "delete" },
          ],
        },
        expected: { mergingList: [] },
      },
      {
        name: "$patch: delete on an empty merging list leaves it empty",
        original: { mergingList: [] },
        patch: {
          mergingList: [
            { name: 1, $patch: "delete" },
            { name: 2, $patch: "delete" },
          ],
        },
        expected: { mergingList: [] },
      },
    ],
    mergeItem,
  );
});

describe("upstream raw cases", () => {
  applyCases(
    "merge list",
    [
      {
        name: "a $patch: delete of a missing item adds nothing (two-way)",
        original: { name: "hi" },
        patch: { mergingList: [{ name: "hello" }, { $patch: "delete", name: "doesntexist" }] },
        expected: { name: "hi", mergingList: [{ name: "hello" }] },
      },
      {
        name: "a new item lands before server-only items (three-way)",
        original: { name: "hi", mergingList: [{ name: "hello2" }] },
        patch: {
          "$setElementOrder/mergingList": [{ name: "hello" }, { name: "doesntexist" }],
          mergingList: [{ name: "hello" }, { $patch: "delete", name: "doesntexist" }],
        },
        expected: { name: "hi", mergingList: [{ name: "hello" }, { name: "hello2" }] },
      },
      {
        name: "new items are placed by $setElementOrder",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }],
          mergingList: [
            { name: 4, value: 4 },
            { name: 3, value: 3 },
          ],
        },
        expected: {
          mergingList: [
            { name: 4, value: 4 },
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
            { name: 3, value: 3 },
          ],
        },
      },
      {
        name: "a changed and a new item merge with the live items",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 3, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }, { name: 3 }],
          mergingList: [
            { name: 2, value: 2 },
            { name: 3, value: 3 },
          ],
        },
        expected: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
            { name: 3, value: 3 },
          ],
        },
      },
      {
        name: "a field is added to one item",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [{ name: 1, value: 1 }],
        },
        expected: {
          mergingList: [
            { name: 1, value: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
      },
      {
        name: "items named by the patch but missing live are added, server-only items stay",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 3, value: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [
            { name: 1, value: 1 },
            { name: 2, value: 2 },
          ],
        },
        expected: {
          mergingList: [
            { name: 1, value: 1, other: "a" },
            { name: 2, value: 2 },
            { name: 3, value: 2, other: "b" },
          ],
        },
      },
      {
        name: "a field value is replaced inside an item",
        original: {
          mergingList: [
            { name: 1, value: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [{ name: 1, value: "a" }],
        },
        expected: {
          mergingList: [
            { name: 1, value: "a", other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
      },
      {
        name: "$patch: delete removes an item",
        original: { mergingList: [{ name: 1 }, { name: 2, other: "b" }] },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }],
          mergingList: [{ name: 1, $patch: "delete" }],
        },
        expected: { mergingList: [{ name: 2, other: "b" }] },
      },
      {
        name: "$patch: delete of an item already gone is a no-op",
        original: { mergingList: [{ name: 2, other: "b" }] },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }],
          mergingList: [{ name: 1, $patch: "delete" }],
        },
        expected: { mergingList: [{ name: 2, other: "b" }] },
      },
      {
        name: "an item deleted elsewhere is re-added, a server-only item follows",
        original: { mergingList: [{ name: 3, other: "a" }] },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }],
          mergingList: [{ name: 2 }, { name: 1, $patch: "delete" }],
        },
        expected: { mergingList: [{ name: 2 }, { name: 3, other: "a" }] },
      },
      {
        name: "an item is added and another deleted around server-only items",
        original: { mergingList: [{ name: 1 }, { name: 2, other: "b" }, { name: 4, other: "c" }] },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }, { name: 3 }],
          mergingList: [{ name: 3 }, { name: 1, $patch: "delete" }],
        },
        expected: { mergingList: [{ name: 2, other: "b" }, { name: 4, other: "c" }, { name: 3 }] },
      },
      {
        name: "re-added items follow a server-only item they come after in the live list",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 4, other: "c" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }, { name: 3 }],
          mergingList: [{ name: 2 }, { name: 3 }, { name: 1, $patch: "delete" }],
        },
        expected: { mergingList: [{ name: 4, other: "c" }, { name: 2 }, { name: 3 }] },
      },
      {
        name: "null deletes a field of an item",
        original: {
          mergingList: [
            { name: 1, value: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [{ name: 1, value: null }],
        },
        expected: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
      },
      {
        name: "null for a field an item lacks is dropped",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [
            { name: 1, value: null },
            { name: 2, value: 2 },
          ],
        },
        expected: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
      },
      {
        name: "a non-merging list inside an item is replaced",
        original: {
          mergingList: [
            { name: 1, other: "a", nonMergingList: [{ name: 1 }, { name: 2, value: 2 }] },
            { name: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [{ name: 1, nonMergingList: [{ name: 1, value: 1 }] }],
        },
        expected: {
          mergingList: [
            { name: 1, other: "a", nonMergingList: [{ name: 1, value: 1 }] },
            { name: 2, other: "b" },
          ],
        },
      },
      {
        name: "a merging list inside an item merges",
        original: {
          mergingList: [
            {
              name: 1,
              other: "a",
              mergingList: [
                { name: 1, value: "a", other: "c" },
                { name: 2, value: "b", other: "d" },
              ],
            },
            { name: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [
            {
              "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
              name: 1,
              mergingList: [
                { name: 1, value: 1 },
                { name: 2, value: 2 },
              ],
            },
          ],
        },
        expected: {
          mergingList: [
            {
              name: 1,
              other: "a",
              mergingList: [
                { name: 1, value: 1, other: "c" },
                { name: 2, value: 2, other: "d" },
              ],
            },
            { name: 2, other: "b" },
          ],
        },
      },
      {
        name: "a nested $setElementOrder orders the inner list",
        original: {
          mergingList: [
            { name: 1, other: "a", mergingList: [{ name: 2, value: 2, other: "d" }] },
            { name: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [
            {
              "$setElementOrder/mergingList": [{ name: 2 }, { name: 1 }],
              name: 1,
              mergingList: [{ name: 1, value: 1 }],
            },
          ],
        },
        expected: {
          mergingList: [
            {
              name: 1,
              other: "a",
              mergingList: [
                { name: 2, value: 2, other: "d" },
                { name: 1, value: 1 },
              ],
            },
            { name: 2, other: "b" },
          ],
        },
      },
      {
        name: "a pointer-typed merge list adds an item",
        original: { mergeItemPtr: [{ name: 1, other: "a" }, { name: 3 }] },
        patch: { "$setElementOrder/mergeItemPtr": [{ name: 1 }, { name: 2 }], mergeItemPtr: [{ name: 2 }] },
        expected: { mergeItemPtr: [{ name: 1, other: "a" }, { name: 2 }, { name: 3 }] },
      },
      {
        name: "a pointer-typed merge list adds items missing live",
        original: { mergeItemPtr: [{ name: 3 }] },
        patch: {
          "$setElementOrder/mergeItemPtr": [{ name: 1 }, { name: 2 }],
          mergeItemPtr: [{ name: 1 }, { name: 2 }],
        },
        expected: { mergeItemPtr: [{ name: 1 }, { name: 2 }, { name: 3 }] },
      },
      {
        name: "a pointer-typed merge list merges nested items",
        original: {
          mergeItemPtr: [
            {
              name: 1,
              other: "a",
              mergeItemPtr: [
                { name: 1, other: "a" },
                { name: 2, value: 2, other: "b" },
              ],
            },
            { name: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergeItemPtr": [{ name: 1 }, { name: 2 }],
          mergeItemPtr: [
            {
              "$setElementOrder/mergeItemPtr": [{ name: 1 }, { name: 2 }],
              name: 1,
              mergeItemPtr: [{ name: 1, value: 1 }],
            },
          ],
        },
        expected: {
          mergeItemPtr: [
            {
              name: 1,
              other: "a",
              mergeItemPtr: [
                { name: 1, value: 1, other: "a" },
                { name: 2, value: 2, other: "b" },
              ],
            },
            { name: 2, other: "b" },
          ],
        },
      },
    ],
    mergeItem,
  );

  applyCases(
    "merge list order",
    [
      {
        name: "a new item goes where $setElementOrder puts it",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 3 }, { name: 1 }, { name: 2 }],
          mergingList: [{ name: 3, value: 3 }],
        },
        expected: {
          mergingList: [
            { name: 3, value: 3 },
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
      },
      {
        name: "several new items go where $setElementOrder puts them",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 4 }, { name: 2 }, { name: 3 }],
          mergingList: [
            { name: 4, value: 4 },
            { name: 3, value: 3 },
          ],
        },
        expected: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 4, value: 4 },
            { name: 2, value: 2, other: "b" },
            { name: 3, value: 3 },
          ],
        },
      },
      {
        name: "deleting an item keeps the $setElementOrder order",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
            { name: 3, value: 3 },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }, { name: 1 }],
          mergingList: [{ name: 3, $patch: "delete" }],
        },
        expected: {
          mergingList: [
            { name: 2, value: 2, other: "b" },
            { name: 1, other: "a" },
          ],
        },
      },
      {
        name: "changing an item keeps the $setElementOrder order",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
            { name: 3, value: 3 },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }, { name: 3 }, { name: 1 }],
          mergingList: [{ name: 3, value: "x" }],
        },
        expected: {
          mergingList: [
            { name: 2, value: 2, other: "b" },
            { name: 3, value: "x" },
            { name: 1, other: "a" },
          ],
        },
      },
      {
        name: "adding and deleting keeps the $setElementOrder order",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2, other: "b" },
            { name: 3, value: 3 },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 4 }, { name: 2 }, { name: 1 }],
          mergingList: [
            { name: 4, value: 4 },
            { name: 3, $patch: "delete" },
          ],
        },
        expected: {
          mergingList: [
            { name: 4, value: 4 },
            { name: 2, value: 2, other: "b" },
            { name: 1, other: "a" },
          ],
        },
      },
      {
        name: "$setElementOrder alone reorders",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 3, value: 3 },
            { name: 4, value: 4 },
            { name: 2, value: 2 },
          ],
        },
        patch: { "$setElementOrder/mergingList": [{ name: 4 }, { name: 2 }, { name: 3 }, { name: 1 }] },
        expected: {
          mergingList: [
            { name: 4, value: 4 },
            { name: 2, value: 2 },
            { name: 3, value: 3 },
            { name: 1, other: "a" },
          ],
        },
      },
      {
        name: "a trailing server-only item stays last",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 3, value: 3 },
            { name: 4, value: 4 },
            { name: 2, value: 2 },
            { name: 9 },
          ],
        },
        patch: { "$setElementOrder/mergingList": [{ name: 4 }, { name: 2 }, { name: 3 }, { name: 1 }] },
        expected: {
          mergingList: [
            { name: 4, value: 4 },
            { name: 2, value: 2 },
            { name: 3, value: 3 },
            { name: 1, other: "a" },
            { name: 9 },
          ],
        },
      },
      {
        name: "a server-only item stays after the items it follows live",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2 },
            { name: 9 },
            { name: 3, value: 3 },
            { name: 4, value: 4 },
          ],
        },
        patch: { "$setElementOrder/mergingList": [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }] },
        expected: {
          mergingList: [
            { name: 2, value: 2 },
            { name: 1, other: "a" },
            { name: 9 },
            { name: 4, value: 4 },
            { name: 3, value: 3 },
          ],
        },
      },
      {
        name: "a run of server-only items stays together",
        original: {
          mergingList: [
            { name: 1, other: "a" },
            { name: 2, value: 2 },
            { name: 7 },
            { name: 9 },
            { name: 8 },
            { name: 3, value: 3 },
            { name: 4, value: 4 },
          ],
        },
        patch: { "$setElementOrder/mergingList": [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }] },
        expected: {
          mergingList: [
            { name: 2, value: 2 },
            { name: 1, other: "a" },
            { name: 7 },
            { name: 9 },
            { name: 8 },
            { name: 4, value: 4 },
            { name: 3, value: 3 },
          ],
        },
      },
      {
        name: "duplicate keys are grouped by $setElementOrder",
        original: {
          mergingList: [
            { name: 1 },
            { name: 2, value: "dup1" },
            { name: 3 },
            { name: 2, value: "dup2" },
            { name: 4 },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }, { name: 2 }],
        },
        expected: {
          mergingList: [
            { name: 2, value: "dup1" },
            { name: 2, value: "dup2" },
            { name: 1 },
            { name: 4 },
            { name: 3 },
          ],
        },
      },
      {
        name: "deleting in one list and reordering another",
        original: {
          mergingList: [
            { name: "a", value: "a" },
            { name: "b", value: "b" },
          ],
          mergeItemPtr: [
            { name: "c", value: "c" },
            { name: "d", value: "d" },
          ],
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: "b" }],
          "$setElementOrder/mergeItemPtr": [{ name: "d" }, { name: "c" }],
          mergingList: [{ $patch: "delete", name: "a" }],
        },
        expected: {
          mergingList: [{ name: "b", value: "b" }],
          mergeItemPtr: [
            { name: "d", value: "d" },
            { name: "c", value: "c" },
          ],
        },
      },
    ],
    mergeItem,
  );

  applyCases(
    "int list",
    [
      {
        name: "$deleteFromPrimitiveList removes a value, server-only values stay",
        original: { mergingIntList: [1, 2, 3, 4] },
        patch: { "$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3] },
        expected: { mergingIntList: [1, 2, 4] },
      },
      {
        name: "$deleteFromPrimitiveList removes every duplicate",
        original: { mergingIntList: [1, 2, 3, 3, 4] },
        patch: { "$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3] },
        expected: { mergingIntList: [1, 2, 4] },
      },
      {
        name: "a value is added and another deleted (two-way)",
        original: { mergingIntList: [1, 2, 3] },
        patch: {
          "$setElementOrder/mergingIntList": [1, 2, 4],
          "$deleteFromPrimitiveList/mergingIntList": [3],
          mergingIntList: [4],
        },
        expected: { mergingIntList: [1, 2, 4] },
      },
      {
        name: "a value is deleted while the live list already has the added one (three-way)",
        original: { mergingIntList: [1, 2, 3, 4] },
        patch: {
          "$setElementOrder/mergingIntList": [1, 2, 4],
          "$deleteFromPrimitiveList/mergingIntList": [3],
        },
        expected: { mergingIntList: [1, 2, 4] },
      },
      {
        name: "a new value is merged in before a trailing server-only value",
        original: { mergingIntList: [1, 2, 4] },
        patch: { "$setElementOrder/mergingIntList": [1, 2, 3], mergingIntList: [3] },
        expected: { mergingIntList: [1, 2, 3, 4] },
      },
      {
        name: "a new value goes first where $setElementOrder says",
        original: { mergingIntList: [1, 4, 2] },
        patch: { "$setElementOrder/mergingIntList": [3, 1, 2], mergingIntList: [3] },
        expected: { mergingIntList: [3, 1, 4, 2] },
      },
      {
        name: "several new values go where $setElementOrder says",
        original: { mergingIntList: [1, 2] },
        patch: { "$setElementOrder/mergingIntList": [1, 4, 2, 3], mergingIntList: [4, 3] },
        expected: { mergingIntList: [1, 4, 2, 3] },
      },
      {
        name: "deleting a value keeps the $setElementOrder order",
        original: { mergingIntList: [1, 3, 2] },
        patch: { "$setElementOrder/mergingIntList": [2, 1], "$deleteFromPrimitiveList/mergingIntList": [3] },
        expected: { mergingIntList: [2, 1] },
      },
      {
        name: "adding and deleting keeps the $setElementOrder order",
        original: { mergingIntList: [1, 2, 3] },
        patch: {
          "$setElementOrder/mergingIntList": [4, 2, 1],
          mergingIntList: [4],
          "$deleteFromPrimitiveList/mergingIntList": [3],
        },
        expected: { mergingIntList: [4, 2, 1] },
      },
      {
        name: "$setElementOrder alone reorders",
        original: { mergingIntList: [1, 3, 4, 2] },
        patch: { "$setElementOrder/mergingIntList": [4, 2, 3, 1] },
        expected: { mergingIntList: [4, 2, 3, 1] },
      },
      {
        name: "a trailing server-only value stays last",
        original: { mergingIntList: [1, 3, 4, 2, 9] },
        patch: { "$setElementOrder/mergingIntList": [4, 2, 3, 1] },
        expected: { mergingIntList: [4, 2, 3, 1, 9] },
      },
      {
        name: "server-only values keep their place",
        original: { mergingIntList: [1, 2, 7, 9, 8, 3, 4] },
        patch: { "$setElementOrder/mergingIntList": [2, 1, 4, 3] },
        expected: { mergingIntList: [2, 1, 7, 9, 8, 4, 3] },
      },
      {
        name: "duplicate values are grouped by $setElementOrder",
        original: { mergingIntList: [1, 2, 3, 2, 4] },
        patch: { "$setElementOrder/mergingIntList": [2, 1, 4, 3, 2] },
        expected: { mergingIntList: [2, 2, 1, 4, 3] },
      },
    ],
    mergeItem,
  );

  applyCases(
    "retainKeys",
    [
      {
        name: "$retainKeys clears a defaulted field",
        original: { retainKeysMap: { value: "foo" } },
        patch: { retainKeysMap: { $retainKeys: ["other"], other: "bar" } },
        expected: { retainKeysMap: { other: "bar" } },
      },
      {
        name: "$retainKeys switches a discriminated union",
        original: { retainKeysMap: { name: "type1", value: "foo" } },
        patch: { retainKeysMap: { $retainKeys: ["name", "other"], name: "type2", other: "bar" } },
        expected: { retainKeysMap: { name: "type2", other: "bar" } },
      },
      {
        name: "$retainKeys adds a field and clears an unlisted one",
        original: { retainKeysMap: { name: "foo", other: "a" } },
        patch: { retainKeysMap: { $retainKeys: ["name", "value"], value: "bar" } },
        expected: { retainKeysMap: { name: "foo", value: "bar" } },
      },
      {
        name: "$retainKeys with a null deletes a field and clears another",
        original: { retainKeysMap: { name: "foo", value: "bar", other: "a" } },
        patch: { retainKeysMap: { $retainKeys: ["name"], value: null } },
        expected: { retainKeysMap: { name: "foo" } },
      },
      {
        name: "$retainKeys alone clears unlisted fields",
        original: { retainKeysMap: { name: "foo", value: "bar", other: "a" } },
        patch: { retainKeysMap: { $retainKeys: ["name", "value"] } },
        expected: { retainKeysMap: { name: "foo", value: "bar" } },
      },
      {
        name: "$retainKeys keeps a nested map that gains a key",
        original: { retainKeysMap: { name: "foo", value: "bar", simpleMap: { key1: "a", key3: "c" } } },
        patch: { retainKeysMap: { $retainKeys: ["name", "simpleMap", "value"], simpleMap: { key2: "b" } } },
        expected: {
          retainKeysMap: { name: "foo", value: "bar", simpleMap: { key1: "a", key2: "b", key3: "c" } },
        },
      },
      {
        name: "$retainKeys keeps a nested map that loses a key",
        original: {
          retainKeysMap: { name: "foo", value: "bar", simpleMap: { key1: "a", key2: "b", key3: "c" } },
        },
        patch: { retainKeysMap: { $retainKeys: ["name", "simpleMap", "value"], simpleMap: { key2: null } } },
        expected: { retainKeysMap: { name: "foo", value: "bar", simpleMap: { key1: "a", key3: "c" } } },
      },
      {
        name: "$retainKeys map replaces a non-merging list",
        original: {
          retainKeysMap: { name: "foo", value: "bar", nonMergingList: [{ name: "a" }, { name: "b" }] },
        },
        patch: {
          retainKeysMap: {
            $retainKeys: ["name", "nonMergingList", "value"],
            nonMergingList: [{ name: "a" }, { name: "c" }, { name: "b" }],
          },
        },
        expected: {
          retainKeysMap: {
            name: "foo",
            value: "bar",
            nonMergingList: [{ name: "a" }, { name: "c" }, { name: "b" }],
          },
        },
      },
      {
        name: "$retainKeys with a null removes a nested non-merging list",
        original: {
          retainKeysMap: { name: "foo", nonMergingList: [{ name: "a" }, { name: "b" }, { name: "c" }] },
        },
        patch: { retainKeysMap: { $retainKeys: ["name", "value"], value: "bar", nonMergingList: null } },
        expected: { retainKeysMap: { name: "foo", value: "bar" } },
      },
      {
        name: "$retainKeys with $setElementOrder keeps server-only int values",
        original: { retainKeysMap: { name: "foo", mergingIntList: [1, 2, 3] } },
        patch: {
          retainKeysMap: {
            $retainKeys: ["mergingIntList", "name", "value"],
            "$setElementOrder/mergingIntList": [1, 2],
            value: "bar",
          },
        },
        expected: { retainKeysMap: { name: "foo", value: "bar", mergingIntList: [1, 2, 3] } },
      },
      {
        name: "$retainKeys with a nested int list addition",
        original: { retainKeysMap: { name: "foo", mergingIntList: [1, 2, 3] } },
        patch: {
          retainKeysMap: {
            "$setElementOrder/mergingIntList": [1, 2, 4],
            $retainKeys: ["mergingIntList", "name"],
            mergingIntList: [4],
          },
        },
        expected: { retainKeysMap: { name: "foo", mergingIntList: [1, 2, 4, 3] } },
      },
      {
        name: "$retainKeys with a nested int list deletion",
        original: { retainKeysMap: { name: "foo", mergingIntList: [1, 2, 3, 4] } },
        patch: {
          retainKeysMap: {
            $retainKeys: ["mergingIntList", "name"],
            "$deleteFromPrimitiveList/mergingIntList": [2],
            "$setElementOrder/mergingIntList": [1, 3],
          },
        },
        expected: { retainKeysMap: { name: "foo", mergingIntList: [1, 3, 4] } },
      },
      {
        name: "$retainKeys with a nested int list addition and deletion",
        original: { retainKeysMap: { name: "foo", mergingIntList: [1, 2, 3, 4] } },
        patch: {
          retainKeysMap: {
            $retainKeys: ["mergingIntList", "name"],
            mergingIntList: [5],
            "$deleteFromPrimitiveList/mergingIntList": [2],
            "$setElementOrder/mergingIntList": [1, 3, 5],
          },
        },
        expected: { retainKeysMap: { name: "foo", mergingIntList: [1, 3, 5, 4] } },
      },
      {
        name: "$retainKeys with a null removes a nested int list",
        original: { retainKeysMap: { name: "foo", mergingIntList: [1, 2, 3] } },
        patch: { retainKeysMap: { $retainKeys: ["name"], mergingIntList: null } },
        expected: { retainKeysMap: { name: "foo" } },
      },
      {
        name: "$retainKeys with $setElementOrder keeps server-only items",
        original: {
          retainKeysMap: { name: "foo", mergingList: [{ name: "a" }, { name: "b" }, { name: "c" }] },
        },
        patch: {
          retainKeysMap: {
            $retainKeys: ["mergingList", "name", "value"],
            "$setElementOrder/mergingList": [{ name: "a" }, { name: "b" }],
            value: "bar",
          },
        },
        expected: {
          retainKeysMap: {
            name: "foo",
            value: "bar",
            mergingList: [{ name: "a" }, { name: "b" }, { name: "c" }],
          },
        },
      },
      {
        name: "$retainKeys with a nested merging list addition",
        original: {
          retainKeysMap: { name: "foo", mergingList: [{ name: "a" }, { name: "b" }, { name: "x" }] },
        },
        patch: {
          retainKeysMap: {
            $retainKeys: ["mergingList", "name"],
            "$setElementOrder/mergingList": [{ name: "a" }, { name: "b" }, { name: "c" }],
            mergingList: [{ name: "c" }],
          },
        },
        expected: {
          retainKeysMap: {
            name: "foo",
            mergingList: [{ name: "a" }, { name: "b" }, { name: "c" }, { name: "x" }],
          },
        },
      },
      {
        name: "$retainKeys with a nested merging list change",
        original: {
          retainKeysMap: {
            name: "foo",
            mergingList: [{ name: "a" }, { name: "b", value: "foo" }, { name: "x" }],
          },
        },
        patch: {
          retainKeysMap: {
            $retainKeys: ["mergingList", "name"],
            "$setElementOrder/mergingList": [{ name: "a" }, { name: "b" }],
            mergingList: [{ name: "b", value: "bar" }],
          },
        },
        expected: {
          retainKeysMap: {
            name: "foo",
            mergingList: [{ name: "a" }, { name: "b", value: "bar" }, { name: "x" }],
          },
        },
      },
      {
        name: "$retainKeys drops a nested merging list it does not list",
        original: { retainKeysMap: { name: "foo", mergingList: [{ name: "a" }, { name: "b" }] } },
        patch: { retainKeysMap: { $retainKeys: ["name", "value"], value: "bar", mergingList: null } },
        expected: { retainKeysMap: { name: "foo", value: "bar" } },
      },
      {
        name: "$retainKeys with a nested merging list deletion",
        original: {
          retainKeysMap: { name: "foo", mergingList: [{ name: "a" }, { name: "b" }, { name: "x" }] },
        },
        patch: {
          retainKeysMap: {
            $retainKeys: ["mergingList", "name"],
            "$setElementOrder/mergingList": [{ name: "a" }],
            mergingList: [{ name: "b", $patch: "delete" }],
          },
        },
        expected: { retainKeysMap: { name: "foo", mergingList: [{ name: "a" }, { name: "x" }] } },
      },
      {
        name: "$retainKeys inside a merge list item clears a field",
        original: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "a", other: "x" }] },
        patch: {
          "$setElementOrder/retainKeysMergingList": [{ name: "bar" }, { name: "foo" }],
          retainKeysMergingList: [{ $retainKeys: ["name", "value"], name: "foo" }],
        },
        expected: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "a" }] },
      },
      {
        name: "$retainKeys inside a merge list item changes a field and clears another",
        original: {
          retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "modified", other: "x" }],
        },
        patch: {
          "$setElementOrder/retainKeysMergingList": [{ name: "bar" }, { name: "foo" }],
          retainKeysMergingList: [{ $retainKeys: ["name", "value"], name: "foo", value: "new" }],
        },
        expected: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "new" }] },
      },
      {
        name: "$retainKeys inside a merge list item deletes a field and clears another",
        original: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "a", other: "x" }] },
        patch: {
          "$setElementOrder/retainKeysMergingList": [{ name: "bar" }, { name: "foo" }],
          retainKeysMergingList: [{ $retainKeys: ["name"], name: "foo", value: null }],
        },
        expected: { retainKeysMergingList: [{ name: "bar" }, { name: "foo" }] },
      },
    ],
    mergeItem,
  );

  applyCases(
    "replace strategy",
    [
      {
        name: "a map with patchStrategy replace is replaced whole",
        original: {
          name: "my-object",
          value: "some-value",
          replacingItem: { Some: "Generic", Yaml: "Inside", The: "RawExtension", Field: "Period" },
        },
        patch: {
          mergingList: [{ name: 1 }, { name: 2 }, { name: 3 }],
          replacingItem: { Newly: "Modified", Yaml: "Inside", The: "RawExtension" },
        },
        expected: {
          name: "my-object",
          value: "some-value",
          mergingList: [{ name: 1 }, { name: 2 }, { name: 3 }],
          replacingItem: { Newly: "Modified", Yaml: "Inside", The: "RawExtension" },
        },
      },
      {
        name: "a replaced map next to a merged list",
        original: {
          name: "my-object",
          mergingList: [{ name: 1 }, { name: 3 }],
          replacingItem: { Some: "Generic", Field: "Period" },
        },
        patch: {
          "$setElementOrder/mergingList": [{ name: 1 }, { name: 2 }],
          mergingList: [{ name: 2 }],
          replacingItem: { Newly: "Modified" },
        },
        expected: {
          name: "my-object",
          mergingList: [{ name: 1 }, { name: 2 }, { name: 3 }],
          replacingItem: { Newly: "Modified" },
        },
      },
    ],
    mergeItem,
  );
});

describe("upstream unknown-field cases", () => {
  // Fields MergeItem does not declare: plain JSON merge, lists replaced.
  const base = { array: [1, 2, 3], complex: { nested: true }, name: "foo", scalar: true };
  applyCases(
    "nulls",
    [
      {
        name: "a new map drops its null keys",
        original: base,
        patch: { complex_nullable: { key: null } },
        expected: { ...base, complex_nullable: {} },
      },
      {
        name: "a new map drops nested null keys and keeps the rest",
        original: base,
        patch: { complex_nullable: { key: { keynotnull: "value", keynull: null } } },
        expected: { ...base, complex_nullable: { key: { keynotnull: "value" } } },
      },
      {
        name: "a new map of nulls only stays as an empty map",
        original: {},
        patch: { complex: { nested: null } },
        expected: { complex: {} },
      },
      {
        name: "null keys are dropped inside maps in a new list",
        original: {},
        patch: { complex_nullable: [{ inner_one: { key_one: "foo", key_two: null } }] },
        expected: { complex_nullable: [{ inner_one: { key_one: "foo" } }] },
      },
      {
        name: "a map in a new list can end up empty",
        original: {},
        patch: { complex_nullable: [{ inner_one: { key_one: null, key_two: null } }] },
        expected: { complex_nullable: [{ inner_one: {} }] },
      },
      {
        name: "null items of a new list stay",
        original: {},
        patch: { complex_nullable: ["key1", null, "key2"] },
        expected: { complex_nullable: ["key1", null, "key2"] },
      },
      {
        name: "nulls in the original are kept",
        original: { complex: { key: null }, thing: null },
        patch: { nested: { value: 5 } },
        expected: { complex: { key: null }, nested: { value: 5 }, thing: null },
      },
      {
        name: "an empty list is added as it is",
        original: base,
        patch: { complex_nullable: [] },
        expected: { ...base, complex_nullable: [] },
      },
      {
        name: "nulls remove fields and leave the others",
        original: { ...base, complex: { nested: true } },
        patch: { complex: null, scalar: null },
        expected: { array: [1, 2, 3], name: "foo" },
      },
    ],
    mergeItem,
  );
});
