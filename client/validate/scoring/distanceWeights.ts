/**
 * scikit-learn's `weights="distance"` for one query's neighbour distances (`sklearn/neighbors/_base.py`
 * `_get_weights`): weight = 1/d, computed in the distances' float32 (`1.0 / dist` keeps the array's dtype); when any
 * weight is infinite (a neighbour at distance 0), that row's infinite weights become 1 and all others 0.
 */
export function distanceWeights(distances: ArrayLike<number>): Float64Array {
  const w = new Float64Array(distances.length);
  let anyInfinite = false;
  for (let i = 0; i < distances.length; i++) {
    w[i] = Math.fround(1 / distances[i]);
    if (w[i] === Infinity) anyInfinite = true;
  }
  if (anyInfinite) for (let i = 0; i < w.length; i++) w[i] = w[i] === Infinity ? 1 : 0;
  return w;
}
