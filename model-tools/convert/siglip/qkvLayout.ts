import { transpose2d } from '../tensor/weightTransforms';

/**
 * Column order of a stacked [D, 3D] q/k/v projection (a MatMul operand, [in, out]):
 * - 'qkv': [Wq | Wk | Wv], as com.microsoft.Attention's `weights` input expects;
 * - 'per-head': for each head n, [Wq_n | Wk_n | Wv_n], so the MatMul output reshapes to MultiHeadAttention's
 *   packed query [B, S, N, 3, H] without a transpose.
 */
export type QkvColumnOrder = 'qkv' | 'per-head';

/**
 * Stacks three torch Linear weights [D, D] (out, in), for q, k and v, into one MatMul operand [D, 3D] in the given
 * column order; `heads` splits D into N heads of D/N columns for 'per-head'.
 */
export function stackQkvWeights(q: Float32Array, k: Float32Array, v: Float32Array, d: number, heads: number, order: QkvColumnOrder): Float32Array {
  const groups = order === 'per-head' ? heads : 1;
  if (d % groups !== 0) throw new Error(`stackQkvWeights: hidden size ${d} is not a multiple of ${groups} heads`);
  const seg = d / groups;
  const parts = [q, k, v].map((w) => transpose2d(w, d, d));
  const out = new Float32Array(d * 3 * d);
  for (let i = 0; i < d; i++) {
    const row = i * 3 * d;
    for (let g = 0; g < groups; g++) {
      for (let t = 0; t < 3; t++) {
        const from = i * d + g * seg;
        out.set(parts[t].subarray(from, from + seg), row + (g * 3 + t) * seg);
      }
    }
  }
  return out;
}
