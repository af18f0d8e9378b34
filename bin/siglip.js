#!/usr/bin/env node
// Entry point of the `siglip` CLI: the build of cli/main.ts in dist/ (`npm run build`, which `npm install` runs as
// `prepare`), on plain Node.
// --debug prints stack traces: in terms of the TypeScript sources (dist/ carries source maps).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.url).endsWith('/dist/cli/main.js')) {
    process.stderr.write("siglip: dist/ is not built; run 'npm run build' (npm install runs it)\n");
    process.exit(1);
  }
  throw err;
}
await cli.main(process.argv);
