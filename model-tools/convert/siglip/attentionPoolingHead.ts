import { attr } from '../onnx/graphBuilder';
import { scaleInPlace, transpose2d } from '../tensor/weightTransforms';
import { MS_DOMAIN } from './contribDomain';
import type { EmitContext } from './emitContext';
import { attentionCore, geluTanh, layerNorm, linear } from './portableOps';

/** Which ops the head is built from. */
export type HeadFlavor = 'portable' | 'cuda';

/**
 * SigLIP's multi-head attention pooling head (transformers SiglipMultiheadAttentionPoolingHead):
 * a learned probe attends over the tokens through torch nn.MultiheadAttention (in_proj_weight stacks [q; k; v]),
 * then h = attn + mlp(LN(attn)), and token 0 is the pooled output [B, D].
 * The probe's query projection does not depend on the input, so it is computed here, once, at conversion.
 */
export function attentionPoolingHead(ctx: EmitContext, x: string, hidden: number, heads: number, eps: number, flavor: HeadFlavor): string {
  const { g } = ctx;
  const d = hidden;
  const block = (which: 0 | 1 | 2) => async () => (await ctx.w.f32('head.attention.in_proj_weight')).subarray(which * d * d, (which + 1) * d * d);
  const biasBlock = (which: 0 | 1 | 2) => async () => (await ctx.w.f32('head.attention.in_proj_bias')).slice(which * d, (which + 1) * d);
  const wk = ctx.tensor('head.attention.k_proj_T', [d, d], async () => transpose2d(await block(1)(), d, d));
  const wv = ctx.tensor('head.attention.v_proj_T', [d, d], async () => transpose2d(await block(2)(), d, d));
  const k = g.op('MatMul', [x, wk]);
  const v = g.op('MatMul', [x, wv]);

  let attended: string;
  if (flavor === 'portable') {
    // q = (probe · Wqᵀ + bq) / √head_dim, laid out as heads [1, H, 1, head_dim] (same memory order as [1, 1, D]).
    const q = ctx.tensor('head.attention.probe_query', [1, heads, 1, d / heads], async () =>
      scaleInPlace(await probeQuery(ctx, block(0), biasBlock(0), d), 1 / Math.sqrt(d / heads)),
    );
    const kb = g.op('Add', [k, ctx.tensor('head.attention.k_bias', [d], biasBlock(1))]);
    const vb = g.op('Add', [v, ctx.tensor('head.attention.v_bias', [d], biasBlock(2))]);
    attended = attentionCore(ctx, q, kb, vb, heads, d, true);
  } else {
    const q = ctx.tensor('head.attention.probe_query', [1, 1, d], () => probeQuery(ctx, block(0), biasBlock(0), d));
    // MultiHeadAttention needs the query batch to match the keys': expand the constant to [B, 1, D].
    const batch = g.op('Shape', [x], { attrs: { start: attr.int(0), end: attr.int(1) } });
    const qb = g.op('Expand', [q, g.op('Concat', [batch, ctx.ints([1, d])], { attrs: { axis: attr.int(0) } })]);
    // The query's bias is already in the constant; k and v biases go to the fused op.
    const bias = ctx.tensor('head.attention.qkv_bias', [3 * d], async () => {
      const b = (await ctx.w.f32('head.attention.in_proj_bias')).slice();
      b.fill(0, 0, d);
      return b;
    });
    attended = g.op('MultiHeadAttention', [qb, k, v, bias], { domain: MS_DOMAIN, attrs: { num_heads: attr.int(heads) } });
  }
  const attn = linear(ctx, attended, 'head.attention.out_proj');
  const normed = layerNorm(ctx, attn, 'head.layernorm', eps);
  let mlpOut: string;
  if (flavor === 'portable') {
    mlpOut = linear(ctx, geluTanh(ctx, linear(ctx, normed, 'head.mlp.fc1')), 'head.mlp.fc2');
  } else {
    const fc1 = g.op('MatMul', [normed, ctx.linearWeight('head.mlp.fc1.weight')]);
    const act = g.op('FastGelu', [fc1, ctx.vector('head.mlp.fc1.bias')], { domain: MS_DOMAIN });
    mlpOut = linear(ctx, act, 'head.mlp.fc2');
  }
  const pooled = g.op('Add', [attn, mlpOut]);
  return g.op('Reshape', [pooled, ctx.ints([0, d])]);
}

// probe [1, 1, D] · Wqᵀ + bq, in float64 accumulation: it is one vector, and exact is cheap.
async function probeQuery(ctx: EmitContext, wq: () => Promise<Float32Array>, bq: () => Promise<Float32Array>, d: number): Promise<Float32Array> {
  const probe = await ctx.w.f32('head.probe');
  const w = await wq();
  const b = await bq();
  const out = new Float32Array(d);
  for (let o = 0; o < d; o++) {
    let s = b[o];
    for (let i = 0; i < d; i++) s += probe[i] * w[o * d + i];
    out[o] = s;
  }
  return out;
}
