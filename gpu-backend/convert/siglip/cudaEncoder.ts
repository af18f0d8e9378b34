import { attr } from '../onnx/graphBuilder';
import { concatFloat32 } from '../tensor/weightTransforms';
import type { EmitContext } from './emitContext';
import type { EncoderShape } from './encoderConfig';

/** onnxruntime's contrib-op domain. */
export const MS_DOMAIN = 'com.microsoft';

/**
 * SigLIP's encoder for onnxruntime's CUDA kernels (com.microsoft contrib ops, ContribOperators.md):
 * - MultiHeadAttention takes Q, K, V [B,S,D] and the stacked [q;k;v] bias, and runs flash / memory-efficient
 *   attention; its default scale is 1/√head_dim, as SigLIP's.
 * - SkipLayerNormalization(input, skip, gamma, beta, bias) adds the residual and the projection bias and normalizes
 *   in one kernel; output 3 is the sum, the next residual. Each layer's LN2 and the next layer's LN1 (or the
 *   tower's final LayerNorm) are such fused nodes.
 * - FastGelu(x, bias) is fc1's bias plus the tanh-approximated GELU.
 */
export function cudaEncoder(ctx: EmitContext, x: string, shape: EncoderShape, finalNorm: string): string {
  const { g } = ctx;
  const eps = attr.float(shape.layerNormEps);
  const ln = (key: string) => [ctx.vector(`${key}.weight`), ctx.vector(`${key}.bias`)];
  let normed = g.op('LayerNormalization', [x, ...ln('encoder.layers.0.layer_norm1')], { attrs: { axis: attr.int(-1), epsilon: eps } });
  let residual = x;
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `encoder.layers.${i}`;
    const q = g.op('MatMul', [normed, ctx.linearWeight(`${p}.self_attn.q_proj.weight`)]);
    const k = g.op('MatMul', [normed, ctx.linearWeight(`${p}.self_attn.k_proj.weight`)]);
    const v = g.op('MatMul', [normed, ctx.linearWeight(`${p}.self_attn.v_proj.weight`)]);
    const qkvBias = ctx.tensor(`${p}.self_attn.qkv_bias`, [3 * shape.hiddenSize], async () =>
      concatFloat32([await ctx.w.f32(`${p}.self_attn.q_proj.bias`), await ctx.w.f32(`${p}.self_attn.k_proj.bias`), await ctx.w.f32(`${p}.self_attn.v_proj.bias`)]),
    );
    const attn = g.op('MultiHeadAttention', [q, k, v, qkvBias], { domain: MS_DOMAIN, attrs: { num_heads: attr.int(shape.numHeads) } });
    const proj = g.op('MatMul', [attn, ctx.linearWeight(`${p}.self_attn.out_proj.weight`)]);
    const [ln2, , , h] = g.node('SkipLayerNormalization', [proj, residual, ...ln(`${p}.layer_norm2`), ctx.vector(`${p}.self_attn.out_proj.bias`)], {
      domain: MS_DOMAIN,
      outputs: 4,
      attrs: { epsilon: eps },
    });
    const fc1 = g.op('MatMul', [ln2, ctx.linearWeight(`${p}.mlp.fc1.weight`)]);
    const act = g.op('FastGelu', [fc1, ctx.vector(`${p}.mlp.fc1.bias`)], { domain: MS_DOMAIN });
    const fc2 = g.op('MatMul', [act, ctx.linearWeight(`${p}.mlp.fc2.weight`)]);
    const last = i === shape.numLayers - 1;
    const nextNorm = last ? finalNorm : `encoder.layers.${i + 1}.layer_norm1`;
    // The last layer's sum is not needed: only the final LayerNorm's output leaves the encoder.
    const outs = g.node('SkipLayerNormalization', [fc2, h, ...ln(nextNorm), ctx.vector(`${p}.mlp.fc2.bias`)], {
      domain: MS_DOMAIN,
      outputs: last ? 1 : 4,
      attrs: { epsilon: eps },
    });
    normed = outs[0];
    residual = outs[3];
  }
  return normed;
}
