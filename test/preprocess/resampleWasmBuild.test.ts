import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESAMPLE_WASM_BASE64 } from '../../gpu-backend/models/preprocess/wasm/resampleWasm';
import { assembleResampleWasm, embedModuleSource, EMBED_URL, WASM_URL } from '../../scripts/build-preprocess-wasm';

// When these fail, resample.wat changed without a rebuild: `npx tsx scripts/build-preprocess-wasm.ts`.
describe('the committed WebAssembly kernels are built from resample.wat', () => {
  it('resample.wasm is what wabt assembles from resample.wat', async () => {
    const built = await assembleResampleWasm();
    expect(Buffer.from(built).equals(readFileSync(WASM_URL))).toBe(true);
  });

  it('resampleWasm.ts carries the same bytes', async () => {
    const built = await assembleResampleWasm();
    expect(Buffer.from(RESAMPLE_WASM_BASE64, 'base64').equals(Buffer.from(built))).toBe(true);
    expect(readFileSync(EMBED_URL, 'utf8')).toBe(embedModuleSource(built));
  });
});
