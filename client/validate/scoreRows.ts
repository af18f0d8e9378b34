import type { SynsetClass } from './dataset/synsetMapping';
import type { ResultRow } from './results';
import { cosineKNeighbours } from './scoring/cosineKNeighbours';
import { cosineLabelRanks } from './scoring/cosineLabelRanks';
import { knnLabelRanks, type LabelRanks } from './scoring/knnLabelRanks';
import { normalizeRows } from './scoring/normalizeRows';
import { SimilarityEngine, type Matrix } from './scoring/similarityEngine';
import { topKAccuracy } from './scoring/topKAccuracy';
import { ValidateError } from './validateError';
import { ensembleClassEmbeddings } from './zeroShot/ensembleClassEmbeddings';
import type { TemplateSet } from './zeroShot/templateSets';
import { fillTemplate } from './zeroShot/templates';

/** Embeddings with their labels (indices into the classes). */
export interface LabeledEmbeddings {
  matrix: Matrix;
  labels: Int32Array;
}

/** What {@link scoreRows} scores. */
export interface ScoringInput {
  classes: readonly SynsetClass[];
  train: LabeledEmbeddings;
  valid: LabeledEmbeddings;
  sets: readonly TemplateSet[];
  /** The embedding of a filled prompt (every prompt of every set must have one). */
  textEmbedding: (prompt: string) => Float32Array;
  /** The text embeddings' width; null when there are no prompts. */
  textDim: number | null;
  /** k of the classifier. */
  neighbours: number;
  chunkRows?: number;
}

/** The rows and, for each computed row, every valid image's rank of its true label. */
export interface ScoredRows {
  rows: ResultRow[];
  ranks: Map<string, LabelRanks>;
}

/**
 * Scores the table: the few-shot kNN over the train embeddings, then for each template set the old method (kNN
 * over the class embeddings) and argmax cosine. A row that cannot be computed keeps null figures and a note.
 */
export async function scoreRows(input: ScoringInput): Promise<ScoredRows> {
  const { classes, neighbours: k } = input;
  const nClasses = classes.length;
  const imageDim = input.valid.matrix.dim;
  const rows: ResultRow[] = [];
  const ranks = new Map<string, LabelRanks>();
  const setFigures = (row: ResultRow, r: LabelRanks) => {
    row.top1 = topKAccuracy(r, 1);
    row.top5 = topKAccuracy(r, 5);
    ranks.set(row.id, r);
  };

  const engine = await SimilarityEngine.create({ chunkRows: input.chunkRows });
  try {
    const valid = unit(input.valid.matrix);
    const perClass = new Array<number>(nClasses).fill(0);
    input.train.labels.forEach((l) => perClass[l]++);
    const fewshot: ResultRow = { id: 'fewshot_knn', kind: `${Math.max(0, ...perClass)}-shot kNN`, method: 'knn', template: '', templates: [], top1: null, top5: null };
    if (input.train.matrix.rows >= k) {
      const n = await cosineKNeighbours(engine, valid, unit(input.train.matrix), k);
      setFigures(fewshot, knnLabelRanks(n, input.train.labels, input.valid.labels, nClasses));
    } else {
      fewshot.note = `the few-shot row needs at least k = ${k} train images, got ${input.train.matrix.rows}`;
    }
    rows.push(fewshot);

    const mismatch =
      input.textDim !== null && input.textDim !== imageDim
        ? `zero-shot needs image and text embeddings of one width: the server's are ${imageDim}-d and ${input.textDim}-d (serve a model pair whose towers share a width)`
        : undefined;
    const classIndex = Int32Array.from({ length: nClasses }, (_, i) => i);
    for (const set of input.sets) {
      const knn: ResultRow = { id: `${set.id}_knn`, kind: 'zero-shot', method: 'knn', template: set.template, templates: set.templates, top1: null, top5: null };
      const cosine: ResultRow = { ...knn, id: `${set.id}_cosine`, method: 'cosine', kind: set.templates.length > 1 ? 'zero-shot ensemble' : 'zero-shot' };
      rows.push(knn, cosine);
      if (mismatch) {
        knn.note = cosine.note = mismatch;
        continue;
      }
      const perTemplate = set.templates.map((t) => stackRows(classes.map((c) => input.textEmbedding(fillTemplate(t, c))), input.textDim!));
      const classEmbeddings = perTemplate.length === 1 ? unit(perTemplate[0]) : ensembleClassEmbeddings(perTemplate);
      if (nClasses >= k) {
        setFigures(knn, knnLabelRanks(await cosineKNeighbours(engine, valid, classEmbeddings, k), classIndex, input.valid.labels, nClasses));
      } else {
        knn.note = `kNN over class embeddings needs at least k = ${k} classes, got ${nClasses}`;
      }
      setFigures(cosine, await cosineLabelRanks(engine, valid, classEmbeddings, input.valid.labels));
    }
  } finally {
    await engine.close();
  }
  return { rows, ranks };
}

/** Rows of one width stacked into a matrix. */
export function stackRows(rows: readonly Float32Array[], dim: number, what = 'text'): Matrix {
  const data = new Float32Array(rows.length * dim);
  rows.forEach((e, i) => {
    if (e.length !== dim) throw new ValidateError(`the server returned ${what} embeddings of ${dim} and ${e.length} values`);
    data.set(e, i * dim);
  });
  return { data, rows: rows.length, dim };
}

function unit(m: Matrix): Matrix {
  return { ...m, data: normalizeRows(m.data, m.dim) };
}
