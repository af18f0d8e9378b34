import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../client/validate/dataset/seededSample';
import { cosineKNeighbours } from '../../client/validate/scoring/cosineKNeighbours';
import { cosineLabelRanks } from '../../client/validate/scoring/cosineLabelRanks';
import { knnLabelRanks } from '../../client/validate/scoring/knnLabelRanks';
import { normalizeRows } from '../../client/validate/scoring/normalizeRows';
import { SimilarityEngine } from '../../client/validate/scoring/similarityEngine';
import { topKAccuracy } from '../../client/validate/scoring/topKAccuracy';
import { cosineSimilarity, randomVectors, referenceNeighbours, referenceOrder, referenceProba, stack } from './support/referenceScoring';

// Near-ties can order differently between ORT's float32 GEMM and the float64 reference; queries whose k-th and
// (k+1)-th reference distances are closer than this are compared on the figures only.
const GAP = 1e-5;

describe('ORT scoring against a plain reference implementation', () => {
  let engine: SimilarityEngine;
  beforeAll(async () => {
    engine = await SimilarityEngine.create({ chunkRows: 37 }); // blocks that do not divide the query count
  });
  afterAll(() => engine.close());

  for (const seed of [1, 2, 3]) {
    it(`finds the same neighbours, probabilities and top-k ranks (random problem ${seed})`, async () => {
      const rand = seededRandom(`ort-scoring:${seed}`);
      const dim = 24;
      const nLabels = 12;
      const keys = randomVectors(300, dim, rand);
      const queries = randomVectors(150, dim, rand);
      const keyLabels = keys.map(() => Math.floor(rand() * nLabels));
      const queryLabels = queries.map(() => Math.floor(rand() * nLabels));
      const k = 10;

      const q = stack(queries);
      const t = stack(keys);
      const got = await cosineKNeighbours(engine, { ...q, data: normalizeRows(q.data, dim) }, { ...t, data: normalizeRows(t.data, dim) }, k);
      const ranks = knnLabelRanks(got, keyLabels, queryLabels, nLabels);

      const probaRows: number[][] = [];
      let compared = 0;
      queries.forEach((query, i) => {
        const all = referenceNeighbours(query, keys, k + 1);
        const want = all.slice(0, k);
        probaRows.push(referenceProba(want, keyLabels, nLabels));
        if (all[k].distance - all[k - 1].distance < GAP) return;
        compared++;
        expect(Array.from(got.indices.subarray(i * k, (i + 1) * k)).sort((a, b) => a - b)).toEqual(want.map((n) => n.index).sort((a, b) => a - b));
        want.forEach((n, j) => expect(got.distances[i * k + j]).toBeCloseTo(n.distance, 5));
        expect(ranks[i]).toBe(referenceOrder(probaRows[i]).indexOf(queryLabels[i]));
      });
      expect(compared).toBeGreaterThan(140);
      for (const kk of [1, 5]) {
        const want = probaRows.filter((row, i) => referenceOrder(row).slice(0, kk).includes(queryLabels[i])).length / queries.length;
        expect(topKAccuracy(ranks, kk)).toBeCloseTo(want, 10);
      }
    });
  }

  it('ranks labels by cosine as a full sort of the reference similarities does', async () => {
    const rand = seededRandom('ort-scoring:cosine');
    const dim = 16;
    const classes = randomVectors(20, dim, rand);
    const queries = randomVectors(100, dim, rand);
    const labels = queries.map(() => Math.floor(rand() * classes.length));
    const c = stack(classes);
    const q = stack(queries);
    const ranks = await cosineLabelRanks(engine, { ...q, data: normalizeRows(q.data, dim) }, { ...c, data: normalizeRows(c.data, dim) }, labels);
    queries.forEach((query, i) => {
      const order = referenceOrder(classes.map((cls) => cosineSimilarity(query, cls)));
      expect(ranks[i]).toBe(order.indexOf(labels[i]));
    });
  });
});
