import type { ResultRow, ValidateResult } from '../results';

/** A figure as the old table prints it (4 decimals), or n/a. */
function formatFigure(x: number | null): string {
  return x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(4);
}

/**
 * The old deployment's accuracy table (seed-data README): `| | top-1 | top-5 | prompt template |` with the few-shot
 * row, a zero-shot row per template (kNN over the class embeddings, the old method) and the ensemble rows.
 */
export function renderResultsTable(rows: readonly ResultRow[]): string {
  const lines = ['| | top-1 | top-5 | prompt template |', '|---|---|---|---|'];
  for (const r of rows) {
    if (r.kind === 'zero-shot' && r.method !== 'knn') continue;
    const template = r.template ? (r.templates.length === 1 ? `\`${r.template}\`` : r.template) : '';
    lines.push(`| ${r.kind} | ${formatFigure(r.top1)} | ${formatFigure(r.top5)} | ${template}${template ? ' ' : ''}|`);
  }
  return lines.join('\n');
}

/** Zero-shot by both methods side by side: kNN over the class embeddings (old) and argmax cosine (big_vision). */
export function renderMethodComparison(rows: readonly ResultRow[]): string {
  const lines = ['| prompt template | kNN top-1 | kNN top-5 | cosine top-1 | cosine top-5 |', '|---|---|---|---|---|'];
  const sets = new Map<string, { template: string; single: boolean; knn?: ResultRow; cosine?: ResultRow }>();
  for (const r of rows) {
    if (!r.templates.length) continue;
    const set = r.id.slice(0, r.id.lastIndexOf('_'));
    const entry = sets.get(set) ?? { template: r.template, single: r.templates.length === 1 };
    entry[r.method] = r;
    sets.set(set, entry);
  }
  for (const s of sets.values()) {
    const t = s.single ? `\`${s.template}\`` : s.template;
    lines.push(`| ${t} | ${formatFigure(s.knn?.top1 ?? null)} | ${formatFigure(s.knn?.top5 ?? null)} | ${formatFigure(s.cosine?.top1 ?? null)} | ${formatFigure(s.cosine?.top5 ?? null)} |`);
  }
  return lines.join('\n');
}

/** results.md: both tables, the notes, and the run's settings and counts. */
export function renderResultsMarkdown(result: ValidateResult): string {
  const { settings: s, counts: c } = result;
  const subset = [
    s.classes === null ? 'all classes' : `${s.classes} classes`,
    s.trainPerClass === null ? 'all train images' : `${s.trainPerClass} train per class`,
    s.validPerClass === null ? 'all valid images' : `${s.validPerClass} valid per class`,
    `seed ${s.seed}`,
  ].join(', ');
  const parts = [
    renderResultsTable(result.rows),
    '',
    renderMethodComparison(result.rows),
    '',
    ...result.notes.map((n) => `- ${n}`),
    ...(result.notes.length ? [''] : []),
    `Data: ${s.data} (${subset}): ${c.classes} classes, ${c.trainImages} train and ${c.validImages} valid images scored, ${c.rejectedImages} refused by the server.`,
    `Server: ${result.server.url}; image embeddings ${c.imageDim}-d, text embeddings ${c.textDim ?? 'n/a'}-d; k = ${s.neighbours}.`,
  ];
  return `${parts.join('\n')}\n`;
}
