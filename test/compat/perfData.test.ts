/** data/<model>/*.json: perf_analyzer --input-data files for our models; each entry is a request the model takes. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';

const FILES = [
  { model: 'siglip_vision', file: 'pixel_values.json', parameters: {} },
  { model: 'embed_image', file: 'base64.json', parameters: { base64_encoded: true } },
  { model: 'embed_text', file: 'texts.json', parameters: {} },
  { model: 'siglip_text', file: 'input_ids.json', parameters: {} },
];

let backend: Backend;
beforeAll(async () => {
  backend = await startTestBackend();
});
afterAll(() => backend.close());

/** An input of a perf_analyzer data entry as KServe JSON: a plain array, {content, shape} or {b64, shape}. */
function toInput(name: string, value: any, meta: { datatype: string; shape: number[] }): object {
  let data: unknown[];
  let shape: number[];
  if (Array.isArray(value)) {
    data = value;
    shape = meta.shape.slice(1).map((d) => (d < 0 ? value.length : d));
  } else if (value.b64 !== undefined) {
    const bytes = Buffer.from(value.b64, 'base64');
    expect(meta.datatype).toBe('FP32');
    data = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    shape = value.shape;
  } else {
    data = value.content;
    shape = value.shape;
  }
  return { name, datatype: meta.datatype, shape: [1, ...shape], data };
}

describe('perf_analyzer input files in data/', () => {
  it.each(FILES)('data/$model/$file: every entry is a request $model answers with 200', async ({ model, file, parameters }) => {
    const { data } = JSON.parse(readFileSync(fileURLToPath(new URL(`../../data/${model}/${file}`, import.meta.url)), 'utf8'));
    const meta = await (await fetch(`${backend.url}/v2/models/${model}`)).json();
    expect(data.length).toBeGreaterThan(0);
    for (const entry of data) {
      const inputs = meta.inputs.map((m: { name: string; datatype: string; shape: number[] }) => toInput(m.name, entry[m.name], m));
      const res = await fetch(`${backend.url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify({ parameters, inputs }) });
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });
});
