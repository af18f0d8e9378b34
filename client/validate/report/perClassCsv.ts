import type { PerClassRow, ResultRow } from '../results';

/** per_class_accuracy.csv: one line per class, `<row id>_top1`/`_top5` columns for each row (empty where n/a). */
export function renderPerClassCsv(perClass: readonly PerClassRow[], rows: readonly ResultRow[]): string {
  const head = ['synset', 'description', 'train_images', 'valid_images', ...rows.flatMap((r) => [`${r.id}_top1`, `${r.id}_top5`])];
  const lines = [head.join(',')];
  for (const c of perClass) {
    const figures = rows.flatMap((r) => {
      const a = c.accuracy[r.id];
      return [cell(a?.top1 ?? null), cell(a?.top5 ?? null)];
    });
    lines.push([c.synset, csvText(c.description), String(c.trainImages), String(c.validImages), ...figures].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function cell(x: number | null): string {
  return x === null || Number.isNaN(x) ? '' : String(x);
}

// RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes.
function csvText(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
