import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelRepository } from '../../gpu-backend/config/modelRepository';
import { convertModel } from '../../model-tools/convert/convertModel';
import { onnxProto } from '../../model-tools/convert/onnx/onnxSchema';
import { writeHubFormCheckpoint } from './hubCheckpoint';
import { TEXT_TINY, VISION_TINY, inputIdsTensor, maxAbsDiff, minCosine, pixelTensor, reference, runOnCpu } from './referenceData';
import { unpackQkvForCpu } from './unpackQkvForCpu';

// Parity against HF transformers (reference.json). Errors measured on the CPU EP when this was written:
// portable fp32: max |Δ| vision random 9.5e-7, photos 1.3e-6, text 1.3e-6;
// cuda fp16: min cosine vision 0.9999995 (max |Δ| 2.5e-3), text 0.9999990 (max |Δ| 5.4e-3);
// cuda fp32: max |Δ| 1.9e-6 (the fused ops are exact rewrites; the fp16 error is half precision's).
const randomPixels = () => ({ pixel_values: pixelTensor('random_pixels_2x3x384x384.f32', 2) });
const photos = () => ({ pixel_values: pixelTensor('photos_pixel_values_3x3x384x384.f32', 3) });

describe('convertModel', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'siglip-convert-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe('portable fp32 (standard ONNX ops) matches transformers within 1e-4', () => {
    it('vision tower: random pixels and photos', async () => {
      const into = join(work, 'portable-vision');
      const r = await convertModel({ from: VISION_TINY, into, dtype: 'fp32', flavor: 'portable' });
      expect(r.models).toEqual(['siglip_vision']);
      const model = join(into, 'siglip_vision', '1', 'model.onnx');
      expect(maxAbsDiff(await runOnCpu(model, randomPixels()), reference.random_pixels.pooler_output)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(await runOnCpu(model, photos()), reference.photos.pooler_output)).toBeLessThanOrEqual(1e-4);
    });

    it('text tower: the reference input_ids', async () => {
      const into = join(work, 'portable-text');
      await convertModel({ from: TEXT_TINY, into });
      const out = await runOnCpu(join(into, 'siglip_text', '1', 'model.onnx'), { input_ids: inputIdsTensor() });
      expect(maxAbsDiff(out, reference.text.pooler_output)).toBeLessThanOrEqual(1e-4);
    });
  });

  describe('cuda flavor (fp16 weights, com.microsoft fused ops; default attention) on the CPU EP', () => {
    it('vision tower: cosine ≥ 0.999 to transformers for random pixels and photos', async () => {
      const into = join(work, 'cuda-vision');
      await convertModel({ from: VISION_TINY, into, dtype: 'fp16', flavor: 'cuda', attention: 'mha-separate' });
      const model = join(into, 'siglip_vision', '1', 'model.onnx');
      const onRandom = await runOnCpu(model, randomPixels());
      const onPhotos = await runOnCpu(model, photos());
      expect(minCosine(onRandom, reference.random_pixels.pooler_output)).toBeGreaterThanOrEqual(0.999);
      expect(minCosine(onPhotos, reference.photos.pooler_output)).toBeGreaterThanOrEqual(0.999);
      // fp16 rounding, not a wrong graph: errors stay at the 1e-3 scale of half precision.
      expect(maxAbsDiff(onPhotos, reference.photos.pooler_output)).toBeLessThan(2e-2);
    });

    it('text tower: cosine ≥ 0.999 to transformers', async () => {
      const into = join(work, 'cuda-text');
      await convertModel({ from: TEXT_TINY, into, dtype: 'fp16', flavor: 'cuda' });
      const out = await runOnCpu(join(into, 'siglip_text', '1', 'model.onnx'), { input_ids: inputIdsTensor() });
      expect(minCosine(out, reference.text.pooler_output)).toBeGreaterThanOrEqual(0.999);
    });

    it('in fp32 the fused graph matches transformers within 1e-4, so the fusions are exact rewrites', async () => {
      const into = join(work, 'cuda-fp32');
      await convertModel({ from: VISION_TINY, into, dtype: 'fp32', flavor: 'cuda' });
      const out = await runOnCpu(join(into, 'siglip_vision', '1', 'model.onnx'), photos());
      expect(maxAbsDiff(out, reference.photos.pooler_output)).toBeLessThanOrEqual(1e-4);
    });

    it('uses the fused contrib ops and keeps float32 inputs and outputs, where portable uses standard ops only', async () => {
      const cuda = await readModel(join(work, 'cuda-vision', 'siglip_vision', '1', 'model.onnx'));
      const contrib = new Set(cuda.graph.node.filter((n) => n.domain === 'com.microsoft').map((n) => n.op_type));
      expect([...contrib].sort()).toEqual(['FastGelu', 'MultiHeadAttention', 'SkipLayerNormalization']);
      expect(cuda.opset_import.map((o) => o.domain).sort()).toEqual(['', 'com.microsoft']);
      expect(cuda.graph.input[0].type.tensor_type.elem_type).toBe(1);
      expect(cuda.graph.output[0].type.tensor_type.elem_type).toBe(1);
      // fp16 weights: every matrix initializer is FLOAT16.
      expect(cuda.graph.initializer.filter((t) => t.dims.length === 2).every((t) => t.data_type === 10)).toBe(true);
      const portable = await readModel(join(work, 'portable-vision', 'siglip_vision', '1', 'model.onnx'));
      expect(portable.graph.node.some((n) => n.domain)).toBe(false);
      expect(portable.opset_import).toEqual([{ domain: '', version: 17 }]);
    });
  });

  describe.each([
    // onnxruntime's CPU kernel does not take the packed query [B,S,N,3,H]: the graph runs with each packed node
    // rewritten to the op's documented meaning (Split + three [B,S,D] inputs), see unpackQkvForCpu.
    { attention: 'mha-packed' as const, runnable: true as const },
    { attention: 'attention' as const, runnable: false as const },
  ])('cuda flavor with attention "$attention" on the CPU EP', ({ attention, runnable }) => {
    const convert = async (from: string, name: string, dtype: 'fp16' | 'fp32') => {
      const into = join(work, `${attention}-${name}-${dtype}`);
      await convertModel({ from, into, dtype, flavor: 'cuda', attention });
      return into;
    };
    // The model file the CPU EP can run, and how many packed nodes had to be rewritten for it.
    const forCpu = async (model: string): Promise<{ path: string; rewritten: number }> => {
      if (!runnable) return { path: model, rewritten: 0 };
      const path = model.replace(/\.onnx$/, '.cpu.onnx');
      return { path, rewritten: await unpackQkvForCpu(model, path) };
    };

    it('vision tower fp16: cosine ≥ 0.999 to transformers for random pixels and photos', async () => {
      const into = await convert(VISION_TINY, 'vision', 'fp16');
      const model = await forCpu(join(into, 'siglip_vision', '1', 'model.onnx'));
      expect(model.rewritten).toBe(runnable ? 2 : 0);
      const onRandom = await runOnCpu(model.path, randomPixels());
      const onPhotos = await runOnCpu(model.path, photos());
      expect(minCosine(onRandom, reference.random_pixels.pooler_output)).toBeGreaterThanOrEqual(0.999);
      expect(minCosine(onPhotos, reference.photos.pooler_output)).toBeGreaterThanOrEqual(0.999);
      expect(maxAbsDiff(onPhotos, reference.photos.pooler_output)).toBeLessThan(2e-2);
    });

    it('text tower fp16: cosine ≥ 0.999 to transformers', async () => {
      const into = await convert(TEXT_TINY, 'text', 'fp16');
      const model = await forCpu(join(into, 'siglip_text', '1', 'model.onnx'));
      expect(minCosine(await runOnCpu(model.path, { input_ids: inputIdsTensor() }), reference.text.pooler_output)).toBeGreaterThanOrEqual(0.999);
    });

    it('vision tower fp32: within 1e-4 of transformers, so the stacked q/k/v weights are laid out right', async () => {
      const into = await convert(VISION_TINY, 'vision', 'fp32');
      const model = await forCpu(join(into, 'siglip_vision', '1', 'model.onnx'));
      expect(maxAbsDiff(await runOnCpu(model.path, photos()), reference.photos.pooler_output)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(await runOnCpu(model.path, randomPixels()), reference.random_pixels.pooler_output)).toBeLessThanOrEqual(1e-4);
    });

    it('projects q, k and v with one [D, 3D] weight per layer, where mha-separate uses three MatMuls', async () => {
      const layers = 2;
      const separate = await readModel(join(work, 'cuda-vision', 'siglip_vision', '1', 'model.onnx'));
      const model = await readModel(join(work, `${attention}-vision-fp16`, 'siglip_vision', '1', 'model.onnx'));
      const count = (m: DecodedModel, op: string) => m.graph.node.filter((n) => n.op_type === op).length;
      const stacked = model.graph.initializer.filter((t) => t.dims.join(',') === '64,192');
      expect(stacked).toHaveLength(layers);
      if (attention === 'attention') {
        expect(count(model, 'Attention')).toBe(layers);
        expect(count(model, 'MatMul')).toBe(count(separate, 'MatMul') - 3 * layers);
        // The pooling head's probe attends across tokens (cross-attention): it stays a MultiHeadAttention.
        expect(count(model, 'MultiHeadAttention')).toBe(1);
      } else {
        expect(count(model, 'MultiHeadAttention')).toBe(layers + 1);
        expect(count(model, 'MatMul')).toBe(count(separate, 'MatMul') - 2 * layers);
        const packed = model.graph.node.filter((n) => n.op_type === 'MultiHeadAttention' && n.input[1] === '');
        expect(packed.map((n) => n.input.length)).toEqual([4, 4]);
      }
      const config = JSON.parse(await readFile(join(work, `${attention}-vision-fp16`, 'siglip_vision', 'config.json'), 'utf8'));
      expect(config.parameters.conversion).toMatchObject({ flavor: 'cuda', dtype: 'fp16', attention });
    });
  });

  describe('the attention option', () => {
    it('defaults to attention (fastest on the H200): leaving it out writes the same model.onnx as naming it', async () => {
      const into = join(work, 'default-attention');
      await convertModel({ from: VISION_TINY, into, dtype: 'fp16', flavor: 'cuda' });
      const byDefault = await readFile(join(into, 'siglip_vision', '1', 'model.onnx'));
      expect(byDefault.equals(await readFile(join(work, 'attention-vision-fp16', 'siglip_vision', '1', 'model.onnx')))).toBe(true);
    });

    it('is refused for the portable flavor and for unknown kinds, before any file is read', async () => {
      await expect(convertModel({ from: '/nonexistent', into: join(work, 'nope'), attention: 'attention' })).rejects.toThrow(/cuda flavor only/);
      // @ts-expect-error: an unknown kind, as JavaScript callers could pass
      await expect(convertModel({ from: '/nonexistent', into: join(work, 'nope'), flavor: 'cuda', attention: 'flash' })).rejects.toThrow(/mha-separate, mha-packed, attention/);
    });
  });

  describe("the hub's SiglipModel form (one checkpoint, prefixed keys, vision_config + text_config)", () => {
    let repo: string;
    beforeAll(async () => {
      const ckpt = join(work, 'hub-form');
      await (await import('node:fs/promises')).mkdir(ckpt, { recursive: true });
      await writeHubFormCheckpoint(ckpt);
      repo = join(work, 'hub-form-repo');
      await convertModel({ from: ckpt, into: repo });
    });

    it('converts both towers to the same outputs as the standalone checkpoints', async () => {
      const vision = await runOnCpu(join(repo, 'siglip_vision', '1', 'model.onnx'), randomPixels());
      const text = await runOnCpu(join(repo, 'siglip_text', '1', 'model.onnx'), { input_ids: inputIdsTensor() });
      expect(maxAbsDiff(vision, reference.random_pixels.pooler_output)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(text, reference.text.pooler_output)).toBeLessThanOrEqual(1e-4);
    });

    it('writes a model repository the backend loads, with embed_image and embed_text pipelines', async () => {
      const entries = await loadModelRepository(repo);
      expect(entries.map((e) => e.name)).toEqual(['embed_image', 'embed_text', 'siglip_text', 'siglip_vision']);
      const byName = Object.fromEntries(entries.map((e) => [e.name, e.config]));
      expect(byName.siglip_vision.input[0]).toEqual({ name: 'PIXEL_VALUES', data_type: 'TYPE_FP32', dims: [3, 384, 384] });
      expect(byName.siglip_vision.output[0].dims).toEqual([64]);
      expect(byName.siglip_text.input[0]).toEqual({ name: 'INPUT_IDS', data_type: 'TYPE_INT64', dims: [64] });
      expect(byName.siglip_text.output[0].dims).toEqual([32]);
      // The Triton deployment's interface: INPUT_IMAGE / INPUT_TEXT, max_batch_size 60, its parameters.
      expect(byName.embed_image).toMatchObject({
        max_batch_size: 60,
        input: [{ name: 'INPUT_IMAGE', data_type: 'TYPE_STRING', dims: [1] }],
        parameters: { pipeline: 'image', default_base64_encoded: false, default_embed_model: 'siglip_vision' },
      });
      expect(byName.embed_text).toMatchObject({
        max_batch_size: 60,
        input: [{ name: 'INPUT_TEXT', data_type: 'TYPE_STRING', dims: [1] }],
        parameters: { pipeline: 'text', default_embed_model: 'siglip_text' },
      });
      expect(byName.siglip_vision.max_batch_size).toBe(32);
      expect((await readdir(join(repo, 'embed_text'))).sort()).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json']);
      expect(await readdir(join(repo, 'embed_image'))).toContain('preprocessor_config.json');
    });

    it('converts one tower when asked', async () => {
      const only = join(work, 'hub-form-vision-only');
      const r = await convertModel({ from: join(work, 'hub-form'), into: only, towers: ['vision'] });
      expect(r.models).toEqual(['siglip_vision', 'embed_image']);
    });
  });

  it('stores weights in model.onnx.data past the external-data threshold, with the same outputs', async () => {
    const into = join(work, 'external');
    const r = await convertModel({ from: VISION_TINY, into, externalDataThreshold: 1024 });
    expect(r.files.map((f) => f.slice(into.length))).toEqual(['/siglip_vision/1/model.onnx', '/siglip_vision/1/model.onnx.data', '/siglip_vision/config.json']);
    expect((await stat(join(into, 'siglip_vision', '1', 'model.onnx'))).size).toBeLessThan(64 * 1024);
    const out = await runOnCpu(join(into, 'siglip_vision', '1', 'model.onnx'), randomPixels());
    expect(maxAbsDiff(out, reference.random_pixels.pooler_output)).toBeLessThanOrEqual(1e-4);
  });

  it('names the missing tensors when a checkpoint does not match its config', async () => {
    const { writeFile, mkdir, copyFile } = await import('node:fs/promises');
    const bad = join(work, 'mismatch');
    await mkdir(bad, { recursive: true });
    await copyFile(join(VISION_TINY, 'model.safetensors'), join(bad, 'model.safetensors'));
    const cfg = JSON.parse(await readFile(join(VISION_TINY, 'config.json'), 'utf8'));
    await writeFile(join(bad, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
    await expect(convertModel({ from: bad, into: join(work, 'mismatch-out') })).rejects.toThrow(/missing encoder\.layers\.2\.self_attn\.q_proj\.weight/);
  });
});

interface DecodedModel {
  opset_import: { domain: string; version: number }[];
  graph: {
    node: { op_type: string; domain?: string; input: string[] }[];
    input: { type: { tensor_type: { elem_type: number } } }[];
    output: { type: { tensor_type: { elem_type: number } } }[];
    initializer: { dims: number[]; data_type: number }[];
  };
}

async function readModel(path: string): Promise<DecodedModel> {
  const msg = onnxProto.ModelProto.decode(await readFile(path));
  return onnxProto.ModelProto.toObject(msg, { longs: Number, defaults: true }) as unknown as DecodedModel;
}
