import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import { Float32SinkSettings } from '../../shared/codec/jsonTensorData';
import { WASM_MIN_BYTES, wasmAvailable } from '../../shared/codec/wasmFloat32Run';
import { WASM_BASE64 } from '../../shared/codec/wasm/float32RunWasm';
import { assemble } from '../../scripts/build-wasm.mjs';
import { bits, numberToken, tensorRequest, whitespace } from './support/numberTokens';

// The WebAssembly float32 reader takes runs of numbers from bodies past WASM_MIN_BYTES; the JavaScript reader
// takes the rest. Both must give Math.fround(JSON.parse(token)) bit for bit, and each other's result.
afterEach(() => {
  Float32SinkSettings.useKernel = true;
});

/** Enough copies of `tokens` (and filler) that the body is well past the kernel's threshold. */
function bigTokens(tokens: string[]): string[] {
  const out = [...tokens];
  while (out.join(', ').length < 2 * WASM_MIN_BYTES) out.push(...tokens, '0.5709851980209351', '-0.00318316207267344');
  return out;
}

const decodeBoth = (body: Uint8Array) => {
  Float32SinkSettings.useKernel = true;
  const withKernel = decodeJsonInferRequest(body).tensors[0].data as Float32Array;
  Float32SinkSettings.useKernel = false;
  const jsOnly = decodeJsonInferRequest(body).tensors[0].data as Float32Array;
  Float32SinkSettings.useKernel = true;
  return { withKernel, jsOnly };
};

describe('the WebAssembly float32 reader', () => {
  it('is available in Node', () => {
    expect(wasmAvailable()).toBe(true);
  });

  it('gives Math.fround(JSON.parse(token)) bit for bit on long runs, mixed separators and hard cases, like the JavaScript reader', () => {
    fc.assert(
      fc.property(fc.array(numberToken, { minLength: 1, maxLength: 40 }), fc.array(whitespace, { maxLength: 4 }), (tokens, gaps) => {
        const all = bigTokens(tokens);
        if (all.some((t) => !Number.isFinite(JSON.parse(t)))) return;
        const body = tensorRequest('FP32', all, gaps);
        const { withKernel, jsOnly } = decodeBoth(body);
        const want = Float32Array.from(all, (t) => Math.fround(JSON.parse(t)));
        expect(bits(withKernel)).toEqual(bits(want));
        expect(bits(jsOnly)).toEqual(bits(want));
      }),
      { numRuns: 150 },
    );
  });

  it('hands back what it does not take: NaN and Infinity tokens, nested arrays, newlines, more than 19 digits, huge exponents', () => {
    const tokens = ['1.5', 'NaN', '-Infinity', '2e-45', '123456789012345678901234', '1e-50', '3.4028235677973366e38', '-0', '7e+2'];
    const rows = Array.from({ length: 400 }, (_, i) => `[${tokens.map((t, j) => ((i + j) % 5 === 0 ? `\n${t}` : t)).join(', ')}]`);
    const body = new TextEncoder().encode(`{"inputs":[{"name":"x","datatype":"FP32","shape":[400,${tokens.length}],"data":[${rows.join(',\n')}]}]}`);
    expect(body.length).toBeGreaterThan(WASM_MIN_BYTES);
    const { withKernel, jsOnly } = decodeBoth(body);
    expect(bits(withKernel)).toEqual(bits(jsOnly));
    const parse = (t: string) => (t === 'NaN' ? NaN : t === '-Infinity' ? -Infinity : Math.fround(Number(t)));
    expect(Array.from(withKernel.subarray(0, tokens.length))).toEqual(tokens.map(parse));
  });

  it('refuses the same bad element at the same index as the JavaScript reader', () => {
    const tokens = bigTokens(['0.25', '1.75']);
    const at = Math.floor(tokens.length * 0.7);
    tokens.splice(at, 1, 'true');
    const body = tensorRequest('FP32', tokens);
    Float32SinkSettings.useKernel = true;
    expect(() => decodeJsonInferRequest(body)).toThrow(`input 'x': data element ${at} is not a number`);
    Float32SinkSettings.useKernel = false;
    expect(() => decodeJsonInferRequest(body)).toThrow(`input 'x': data element ${at} is not a number`);
  });

  it('is built from its source: the committed bytes are what scripts/build-wasm.mjs assembles from float32Run.wat', async () => {
    const bytes = await assemble(new URL('../../shared/codec/wasm/float32Run.wat', import.meta.url).pathname);
    expect(bytes.toString('base64')).toBe(WASM_BASE64);
    expect(readFileSync(new URL('../../shared/codec/wasm/float32Run.wat', import.meta.url), 'utf8')).toContain('(export "parse")');
  });
});
