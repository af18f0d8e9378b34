import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classProbabilities } from '../../client/validate/scoring/classProbabilities';
import { cosineDistance } from '../../client/validate/scoring/cosineDistance';
import { cosineKNeighbours, type Neighbours } from '../../client/validate/scoring/cosineKNeighbours';
import { distanceWeights } from '../../client/validate/scoring/distanceWeights';
import { knnLabelRanks } from '../../client/validate/scoring/knnLabelRanks';
import { normalizeRows } from '../../client/validate/scoring/normalizeRows';
import { SimilarityEngine } from '../../client/validate/scoring/similarityEngine';
import { topKAccuracy } from '../../client/validate/scoring/topKAccuracy';
import { topKRank } from '../../client/validate/scoring/topKRank';
import { ensembleClassEmbeddings } from '../../client/validate/zeroShot/ensembleClassEmbeddings';

// Every expected value below is worked out by hand from scikit-learn's source, as the comments show.

function neighbours(rows: { labels?: number[]; indices: number[]; distances: number[] }[]): Neighbours {
  const k = rows[0].indices.length;
  return {
    rows: rows.length,
    k,
    indices: Int32Array.from(rows.flatMap((r) => r.indices)),
    distances: Float32Array.from(rows.flatMap((r) => r.distances)),
  };
}

describe('weights="distance" (_get_weights)', () => {
  it('weighs each neighbour by 1/d', () => {
    expect(Array.from(distanceWeights([0.5, 0.25, 2]))).toEqual([2, 4, 0.5]);
  });

  it('computes 1/d in float32, as 1.0 / dist keeps a float32 array float32', () => {
    const [w] = distanceWeights(Float32Array.of(0.3));
    expect(w).toBe(Math.fround(1 / Math.fround(0.3)));
    expect(w).not.toBe(1 / 0.3);
  });

  it('gives a row with a zero distance weight 1 at its zero distances and 0 elsewhere', () => {
    expect(Array.from(distanceWeights([0, 0.5, 0, 1]))).toEqual([1, 0, 1, 0]);
  });

  it('leaves rows without a zero distance alone, whatever other rows hold', () => {
    expect(Array.from(distanceWeights([0.125, 1]))).toEqual([8, 1]);
  });
});

describe('predict_proba rows', () => {
  it('sums the votes per label and divides by their total', () => {
    // labels 2, 0, 2 with weights 1, 2, 1: column 0 = 2, column 2 = 1 + 1 = 2, total 4.
    expect(Array.from(classProbabilities([2, 0, 2], [1, 2, 1], 4))).toEqual([0.5, 0, 0.5, 0]);
  });

  it('replaces a zero normalizer by 1, so a row without votes stays all zeros', () => {
    expect(Array.from(classProbabilities([1, 1], [0, 0], 3))).toEqual([0, 0, 0]);
  });

  it('gives two neighbours at distance 0 half each, the other neighbour nothing', () => {
    const n = neighbours([{ indices: [0, 1, 2], distances: [0, 0, 0.5] }]);
    // train labels: index 0 → 0, index 1 → 1, index 2 → 2; weights [1, 1, 0] → proba [0.5, 0.5, 0].
    // The 0.5 tie ranks label 1 first (higher index), so label 0 misses top-1.
    expect(Array.from(knnLabelRanks(n, [0, 1, 2], [0], 3))).toEqual([1]);
    expect(Array.from(knnLabelRanks(n, [0, 1, 2], [1], 3))).toEqual([0]);
    expect(Array.from(knnLabelRanks(n, [0, 1, 2], [2], 3))).toEqual([2]);
  });
});

