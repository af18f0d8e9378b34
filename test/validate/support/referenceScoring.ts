/**
 * A deliberately plain implementation of the old accuracy check's arithmetic, written from scikit-learn's definitions
 * and not sharing code with client/validate: cosine distances by explicit loops, a full sort of every query's
 * distances, 1/d votes, and top-k by a full descending sort whose ties put the higher label index first.
 */

/** Cosine similarity of two vectors (0 when either is zero), in float64. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
}

/** One query's neighbours: all keys sorted by (distance, index), the first k kept; distances rounded to float32. */
export function referenceNeighbours(query: ArrayLike<number>, keys: ArrayLike<number>[], k: number): { index: number; distance: number }[] {
  const all = keys.map((key, index) => ({ index, distance: Math.min(2, Math.max(0, Math.fround(1 - Math.fround(cosineSimilarity(query, key))))) }));
  all.sort((a, b) => a.distance - b.distance || a.index - b.index);
  return all.slice(0, k);
}

/** predict_proba for one query: 1/d votes, or only the zero-distance neighbours when there are any; normalized. */
export function referenceProba(neighbours: { index: number; distance: number }[], keyLabels: ArrayLike<number>, nLabels: number): number[] {
  const proba = new Array<number>(nLabels).fill(0);
  const exact = neighbours.filter((n) => n.distance === 0);
  const voters = exact.length ? exact.map((n) => ({ ...n, w: 1 })) : neighbours.map((n) => ({ ...n, w: Math.fround(1 / n.distance) }));
  for (const v of voters) proba[keyLabels[v.index]] += v.w;
  const total = proba.reduce((a, b) => a + b, 0) || 1;
  return proba.map((p) => p / total);
}

/** Labels in top_k_accuracy_score's order: descending score, equal scores by descending label index. */
export function referenceOrder(scores: readonly number[]): number[] {
  return scores.map((s, label) => ({ s, label })).sort((a, b) => b.s - a.s || b.label - a.label).map((x) => x.label);
}

/** Normal(0, 1) vectors from a seeded generator. */
export function randomVectors(count: number, dim: number, rand: () => number): Float32Array[] {
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: dim }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())),
  );
}

/** Rows stacked into one row-major matrix. */
export function stack(rows: readonly Float32Array[]): { data: Float32Array; rows: number; dim: number } {
  const dim = rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => data.set(r, i * dim));
  return { data, rows: rows.length, dim };
}
