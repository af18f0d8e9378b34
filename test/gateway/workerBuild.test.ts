// The Worker as `npm run build:worker` bundles it for deployment (wrangler deploy --dry-run, offline): every
// WebAssembly module in the bundle must be WebAssembly. A source module whose import ends in `.wasm` is taken by
// wrangler's bundler for one, so a TypeScript module of base64 text named `x.wasm.ts` once shipped as a broken
// "wasm" module that the upload would have refused.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the Worker bundle (wrangler deploy --dry-run)', () => {
  it('holds only real WebAssembly modules, the streaming check\'s kernel among them, imported by worker.js', async () => {
    const out = await mkdtemp(join(tmpdir(), 'worker-build-'));
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', out], {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const files = await readdir(out);
      const wasm = files.filter((f) => f.endsWith('.wasm'));
      expect(wasm.some((f) => f.endsWith('numberRun.kernel.wasm'))).toBe(true);
      const js = await readFile(join(out, 'worker.js'), 'utf8');
      for (const f of wasm) {
        const bytes = await readFile(join(out, f));
        expect(WebAssembly.validate(bytes), `${f} is not WebAssembly`).toBe(true);
        expect(js).toContain(`./${f}`);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 150_000);
});
