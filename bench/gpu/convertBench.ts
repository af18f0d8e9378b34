// GPU-host benchmark (issue 6): images/s of the converted siglip_vision graphs, each flavor in its own
// onnxruntime-node session on the same card, at batch 1 / 8 / 32 / 64. FP32 pixels go in from host memory, as
// the backend feeds them, so the host-to-device copy is part of every number.
// Usage: node --import tsx bench/gpu/convertBench.ts --repos portable=/tmp/repo-portable,cuda=/tmp/repo-cuda [--ep cuda|cpu]
//          [--batches 1,8,32,64] [--seconds 6] [--warmup 3]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { renderTable, type BenchRow } from '../table';

const { values } = parseArgs({
  options: {
    repos: { type: 'string' },
    ep: { type: 'string', default: 'cuda' },
    batches: { type: 'string', default: '1,8,32,64' },
    seconds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '3' },
    model: { type: 'string', default: 'siglip_vision' },
    json: { type: 'string' },
  },
});
if (!values.repos) throw new Error('--repos LABEL=DIR[,LABEL=DIR...] is required (model repositories holding siglip_vision)');
const flavors = values.repos.split(',').map((pair) => {
  const [label, dir] = pair.split('=');
  if (!label || !dir) throw new Error(`--repos: expected LABEL=DIR, got "${pair}"`);
  return { label, dir };
});
const batches = values.batches.split(',').map(Number);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const ep = values.ep;
const card = process.env.GPU_NAME ?? ep;

/** Runs one batch size until `seconds` have passed (at least 3 runs); returns images/s and ms per batch. */
async function measure(session: ort.InferenceSession, input: string, dims: number[], batch: number): Promise<{ ips: number; ms: number; runs: number }> {
  const per = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(batch * per);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 0.5;
  const feeds = { [input]: new ort.Tensor('float32', data, [batch, ...dims]) };
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  let runs = 0;
  const start = performance.now();
  while (runs < 3 || performance.now() - start < seconds * 1000) {
    await session.run(feeds);
    runs++;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { ips: (batch * runs) / elapsed, ms: (elapsed * 1000) / runs, runs };
}

const rows: BenchRow[] = [];
const results = new Map<string, number>();
for (const f of flavors) {
  try {
    const config = JSON.parse(await readFile(join(f.dir, values.model, 'config.json'), 'utf8'));
    const dims: number[] = config.input[0].dims;
    const inputName: string = config.parameters?.onnx_input_names?.[config.input[0].name] ?? 'pixel_values';
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(join(f.dir, values.model, '1', 'model.onnx'), {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
    });
    const loadS = (performance.now() - t0) / 1000;
    const how = config.parameters?.conversion ? `${config.parameters.conversion.flavor} ${config.parameters.conversion.dtype}${config.parameters.conversion.attention ? ` ${config.parameters.conversion.attention}` : ''}` : '';
    console.error(`${f.label} (${how}): session ready in ${loadS.toFixed(1)} s`);
    for (const b of batches) {
      const r = await measure(session, inputName, dims, b);
      results.set(`${f.label}@${b}`, r.ips);
      const base = flavors[0].label !== f.label ? results.get(`${flavors[0].label}@${b}`) : undefined;
      rows.push({
        section: `convert bench (${card}, ${ep} EP)`,
        measure: `${f.label}${how ? ` (${how})` : ''}, batch ${b}`,
        result: `${r.ips.toFixed(1)} images/s (${r.ms.toFixed(1)} ms/batch, ${r.runs} runs)`,
        ratio: base ? `${(r.ips / base).toFixed(2)}× ${flavors[0].label}` : undefined,
        target: b >= 32 && ep === 'cuda' ? `≥ 480 (H200): ${r.ips >= 480 ? 'met' : 'not met'}` : undefined,
      });
      console.error(`  batch ${b}: ${r.ips.toFixed(1)} images/s`);
    }
    await session.release();
  } catch (err) {
    // One graph failing (e.g. a kernel the provider lacks) must not cost the other flavors' numbers.
    const msg = (err as Error).message.split('\n')[0];
    console.error(`${f.label}: failed: ${msg}`);
    rows.push({ section: `convert bench (${card}, ${ep} EP)`, measure: f.label, result: `failed: ${msg.slice(0, 200)}` });
  }
}
console.log(renderTable(rows));
// label@batch → images/s, for scripts that pick the fastest graph.
if (values.json) await writeFile(values.json, JSON.stringify(Object.fromEntries(results), null, 2));
