#!/usr/bin/env node
/**
 * Builds dist/cli/: the `siglip` CLI and the worker-thread entries it starts, as ES modules for plain Node (no
 * tsx at run time). `npm run build`; `npm install` runs it as `prepare`, and the test suite before it starts.
 *
 * esbuild bundles our sources (the same transform tsx applied to them, so they behave as they did), which also
 * resolves their extensionless imports; every package stays external and is loaded from node_modules as in
 * development (onnxruntime-node and sharp are native, pino starts its transports by name).
 */
import { copyFile, rm } from 'node:fs/promises';
import { build } from 'esbuild';

// Everything lands in one folder two levels below the root, as the sources are, so the URLs they build from
// import.meta.url still hold: './workerThread.js', './ortTasks.js', './tasks.js', './senderThread.js' beside
// the module that starts the thread, and '../../model_repository' (the bundled demo models).
const OUT = 'dist/cli';

await rm(OUT, { recursive: true, force: true });
await build({
  entryPoints: {
    main: 'cli/main.ts',
    workerThread: 'gpu-backend/workers/workerThread.ts',
    tasks: 'gpu-backend/workers/tasks.ts',
    ortTasks: 'gpu-backend/runtime/ortTasks.ts',
    senderThread: 'client/perf/senders/senderThread.ts',
    httpThread: 'gpu-backend/http/threads/httpThread.ts',
    gatewayThread: 'gateway/threads/gatewayThread.ts',
  },
  outdir: OUT,
  bundle: true,
  // A thread loads workerThread.js and then its tasks module: shared chunks give both one copy of each module.
  splitting: true,
  chunkNames: '[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  tsconfig: 'tsconfig.json',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Started by path (plain JavaScript, no imports of ours): the helper that copies the API port's socket.
await copyFile('shared/http/listenerDupChild.mjs', `${OUT}/listenerDupChild.mjs`);
// Read by path at run time (`siglip model synth --like so400m`), from beside the module that names it.
await copyFile('model-tools/convert/configs/siglip-so400m-patch14-384.json', `${OUT}/siglip-so400m-patch14-384.json`);
