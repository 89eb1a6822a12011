/**
 * Garbage collector: deletes objects whose owners are gone, and carries out foreground and
 * orphan deletion, as kube-controller-manager's garbagecollector does.
 *
 * - Background: an object all of whose owners (by ownerReferences uid) are gone is deleted.
 * - Foreground: an owner being deleted with the foregroundDeletion finalizer has its
 *   dependents deleted first; the finalizer is removed once no dependent with
 *   blockOwnerDeletion is left.
 * - Orphan: an owner being deleted with the orphan finalizer has its ownerReferences removed
 *   from every dependent, then the finalizer is removed.
 *
 * Limitations vs Kubernetes: it watches the built-in kinds listed in MONITORED (custom
 * resources are neither owners nor dependents it follows); an owner is taken as gone when no
 * object of its kind, namespace and name with its uid exists.
 */
import { R, type Gvr, type KObject } from "../client.ts";
import type { Controller } from "../controller.ts";
import type { Informer } from "../informer.ts";
import { WorkQueue } from "../queue.ts";

/** The kinds the collector follows, by Kind. */
const MONITORED: Record<string, Gvr> = {
  Pod: R.pods,
  ReplicaSet: R.replicasets,
  Deployment: R.deployments,
  DaemonSet: R.daemonsets,
  ControllerRevision: R.controllerrevisions,
  EndpointSlice: R.endpointslices,
  Endpoints: R.endpoints,
  Service: R.services,
  ConfigMap: R.configmaps,
  Secret: R.secrets,
  ServiceAccount: R.serviceaccounts,
  Node: R.nodes,
  Lease: R.leases,
};

