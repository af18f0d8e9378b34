import { gridSize, type TextTowerConfig, type VisionTowerConfig } from './siglipConfig';

/** The kind of values a tensor holds, so synthetic weights can look like trained ones (LayerNorm gains near 1). */
export type TensorRole = 'weight' | 'bias' | 'norm_weight' | 'norm_bias' | 'embedding';

/** One tensor of a tower checkpoint: its key (without tower prefix), shape and role. */
export interface TowerTensor {
  key: string;
  shape: number[];
  role: TensorRole;
}

/** Key prefix of each tower in a full SiglipModel checkpoint. */
export const TOWER_PREFIX = { vision: 'vision_model.', text: 'text_model.' } as const;

function encoderTensors(d: number, ffn: number, layers: number): TowerTensor[] {
  const out: TowerTensor[] = [];
  for (let i = 0; i < layers; i++) {
    const p = `encoder.layers.${i}.`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      out.push({ key: `${p}self_attn.${proj}.weight`, shape: [d, d], role: 'weight' }, { key: `${p}self_attn.${proj}.bias`, shape: [d], role: 'bias' });
    }
    out.push(
      { key: `${p}layer_norm1.weight`, shape: [d], role: 'norm_weight' },
      { key: `${p}layer_norm1.bias`, shape: [d], role: 'norm_bias' },
      { key: `${p}mlp.fc1.weight`, shape: [ffn, d], role: 'weight' },
      { key: `${p}mlp.fc1.bias`, shape: [ffn], role: 'bias' },
      { key: `${p}mlp.fc2.weight`, shape: [d, ffn], role: 'weight' },
      { key: `${p}mlp.fc2.bias`, shape: [d], role: 'bias' },
      { key: `${p}layer_norm2.weight`, shape: [d], role: 'norm_weight' },
      { key: `${p}layer_norm2.bias`, shape: [d], role: 'norm_bias' },
    );
  }
  return out;
}

/** Every tensor of a SiglipVisionTransformer (transformers' key names), in checkpoint order. */
export function visionTensors(v: VisionTowerConfig): TowerTensor[] {
  const d = v.hiddenSize;
  const ffn = v.intermediateSize;
  return [
    { key: 'embeddings.patch_embedding.weight', shape: [d, v.numChannels, v.patchSize, v.patchSize], role: 'weight' },
    { key: 'embeddings.patch_embedding.bias', shape: [d], role: 'bias' },
    { key: 'embeddings.position_embedding.weight', shape: [gridSize(v) ** 2, d], role: 'embedding' },
    ...encoderTensors(d, ffn, v.numLayers),
    { key: 'post_layernorm.weight', shape: [d], role: 'norm_weight' },
    { key: 'post_layernorm.bias', shape: [d], role: 'norm_bias' },
    { key: 'head.probe', shape: [1, 1, d], role: 'embedding' },
    { key: 'head.attention.in_proj_weight', shape: [3 * d, d], role: 'weight' },
    { key: 'head.attention.in_proj_bias', shape: [3 * d], role: 'bias' },
    { key: 'head.attention.out_proj.weight', shape: [d, d], role: 'weight' },
    { key: 'head.attention.out_proj.bias', shape: [d], role: 'bias' },
    { key: 'head.layernorm.weight', shape: [d], role: 'norm_weight' },
    { key: 'head.layernorm.bias', shape: [d], role: 'norm_bias' },
    { key: 'head.mlp.fc1.weight', shape: [ffn, d], role: 'weight' },
    { key: 'head.mlp.fc1.bias', shape: [ffn], role: 'bias' },
    { key: 'head.mlp.fc2.weight', shape: [d, ffn], role: 'weight' },
    { key: 'head.mlp.fc2.bias', shape: [d], role: 'bias' },
  ];
}

/** Every tensor of a SiglipTextTransformer (transformers' key names), in checkpoint order. */
export function textTensors(t: TextTowerConfig): TowerTensor[] {
  const d = t.hiddenSize;
  return [
    { key: 'embeddings.token_embedding.weight', shape: [t.vocabSize, d], role: 'embedding' },
    { key: 'embeddings.position_embedding.weight', shape: [t.maxPositions, d], role: 'embedding' },
    ...encoderTensors(d, t.intermediateSize, t.numLayers),
    { key: 'final_layer_norm.weight', shape: [d], role: 'norm_weight' },
    { key: 'final_layer_norm.bias', shape: [d], role: 'norm_bias' },
    { key: 'head.weight', shape: [t.projectionSize, d], role: 'weight' },
    { key: 'head.bias', shape: [t.projectionSize], role: 'bias' },
  ];
}
