import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import { Float32SinkSettings } from '../../shared/codec/jsonTensorData';
import { JsonCursor } from '../../shared/codec/jsonCursor';
import { readFloat32Run, WASM_MIN_BYTES, wasmAvailable } from '../../shared/codec/wasmFloat32Run';
import { pythonRepr } from '../../bench/jsonDecode';
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

  it('takes a seed-style run by itself, in one call: Python reprs of float32, one to nineteen digits after the point, signs, exponents', () => {
    // What a numpy client sends; each shape of token goes through a different part of the kernel (sixteen digits
    // at once, eight at a time, the last few from one word, the one-digit integer part without a branch).
    // (Tiny floats, whose exponent takes the decimal past 1e-44, are the caller's: not sampled here.)
    const values = fc.sample(fc.float({ noNaN: true, noDefaultInfinity: true, min: -3, max: 3 }).filter((v) => v === 0 || Math.abs(v) > 1e-20), { numRuns: 3000, seed: 7 });
    const tokens = [...values.map((v) => pythonRepr(v)), '0.1', '-2.5', '10.25', '123.0', '0.0001234', '1e-05', '-7.25e+20', '0.5'];
    const text = tokens.join(', ');
    const cur = new JsonCursor(new TextEncoder().encode(`${text}]`));
    const out = new Float32Array(tokens.length);
    expect(readFloat32Run(cur, out, 0)).toBe(tokens.length);
    expect(cur.p).toBe(text.length);
    expect(bits(out)).toEqual(bits(Float32Array.from(tokens, (t) => Math.fround(JSON.parse(t)))));
  });

  it('refuses malformed numbers at the same index and with the same reason as the JavaScript reader', () => {
    for (const badToken of ['-.5', '.5', '5.', '-', '1.e5', '1e', '0.5.5', '+1', '--1', '0x10', '1.5e+']) {
      const tokens = bigTokens(['0.5382963418960571', '-0.1234567890123456', '1.0000000000000002']);
      const at = Math.floor(tokens.length * 0.6);
      tokens.splice(at, 1, badToken);
      const body = tensorRequest('FP32', tokens);
      const errorOf = (useKernel: boolean) => {
        Float32SinkSettings.useKernel = useKernel;
        try { decodeJsonInferRequest(body); return 'accepted'; } catch (err) { return (err as Error).message; }
      };
      const js = errorOf(false);
      expect(js, badToken).not.toBe('accepted');
      expect(errorOf(true), badToken).toBe(js);
    }
  });

  it('is built from its source: the committed bytes are what scripts/build-wasm.mjs assembles from float32Run.wat', async () => {
    const bytes = await assemble(new URL('../../shared/codec/wasm/float32Run.wat', import.meta.url).pathname);
    expect(bytes.toString('base64')).toBe(WASM_BASE64);
    expect(readFileSync(new URL('../../shared/codec/wasm/float32Run.wat', import.meta.url), 'utf8')).toContain('(export "parse")');
  });
});
