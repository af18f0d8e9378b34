import { attr, type ElemType, type GraphBuilder } from '../onnx/graphBuilder';
import { encodeWeights, scaleInPlace, transpose2d, type WeightDtype } from '../tensor/weightTransforms';
import type { TowerWeights } from './towerWeights';

/**
 * What every graph-building function needs: the graph, the tower's weights, and the dtype weights and
 * activations take inside the graph. Helpers turn checkpoint tensors into lazily-produced initializers.
 */
export class EmitContext {
  readonly g: GraphBuilder;
  readonly w: TowerWeights;
  readonly dtype: WeightDtype;
  readonly elem: ElemType;
  private readonly scalars = new Map<number, string>();
  private readonly shapes = new Map<string, string>();

  constructor(g: GraphBuilder, w: TowerWeights, dtype: WeightDtype) {
    this.g = g;
    this.w = w;
    this.dtype = dtype;
    this.elem = dtype === 'fp16' ? 'float16' : 'float32';
  }

  /** A derived tensor: `compute` runs when the writer reaches it. */
  tensor(name: string, dims: number[], compute: () => Promise<Float32Array>): string {
    return this.g.initializer(name, this.elem, dims, async () => encodeWeights(await compute(), this.dtype));
  }

  /** A checkpoint tensor as is (optionally reshaped). */
  raw(key: string, dims: number[] = this.w.shape(key)): string {
    return this.tensor(key, dims, () => this.w.f32(key));
  }

  /** A 1-D checkpoint tensor times `scale`. */
  vector(key: string, scale = 1): string {
    const dims = this.w.shape(key);
    return this.tensor(scale === 1 ? key : `${key}_scaled`, dims, async () => scaleInPlace(await this.w.f32(key), scale));
  }

  /** A torch Linear weight [out, in] as a MatMul operand [in, out], times `scale`. */
  linearWeight(key: string, scale = 1): string {
    const [out, inp] = this.w.shape(key);
    return this.tensor(`${key}_T`, [inp, out], async () => scaleInPlace(transpose2d(await this.w.f32(key), out, inp), scale));
  }

  /** A scalar constant in the graph's float dtype, shared by value. */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (!name) {
      name = this.tensor(this.g.unique('const'), [], async () => new Float32Array([value]));
      this.scalars.set(value, name);
    }
    return name;
  }

  /** An int64 shape/axes constant, shared by value. */
  ints(values: number[]): string {
    const k = values.join(',');
    let name = this.shapes.get(k);
    if (!name) {
      name = this.g.int64('ints', values);
      this.shapes.set(k, name);
    }
    return name;
  }

  /** Casts to float32 (a no-op in fp32 graphs). */
  toFloat32(x: string): string {
    return this.elem === 'float32' ? x : this.g.op('Cast', [x], { attrs: { to: attr.int(1) } });
  }

  /** Casts a float32 graph input to the graph's dtype (a no-op in fp32 graphs). */
  fromFloat32(x: string): string {
    return this.elem === 'float32' ? x : this.g.op('Cast', [x], { attrs: { to: attr.int(10) } });
  }
}
