import type { LabelRanks } from './knnLabelRanks';

/** `top_k_accuracy_score(normalize=True)`: the fraction of queries whose true label ranks below k. */
export function topKAccuracy(ranks: LabelRanks, k: number): number {
  if (ranks.length === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < ranks.length; i++) if (ranks[i] < k) hits++;
  return hits / ranks.length;
}

/** Top-k accuracy per label: [label] → fraction of that label's queries ranked below k (NaN for a label with none). */
export function topKAccuracyPerLabel(ranks: LabelRanks, queryLabels: ArrayLike<number>, nLabels: number, k: number): Float64Array {
  const hits = new Float64Array(nLabels);
  const counts = new Float64Array(nLabels);
  for (let i = 0; i < ranks.length; i++) {
    counts[queryLabels[i]]++;
    if (ranks[i] < k) hits[queryLabels[i]]++;
  }
  return hits.map((h, c) => (counts[c] ? h / counts[c] : NaN));
}
