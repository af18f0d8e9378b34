/**
 * Rank (0 = first) of column `trueIndex` in `top_k_accuracy_score`'s ordering (`sklearn/metrics/_ranking.py`):
 * `np.argsort(y_score, kind="mergesort")[:, ::-1]`, a stable ascending sort reversed, so among equal scores the
 * higher column index ranks first (its docstring: "the labels with the highest indices will be chosen first").
 * The label is a top-k hit when its rank is below k; with k ≥ the number of columns every label is a hit.
 */
export function topKRank(scores: ArrayLike<number>, trueIndex: number): number {
  const t = scores[trueIndex];
  let rank = 0;
  for (let j = 0; j < scores.length; j++) {
    const s = scores[j];
    if (s > t || (s === t && j > trueIndex)) rank++;
  }
  return rank;
}
