/**
 * Writes model_repository/siglip_text/1/model.onnx: the demo text tower, with the SigLIP text architecture at tiny
 * widths and deterministic random weights, whose embedding is 64-d like the demo vision tower's (SigLIP's towers
 * share one width, so text-image cosines and zero-shot classification run with no download). Its weights come
 * from `siglip model synth` (seed 2026), converted with `siglip model convert --flavor portable` (fp32): both in
 * TypeScript, in this repository. It is NOT a trained model: its embeddings mean nothing.
 *
 * Run: npx tsx scripts/make-demo-text-tower.ts
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertModel } from '../model-tools/convert/convertModel';
import { synthModel } from '../model-tools/synth/synthModel';

/** The demo text tower's architecture: the fixture's (test/fixtures/siglip/siglip_text_tiny) at width 64. */
export const DEMO_TEXT_CONFIG = {
  architectures: ['SiglipTextModel'],
  model_type: 'siglip_text_model',
  hidden_size: 64,
  intermediate_size: 128,
  num_attention_heads: 4,
  num_hidden_layers: 2,
  max_position_embeddings: 64,
  projection_size: 64,
  vocab_size: 32000,
  hidden_act: 'gelu_pytorch_tanh',
  layer_norm_eps: 1e-6,
  attention_dropout: 0.0,
  pad_token_id: 1,
  bos_token_id: 49406,
  eos_token_id: 49407,
};

const work = await mkdtemp(join(tmpdir(), 'siglip-demo-text-'));
try {
  await writeFile(join(work, 'config.json'), JSON.stringify(DEMO_TEXT_CONFIG, null, 2));
  await synthModel({ like: work, into: join(work, 'checkpoint'), seed: 2026 });
  await convertModel({ from: join(work, 'checkpoint'), into: join(work, 'repository'), flavor: 'portable', dtype: 'fp32', towers: ['text'] });
  const target = fileURLToPath(new URL('../model_repository/siglip_text/1/model.onnx', import.meta.url));
  await copyFile(join(work, 'repository', 'siglip_text', '1', 'model.onnx'), target);
  console.log(`wrote ${target}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
