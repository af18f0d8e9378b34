import { readFile } from 'node:fs/promises';
import { imageColourEmbedding, textColourEmbedding } from './colourEmbedding';
import { cosineSimilarity, referenceNeighbours, referenceOrder, referenceProba } from './referenceScoring';
import type { SyntheticDataset } from './syntheticDataset';

/** top-1 and top-5 of one row. */
export interface Figures {
  top1: number;
  top5: number;
}

/**
 * The figures the loopback server's embeddings should give on a synthetic dataset, computed from scratch: the
 * embeddings straight from the files, the prompts written out here, and the plain reference scoring.
 */
export async function independentFigures(data: SyntheticDataset, prompts: Record<string, (c: { synset: string; description: string }) => string>) {
  const labelOf = (path: string) => data.classes.findIndex((c) => path.includes(`/${c.synset}_`));
  const embed = (paths: string[]) => Promise.all(paths.map(async (p) => imageColourEmbedding(await readFile(p))));
  const train = await embed(data.train);
  const valid = await embed(data.valid);
  const trainLabels = data.train.map(labelOf);
  const validLabels = data.valid.map(labelOf);
  const n = data.classes.length;
  const figures = (rows: number[][]): Figures => ({
    top1: rows.filter((r, i) => referenceOrder(r).slice(0, 1).includes(validLabels[i])).length / rows.length,
    top5: rows.filter((r, i) => referenceOrder(r).slice(0, 5).includes(validLabels[i])).length / rows.length,
  });
  const knn = (keys: Float32Array[], keyLabels: number[]) => figures(valid.map((q) => referenceProba(referenceNeighbours(q, keys, 10), keyLabels, n)));
  const cosine = (classEmbeddings: Float32Array[]) => figures(valid.map((q) => classEmbeddings.map((c) => cosineSimilarity(q, c))));
  const classIds = data.classes.map((_, i) => i);
  const zeroShot: Record<string, { knn: Figures; cosine: Figures }> = {};
  for (const [name, prompt] of Object.entries(prompts)) {
    const classEmbeddings = data.classes.map((c) => textColourEmbedding(prompt(c)));
    zeroShot[name] = { knn: knn(classEmbeddings, classIds), cosine: cosine(classEmbeddings) };
  }
  return { fewShot: knn(train, trainLabels), zeroShot, cosine, knn, valid, validLabels };
}

/** big_vision's class embedding for a prompt ensemble, written out: mean of unit vectors, made unit. */
export function meanOfUnitVectors(vectors: Float32Array[]): Float32Array {
  const unit = (v: ArrayLike<number>) => {
    const norm = Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0));
    return Array.from(v, (x) => x / norm);
  };
  const sum = vectors.map(unit).reduce((acc, v) => acc.map((x, i) => x + v[i]));
  return Float32Array.from(unit(sum));
}
