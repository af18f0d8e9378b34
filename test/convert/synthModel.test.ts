import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertModel } from '../../model-tools/convert/convertModel';
import { SafetensorsFile } from '../../model-tools/convert/safetensors/safetensorsFile';
import { parseSiglipConfig } from '../../model-tools/convert/siglip/siglipConfig';
import { resolveLikeConfig, synthModel } from '../../model-tools/synth/synthModel';
import { VISION_TINY, pixelTensor, runOnCpu } from './referenceData';

describe('synthModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'siglip-synth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a checkpoint with the architecture of a config that converts and runs', async () => {
    const into = join(dir, 'tiny');
    await synthModel({ like: VISION_TINY, into, seed: 1 });
    const synth = await SafetensorsFile.open(join(into, 'model.safetensors'));
    const real = await SafetensorsFile.open(join(VISION_TINY, 'model.safetensors'));
    expect([...synth.tensors.values()].map((t) => [t.name, t.shape]).sort()).toEqual([...real.tensors.values()].map((t) => [t.name, t.shape]).sort());
    const gains = await synth.readFloat32('post_layernorm.weight');
    expect(Math.abs(gains.reduce((a, b) => a + b, 0) / gains.length - 1)).toBeLessThan(0.01);
    await synth.close();
    await real.close();

    await convertModel({ from: into, into: join(dir, 'tiny-repo') });
    const out = await runOnCpu(join(dir, 'tiny-repo', 'siglip_vision', '1', 'model.onnx'), { pixel_values: pixelTensor('random_pixels_2x3x384x384.f32', 2) });
    expect(out.length).toBe(2 * 64);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    await synthModel({ like: VISION_TINY, into: join(dir, 's1'), seed: 7 });
    await synthModel({ like: VISION_TINY, into: join(dir, 's2'), seed: 7 });
    await synthModel({ like: VISION_TINY, into: join(dir, 's3'), seed: 8 });
    const [a, b, c] = await Promise.all(['s1', 's2', 's3'].map((s) => readFile(join(dir, s, 'model.safetensors'))));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('writes only the requested tower of a full SiglipModel config, with hub-style prefixed keys, in fp16', async () => {
    const full = join(dir, 'full-config');
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(full, { recursive: true });
    const vision = JSON.parse(await readFile(join(VISION_TINY, 'config.json'), 'utf8'));
    await writeFile(join(full, 'config.json'), JSON.stringify({ model_type: 'siglip', vision_config: vision, text_config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 } }));
    const into = join(dir, 'vision-only');
    await synthModel({ like: full, into, towers: ['vision'], dtype: 'fp16' });
    const f = await SafetensorsFile.open(join(into, 'model.safetensors'));
    const names = [...f.tensors.keys()];
    expect(names.every((n) => n.startsWith('vision_model.'))).toBe(true);
    expect(f.info('vision_model.head.probe').dtype).toBe('F16');
    await f.close();
    const r = await convertModel({ from: into, into: join(dir, 'vision-only-repo') });
    expect(r.models).toEqual(['siglip_vision']);
  });

  it('knows the full-size so400m architecture offline', async () => {
    const arch = parseSiglipConfig(JSON.parse(await readFile(await resolveLikeConfig('so400m'), 'utf8')));
    expect(arch.vision).toEqual({ hiddenSize: 1152, intermediateSize: 4304, numLayers: 27, numHeads: 16, numChannels: 3, imageSize: 384, patchSize: 14, layerNormEps: 1e-6 });
    expect(arch.text).toMatchObject({ hiddenSize: 1152, numLayers: 27, vocabSize: 32000, maxPositions: 64, projectionSize: 1152 });
  });
});