/** The garbage collector. */
export const garbageCollector: Controller = {
  name: "garbagecollector",
  setup(ctx) {
    const informers = new Map<string, Informer>();
    /** uid → dependents' [kind, key]. */
    const dependents = new Map<string, Map<string, [string, string]>>();
    /** uid → [kind, key] of every live object. */
    const byUid = new Map<string, [string, string]>();
    const queue = new WorkQueue("garbagecollector", ctx.log);

    const ownersOf = (o: KObject): KObject[] =>
      (o["metadata"]?.["ownerReferences"] as KObject[] | undefined) ?? [];
    const keyOf = (o: KObject) =>
      o["metadata"]["namespace"]
        ? `${o["metadata"]["namespace"]}/${o["metadata"]["name"]}`
        : o["metadata"]["name"];
    const item = (kind: string, key: string) => `${kind}|${key}`;

    const track = (kind: string, o: KObject, add: boolean) => {
      const uid: string = o["metadata"]["uid"];
      const key = keyOf(o);
      if (add) byUid.set(uid, [kind, key]);
      else byUid.delete(uid);
      for (const ref of ownersOf(o)) {
        let set = dependents.get(ref["uid"]);
        if (!set) dependents.set(ref["uid"], (set = new Map()));
        if (add) set.set(item(kind, key), [kind, key]);
        else set.delete(item(kind, key));
      }
    };

    for (const [kind, gvr] of Object.entries(MONITORED)) {
      const inf = ctx.informers.for(gvr);
      informers.set(kind, inf);
      inf.addHandlers({
        add: (o) => {
          track(kind, o, true);
          if (ownersOf(o).length > 0 || o["metadata"]["deletionTimestamp"]) queue.add(item(kind, keyOf(o)));
        },
        update: (old, o) => {
          track(kind, old, false);
          track(kind, o, true);
          if (ownersOf(o).length > 0 || o["metadata"]["deletionTimestamp"]) queue.add(item(kind, keyOf(o)));
        },
        delete: (o) => {
          track(kind, o, false);
          // Its dependents may now be orphans, and a foreground owner may be waiting on it.
          for (const [k, key] of dependents.get(o["metadata"]["uid"])?.values() ?? [])
            queue.add(item(k, key));
          for (const ref of ownersOf(o)) {
            const owner = byUid.get(ref["uid"]);
            if (owner) queue.add(item(owner[0], owner[1]));
          }
        },
      });
    }

    /** Whether an owner reference points at a live object (checked against the API, not just the cache). */
    async function ownerExists(namespace: string | undefined, ref: KObject): Promise<boolean> {
      if (byUid.has(ref["uid"])) return true;
      const gvr = MONITORED[ref["kind"]];
      if (!gvr) return true; // unknown kinds are never collected against
      const clusterScoped = ref["kind"] === "Node";
      const owner = await ctx.client.get(gvr, clusterScoped ? undefined : namespace, ref["name"]);
      return owner !== undefined && owner["metadata"]["uid"] === ref["uid"];
    }

    async function sync(id: string): Promise<void> {
      const [kind, key] = id.split("|") as [string, string];
      const obj = informers.get(kind)?.get(key);
      if (!obj) return;
      const md = obj["metadata"];
      const gvr = MONITORED[kind]!;
      const finalizers: string[] = md["finalizers"] ?? [];
      if (md["deletionTimestamp"] && finalizers.includes("orphan")) {
        for (const [k, dkey] of [...(dependents.get(md["uid"])?.values() ?? [])]) {
          const dep = informers.get(k)?.get(dkey);
          if (!dep) continue;
          const refs = ownersOf(dep).filter((r) => r["uid"] !== md["uid"]);
          await ctx.client.patch(MONITORED[k]!, dep["metadata"]["namespace"], dep["metadata"]["name"], {
            metadata: {
              ownerReferences: refs.length > 0 ? refs : null,
              resourceVersion: dep["metadata"]["resourceVersion"],
            },
          });
        }
        await removeFinalizer(gvr, obj, "orphan");
        return;
      }
      if (md["deletionTimestamp"] && finalizers.includes("foregroundDeletion")) {
        let blocking = 0;
        for (const [k, dkey] of [...(dependents.get(md["uid"])?.values() ?? [])]) {
          const dep = informers.get(k)?.get(dkey);
          if (!dep) continue;
          const ref = ownersOf(dep).find((r) => r["uid"] === md["uid"]);
          if (ref?.["blockOwnerDeletion"]) blocking++;
          if (!dep["metadata"]["deletionTimestamp"]) {
            // Dependents with dependents of their own go foreground too, as upstream does.
            const nested = (dependents.get(dep["metadata"]["uid"])?.size ?? 0) > 0;
            await ctx.client.delete(MONITORED[k]!, dep["metadata"]["namespace"], dep["metadata"]["name"], {
              propagationPolicy: nested ? "Foreground" : "Background",
              preconditions: { uid: dep["metadata"]["uid"] },
            });
          }
        }
        if (blocking === 0) await removeFinalizer(gvr, obj, "foregroundDeletion");
        else queue.addAfter(id, 1_000);
        return;
      }
      const owners = ownersOf(obj);
      if (owners.length === 0 || md["deletionTimestamp"]) return;
      for (const ref of owners) {
        if (await ownerExists(md["namespace"], ref)) return;
      }
      // Every owner is gone: collect it (its own dependents follow in the background).
      await ctx.client.delete(gvr, md["namespace"], md["name"], {
        propagationPolicy: "Background",
        preconditions: { uid: md["uid"] },
      });
    }

    async function removeFinalizer(gvr: Gvr, obj: KObject, finalizer: string): Promise<void> {
      const md = obj["metadata"];
      const rest = (md["finalizers"] as string[]).filter((f) => f !== finalizer);
      await ctx.client.patch(gvr, md["namespace"], md["name"], {
        metadata: { finalizers: rest.length > 0 ? rest : null, resourceVersion: md["resourceVersion"] },
      });
    }

    return {
      run: () => void queue.run(ctx.settings.workers, sync),
      stop: () => queue.stop(),
    };
  },
};
