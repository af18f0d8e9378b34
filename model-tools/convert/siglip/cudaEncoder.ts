import { attr } from '../onnx/graphBuilder';
import { MS_DOMAIN } from './contribDomain';
import { cudaSelfAttention, DEFAULT_ATTENTION, type AttentionKind } from './cudaSelfAttention';
import type { EmitContext } from './emitContext';
import type { EncoderShape } from './encoderConfig';

/**
 * SigLIP's encoder for onnxruntime's CUDA kernels (com.microsoft contrib ops, ContribOperators.md):
 * - self-attention is MultiHeadAttention or Attention, in the layout `attention` picks (see {@link AttentionKind});
 *   each runs flash / memory-efficient attention with the [q;k;v] bias fused, at the default scale 1/√head_dim, as
 *   SigLIP's.
 * - SkipLayerNormalization(input, skip, gamma, beta, bias) adds the residual and the projection bias and normalizes
 *   in one kernel; output 3 is the sum, the next residual. Each layer's LN2 and the next layer's LN1 (or the
 *   tower's final LayerNorm) are such fused nodes.
 * - FastGelu(x, bias) is fc1's bias plus the tanh-approximated GELU.
 */
export function cudaEncoder(ctx: EmitContext, x: string, shape: EncoderShape, finalNorm: string, attention: AttentionKind = DEFAULT_ATTENTION): string {
  const { g } = ctx;
  const eps = attr.float(shape.layerNormEps);
  const ln = (key: string) => [ctx.vector(`${key}.weight`), ctx.vector(`${key}.bias`)];
  let normed = g.op('LayerNormalization', [x, ...ln('encoder.layers.0.layer_norm1')], { attrs: { axis: attr.int(-1), epsilon: eps } });
  let residual = x;
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `encoder.layers.${i}`;
    const attn = cudaSelfAttention(ctx, normed, `${p}.self_attn`, shape, attention);
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
