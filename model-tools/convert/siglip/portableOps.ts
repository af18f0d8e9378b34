import { attr } from '../onnx/graphBuilder';
import type { EmitContext } from './emitContext';

// Building blocks in standard ONNX ops (opset 17), so the graph runs on any execution provider.

/** LayerNormalization over the last axis with the checkpoint's `${key}.weight` / `${key}.bias`. */
export function layerNorm(ctx: EmitContext, x: string, key: string, eps: number): string {
  return ctx.g.op('LayerNormalization', [x, ctx.vector(`${key}.weight`), ctx.vector(`${key}.bias`)], {
    attrs: { axis: attr.int(-1), epsilon: attr.float(eps) },
  });
}

/** torch Linear: x · Wᵀ + b, with an optional constant folded into both. */
export function linear(ctx: EmitContext, x: string, key: string, scale = 1): string {
  const y = ctx.g.op('MatMul', [x, ctx.linearWeight(`${key}.weight`, scale)]);
  return ctx.g.op('Add', [y, ctx.vector(`${key}.bias`, scale)]);
}

/** GELU, tanh approximation (torch `gelu(approximate="tanh")`): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(ctx: EmitContext, x: string): string {
  const { g } = ctx;
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Add', [x, g.op('Mul', [x3, ctx.scalar(0.044715)])]);
  const t = g.op('Tanh', [g.op('Mul', [inner, ctx.scalar(Math.sqrt(2 / Math.PI))])]);
  return g.op('Mul', [g.op('Mul', [x, ctx.scalar(0.5)]), g.op('Add', [t, ctx.scalar(1)])]);
}

/** fc1 → GELU(tanh) → fc2 under `${key}.fc1` / `${key}.fc2`. */
export function mlp(ctx: EmitContext, x: string, key: string): string {
  return linear(ctx, geluTanh(ctx, linear(ctx, x, `${key}.fc1`)), `${key}.fc2`);
}

/**
 * Scaled dot-product attention over heads, from projected q [B,Sq,D] (already scaled by 1/√head_dim), k and v
 * [B,Sk,D]; returns [B,Sq,D]. `qHeads` may instead be a constant already split into heads [1,H,Sq,hd].
 */
export function attentionCore(ctx: EmitContext, q: string, k: string, v: string, heads: number, hidden: number, qHeads = false): string {
  const { g } = ctx;
  const hd = hidden / heads;
  const split = ctx.ints([0, 0, heads, hd]);
  const qh = qHeads ? q : g.op('Transpose', [g.op('Reshape', [q, split])], { attrs: { perm: attr.ints([0, 2, 1, 3]) } });
  const kt = g.op('Transpose', [g.op('Reshape', [k, split])], { attrs: { perm: attr.ints([0, 2, 3, 1]) } });
  const vh = g.op('Transpose', [g.op('Reshape', [v, split])], { attrs: { perm: attr.ints([0, 2, 1, 3]) } });
  const p = g.op('Softmax', [g.op('MatMul', [qh, kt])], { attrs: { axis: attr.int(-1) } });
  const o = g.op('Transpose', [g.op('MatMul', [p, vh])], { attrs: { perm: attr.ints([0, 2, 1, 3]) } });
  return g.op('Reshape', [o, ctx.ints([0, 0, hidden])]);
}
