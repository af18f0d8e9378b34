/** One row of the `npm run bench` table. Ratios are measured in the same run, so they hold on noisy machines. */
export interface BenchRow {
  section: string;
  measure: string;
  /** Human-readable measured value, e.g. "12.3 ms (median of 20)". */
  result: string;
  /** e.g. "4.1× faster than JSON.parse + Float32Array". */
  ratio?: string;
  /** The target, e.g. "≥ 3×", and whether it was met. */
  target?: string;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Percentile (0..100) by nearest rank. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

/** Renders rows as a Markdown table. */
export function renderTable(rows: BenchRow[]): string {
  const head = ['section', 'measure', 'result', 'ratio', 'target'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.section} | ${r.measure} | ${r.result} | ${r.ratio ?? ''} | ${r.target ?? ''} |`);
  return lines.join('\n');
}
