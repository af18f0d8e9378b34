// The WebAssembly kernel that counts and checks runs of number tokens in the gateway's streaming scan
// (shared/codec/wasm/numberRun.wat) against the scanner's JavaScript loop: the same count, the same kinds, the same
// refusal at the same byte, on valid and broken tokens, whatever the chunks the body arrives in.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonRequestScanner, type ScannedData } from '../../shared/codec/jsonRequestScanner';
import { NumberRunSettings, numberRunKernelAvailable, WASM_RUN_MIN_BYTES } from '../../shared/codec/wasmNumberRun';
import { WASM_BASE64 } from '../../shared/codec/wasm/numberRunWasm';
import { assemble } from '../../scripts/build-wasm.mjs';
import { mulberry32 } from '../../shared/random';
import { numberToken } from './support/numberTokens';

afterEach(() => {
  NumberRunSettings.useKernel = true;
});

// Tokens that are not JSON numbers (each must stop the run where the JavaScript loop stops it).
const broken = fc.constantFrom('01', '1.', '-', '1e', '1e+', '.5', '1..2', '+1', '--1', '1.2.3', '0x10', '1e5.5', 'NaN', 'true', '"1"', '1 2', '-.5', '00.1', '1E', '5-');

function body(tokens: string[], seps: readonly string[]): Uint8Array {
  const data = tokens.map((t, i) => (i ? seps[i % seps.length] : '') + t).join('');
  return new TextEncoder().encode(`{"inputs":[{"name":"x","datatype":"FP32","shape":[${tokens.length}],"data":[${data}]}]}`);
}

/** What the scanner makes of `b` fed in chunks of up to `max` bytes: the data's count and kinds, or the failure. */
function scan(b: Uint8Array, seed: number, max: number): string {
  const s = new JsonRequestScanner();
  const rnd = mulberry32(seed);
  for (let p = 0; p < b.length; ) {
    const n = Math.max(1, Math.floor(rnd() * max));
    s.push(b.subarray(p, p + n));
    p += n;
  }
  try {
    const root = s.end() as { inputs: { data: ScannedData }[] };
    const d = root.inputs[0].data;
    return `count ${d.count} kinds ${d.kinds} first non-number ${d.firstOutside(1)}`;
  } catch (err) {
    return `failed: ${(err as Error).message}`;
  }
}

const both = (b: Uint8Array, seed: number, max: number) => {
  NumberRunSettings.useKernel = true;
  const kernel = scan(b, seed, max);
  NumberRunSettings.useKernel = false;
  const js = scan(b, seed, max);
  NumberRunSettings.useKernel = true;
  return { kernel, js };
};

describe('the WebAssembly number-run kernel of the streaming scan', () => {
  it('is available in Node, and its committed bytes are what scripts/build-wasm.mjs assembles from numberRun.wat', async () => {
    expect(numberRunKernelAvailable()).toBe(true);
    const bytes = await assemble(new URL('../../shared/codec/wasm/numberRun.wat', import.meta.url).pathname);
    expect(Buffer.from(bytes).toString('base64')).toBe(WASM_BASE64);
    // The Worker's copy, imported as a compiled module.
    expect(readFileSync(new URL('../../shared/codec/wasm/numberRun.kernel.wasm', import.meta.url))).toEqual(Buffer.from(bytes));
  });

  it('counts long runs of valid tokens exactly as the JavaScript loop does, in any chunks', () => {
    fc.assert(
      fc.property(fc.array(numberToken, { minLength: 1, maxLength: 30 }), fc.constantFrom([', '], [','], [', ', ','], [',', ',\n', ', ']), fc.integer({ min: 1, max: 1e6 }), (tokens, seps, seed) => {
        const all = [...tokens];
        while (all.join(', ').length < 3 * WASM_RUN_MIN_BYTES) all.push(...tokens);
        const b = body(all, seps);
        for (const max of [b.length, 70_000, 5000]) {
          const { kernel, js } = both(b, seed, max);
          expect(kernel).toBe(js);
          expect(kernel).toBe(`count ${all.length} kinds 1 first non-number -1`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stops at a broken token where the JavaScript loop stops, and the scan refuses it at the same byte', () => {
    fc.assert(
      fc.property(fc.array(numberToken, { minLength: 1, maxLength: 20 }), broken, fc.double({ min: 0, max: 1 }), fc.integer({ min: 1, max: 1e6 }), (tokens, bad, where, seed) => {
        const all = [...tokens];
        while (all.join(', ').length < 3 * WASM_RUN_MIN_BYTES) all.push(...tokens);
        all.splice(Math.floor(where * all.length), 0, bad);
        const b = body(all, [', ']);
        for (const max of [b.length, 5000]) {
          const { kernel, js } = both(b, seed, max);
          expect(kernel).toBe(js);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is used for long runs: the kernel and the loop agree on a seed-sized body', () => {
    const rnd = mulberry32(3);
    const tokens = Array.from({ length: 100_000 }, () => String(Math.fround(rnd() * 2 - 1)));
    const b = body(tokens, [', ']);
    expect(both(b, 1, 65_536)).toEqual({ kernel: 'count 100000 kinds 1 first non-number -1', js: 'count 100000 kinds 1 first non-number -1' });
  });
});