describe('top_k_accuracy_score ranking', () => {
  it("reproduces its docstring's example: 0.75 at k = 2", () => {
    const rows = [
      [0.5, 0.2, 0.2],
      [0.3, 0.4, 0.2],
      [0.2, 0.4, 0.3],
      [0.7, 0.2, 0.1],
    ];
    const ranks = Int32Array.from(rows.map((r, i) => topKRank(r, [0, 1, 2, 2][i])));
    expect(topKAccuracy(ranks, 2)).toBe(0.75);
  });

  it('ranks equal scores by the higher label index first (argsort mergesort, reversed)', () => {
    // [0.5, 0.2, 0.2]: order 0, then 2 before 1.
    expect(topKRank([0.5, 0.2, 0.2], 0)).toBe(0);
    expect(topKRank([0.5, 0.2, 0.2], 2)).toBe(1);
    expect(topKRank([0.5, 0.2, 0.2], 1)).toBe(2);
    // All equal: the last label is first.
    expect([0, 1, 2, 3].map((t) => topKRank([1, 1, 1, 1], t))).toEqual([3, 2, 1, 0]);
  });

  it('fills top-5 with the highest-index zero columns when fewer than 5 labels got votes', () => {
    // k = 3 neighbours at 0.125, 0.25, 0.5 (weights 8, 4, 2) with labels 3, 5, 3: label 3 = 10/14, label 5 = 4/14.
    // The six zero columns follow by descending index: order 3, 5, 7, 6, 4, 2, 1, 0.
    const n = neighbours([{ indices: [0, 1, 2], distances: [0.125, 0.25, 0.5] }]);
    const trainLabels = [3, 5, 3];
    const rankOf = (t: number) => knnLabelRanks(n, trainLabels, [t], 8)[0];
    expect([3, 5, 7, 6, 4, 2, 1, 0].map(rankOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rankOf(4) < 5).toBe(true); // label 4 got no vote and is a top-5 hit
    expect(rankOf(2) < 5).toBe(false); // label 2 got no vote and is not
  });

  it('scores a label that never occurs in training as a column of zeros, ranked by the tie rule', () => {
    // Labels 0..3, training holds only 0, 1 and 3 (scikit-learn's classes_ would be [0, 1, 3]).
    // Neighbours: label 0 at 0.25 (weight 4), label 1 at 0.5 (weight 2) → proba [4/6, 2/6, 0, 0].
    // Order: 0, 1, then the zeros 3, 2: label 2 ranks 3rd (0-based), a top-1 miss and, with 4 columns, a top-5 hit.
    const n = neighbours([{ indices: [0, 1], distances: [0.25, 0.5] }]);
    const ranks = knnLabelRanks(n, [0, 1, 3], [2], 4);
    expect(Array.from(ranks)).toEqual([3]);
    expect(topKAccuracy(ranks, 1)).toBe(0);
    expect(topKAccuracy(ranks, 5)).toBe(1);
  });
});

describe('cosine distance (cosine_distances)', () => {
  it('is 1 - similarity in float32, clipped to [0, 2]', () => {
    expect(cosineDistance(Math.fround(0.3))).toBe(Math.fround(1 - Math.fround(0.3)));
    expect(cosineDistance(Math.fround(1.0000001))).toBe(0);
    expect(cosineDistance(Math.fround(-1.0000001))).toBe(2);
  });

  it('normalizes rows, leaving a zero row zero (so its distance to everything is 1)', () => {
    expect(Array.from(normalizeRows(Float32Array.of(3, 4, 0, 0), 2))).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0]);
  });
});

