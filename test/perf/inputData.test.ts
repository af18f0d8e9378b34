// --input-data in perf_analyzer's format (docs/input_data.md; DataLoader in src/data_loader.cc), read from the old
// deployment's own files in ../shared/seed-data as they are.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBytesElements } from '../../shared/codec/binaryTensor';
import { PerfUsageError } from '../../client/perf/errors';
import { batchTensors, requestStep } from '../../client/perf/inputs/inputDataset';
import { loadInputData } from '../../client/perf/inputs/loadInputData';
import type { ModelInfo, ModelTensor } from '../../client/perf/model/modelInfo';

const SEED = new URL('../../../shared/seed-data/', import.meta.url);
const seed = (name: string) => new URL(name, SEED).pathname;
const gen = { stringLength: 16 };

function model(inputs: Partial<ModelTensor>[], maxBatchSize = 32): ModelInfo {
  return {
    name: 'm',
    version: '',
    maxBatchSize,
    inputs: inputs.map((i) => ({ name: 'X', datatype: 'FP32', shape: [1], optional: false, ...i })),
    outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [1152], optional: false }],
    composing: [],
  };
}

describe('loadInputData with the seed files', () => {
  it('reads embed_image_base64.json: 4 steps, each one BYTES element holding the base64 text of a JPEG', () => {
    const ds = loadInputData([seed('embed_image_base64.json')], model([{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape: [1] }], 60), gen);
    expect(ds.steps).toHaveLength(4);
    const raw = JSON.parse(readFileSync(seed('embed_image_base64.json'), 'utf8'));
    ds.steps.forEach((step, i) => {
      const [element] = decodeBytesElements(step.get('INPUT_IMAGE')!.bytes);
      const text = new TextDecoder().decode(element);
      expect(text).toBe(raw.data[i].INPUT_IMAGE[0]);
      // The element is text; base64_encoded:true tells the server to decode it to the JPEG.
      expect([...Buffer.from(text, 'base64').subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      expect(Buffer.from(text, 'base64').equals(readFileSync(seed(`images/imagenet_${i}.jpg`)))).toBe(true);
    });
  });

  it('reads embed_text_imagenet_categories.json as UTF-8 BYTES elements', () => {
    const ds = loadInputData([seed('embed_text_imagenet_categories.json')], model([{ name: 'INPUT_TEXT', datatype: 'BYTES', shape: [1] }], 60), gen);
    expect(ds.steps).toHaveLength(20);
    const [element] = decodeBytesElements(ds.steps[0].get('INPUT_TEXT')!.bytes);
    expect(new TextDecoder().decode(element)).toBe("An image from ImageNet's n01693334 category which contains images of green lizard, Lacerta viridis.");
  });

  it('reads siglip_text_input_ids.json as little-endian INT64 rows of 64 ids', () => {
    const ds = loadInputData([seed('siglip_text_input_ids.json')], model([{ name: 'INPUT_IDS', datatype: 'INT64', shape: [64] }]), gen);
    const raw = JSON.parse(readFileSync(seed('siglip_text_input_ids.json'), 'utf8'));
    expect(ds.steps).toHaveLength(20);
    const t = ds.steps[3].get('INPUT_IDS')!;
    expect(t.bytes.byteLength).toBe(64 * 8);
    expect(Array.from(new BigInt64Array(t.bytes.buffer, t.bytes.byteOffset, 64), Number)).toEqual(raw.data[3].INPUT_IDS);
  });

  it('appends the steps of several files in order', () => {
    const m = model([{ name: 'INPUT_TEXT', datatype: 'BYTES', shape: [1] }]);
    const one = seed('embed_text_imagenet_categories.json');
    expect(loadInputData([one, one], m, gen).steps).toHaveLength(40);
  });

  it('names the input the data has and the model lacks (e.g. the seed file against a model that calls it IMAGE)', () => {
    expect(() => loadInputData([seed('embed_image_base64.json')], model([{ name: 'IMAGE', datatype: 'BYTES', shape: [1] }]), gen)).toThrow(
      /The input or output 'INPUT_IMAGE' is not found in the model configuration/,
    );
  });
});

describe("loadInputData with the project's data/ files", () => {
  const DATA = (path: string) => new URL(`../../data/${path}`, import.meta.url).pathname;
  it.each([
    ['siglip_vision/pixel_values.json', { name: 'PIXEL_VALUES', datatype: 'FP32', shape: [3, 384, 384] }, 3 * 384 * 384 * 4],
    ['siglip_text/input_ids.json', { name: 'INPUT_IDS', datatype: 'INT64', shape: [64] }, 64 * 8],
    ['embed_text/texts.json', { name: 'INPUT_TEXT', datatype: 'BYTES', shape: [1] }, undefined],
    ['embed_image/base64.json', { name: 'INPUT_IMAGE', datatype: 'BYTES', shape: [1] }, undefined],
  ] as const)('reads data/%s', (path, input, bytes) => {
    const ds = loadInputData([DATA(path)], model([{ ...input, shape: [...input.shape] }]), gen);
    expect(ds.steps.length).toBeGreaterThan(0);
    for (const step of ds.steps) {
      const t = step.get(input.name)!;
      if (bytes !== undefined) expect(t.bytes.byteLength).toBe(bytes);
      else expect(decodeBytesElements(t.bytes)).toHaveLength(1);
    }
  });
});

describe('JSON input data forms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'siglip-perf-data-'));
  const file = (name: string, doc: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(doc));
    return p;
  };
  const m = model([{ name: 'X', datatype: 'FP32', shape: [-1] }]);

  it('takes {"content": [...], "shape": [...]} for a variable-sized input', () => {
    const ds = loadInputData([file('shape.json', { data: [{ X: { content: [1, 2, 3], shape: [3] } }] })], m, gen);
    const t = ds.steps[0].get('X')!;
    expect(t.shape).toEqual([3]);
    expect(Array.from(new Float32Array(t.bytes.buffer))).toEqual([1, 2, 3]);
  });

  it('takes {"b64": ...} as the raw little-endian bytes, and "content": {"b64": ...} too', () => {
    const bytes = Buffer.from(new Float32Array([0.5, -2]).buffer).toString('base64');
    const ds = loadInputData([file('b64.json', { data: [{ X: { b64: bytes, shape: [2] } }, { X: { content: { b64: bytes }, shape: [2] } }] })], m, gen);
    for (const step of ds.steps) expect(Array.from(new Float32Array(step.get('X')!.bytes.slice().buffer))).toEqual([0.5, -2]);
  });

  it('checks the byte size against the shape', () => {
    const fixed = model([{ name: 'X', datatype: 'FP32', shape: [4] }]);
    expect(() => loadInputData([file('short.json', { data: [{ X: [1, 2, 3] }] })], fixed, gen)).toThrow('mismatch in the data provided for X. Expected: 16 bytes, Got: 12 bytes');
  });

  it('asks for --shape when a variable-sized input has no shape anywhere', () => {
    expect(() => loadInputData([file('noshape.json', { data: [{ X: [1, 2] }] })], m, gen)).toThrow(/needs to have its shape fully defined. See the --shape option/);
  });

  it('names a missing input and where', () => {
    const two = model([{ name: 'A' }, { name: 'B' }]);
    expect(() => loadInputData([file('missing.json', { data: [{ A: [1] }] })], two, gen)).toThrow(/missing tensor B \( Location .*stream id: 0, step id: 0\)/);
  });

  it('says what --input-data takes when the file is not there', () => {
    expect(() => loadInputData([join(dir, 'nope.json')], m, gen)).toThrow(PerfUsageError);
  });

  it('reads a data directory: raw bytes for fixed-size inputs, one line per element for BYTES', () => {
    const d = mkdtempSync(join(tmpdir(), 'siglip-perf-dir-'));
    writeFileSync(join(d, 'PIX'), Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
    writeFileSync(join(d, 'TXT'), 'a cat\na dog\n');
    const ds = loadInputData([d], model([{ name: 'PIX', shape: [4] }, { name: 'TXT', datatype: 'BYTES', shape: [2] }]), gen);
    expect(Array.from(new Float32Array(ds.steps[0].get('PIX')!.bytes.buffer))).toEqual([1, 2, 3, 4]);
    expect(decodeBytesElements(ds.steps[0].get('TXT')!.bytes).map((e) => new TextDecoder().decode(e))).toEqual(['a cat', 'a dog']);
  });
});

describe('generated data', () => {
  it('zero is all zero bytes of the input size; random floats are in [0, 1) (never NaN)', () => {
    const m = model([{ name: 'PIXEL_VALUES', shape: [3, 4, 4] }]);
    expect(loadInputData(['zero'], m, gen).steps[0].get('PIXEL_VALUES')!.bytes.every((b) => b === 0)).toBe(true);
    const r = new Float32Array(loadInputData(['random'], m, gen).steps[0].get('PIXEL_VALUES')!.bytes.buffer);
    expect(r).toHaveLength(48);
    expect(r.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('BYTES inputs get random strings of --string-length, or --string-data', () => {
    const m = model([{ name: 'T', datatype: 'BYTES', shape: [2] }]);
    const [a, b] = decodeBytesElements(loadInputData(['random'], m, { stringLength: 9 }).steps[0].get('T')!.bytes);
    expect(a).toHaveLength(9);
    expect(b).toHaveLength(9);
    const fixed = decodeBytesElements(loadInputData(['random'], m, { stringLength: 9, stringData: 'hi' }).steps[0].get('T')!.bytes);
    expect(fixed.map((e) => new TextDecoder().decode(e))).toEqual(['hi', 'hi']);
  });
});

describe('request steps and batches', () => {
  it('walks the steps round-robin per context, batch-size steps at a time (InferContext::UpdateJsonData)', () => {
    // One context, batch 1, 4 steps: 0 1 2 3 0 ...
    expect([0, 1, 2, 3, 4].map((k) => requestStep(0, 1, k, 1, 4))).toEqual([0, 1, 2, 3, 0]);
    // Two contexts interleave: context 0 takes 0, 2, 4; context 1 takes 1, 3, 0.
    expect([0, 1, 2].map((k) => requestStep(0, 2, k, 1, 5))).toEqual([0, 2, 4]);
    expect([0, 1, 2].map((k) => requestStep(1, 2, k, 1, 5))).toEqual([1, 3, 0]);
    // Batch 2 over 4 steps starts at 0, 2, 0, 2.
    expect([0, 1, 2, 3].map((k) => requestStep(0, 1, k, 2, 4))).toEqual([0, 2, 0, 2]);
  });

  it('makes a batch from consecutive steps, wrapping around, with the batch dim in the shape', () => {
    const m = model([{ name: 'X', datatype: 'INT32', shape: [2] }], 8);
    const ds = { source: 't', steps: [1, 2, 3].map((v) => new Map([['X', { bytes: new Uint8Array(new Int32Array([v, v]).buffer), shape: [2] }]])) };
    const [t] = batchTensors(m, ds, 2, 2);
    expect(t.shape).toEqual([2, 2]);
    expect(Array.from(new Int32Array(t.bytes.buffer))).toEqual([3, 3, 1, 1]);
  });

  it('refuses to batch rows of different shapes', () => {
    const m = model([{ name: 'X', datatype: 'INT32', shape: [-1] }], 8);
    const row = (n: number) => new Map([['X', { bytes: new Uint8Array(4 * n), shape: [n] }]]);
    expect(() => batchTensors(m, { source: 't', steps: [row(1), row(2)] }, 0, 2)).toThrow(/can not batch tensors with different shapes together/);
  });
});
