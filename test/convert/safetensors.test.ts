import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../model-tools/convert/safetensors/safetensorsFile';
import { writeSafetensors } from '../../model-tools/convert/safetensors/writeSafetensors';
import { float32ToFloat16 } from '../../model-tools/convert/tensor/halfFloat';
import { VISION_TINY } from './referenceData';

describe('safetensors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'siglip-st-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the fixture header: transformers 5 tower keys without a prefix', async () => {
    const f = await SafetensorsFile.open(join(VISION_TINY, 'model.safetensors'));
    expect(f.info('embeddings.patch_embedding.weight')).toMatchObject({ dtype: 'F32', shape: [64, 3, 14, 14] });
    expect(f.info('head.attention.in_proj_weight').shape).toEqual([192, 64]);
    expect((await f.readFloat32('head.probe')).length).toBe(64);
    await f.close();
  });

  it('writes tensor by tensor and reads back F32, F16 and BF16 as float32', async () => {
    const values = new Float32Array([1, -2.5, 0.125, 3]);
    const bf16 = new Uint16Array(new Uint32Array(values.buffer).map((b) => b >>> 16));
    const path = join(dir, 'mixed.safetensors');
    await writeSafetensors(path, [
      { name: 'a', dtype: 'F32', shape: [2, 2], produce: () => new Uint8Array(values.slice().buffer) },
      { name: 'b', dtype: 'F16', shape: [4], produce: () => new Uint8Array(float32ToFloat16(values).buffer) },
      { name: 'c', dtype: 'BF16', shape: [4], produce: () => new Uint8Array(bf16.buffer) },
    ]);
    const f = await SafetensorsFile.open(path);
    expect([...f.tensors.keys()]).toEqual(['a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) expect(Array.from(await f.readFloat32(name))).toEqual(Array.from(values));
    expect(f.metadata).toEqual({ format: 'pt' });
    await f.close();
  });

  it('refuses a producer that returns the wrong number of bytes', async () => {
    await expect(
      writeSafetensors(join(dir, 'short.safetensors'), [{ name: 'a', dtype: 'F32', shape: [3], produce: () => new Uint8Array(8) }]),
    ).rejects.toThrow(/a produced 8 bytes, expected 12/);
  });

  it('rejects a file that is not safetensors, naming it', async () => {
    const path = join(dir, 'bogus.safetensors');
    await writeFile(path, Buffer.from('this is not a safetensors file at all'));
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/bogus\.safetensors: not a safetensors file/);
  });
});
