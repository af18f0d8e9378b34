// `npm run bench`: every benchmark in one run, so the ratios compare numbers measured side by side.
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
  reliability: benchReliability,
  transformersjs: async () => (await import('./transformersJs')).benchTransformersJs(),
  // Imported when run: its libraries are devDependencies no other suite needs (docs/library-choices.md).
  libraries: async () => (await import('./libraryChoices')).benchLibraryChoices(),
};

// Long runs only when named: `npm run bench -- reliability` (a 10-minute soak).
const OPT_IN = new Set(['reliability', 'libraries']);

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (only.length ? !only.includes(name) : OPT_IN.has(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  rows.push(...(await run()));
}
console.log(renderTable(rows));
