import { attr } from '../onnx/graphBuilder';
import { concatFloat32 } from '../tensor/weightTransforms';
import { MS_DOMAIN } from './contribDomain';
import type { EmitContext } from './emitContext';
import type { EncoderShape } from './encoderConfig';
import { stackQkvWeights, type QkvColumnOrder } from './qkvLayout';

/** The self-attention graphs the cuda flavor can emit; which is fastest is a measurement, not a guess. */
export const ATTENTION_KINDS = ['mha-separate', 'mha-packed', 'attention'] as const;

/**
 * How the cuda flavor computes self-attention (all com.microsoft ops, all with SigLIP's 1/√head_dim scale):
 * - 'mha-separate': three MatMuls (q, k, v [B,S,D]) into MultiHeadAttention with the stacked [q;k;v] bias;
 * - 'mha-packed': one MatMul with per-head interleaved weights [D,3D], reshaped to the packed query
 *   [B,S,N,3,H] of MultiHeadAttention (key and value absent), bias [q;k;v] still fused into the op.
 *   onnxruntime's CPU kernel does not implement this format (1.29: "Packed QKV ... not implemented for CPU");
 * - 'attention': com.microsoft.Attention(input, weights [D,3D], bias [3D]), the op onnxruntime's BERT optimizer
 *   emits: the projection GEMM and attention in one node.
 */
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/**
 * The kind the cuda flavor emits unless told otherwise: com.microsoft.Attention measured fastest on an H200
 * (so400m vision fp16: 563 images/s at batch 32/64, against 549 for both MultiHeadAttention forms).
 */
export const DEFAULT_ATTENTION: AttentionKind = 'attention';

/** Self-attention of one encoder layer (`prefix` = `encoder.layers.<i>.self_attn`) on `x` [B,S,D], before out_proj. */
export function cudaSelfAttention(ctx: EmitContext, x: string, prefix: string, shape: EncoderShape, kind: AttentionKind): string {
  const { g } = ctx;
  const d = shape.hiddenSize;
  const heads = attr.int(shape.numHeads);
  const bias = ctx.tensor(`${prefix}.qkv_bias`, [3 * d], async () =>
    concatFloat32([await ctx.w.f32(`${prefix}.q_proj.bias`), await ctx.w.f32(`${prefix}.k_proj.bias`), await ctx.w.f32(`${prefix}.v_proj.bias`)]),
  );
  switch (kind) {
    case 'mha-separate': {
      const q = g.op('MatMul', [x, ctx.linearWeight(`${prefix}.q_proj.weight`)]);
      const k = g.op('MatMul', [x, ctx.linearWeight(`${prefix}.k_proj.weight`)]);
      const v = g.op('MatMul', [x, ctx.linearWeight(`${prefix}.v_proj.weight`)]);
      return g.op('MultiHeadAttention', [q, k, v, bias], { domain: MS_DOMAIN, attrs: { num_heads: heads } });
    }
    case 'mha-packed': {
      const qkv = g.op('MatMul', [x, stackedWeights(ctx, prefix, shape, 'per-head')]);
      const packed = g.op('Reshape', [qkv, ctx.ints([0, 0, shape.numHeads, 3, d / shape.numHeads])]);
      return g.op('MultiHeadAttention', [packed, '', '', bias], { domain: MS_DOMAIN, attrs: { num_heads: heads } });
    }
    case 'attention':
      return g.op('Attention', [x, stackedWeights(ctx, prefix, shape, 'qkv'), bias], { domain: MS_DOMAIN, attrs: { num_heads: heads } });
  }
}

function stackedWeights(ctx: EmitContext, prefix: string, shape: EncoderShape, order: QkvColumnOrder): string {
  const d = shape.hiddenSize;
  return ctx.tensor(`${prefix}.qkv_proj_${order === 'qkv' ? 'stacked' : 'per_head'}_T`, [d, 3 * d], async () =>
    stackQkvWeights(
      await ctx.w.f32(`${prefix}.q_proj.weight`),
      await ctx.w.f32(`${prefix}.k_proj.weight`),
      await ctx.w.f32(`${prefix}.v_proj.weight`),
      d,
      shape.numHeads,
      order,
    ),
  );
}
