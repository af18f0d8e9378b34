import type { EmitContext } from './emitContext';
import type { EncoderShape } from './encoderConfig';
import { attentionCore, layerNorm, linear, mlp } from './portableOps';

/**
 * SigLIP's pre-LN encoder in standard ops, followed by the tower's final LayerNorm (`finalNorm`).
 * Per layer (transformers SiglipEncoderLayer): h = x + attn(LN1(x)); x' = h + mlp(LN2(h)).
 */
export function portableEncoder(ctx: EmitContext, x: string, shape: EncoderShape, finalNorm: string): string {
  const { g } = ctx;
  const scale = 1 / Math.sqrt(shape.hiddenSize / shape.numHeads);
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `encoder.layers.${i}`;
    const a = layerNorm(ctx, x, `${p}.layer_norm1`, shape.layerNormEps);
    // The 1/√head_dim softmax scale is folded into the query projection's weights and bias.
    const q = linear(ctx, a, `${p}.self_attn.q_proj`, scale);
    const k = linear(ctx, a, `${p}.self_attn.k_proj`);
    const v = linear(ctx, a, `${p}.self_attn.v_proj`);
    const attn = linear(ctx, attentionCore(ctx, q, k, v, shape.numHeads, shape.hiddenSize), `${p}.self_attn.out_proj`);
    const h = g.op('Add', [x, attn]);
    x = g.op('Add', [h, mlp(ctx, layerNorm(ctx, h, `${p}.layer_norm2`, shape.layerNormEps), `${p}.mlp`)]);
  }
  return layerNorm(ctx, x, finalNorm, shape.layerNormEps);
}
