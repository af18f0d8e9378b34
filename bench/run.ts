// `npm run bench`: every benchmark in one run, so the ratios compare numbers measured side by side.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderTable, type BenchRow } from './table';
import { benchJsonDecode } from './jsonDecode';
import { benchEndToEnd } from './e2e';
import { benchEmbedImage } from './embedImage';
import { benchGateway } from './gateway';
import { benchGrpc } from './grpc';
import { benchOverload } from './overload';
import { benchPerfClient } from './perfClient';
import { benchValidateScoring } from './validateScoring';
import { benchReliability } from './reliability';
import { benchWorkers } from './workers';
import { benchCpuPerRequest } from './cpuPerRequest';
import { benchWorkersCpu } from './workersCpu';
import { benchWorkersRelayOptions } from './workersRelayOptions';

const suites: Record<string, () => Promise<BenchRow[]>> = {
  decode: benchJsonDecode,
  e2e: benchEndToEnd,
  embedImage: benchEmbedImage,
  gateway: benchGateway,
  grpc: benchGrpc,
  overload: benchOverload,
  perf: benchPerfClient,
  validate: benchValidateScoring,
  workers: benchWorkers,
  cpu: benchCpuPerRequest,
  workersCpu: benchWorkersCpu,
  // The floor under the Worker's relay: the ways a body can be passed on (opt-in).
  workersRelay: benchWorkersRelayOptions,
  reliability: benchReliability,
  // In a process of its own: transformers.js brings its own onnxruntime-node, whose native library cannot be
  // loaded beside ours in one process.
  transformersjs: () => rowsFromChild('transformersJs.ts'),
  // Imported when run: its libraries are devDependencies no other suite needs (docs/library-choices.md).
  libraries: async () => (await import('./libraryChoices')).benchLibraryChoices(),
};

// Only when named: `npm run bench -- reliability` (a 10-minute soak), and the reference suites.
const OPT_IN = new Set(['reliability', 'libraries', 'workersRelay']);

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
let failed = false;
for (const [name, run] of Object.entries(suites)) {
  if (only.length ? !only.includes(name) : OPT_IN.has(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  try {
    rows.push(...(await run()));
  } catch (err) {
    // One broken suite does not lose the others' rows.
    failed = true;
    process.stderr.write(`bench: ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    rows.push({ section: name, measure: 'suite failed', result: (err instanceof Error ? err.message : String(err)).split('\n')[0] });
  }
}
console.log(renderTable(rows));
if (failed) process.exitCode = 1;

/** Runs a bench file in a child process (same TypeScript loader) and reads its rows (`--rows-json`). */
async function rowsFromChild(file: string): Promise<BenchRow[]> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, script, '--rows-json'], { maxBuffer: 16 * 1024 * 1024 });
  const last = stdout.trim().split('\n').pop() ?? '[]';
  return JSON.parse(last) as BenchRow[];
}
