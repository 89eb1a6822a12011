/**
 * Adoption and orphaning by controller reference (pkg/controller's ControllerRefManager), shared
 * by the ReplicaSet controller (pods) and the Deployment controller (ReplicaSets): an object
 * controlled by the owner is kept while the owner's selector matches it and released when it
 * stops matching; an orphan that matches is adopted. Every ownerReferences write is a merge patch
 * pinned to the resourceVersion the decision was made on, so a stale cache yields a conflict and
 * a retry, never a wrong owner.
 */
import { ApiError } from "@kemu/apiserver";
import { labelSelectorFromObject, type LabelSelector } from "@kemu/machinery";
import type { ApiClient, Gvr, KObject } from "../client.ts";
import { controllerRefOf, newControllerRef } from "./pods.ts";

/** The selector of a ReplicaSet or Deployment, or undefined if it does not parse. */
export function selectorOf(obj: KObject): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(obj["spec"]?.["selector"]);
  } catch {
    return undefined;
  }
}

/** The shape of an error as events and conditions print it. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Creation refused because the namespace is being deleted: nothing to do, as upstream. */
export function isNamespaceTerminating(err: unknown): boolean {
  return (
    err instanceof ApiError && err.code === 403 && err.message.includes("because it is being terminated")
  );
}

/** What claim needs to know about the owner. */
export interface ClaimOwner {
  /** The owner as cached. */
  obj: KObject;
  apiVersion: string;
  kind: string;
  /** The owner's resource, to re-read it before adopting. */
  gvr: Gvr;
  selector: LabelSelector;
  /** The resource of the claimed objects. */
  childGvr: Gvr;
}

/** Owners re-read before the first adoption of a sync (RecheckDeletionTimestamp). */
function adoptionCheck(client: ApiClient, owner: ClaimOwner): () => Promise<void> {
  let checked: Promise<void> | undefined;
  return () =>
    (checked ??= (async () => {
      const md = owner.obj["metadata"];
      const fresh = await client.get(owner.gvr, md["namespace"], md["name"]);
      if (!fresh || fresh["metadata"]["uid"] !== md["uid"]) {
        throw new Error(
          `original ${owner.kind} ${md["namespace"]}/${md["name"]} is gone: got uid ${fresh?.["metadata"]["uid"] ?? ""}, wanted ${md["uid"]}`,
        );
      }
      if (fresh["metadata"]["deletionTimestamp"]) {
        throw new Error(
          `${md["namespace"]}/${md["name"]} has just been deleted at ${fresh["metadata"]["deletionTimestamp"]}`,
        );
      }
    })());
}

async function patchOwnerRefs(client: ApiClient, gvr: Gvr, obj: KObject, refs: KObject[]): Promise<boolean> {
  const md = obj["metadata"];
  try {
    await client.patch(gvr, md["namespace"], md["name"], {
      metadata: { ownerReferences: refs.length > 0 ? refs : null, resourceVersion: md["resourceVersion"] },
    });
    return true;
  } catch (err) {
    // Gone already: nothing to claim or release.
    if (err instanceof ApiError && err.code === 404) return false;
    throw err;
  }
}

/**
 * Claims objs for owner (ClaimObject over a list): returns those the owner controls after
 * adopting matching orphans and releasing its objects that no longer match. Throws after trying
 * every object if any write failed, as upstream returns the aggregate error.
 */
export async function claim(client: ApiClient, owner: ClaimOwner, objs: KObject[]): Promise<KObject[]> {
  const canAdopt = adoptionCheck(client, owner);
  const ownerMd = owner.obj["metadata"];
  const ownerDeleting = !!ownerMd["deletionTimestamp"];
  const claimed: KObject[] = [];
  const errors: unknown[] = [];
  for (const obj of objs) {
    const md = obj["metadata"];
    const ref = controllerRefOf(obj);
    const matches = owner.selector.matches(md["labels"] ?? {});
    try {
      if (ref) {
        if (ref["uid"] !== ownerMd["uid"]) continue;
        if (matches) {
          claimed.push(obj);
          continue;
        }
        if (ownerDeleting) continue;
        const refs = (md["ownerReferences"] as KObject[]).filter((r) => r["uid"] !== ownerMd["uid"]);
        await patchOwnerRefs(client, owner.childGvr, obj, refs);
        continue;
      }
      if (ownerDeleting || !matches || md["deletionTimestamp"]) continue;
      if (md["namespace"] !== ownerMd["namespace"]) continue;
      await canAdopt();
      const refs: KObject[] = [...(md["ownerReferences"] ?? [])];
      refs.push(newControllerRef(owner.obj, owner.apiVersion, owner.kind));
      if (await patchOwnerRefs(client, owner.childGvr, obj, refs)) claimed.push(obj);
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) {
    throw new Error(errors.map((e) => (e instanceof Error ? e.message : String(e))).join("; "));
  }
  return claimed;
}
