import { GraphBuilder, attr } from '../onnx/graphBuilder';
import type { WeightDtype } from '../tensor/weightTransforms';
import { attentionPoolingHead } from './attentionPoolingHead';
import { cudaEncoder } from './cudaEncoder';
import { DEFAULT_ATTENTION, type AttentionKind } from './cudaSelfAttention';
import { EmitContext } from './emitContext';
import type { EncoderShape } from './encoderConfig';
import { portableEncoder } from './portableEncoder';
import { linear } from './portableOps';
import { gridSize, type TextTowerConfig, type VisionTowerConfig } from './siglipConfig';
import type { TowerWeights } from './towerWeights';

/** Which graph to build: standard ONNX ops, or onnxruntime contrib ops with fused CUDA kernels. */
export type GraphFlavor = 'portable' | 'cuda';

/** Graph tensor names, as the backend's config.json maps them (parameters.onnx_input_names / onnx_output_names). */
export const ONNX_NAMES = {
  vision: { input: 'pixel_values', output: 'pooler_output' },
  text: { input: 'input_ids', output: 'pooler_output' },
} as const;

/** A graph and the opsets it imports. */
export interface TowerGraph {
  graph: GraphBuilder;
  opsets: { domain: string; version: number }[];
}

// Opset 17 brings LayerNormalization; com.microsoft opset 1 holds the contrib ops.
function opsets(flavor: GraphFlavor): TowerGraph['opsets'] {
  return flavor === 'cuda' ? [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }] : [{ domain: '', version: 17 }];
}

function encoder(ctx: EmitContext, x: string, shape: EncoderShape, finalNorm: string, flavor: GraphFlavor, attention: AttentionKind): string {
  return flavor === 'cuda' ? cudaEncoder(ctx, x, shape, finalNorm, attention) : portableEncoder(ctx, x, shape, finalNorm);
}

/** SiglipVisionModel: pixel_values [B, C, H, W] float32 → pooler_output [B, D] float32; `attention` applies to the cuda flavor. */
export function buildVisionGraph(
  cfg: VisionTowerConfig,
  w: TowerWeights,
  dtype: WeightDtype,
  flavor: GraphFlavor,
  attention: AttentionKind = DEFAULT_ATTENTION,
): TowerGraph {
  const g = new GraphBuilder('siglip_vision');
  const ctx = new EmitContext(g, w, dtype);
  const d = cfg.hiddenSize;
  const grid = gridSize(cfg);
  const pixels = ctx.fromFloat32(g.input(ONNX_NAMES.vision.input, 'float32', ['batch', cfg.numChannels, cfg.imageSize, cfg.imageSize]));
  // Patch embedding: a Conv with kernel = stride = patch, flattened to tokens [B, grid², D].
  const patches = g.op('Conv', [pixels, ctx.raw('embeddings.patch_embedding.weight')], {
    attrs: { kernel_shape: attr.ints([cfg.patchSize, cfg.patchSize]), strides: attr.ints([cfg.patchSize, cfg.patchSize]) },
  });
  const tokens = g.op('Transpose', [g.op('Reshape', [patches, ctx.ints([0, 0, -1])])], { attrs: { perm: attr.ints([0, 2, 1]) } });
  // The Conv's bias is the same for every patch: fold it into the position embeddings (one Add instead of two).
  const posPlusBias = ctx.tensor('embeddings.position_embedding_plus_patch_bias', [grid * grid, d], async () => {
    const pos = await w.f32('embeddings.position_embedding.weight');
    const bias = await w.f32('embeddings.patch_embedding.bias');
    for (let i = 0; i < pos.length; i++) pos[i] += bias[i % d];
    return pos;
  });
  const embeddings = g.op('Add', [tokens, posPlusBias]);
  const shape: EncoderShape = { hiddenSize: d, numHeads: cfg.numHeads, numLayers: cfg.numLayers, layerNormEps: cfg.layerNormEps };
  const hidden = encoder(ctx, embeddings, shape, 'post_layernorm', flavor, attention);
  const pooled = attentionPoolingHead(ctx, hidden, d, cfg.numHeads, cfg.layerNormEps, flavor);
  g.output(ctx.toFloat32(pooled), ONNX_NAMES.vision.output, 'float32', ['batch', d]);
  return { graph: g, opsets: opsets(flavor) };
}

/** SiglipTextModel: input_ids [B, S] int64 (S ≤ max_position_embeddings) → pooler_output [B, projection] float32. */
export function buildTextGraph(
  cfg: TextTowerConfig,
  w: TowerWeights,
  dtype: WeightDtype,
  flavor: GraphFlavor,
  attention: AttentionKind = DEFAULT_ATTENTION,
): TowerGraph {
  const g = new GraphBuilder('siglip_text');
  const ctx = new EmitContext(g, w, dtype);
  const ids = g.input(ONNX_NAMES.text.input, 'int64', ['batch', 'sequence']);
  const tokens = g.op('Gather', [ctx.raw('embeddings.token_embedding.weight'), ids], { attrs: { axis: attr.int(0) } });
  // position_ids = arange(S): the first S rows of the position table.
  const seqLen = g.op('Shape', [ids], { attrs: { start: attr.int(1), end: attr.int(2) } });
  const positions = g.op('Slice', [ctx.raw('embeddings.position_embedding.weight'), ctx.ints([0]), seqLen, ctx.ints([0])]);
  const embeddings = g.op('Add', [tokens, positions]);
  const shape: EncoderShape = { hiddenSize: cfg.hiddenSize, numHeads: cfg.numHeads, numLayers: cfg.numLayers, layerNormEps: cfg.layerNormEps };
  const hidden = encoder(ctx, embeddings, shape, 'final_layer_norm', flavor, attention);
  // transformers: pooled_output = last_hidden_state[:, -1, :] (tokenization is "sticky EOS": the last token is EOS).
  const last = g.op('Gather', [hidden, g.int64('last_position', [-1], [])], { attrs: { axis: attr.int(1) } });
  const projected = linear(ctx, last, 'head');
  g.output(ctx.toFloat32(projected), ONNX_NAMES.text.output, 'float32', ['batch', cfg.projectionSize]);
  return { graph: g, opsets: opsets(flavor) };
}

