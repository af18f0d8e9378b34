import { classProbabilities } from './classProbabilities';
import type { Neighbours } from './cosineKNeighbours';
import { distanceWeights } from './distanceWeights';
import { topKRank } from './topKRank';

/** Each query's rank of its true label (0 = top-1), from which any top-k accuracy follows. */
export type LabelRanks = Int32Array;

/**
 * `KNeighborsClassifier(weights="distance").predict_proba` over the neighbours, ranked as `top_k_accuracy_score`
 * ranks them: the rank of each query's true label among all `nLabels` columns.
 */
export function knnLabelRanks(neighbours: Neighbours, trainLabels: ArrayLike<number>, queryLabels: ArrayLike<number>, nLabels: number): LabelRanks {
  if (queryLabels.length !== neighbours.rows) throw new Error(`knnLabelRanks: ${queryLabels.length} labels for ${neighbours.rows} queries`);
  const { k } = neighbours;
  const ranks = new Int32Array(neighbours.rows);
  const proba = new Float64Array(nLabels);
  const labels = new Int32Array(k);
  for (let q = 0; q < neighbours.rows; q++) {
    for (let j = 0; j < k; j++) labels[j] = trainLabels[neighbours.indices[q * k + j]];
    const weights = distanceWeights(neighbours.distances.subarray(q * k, (q + 1) * k));
    classProbabilities(labels, weights, nLabels, proba);
    ranks[q] = topKRank(proba, queryLabels[q]);
  }
  return ranks;
}
