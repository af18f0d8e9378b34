// `--report out.html`: one self-contained page (inline CSS and SVG; no scripts, fonts or requests) with
// throughput against the load, latency percentiles against throughput, and where the latency went at each
// point as stacked bars in perf_analyzer's CSV breakdown.
import type { PerfStatus } from '../measure/perfStatus';
import { cppDouble } from './cppFormat';
import type { RunInfo } from './jsonReport';
import { latencyBreakdown, type LatencyBreakdown } from './latencyBreakdown';
import { esc, lineChart, stackedBarChart } from './svgCharts';

// Colour-blind-safe palette (Okabe–Ito).
const COLORS = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

const BREAKDOWN: { key: keyof LatencyBreakdown; name: string }[] = [
  { key: 'clientSendUs', name: 'Client Send' },
  { key: 'networkServerSendRecvUs', name: 'Network+Server Send/Recv' },
  { key: 'serverQueueUs', name: 'Server Queue' },
  { key: 'serverComputeInputUs', name: 'Server Compute Input' },
  { key: 'serverComputeInferUs', name: 'Server Compute Infer' },
  { key: 'serverComputeOutputUs', name: 'Server Compute Output' },
  { key: 'clientRecvUs', name: 'Client Recv' },
];

/** The report page for a run's stable points. */
export function htmlReport(run: RunInfo, statuses: readonly PerfStatus[]): string {
  const rate = run.mode === 'request_rate';
  const loadOf = (s: PerfStatus) => (rate ? s.requestRate : s.concurrency);
  const loadName = rate ? 'Request rate (req/s)' : 'Concurrency';
  const points = [...statuses].sort((a, b) => loadOf(a) - loadOf(b));
  const ms = (ns: number) => ns / 1e6;
  const percentiles = points.length ? [...points[0].client.percentileLatencyNs.keys()] : [];
  const hasServer = points.some((p) => p.server);

  const throughput = lineChart({
    id: 'throughput-chart',
    title: `Throughput vs ${rate ? 'request rate' : 'concurrency'}`,
    xLabel: loadName,
    yLabel: 'Throughput (infer/s)',
    series: [{ name: 'throughput', color: COLORS[0], points: points.map((p) => [loadOf(p), p.client.inferPerSec]) }],
  });
  const latency = lineChart({
    id: 'latency-chart',
    title: 'Latency percentiles vs throughput',
    xLabel: 'Throughput (infer/s)',
    yLabel: 'Latency (ms)',
    xDomain: 'data',
    join: 'given',
    series: [
      {
        name: 'avg',
        color: COLORS[7],
        points: points.map((p) => [p.client.inferPerSec, ms(p.client.avgLatencyNs)] as [number, number]),
        labels: points.map((p) => (rate ? `${cppDouble(p.requestRate)}/s` : `c=${p.concurrency}`)),
      },
      ...percentiles.map((pc, i) => ({
        name: `p${pc}`,
        color: COLORS[(i + 1) % COLORS.length],
        points: points.map((p) => [p.client.inferPerSec, ms(p.client.percentileLatencyNs.get(pc)!)] as [number, number]),
      })),
    ],
  });
  const breakdowns = points.map((p) => latencyBreakdown(p).breakdown);
  const segments = BREAKDOWN.filter((b) => hasServer || !b.key.startsWith('server')).map((b, i) => ({
    name: hasServer || b.key !== 'networkServerSendRecvUs' ? b.name : 'Response wait',
    color: COLORS[i % COLORS.length],
    values: breakdowns.map((d) => d[b.key] / 1000),
  }));
  const bars = stackedBarChart({
    id: 'breakdown-chart',
    title: hasServer ? 'Where the latency goes (server statistics)' : 'Where the latency goes (no server statistics)',
    xLabel: loadName,
    yLabel: 'Average latency (ms)',
    categories: points.map((p) => cppDouble(loadOf(p))),
    segments,
  });

  const head = [loadName, 'Throughput (infer/s)', 'avg (ms)', ...percentiles.map((p) => `p${p} (ms)`), ...(hasServer ? ['queue (ms)', 'compute (ms)', 'inferences / execution'] : [])];
  const rows = points.map((p) => {
    const c = p.client;
    const st = p.server;
    const b = latencyBreakdown(p).breakdown;
    const f = (v: number) => v.toFixed(2);
    return [
      cppDouble(loadOf(p)),
      cppDouble(c.inferPerSec),
      f(ms(c.avgLatencyNs)),
      ...[...c.percentileLatencyNs.values()].map((v) => f(ms(v))),
      ...(st
        ? [f(b.serverQueueUs / 1000), f((b.serverComputeInputUs + b.serverComputeInferUs + b.serverComputeOutputUs) / 1000), st.executionCount ? (st.inferenceCount / st.executionCount).toFixed(2) : '–']
        : []),
    ];
  });
  const table =
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v) => `<td>${esc(String(v))}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`;

  const meta: [string, string][] = [
    ['Model', run.model],
    ['Server', run.url],
    ['Load', rate ? 'request rate (open loop)' : 'concurrency (closed loop)'],
    ['Batch size', String(run.batchSize)],
    ['Tensors', `inputs ${run.inputTensorFormat}, outputs ${run.outputTensorFormat}`],
    ['Input data', run.inputData],
    ['Started', run.startedAt],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>siglip perf: ${esc(run.model)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1340px;color:#222;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0 16px}
dt{color:#666}dd{margin:0}.charts{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:6px;max-width:652px}
.chart text{font-size:12px;fill:#333}.chart .title{font-size:14px;font-weight:600}.chart .axis-label{font-size:12px;fill:#444}
.chart .grid{stroke:#eee}.chart .point-label{font-size:11px;fill:#555}.chart .axis{stroke:#888}.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;padding:2px 8px 4px 76px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px;vertical-align:-1px}
table{border-collapse:collapse;margin-top:16px;font-variant-numeric:tabular-nums}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f6f6f6}
footer{margin-top:16px;color:#777;font-size:12px}
</style></head><body>
<h1>siglip perf — ${esc(run.model)}</h1>
<dl>${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<div class="charts">${throughput}${latency}${bars}</div>
${table}
<footer>perf_analyzer's method: each point is its last 3 stable measurement windows merged. Breakdown as in perf_analyzer's CSV; the server parts come from /v2/models/${esc(run.model)}/stats deltas over the same windows. ${points.length} point${points.length === 1 ? '' : 's'}; latencies in ms (usec in the CSV).</footer>
</body></html>
`;
}

