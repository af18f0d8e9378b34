import { cosineDistance } from './cosineDistance';
import type { Matrix, SimilarityEngine, TopKBlock } from './similarityEngine';

/** The k nearest keys of each query: [rows, k] row-major, nearest first. */
export interface Neighbours {
  rows: number;
  k: number;
  indices: Int32Array;
  /** scikit-learn's float32 cosine distances (see cosineDistance). */
  distances: Float32Array;
}

/** Extra candidates fetched beyond k, so that distance ties at the k-th place can be settled without another run. */
const CANDIDATE_MARGIN = 8;

/**
 * `NearestNeighbors(metric="cosine").kneighbors` for L2-normalized rows (their dot product is the cosine).
 *
 * ORT's TopK picks k + margin candidates by similarity; the k neighbours are then chosen exactly among them by
 * (float32 cosine distance, key index). Distinct similarities can round to one float32 distance, so when the last
 * candidate ties the k-th neighbour's distance, keys outside the candidates could tie too: the block is run again with
 * 4× the candidates (same rows, hence the same GEMM and bit-identical similarities) until the tie is inside.
 *
 * Ties at the k-th place go to the lower key index. scikit-learn's brute-force path for cosine
 * (`_kneighbors_reduce_func` in `sklearn/neighbors/_base.py`) selects with `np.argpartition`, whose choice among
 * equal distances is not specified; only exact float ties (duplicate images, in practice) can differ.
 *
 * Like `kneighbors`, it refuses k larger than the number of keys ("Expected n_neighbors <= n_samples_fit").
 */
export async function cosineKNeighbours(engine: SimilarityEngine, queries: Matrix, keys: Matrix, k: number, margin = CANDIDATE_MARGIN): Promise<Neighbours> {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`cosineKNeighbours: k must be a positive integer, got ${k}`);
  if (k > keys.rows) throw new Error(`Expected n_neighbors <= n_samples_fit, but n_neighbors = ${k}, n_samples_fit = ${keys.rows}`);
  const indices = new Int32Array(queries.rows * k);
  const distances = new Float32Array(queries.rows * k);
  for (let first = 0; first < queries.rows; first += engine.chunkRows) {
    const rows = Math.min(engine.chunkRows, queries.rows - first);
    let pending = Array.from({ length: rows }, (_, i) => i);
    let candidates = Math.min(keys.rows, k + margin);
    while (pending.length) {
      const block = await engine.topKBlock(queries, keys, first, rows, candidates);
      pending = pending.filter((i) => !selectRow(block, i, k, keys.rows, indices, distances));
      candidates = Math.min(keys.rows, candidates * 4);
    }
  }
  return { rows: queries.rows, k, indices, distances };
}

// Writes row i's k neighbours into the outputs; false when a tie may reach past the candidates.
function selectRow(block: TopKBlock, i: number, k: number, nKeys: number, indices: Int32Array, distances: Float32Array): boolean {
  const K = block.k;
  const cand = new Array<{ index: number; distance: number }>(K);
  for (let c = 0; c < K; c++) {
    cand[c] = { index: Number(block.indices[i * K + c]), distance: cosineDistance(block.values[i * K + c]) };
  }
  cand.sort((a, b) => a.distance - b.distance || a.index - b.index);
  const kth = cand[k - 1].distance;
  if (K < nKeys && cand[K - 1].distance <= kth) return false;
  const out = (block.firstRow + i) * k;
  for (let j = 0; j < k; j++) {
    indices[out + j] = cand[j].index;
    distances[out + j] = cand[j].distance;
  }
  return true;
}
