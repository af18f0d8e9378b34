import type { LabelRanks } from './knnLabelRanks';
import type { Matrix, SimilarityEngine } from './similarityEngine';
import { topKRank } from './topKRank';

/**
 * Zero-shot as big_vision and open_clip score it: each query's class scores are its cosines with the (L2-normalized)
 * class embeddings, whose argmax is the prediction. Returns the rank of each true label, ties ranked as in
 * `top_k_accuracy_score` (higher index first) so every row of the table follows one rule.
 */
export async function cosineLabelRanks(engine: SimilarityEngine, queries: Matrix, classEmbeddings: Matrix, queryLabels: ArrayLike<number>): Promise<LabelRanks> {
  if (queryLabels.length !== queries.rows) throw new Error(`cosineLabelRanks: ${queryLabels.length} labels for ${queries.rows} queries`);
  const ranks = new Int32Array(queries.rows);
  const n = classEmbeddings.rows;
  await engine.forEachSimilarityBlock(queries, classEmbeddings, (first, rows, sims) => {
    for (let i = 0; i < rows; i++) ranks[first + i] = topKRank(sims.subarray(i * n, (i + 1) * n), queryLabels[first + i]);
  });
  return ranks;
}
