import type { SynsetClass } from '../dataset/synsetMapping';
import type { PerClassRow, ResultRow } from '../results';
import type { LabelRanks } from '../scoring/knnLabelRanks';
import { topKAccuracyPerLabel } from '../scoring/topKAccuracy';

/** Per-class image counts and each computed row's per-class top-1/top-5 (null for rows not computed, or no images). */
export function perClassRows(
  classes: readonly SynsetClass[],
  trainLabels: Int32Array,
  validLabels: Int32Array,
  rows: readonly ResultRow[],
  ranks: ReadonlyMap<string, LabelRanks>,
): PerClassRow[] {
  const n = classes.length;
  const count = (labels: Int32Array) => labels.reduce((acc, l) => (acc[l]++, acc), new Array<number>(n).fill(0));
  const trainCounts = count(trainLabels);
  const validCounts = count(validLabels);
  const byRow = new Map<string, [Float64Array, Float64Array]>();
  for (const [id, r] of ranks) byRow.set(id, [topKAccuracyPerLabel(r, validLabels, n, 1), topKAccuracyPerLabel(r, validLabels, n, 5)]);
  const orNull = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : x);
  return classes.map((c, i) => ({
    synset: c.synset,
    description: c.description,
    trainImages: trainCounts[i],
    validImages: validCounts[i],
    accuracy: Object.fromEntries(rows.map((r) => [r.id, { top1: orNull(byRow.get(r.id)?.[0][i]), top5: orNull(byRow.get(r.id)?.[1][i]) }])),
  }));
}
