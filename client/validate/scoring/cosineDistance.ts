/**
 * scikit-learn's cosine distance from a float32 similarity: `sklearn/metrics/pairwise.py` `cosine_distances` computes
 * `S *= -1; S += 1; np.clip(S, 0, 2)` on the float32 similarity matrix, so the distance is rounded to float32 and
 * an identical pair (similarity rounded to ≥ 1) is at exactly 0.
 */
export function cosineDistance(similarity: number): number {
  const d = Math.fround(1 - similarity);
  return d < 0 ? 0 : d > 2 ? 2 : d;
}
