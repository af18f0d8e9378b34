/** Bench: `siglip validate`'s scoring at the old table's scale, on onnxruntime's CPU GEMM, against a JS loop. */
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../client/validate/dataset/seededSample';
import { cosineKNeighbours } from '../client/validate/scoring/cosineKNeighbours';
import { cosineLabelRanks } from '../client/validate/scoring/cosineLabelRanks';
import { knnLabelRanks } from '../client/validate/scoring/knnLabelRanks';
import { normalizeRows } from '../client/validate/scoring/normalizeRows';
import { SimilarityEngine, type Matrix } from '../client/validate/scoring/similarityEngine';
import { topKAccuracy } from '../client/validate/scoring/topKAccuracy';
import { renderTable, type BenchRow } from './table';

// The old accuracy check: 20 valid and 10 train images for each of 1,000 classes, so400m's 1152-d embeddings.
const QUERIES = 20_000;
const TRAIN = 10_000;
const CLASSES = 1_000;
const DIM = 1152;
const K = 10;
// Queries timed with a plain JS dot-product loop, extrapolated to all of them.
const JS_SAMPLE = 50;

/** Random unit vectors (normal coordinates, normalized), from a seeded generator. */
function unitVectors(rows: number, dim: number, seed: string): Matrix {
  const rand = seededRandom(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    data[i] = r * Math.cos(a);
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(a);
  }
  return { data: normalizeRows(data, dim), rows, dim };
}

/** Times the 10-shot kNN scoring (20,000 × 10,000 × 1152) and the zero-shot scoring (20,000 × 1,000 classes, both methods). */
export async function benchValidateScoring(): Promise<BenchRow[]> {
  const section = 'validate scoring (CPU, onnxruntime)';
  const queries = unitVectors(QUERIES, DIM, 'bench:queries');
  const train = unitVectors(TRAIN, DIM, 'bench:train');
  const classes = unitVectors(CLASSES, DIM, 'bench:classes');
  const rand = seededRandom('bench:labels');
  const trainLabels = Int32Array.from({ length: TRAIN }, (_, i) => i % CLASSES);
  const queryLabels = Int32Array.from({ length: QUERIES }, () => Math.floor(rand() * CLASSES));
  const engine = await SimilarityEngine.create();
  try {
    const t0 = performance.now();
    const ranks = knnLabelRanks(await cosineKNeighbours(engine, queries, train, K), trainLabels, queryLabels, CLASSES);
    const top1 = topKAccuracy(ranks, 1);
    const knnMs = performance.now() - t0;

    const t1 = performance.now();
    const classIds = Int32Array.from({ length: CLASSES }, (_, i) => i);
    knnLabelRanks(await cosineKNeighbours(engine, queries, classes, K), classIds, queryLabels, CLASSES);
    await cosineLabelRanks(engine, queries, classes, queryLabels);
    const zeroShotMs = performance.now() - t1;

    const t2 = performance.now();
    let sink = 0;
    for (let q = 0; q < JS_SAMPLE; q++) {
      for (let t = 0; t < TRAIN; t++) {
        let dot = 0;
        for (let j = 0; j < DIM; j++) dot += queries.data[q * DIM + j] * train.data[t * DIM + j];
        sink += dot;
      }
    }
    const jsMs = ((performance.now() - t2) / JS_SAMPLE) * QUERIES;
    if (Number.isNaN(sink)) throw new Error('unreachable');

    return [
      {
        section,
        measure: `10-shot kNN: ${QUERIES.toLocaleString('en')} valid × ${TRAIN.toLocaleString('en')} train × ${DIM}-d, ${CLASSES.toLocaleString('en')} classes (neighbours, predict_proba, top-k)`,
        result: `${(knnMs / 1000).toFixed(2)} s (top-1 ${top1.toFixed(4)}, chance level)`,
        ratio: `${(jsMs / knnMs).toFixed(0)}× a JS dot-product loop (${(jsMs / 1000).toFixed(0)} s, from ${JS_SAMPLE} queries)`,
        target: `seconds (≤ 30 s) ${knnMs <= 30_000 ? '✔' : '✘'}`,
      },
      {
        section,
        measure: `zero-shot: ${QUERIES.toLocaleString('en')} valid × ${CLASSES.toLocaleString('en')} class embeddings, kNN and argmax cosine`,
        result: `${(zeroShotMs / 1000).toFixed(2)} s per template set`,
      },
    ];
  } finally {
    await engine.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderTable(await benchValidateScoring()));
}
