/**
 * `siglip validate` against the real backend with the demo models, on a synthetic dataset in the old accuracy
 * check's layout. The figures are checked against an independent computation written here: embeddings fetched
 * one request at a time, and scikit-learn's KNeighborsClassifier(10, weights="distance", metric="cosine") +
 * top_k_accuracy_score in plain float64 loops.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runValidate } from '../../client/validate/runValidate';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { writeSyntheticDataset, type SyntheticDataset } from './support/syntheticDataset';

let backend: Backend;
let root: string;
let data: SyntheticDataset;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'validate-real-'));
  [backend, data] = await Promise.all([startTestBackend(), writeSyntheticDataset({ dir: join(root, 'data'), classes: 12, trainPerClass: 10, validPerClass: 3, seed: 3 })]);
});
afterAll(async () => {
  await backend.close();
  await rm(root, { recursive: true, force: true });
});

const labelOf = (path: string) => path.slice(path.lastIndexOf('/') + 1).split('_')[0];

async function embedImage(path: string): Promise<Float64Array> {
  const res = await fetch(`${backend.url}/v2/models/embed_image/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' },
    body: new Uint8Array(readFileSync(path)),
  });
  expect(res.status).toBe(200);
  const buf = new Uint8Array(await res.arrayBuffer());
  const n = Number(res.headers.get('inference-header-content-length'));
  return Float64Array.from(new Float32Array(buf.slice(n).buffer));
}

async function embedText(text: string): Promise<Float64Array> {
  const res = await fetch(`${backend.url}/v2/models/embed_text/infer`, {
    method: 'POST',
    body: JSON.stringify({ parameters: { embed_model: 'siglip_text' }, inputs: [{ name: 'INPUT_TEXT', shape: [1, 1], datatype: 'BYTES', data: [text] }] }),
  });
  expect(res.status).toBe(200);
  return Float64Array.from((await res.json()).outputs[0].data as number[]);
}

const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
function cosineDistance(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return Math.min(2, Math.max(0, 1 - dot / (norm(a) * norm(b))));
}

/** KNeighborsClassifier(n_neighbors=10, weights='distance', metric='cosine').predict_proba, over `labels` in order. */
function predictProba(train: { label: string; v: Float64Array }[], query: Float64Array, labels: string[], k = 10): number[] {
  const nearest = train.map((t, i) => ({ i, d: cosineDistance(query, t.v), label: t.label })).sort((a, b) => a.d - b.d || a.i - b.i).slice(0, k);
  // _get_weights: 1/d, or only the zero-distance neighbours (weight 1) when there are any.
  const zero = nearest.some((n) => n.d === 0);
  const scores = new Array(labels.length).fill(0);
  for (const n of nearest) scores[labels.indexOf(n.label)] += zero ? (n.d === 0 ? 1 : 0) : 1 / n.d;
  const total = scores.reduce((s, x) => s + x, 0) || 1;
  return scores.map((s) => s / total);
}

/** top_k_accuracy_score: stable ascending argsort, reversed (higher column first among equal scores). */
function topK(scores: number[], truth: number, k: number): boolean {
  const order = scores.map((s, i) => ({ s, i })).sort((a, b) => a.s - b.s || a.i - b.i).map((x) => x.i).reverse();
  return order.slice(0, k).includes(truth);
}

function accuracy(train: { label: string; v: Float64Array }[], valid: { label: string; v: Float64Array }[], labels: string[]) {
  let top1 = 0;
  let top5 = 0;
  for (const q of valid) {
    const p = predictProba(train, q.v, labels);
    const truth = labels.indexOf(q.label);
    if (topK(p, truth, 1)) top1++;
    if (topK(p, truth, 5)) top5++;
  }
  return { top1: top1 / valid.length, top5: top5 / valid.length };
}

describe('siglip validate against the real backend (demo models)', () => {
  it('prints the 10-shot and zero-shot figures an independent computation gives', async () => {
    const result = await runValidate({ data: data.dir, url: backend.url, cacheDir: join(root, 'cache'), ensemble: false, concurrency: 8 });
    const labels = data.classes.map((c) => c.synset);
    const train = await Promise.all(data.train.map(async (p) => ({ label: labelOf(p), v: await embedImage(p) })));
    const valid = await Promise.all(data.valid.map(async (p) => ({ label: labelOf(p), v: await embedImage(p) })));

    const fewShot = result.rows.find((r) => r.id === 'fewshot_knn')!;
    const expected = accuracy(train, valid, labels);
    expect(fewShot.top1).toBeCloseTo(expected.top1, 10);
    expect(fewShot.top5).toBeCloseTo(expected.top5, 10);

    // Zero-shot, the old table's first template: one text embedding per class, the same 10-NN classifier.
    const zeroShot = result.rows.find((r) => r.kind === 'zero-shot' && r.method === 'knn' && r.template === 'A photo of {text}.')!;
    const classTexts = await Promise.all(data.classes.map(async (c) => ({ label: c.synset, v: await embedText(`A photo of ${c.description}.`) })));
    const zs = accuracy(classTexts, valid, labels);
    expect(zeroShot.top1).toBeCloseTo(zs.top1, 10);
    expect(zeroShot.top5).toBeCloseTo(zs.top5, 10);
    expect(result.counts).toMatchObject({ classes: 12, trainImages: 120, validImages: 36, imageDim: 64, textDim: 64, rejectedImages: 0 });
  });
});
