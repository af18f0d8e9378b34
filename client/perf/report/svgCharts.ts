// Small inline-SVG charts for the HTML report: no scripts, no fonts, no network. Each chart is an <svg> with
// labelled axes; hovering a point or bar segment shows its value (SVG <title>).

/** One line of a line chart. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Text drawn beside each point (e.g. its concurrency), in the order of `points`. */
  labels?: string[];
}

/** A line chart's content. */
export interface LineChart {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** 'zero' (default) starts the x axis at 0; 'data' fits it to the points (for throughput, which starts high). */
  xDomain?: 'zero' | 'data';
  /** 'x' (default) joins points in x order; 'given' in the order given (the load order, when x is not monotonic). */
  join?: 'x' | 'given';
}

/** One stacked segment kind of a bar chart, with a value per bar. */
export interface Segment {
  name: string;
  color: string;
  values: number[];
}

/** A stacked bar chart's content: one bar per category. */
export interface StackedBarChart {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  segments: Segment[];
}

const W = 640;
const H = 360;
const M = { top: 36, right: 20, bottom: 56, left: 76 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Escapes text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "Nice" tick values covering [min, max] (1, 2 or 5 times a power of ten apart), from 0 unless min is given. */
function niceTicks(max: number, count = 5, min = 0): number[] {
  if (!(max > min)) return max > 0 ? [0, max * 1.2] : [0, 1];
  const raw = (max - min) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= max + step * 1e-9; i++) ticks.push(Number((first + i * step).toPrecision(12)));
  if (ticks.at(-1)! < max) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

/** A compact number for a tick label: 1200 -> 1.2k. */
function tickText(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

function frame(id: string, title: string, xLabel: string, yLabel: string, yTicks: number[], yMax: number, body: string, xAxis: string): string {
  const y = (v: number) => M.top + PH - (v / yMax) * PH;

  const grid = yTicks
    .map((t) => `<line class="grid" x1="${M.left}" x2="${M.left + PW}" y1="${y(t)}" y2="${y(t)}"/><text class="tick" x="${M.left - 8}" y="${y(t) + 4}" text-anchor="end">${tickText(t)}</text>`)
    .join('');
  return (
    `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<text class="title" x="${W / 2}" y="20" text-anchor="middle">${esc(title)}</text>` +
    grid +
    `<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}"/>` +
    `<line class="axis" x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}"/>` +
    xAxis +
    `<text class="axis-label x-label" x="${M.left + PW / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text class="axis-label y-label" transform="translate(16 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>` +
    body +
    `</svg>`
  );
}

function legend(items: { name: string; color: string }[]): string {
  return `<div class="legend">${items.map((i) => `<span><i style="background:${i.color}"></i>${esc(i.name)}</span>`).join('')}</div>`;
}

/** A line chart with markers; both axes start at 0. */
export function lineChart(c: LineChart): string {
  const all = c.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const xTicks = c.xDomain === 'data' ? niceTicks(Math.max(...xs), 5, Math.min(...xs)) : niceTicks(Math.max(...xs, 0));
  const yTicks = niceTicks(Math.max(...all.map((p) => p[1]), 0));
  const xMin = xTicks[0];
  const xMax = xTicks.at(-1)!;
  const yMax = yTicks.at(-1)!;
  const x = (v: number) => M.left + ((v - xMin) / (xMax - xMin)) * PW;
  const y = (v: number) => M.top + PH - (v / yMax) * PH;
  const xAxis = xTicks.map((t) => `<text class="tick" x="${x(t)}" y="${M.top + PH + 18}" text-anchor="middle">${tickText(t)}</text>`).join('');
  const body = c.series
    .map((s) => {
      const order = s.points.map((_, i) => i);
      if (c.join !== 'given') order.sort((a, b) => s.points[a][0] - s.points[b][0]);
      const pts = order.map((i) => s.points[i]);
      const path = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
      const labels = s.labels
        ? order.map((i) => `<text class="point-label" x="${(x(s.points[i][0]) + 6).toFixed(1)}" y="${(y(s.points[i][1]) + 14).toFixed(1)}">${esc(s.labels![i])}</text>`).join('')
        : '';
      const marks = pts
        .map((p) => `<circle class="point" cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="4" fill="${s.color}"><title>${esc(s.name)}: ${tickText(p[1])} at ${tickText(p[0])}</title></circle>`)
        .join('');
      return `<g class="series" data-series="${esc(s.name)}"><path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>${marks}${labels}</g>`;
    })
    .join('');
  return `<figure>${frame(c.id, c.title, c.xLabel, c.yLabel, yTicks, yMax, body, xAxis)}${legend(c.series)}</figure>`;
}

/** Stacked bars, one per category, segments bottom-up in the given order. */
export function stackedBarChart(c: StackedBarChart): string {
  const totals = c.categories.map((_, i) => c.segments.reduce((sum, s) => sum + s.values[i], 0));
  const yTicks = niceTicks(Math.max(...totals, 0));
  const yMax = yTicks.at(-1)!;
  const slot = PW / Math.max(1, c.categories.length);
  const bw = Math.min(64, slot * 0.6);
  const xAxis = c.categories.map((cat, i) => `<text class="tick" x="${(M.left + slot * (i + 0.5)).toFixed(1)}" y="${M.top + PH + 18}" text-anchor="middle">${esc(cat)}</text>`).join('');
  const bars = c.categories
    .map((cat, i) => {
      let base = 0;
      const x0 = M.left + slot * (i + 0.5) - bw / 2;
      const rects = c.segments
        .map((s) => {
          const v = s.values[i];
          const h = (v / yMax) * PH;
          const top = M.top + PH - ((base + v) / yMax) * PH;
          base += v;
          return `<rect class="segment" data-segment="${esc(s.name)}" x="${x0.toFixed(1)}" y="${top.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${s.color}"><title>${esc(cat)} — ${esc(s.name)}: ${tickText(v)}</title></rect>`;
        })
        .join('');
      return `<g class="bar" data-category="${esc(cat)}">${rects}</g>`;
    })
    .join('');
  return `<figure>${frame(c.id, c.title, c.xLabel, c.yLabel, yTicks, yMax, bars, xAxis)}${legend(c.segments)}</figure>`;
}
