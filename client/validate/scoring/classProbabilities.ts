/**
 * One row of `KNeighborsClassifier.predict_proba` (`sklearn/neighbors/_classification.py`): each neighbour adds its
 * weight to its label's column (float64, in neighbour order), then the row is divided by its sum, a zero sum being
 * replaced by 1 (`normalizer[normalizer == 0.0] = 1.0`), so an all-zero row stays all zeros.
 *
 * Columns are label indices. scikit-learn's columns are `classes_` (the sorted labels seen in training), and
 * `top_k_accuracy_score(labels=...)` requires `labels` sorted too, so for the mapping file's sorted synsets these are
 * the same columns. A label with no training sample keeps a column of zeros here; scikit-learn would have no column
 * for it, and `top_k_accuracy_score` would refuse the shape.
 */
export function classProbabilities(
  neighbourLabels: ArrayLike<number>,
  weights: ArrayLike<number>,
  nLabels: number,
  out: Float64Array = new Float64Array(nLabels),
): Float64Array {
  out.fill(0);
  for (let i = 0; i < neighbourLabels.length; i++) out[neighbourLabels[i]] += weights[i];
  let normalizer = 0;
  for (let c = 0; c < nLabels; c++) normalizer += out[c];
  if (normalizer === 0) normalizer = 1;
  for (let c = 0; c < nLabels; c++) out[c] /= normalizer;
  return out;
}
