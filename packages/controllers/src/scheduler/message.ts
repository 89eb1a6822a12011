/**
 * The text of a scheduling failure, as kube-scheduler 1.32 writes it in the PodScheduled
 * condition and the FailedScheduling event (framework.FitError.Error() plus DefaultPreemption's
 * PostFilter message):
 *
 *   0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
 *   2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available:
 *   3 Preemption is not helpful for scheduling.
 */
import { REASON, type NodeFailure } from "./filters.ts";

/** The message when the cluster has no nodes at all (ErrNoNodesAvailable). */
export const NO_NODES_MESSAGE = "no nodes available to schedule pods";

const NOT_HELPFUL = "Preemption is not helpful for scheduling";
const NO_VICTIMS = "No preemption victims found for incoming pod";

/** "<count> <reason>" entries, sorted as strings (sortReasonsHistogram). */
function histogram(reasons: Iterable<string>): string[] {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort();
}

/** The outcome of filtering every node for one pod. */
export interface Diagnosis {
  /** All nodes in the cluster. */
  numAllNodes: number;
  /** Why each filtered node failed (nodes PreFilter skipped are not in it). */
  failures: NodeFailure[];
  /** A PreFilter rejection that applies to every node (then failures is empty). */
  preFilterMsg?: string;
  /** How many nodes PreFilter left out ("didn't satisfy plugin(s) [NodeAffinity]"). */
  skippedByPreFilter: number;
  /** spec.preemptionPolicy is Never. */
  preemptionNever: boolean;
}

/**
 * The FitError message. Preemption is not emulated, so nodes whose failure preemption might fix
 * (resources, ports) are reported as having no victims, as upstream does when no pod of lower
 * priority is there to evict.
 */
export function fitErrorMessage(d: Diagnosis): string {
  let msg = `0/${d.numAllNodes} nodes are available:`;
  if (d.preFilterMsg) {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const reasons: string[] = [];
    for (const f of d.failures) reasons.push(...f.reasons);
    for (let i = 0; i < d.skippedByPreFilter; i++) reasons.push(REASON.prefilterAffinity);
    const h = histogram(reasons);
    if (h.length > 0) msg += ` ${h.join(", ")}.`;
  }
  return `${msg} ${preemptionMessage(d)}`;
}

function preemptionMessage(d: Diagnosis): string {
  if (d.preemptionNever) return "preemption: not eligible due to preemptionPolicy=Never.";
  const perNode: string[] = [];
  if (d.preFilterMsg) {
    for (let i = 0; i < d.numAllNodes; i++) perNode.push(NOT_HELPFUL);
  } else {
    for (const f of d.failures) perNode.push(f.code === "unresolvable" ? NOT_HELPFUL : NO_VICTIMS);
    for (let i = 0; i < d.skippedByPreFilter; i++) perNode.push(NOT_HELPFUL);
  }
  const h = histogram(perNode);
  return `preemption: 0/${d.numAllNodes} nodes are available: ${h.join(", ")}.`;
}
