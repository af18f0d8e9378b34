import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '../../model-tools/convert/safetensors/safetensorsFile';
import { writeSafetensors, type SafetensorsWriteEntry } from '../../model-tools/convert/safetensors/writeSafetensors';
import { FakeHub } from '../hub/fakeHub';
import { TEXT_TINY, VISION_TINY } from './referenceData';

/**
 * Writes the two tiny tower fixtures as one checkpoint in the hub's SiglipModel form: config.json with
 * vision_config + text_config, and keys prefixed `vision_model.` / `text_model.` in a single model.safetensors
 * (as google/siglip-so400m-patch14-384 ships), plus a preprocessor config and tokenizer files.
 */
export async function writeHubFormCheckpoint(dir: string): Promise<void> {
  const entries: SafetensorsWriteEntry[] = [];
  const files: SafetensorsFile[] = [];
  for (const [from, prefix] of [
    [VISION_TINY, 'vision_model.'],
    [TEXT_TINY, 'text_model.'],
  ] as const) {
    const f = await SafetensorsFile.open(join(from, 'model.safetensors'));
    files.push(f);
    for (const t of f.tensors.values()) entries.push({ name: prefix + t.name, dtype: t.dtype, shape: t.shape, produce: () => f.readBytes(t.name) });
  }
  // SiglipModel also holds the contrastive logit scale and bias; the converter must ignore them.
  entries.push({ name: 'logit_scale', dtype: 'F32', shape: [1], produce: () => new Uint8Array(new Float32Array([2.3]).buffer) });
  entries.push({ name: 'logit_bias', dtype: 'F32', shape: [1], produce: () => new Uint8Array(new Float32Array([-10]).buffer) });
  await writeSafetensors(join(dir, 'model.safetensors'), entries);
  for (const f of files) await f.close();
  const vision = JSON.parse(await readFile(join(VISION_TINY, 'config.json'), 'utf8'));
  const text = JSON.parse(await readFile(join(TEXT_TINY, 'config.json'), 'utf8'));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ architectures: ['SiglipModel'], model_type: 'siglip', vision_config: vision, text_config: text }));
  await writeFile(join(dir, 'preprocessor_config.json'), JSON.stringify({ image_processor_type: 'SiglipImageProcessor', size: { height: 384, width: 384 } }));
  // A complete SentencePiece tokenizer.json (the demo one, vocabulary 32000 like the tiny text tower).
  await copyFile(fileURLToPath(new URL('../../model_repository/embed_text/tokenizer.json', import.meta.url)), join(dir, 'tokenizer.json'));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64 }));
}

/** Writes a hub-form checkpoint under `dir/source` and serves it from a local stand-in for the hub as `repo`. */
export async function serveHubCheckpoint(dir: string, repo: string): Promise<{ hub: FakeHub; endpoint: string }> {
  const ckpt = join(dir, 'source');
  await mkdir(ckpt, { recursive: true });
  await writeHubFormCheckpoint(ckpt);
  const files = await Promise.all(
    (await readdir(ckpt)).map(async (path) => ({ path, content: await readFile(join(ckpt, path)), lfs: path.endsWith('.safetensors') })),
  );
  const hub = new FakeHub(repo, files);
  return { hub, endpoint: await hub.start() };
}
