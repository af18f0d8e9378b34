// GPU-host benchmark (issue 3): the backend serving a model on CUDA at concurrency 60, binary and JSON, next to
// the same ONNX session's in-process throughput at the same batch sizes on the same card.
// Usage: npx tsx bench/gpuServe.ts --repo DIR [--seconds 15] [--providers cuda]
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelRepository } from '../gpu-backend/config/modelRepository';
import { runtimeParameters } from '../gpu-backend/runtime/createRunners';
import { createOrtRunner } from '../gpu-backend/runtime/ortRunner';
import { buildPixelRequest } from './jsonDecode';
import { binaryPixelRequest } from './e2e';
import { describeLoad, runLoad } from './loadgen';
import { startCli } from './processes';
import { measureIdle } from './busyFraction';
import { renderTable, type BenchRow } from './table';

const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    seconds: { type: 'string', default: '15' },
    providers: { type: 'string', default: 'cuda' },
    batches: { type: 'string', default: '32,64' },
    concurrency: { type: 'string', default: '60' },
    instances: { type: 'string', default: '' },
    'skip-in-process': { type: 'boolean', default: false },
  },
});
if (!values.repo) throw new Error('--repo DIR is required');
const seconds = Number(values.seconds);
const providers = values.providers.split(',');
const concurrency = Number(values.concurrency);
const rows: BenchRow[] = [];
const section = `GPU serve (${process.env.GPU_NAME ?? providers.join('+')})`;

const entry = (await loadModelRepository(values.repo)).find((e) => e.name === 'siglip_vision');
if (!entry) throw new Error(`${values.repo} has no siglip_vision`);
const params = runtimeParameters(entry, { providers, strict: true });
const [, h, w] = entry.config.input[0].dims;
const image = 3 * h * w;

// 1. In-process: the same ONNX session, no HTTP, input already in a tensor.
const runner = await createOrtRunner({
  modelPath: join(entry.versionDir, 'model.onnx'),
  providers,
  strictProvider: true,
  inputNames: params.inputNames,
  outputNames: params.outputNames,
});
const inProcess: Record<number, number> = {};
for (const b of values['skip-in-process'] ? [] : values.batches.split(',').map(Number)) {
  const data = new Float32Array(b * image).map(() => Math.random() * 2 - 1);
  const inputs = { PIXEL_VALUES: { data, datatype: 'FP32' as const, dims: [b, 3, h, w] } };
  for (let i = 0; i < 3; i++) await runner.run(inputs, ['EMBEDDING']);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < Math.min(seconds, 10) * 1000) {
    await runner.run(inputs, ['EMBEDDING']);
    n += b;
  }
  inProcess[b] = n / ((performance.now() - t0) / 1000);
  rows.push({ section, measure: `in-process ORT session, batch ${b}`, result: `${inProcess[b].toFixed(1)} images/s` });
}
await runner.release();

/** A copy of the repository whose siglip_vision runs `count` instances (the ONNX file is linked, not copied). */
async function withInstances(count: number): Promise<string> {
  const dir = `/tmp/siglip-instances-${count}`;
  await mkdir(join(dir, 'siglip_vision', '1'), { recursive: true });
  const config = JSON.parse(await readFile(join(entry!.dir, 'config.json'), 'utf8'));
  config.instance_group = [{ count, kind: 'KIND_GPU' }];
  await writeFile(join(dir, 'siglip_vision', 'config.json'), JSON.stringify(config));
  await symlink(resolve(entry!.versionDir, 'model.onnx'), join(dir, 'siglip_vision', '1', 'model.onnx')).catch(() => undefined);
  return dir;
}

// 2. The backend, as a separate process, under concurrency-60 load of single-image requests.
const best = Object.keys(inProcess).length ? Math.max(...Object.values(inProcess)) : NaN;
const variants = values.instances ? values.instances.split(',').map(Number) : [0];
for (const count of variants) {
const repo = count ? await withInstances(count) : values.repo;
const label = count ? `, ${count} instance${count > 1 ? 's' : ''}` : '';
const server = await startCli(
  ['backend', '--port', '0', '--model-repository', repo, '--providers', providers.join(','), '--strict', '--log-level', 'info'],
  'backend ready',
);
try {
  const url = `${server.url}/v2/models/siglip_vision/infer`;
  const pixels = new Float32Array(image).map(() => Math.random() * 2 - 1);
  const stats = async () => (await (await fetch(`${server.url}/v2/models/siglip_vision/stats`)).json()).model_stats[0];
  for (const kind of ['binary', 'json'] as const) {
    const req =
      kind === 'binary'
        ? binaryPixelRequest(pixels)
        : { body: buildPixelRequest(3), headers: { 'content-type': 'application/json' } };
    const before = await stats();
    const { result: r, idle } = await measureIdle(server.url, () =>
      runLoad({ url, body: req.body, headers: req.headers }, { concurrency, seconds, maxRequests: 200_000 }),
    );
    const after = await stats();
    const meanBatch = (after.inference_count - before.inference_count) / Math.max(1, after.execution_count - before.execution_count);
    const idleNote = `mean batch ${meanBatch.toFixed(1)}, no batch in an instance ${(idle * 100).toFixed(1)}% of the run`;
    rows.push({
      section,
      measure: `backend${label}, ${kind}, c=${concurrency}`,
      result: `${describeLoad(r, 'images/s')}; ${idleNote}`,
      ratio: `${((100 * r.rps) / best).toFixed(0)}% of best in-process`,
      target: kind === 'binary' ? `≥ 90% ${r.rps >= 0.9 * best ? '✔' : '✘'}` : '',
    });
  }
} finally {
  await server.stop();
}
}
console.log(renderTable(rows));
