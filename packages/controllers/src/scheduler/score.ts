/**
 * Choosing among the nodes that fit: a lexicographic score instead of upstream's weighted sum
 * of plugin scores, chosen so placements are easy to predict and explain:
 *
 * 1. fewer untolerated PreferNoSchedule taints (TaintToleration),
 * 2. more weight of matching preferred node affinity terms (NodeAffinity),
 * 3. fewer pods of the same owner (PodTopologySpread's default hostname spreading),
 * 4. fewer pods in all (LeastAllocated with upstream's non-zero default requests),
 * 5. ties broken at random, as upstream's selectHost does.
 */
import type { NodeInfo } from "./cache.ts";
import { preferNoScheduleCount, preferredAffinityWeight, type PodView } from "./filters.ts";

/** The score of a node for a pod: compared element by element, lower is better. */
export function nodeScore(pod: PodView, owner: string | undefined, node: NodeInfo): number[] {
  const view = node.view!;
  return [
    preferNoScheduleCount(pod, view),
    -preferredAffinityWeight(pod, view),
    owner ? (node.owners.get(owner) ?? 0) : 0,
    node.pods,
  ];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** The best of the feasible nodes (at least one), ties broken with rand() in [0, 1). */
export function selectNode(
  pod: PodView,
  owner: string | undefined,
  feasible: readonly NodeInfo[],
  rand: () => number = Math.random,
): NodeInfo {
  let best = feasible[0]!;
  let bestScore = nodeScore(pod, owner, best);
  let ties = 1;
  for (let i = 1; i < feasible.length; i++) {
    const n = feasible[i]!;
    const s = nodeScore(pod, owner, n);
    const c = compare(s, bestScore);
    if (c < 0) {
      best = n;
      bestScore = s;
      ties = 1;
    } else if (c === 0) {
      // Reservoir sampling: each of the tied nodes ends up chosen with equal probability.
      ties++;
      if (rand() * ties < 1) best = n;
    }
  }
  return best;
}
