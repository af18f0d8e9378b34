import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiglipTokenizer } from '../../gpu-backend/models/text/siglipTokenizer';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { referenceTextRepository, type TempRepository } from '../helpers/tempRepository';
import { maxAbsDiff, reference } from '../helpers/fixtures';
import { inferBytesBinary, inferBytesJson, inferInputIds, l2norm, unit } from './embedRequests';

const EMBED_TEXT_DIR = fileURLToPath(new URL('../../model_repository/embed_text', import.meta.url));
const ids = BigInt64Array.from(reference.text.input_ids.flat(), BigInt);
const n = reference.text.input_ids.length;

const texts = [
  'A photo of a cat.',
  'HELLO,   World!!  (two   spaces)',
  'café naïve — ünïcödé',
  // Longer than 64 pieces: truncated, with </s> kept last.
  Array.from({ length: 80 }, (_, i) => `word${i}`).join(' '),
];

// The HF-referenced text tower (reference.json's), not the demo's 64-d one.
describe('siglip_text and embed_text (reference tower, CPU)', () => {
  let backend: Backend;
  let repo: TempRepository;
  let tokenizer: SiglipTokenizer;
  beforeAll(async () => {
    repo = await referenceTextRepository();
    [backend, tokenizer] = await Promise.all([startTestBackend({ modelRepository: repo.dir }), SiglipTokenizer.fromDirectory(EMBED_TEXT_DIR, { maxLength: 64 })]);
  });
  afterAll(async () => {
    await backend.close();
    await repo.remove();
  });

  describe('siglip_text: INT64 INPUT_IDS [-1, 64] → EMBEDDING', () => {
    for (const binary of [false, true]) {
      it(`matches reference.json text.pooler_output within 1e-4 over ${binary ? 'the binary extension' : 'JSON'}`, async () => {
        const res = await inferInputIds(backend.url, ids, n, binary);
        expect(res).toMatchObject({ status: 200, shape: [n, 32] });
        res.rows!.forEach((row, i) => expect(maxAbsDiff(row, reference.text.pooler_output[i])).toBeLessThanOrEqual(1e-4));
      });
    }
  });

  describe('embed_text: INPUT_TEXT BYTES [-1, 1] → tokenizer → siglip_text', () => {
    it('describes itself as INPUT_TEXT BYTES [-1, 1] → EMBEDDING FP32 [-1, 32]', async () => {
      const meta = await (await fetch(`${backend.url}/v2/models/embed_text`)).json();
      expect(meta.inputs).toEqual([{ name: 'INPUT_TEXT', datatype: 'BYTES', shape: [-1, 1] }]);
      expect(meta.outputs).toEqual([{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 32] }]);
    });

    it("gives siglip_text's embeddings of the tokenizer's ids, over JSON and binary (UTF-8 bytes)", async () => {
      const direct = await inferInputIds(backend.url, tokenizer.encodeBatch(texts), texts.length, true);
      expect(direct.status).toBe(200);
      const json = await inferBytesJson(backend.url, 'embed_text', 'INPUT_TEXT', texts);
      const binary = await inferBytesBinary(backend.url, 'embed_text', 'INPUT_TEXT', texts.map((t) => new TextEncoder().encode(t)));
      for (const res of [json, binary]) {
        expect(res).toMatchObject({ status: 200, shape: [texts.length, 32] });
        res.rows!.forEach((row, i) => expect(maxAbsDiff(row, direct.rows![i])).toBeLessThanOrEqual(1e-5));
      }
      // Different texts, different embeddings: the model is not being fed one fixed row.
      expect(maxAbsDiff(json.rows![0], json.rows![1])).toBeGreaterThan(1e-3);
    });

    it('embeds texts that differ only in case, punctuation and spacing identically (canonicalization)', async () => {
      const res = await inferBytesJson(backend.url, 'embed_text', 'INPUT_TEXT', ['A photo of a cat.', 'a   PHOTO of a cat']);
      expect(res.status).toBe(200);
      expect(maxAbsDiff(res.rows![0], res.rows![1])).toBeLessThanOrEqual(1e-5);
    });

    it('returns unit-norm rows with normalize: true', async () => {
      const raw = await inferBytesJson(backend.url, 'embed_text', 'INPUT_TEXT', texts.slice(0, 2));
      const normalized = await inferBytesJson(backend.url, 'embed_text', 'INPUT_TEXT', texts.slice(0, 2), { normalize: true });
      normalized.rows!.forEach((row, i) => {
        expect(Math.abs(l2norm(row) - 1)).toBeLessThanOrEqual(1e-5);
        expect(maxAbsDiff(row, unit(raw.rows![i]))).toBeLessThanOrEqual(1e-5);
      });
    });
  });
});