describe('kneighbors on onnxruntime', () => {
  let engine: SimilarityEngine;
  beforeAll(async () => {
    engine = await SimilarityEngine.create({ chunkRows: 2 });
  });
  afterAll(() => engine.close());

  const unit = (dim: number, i: number) => Float32Array.from({ length: dim }, (_, j) => (j === i ? 1 : 0));
  const matrix = (rows: Float32Array[]) => ({ data: Float32Array.from(rows.flatMap((r) => Array.from(r))), rows: rows.length, dim: rows[0].length });

  it('finds a duplicate of the query at distance exactly 0, which then takes all the votes', async () => {
    // Keys: e0 (label 0), e1 (label 1), e0 again (label 2). Query e0: keys 0 and 2 at distance 0, key 1 at 1.
    const keys = matrix([unit(4, 0), unit(4, 1), unit(4, 0)]);
    const n = await cosineKNeighbours(engine, matrix([unit(4, 0)]), keys, 3);
    expect(Array.from(n.indices)).toEqual([0, 2, 1]);
    expect(Array.from(n.distances)).toEqual([0, 0, 1]);
    // Weights [1, 1, 0]: labels 0 and 2 get 0.5 each, and the tie ranks label 2 first.
    expect(Array.from(knnLabelRanks(n, [0, 1, 2], [0], 3))).toEqual([1]);
  });

  it('breaks distance ties at the k-th place by the lower key index, even when the tie runs past the candidates', async () => {
    // Keys 0..4 are far (e1), keys 5..34 are 30 copies of one vector at equal distance, key 35 is the query itself.
    // k = 10 with 8 extra candidates sees 18 of the 30 tied keys, so the block is run again with more candidates.
    const tied = Float32Array.of(Math.SQRT1_2, 0, Math.SQRT1_2, 0);
    const keys = matrix([...Array.from({ length: 5 }, () => unit(4, 1)), ...Array.from({ length: 30 }, () => tied), unit(4, 0)]);
    const queries = matrix([unit(4, 0), unit(4, 0), unit(4, 0)]); // 3 rows over blocks of 2
    const expected = [35, 5, 6, 7, 8, 9, 10, 11, 12, 13];
    for (const margin of [8, 0]) {
      const n = await cosineKNeighbours(engine, queries, keys, 10, margin);
      for (let q = 0; q < 3; q++) expect(Array.from(n.indices.subarray(q * 10, q * 10 + 10))).toEqual(expected);
    }
  });

  it('settles distinct similarities that round to one float32 distance by key index, which TopK alone would not', async () => {
    // Two adjacent float32 similarities near 0.3 whose distances 1 - s round to the same float32: TopK prefers the
    // higher similarity (key 1), scikit-learn's distances cannot tell them apart, and the tie goes to key 0.
    const bits = new Int32Array(1);
    const f = new Float32Array(bits.buffer);
    f[0] = 0.3;
    let lo = f[0];
    bits[0]++;
    while (cosineDistance(lo) !== cosineDistance(f[0])) {
      lo = f[0];
      bits[0]++;
    }
    const hi = f[0];
    expect(hi).toBeGreaterThan(lo);
    const keys = matrix([Float32Array.of(lo, 0), Float32Array.of(hi, 0)]);
    const n = await cosineKNeighbours(engine, matrix([unit(2, 0)]), keys, 1, 0);
    expect(Array.from(n.indices)).toEqual([0]);
    expect(n.distances[0]).toBe(cosineDistance(hi));
  });

  it('refuses more neighbours than training samples, as kneighbors does', async () => {
    const keys = matrix([unit(2, 0), unit(2, 1)]);
    await expect(cosineKNeighbours(engine, keys, keys, 3)).rejects.toThrow('Expected n_neighbors <= n_samples_fit, but n_neighbors = 3, n_samples_fit = 2');
  });
});

describe('prompt ensemble (big_vision / open_clip)', () => {
  it('averages the L2-normalized prompt embeddings and normalizes the mean', () => {
    // Class 0's prompts [3, 4] and [0, 2] normalize to [0.6, 0.8] and [0, 1]; their mean [0.3, 0.9] normalizes to
    // [1, 3] / √10. The mean of the raw vectors, [1.5, 3], would point elsewhere ([1, 2] / √5).
    const e = ensembleClassEmbeddings([
      { data: Float32Array.of(3, 4), rows: 1, dim: 2 },
      { data: Float32Array.of(0, 2), rows: 1, dim: 2 },
    ]);
    expect(e.data[0]).toBeCloseTo(1 / Math.sqrt(10), 6);
    expect(e.data[1]).toBeCloseTo(3 / Math.sqrt(10), 6);
  });
});
