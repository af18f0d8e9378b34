import * as ort from 'onnxruntime-node';
import { GraphBuilder, attr, type ElemType } from '../gpu-backend/convert/onnx/graphBuilder';
import { writeOnnxModel } from '../gpu-backend/convert/onnx/writeOnnxModel';
import { encodeWeights } from '../gpu-backend/convert/tensor/weightTransforms';

const D = 8;
function w(n: number, dt: ElemType) { const a = new Float32Array(n).map((_, i) => Math.sin(i) * 0.1 + (n === D ? 1 : 0)); return encodeWeights(a, dt === 'float16' ? 'fp16' : 'fp32'); }
async function probe(label: string, dt: ElemType, build: (g: GraphBuilder, x: string) => string) {
  const g = new GraphBuilder('p');
  const x0 = g.input('x', 'float32', ['N', 4, D]);
  const x = dt === 'float16' ? g.op('Cast', [x0], { attrs: { to: attr.int(10) } }) : x0;
  let y = build(g, x);
  if (dt === 'float16') y = g.op('Cast', [y], { attrs: { to: attr.int(1) } });
  g.output(y, 'y', 'float32', ['N', 4, D]);
  const path = `.tmpprobe/${label}.onnx`;
  await writeOnnxModel(g, path, { opsets: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }] });
  try {
    const s = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array(2 * 4 * D).map((_, i) => Math.cos(i)), [2, 4, D]) });
    console.log(label, 'OK', Array.from((r.y.data as Float32Array).slice(0, 3)).map(v => v.toFixed(4)).join(' '));
  } catch (e) { console.log(label, 'FAIL', String(e).slice(0, 200)); }
}
for (const dt of ['float32', 'float16'] as ElemType[]) {
  await probe(`matmul_${dt}`, dt, (g, x) => g.op('MatMul', [x, g.initializer('w', dt, [D, D], () => w(D * D, dt))]));
  await probe(`ln_${dt}`, dt, (g, x) => g.op('LayerNormalization', [x, g.initializer('g', dt, [D], () => w(D, dt)), g.initializer('b', dt, [D], () => w(D, dt))], { attrs: { axis: attr.int(-1), epsilon: attr.float(1e-6) } }));
  await probe(`tanh_${dt}`, dt, (g, x) => g.op('Tanh', [x]));
  await probe(`softmax_${dt}`, dt, (g, x) => g.op('Softmax', [x], { attrs: { axis: attr.int(-1) } }));
  await probe(`sln_${dt}`, dt, (g, x) => g.node('SkipLayerNormalization', [x, x, g.initializer('g', dt, [D], () => w(D, dt)), g.initializer('b', dt, [D], () => w(D, dt)), g.initializer('bb', dt, [D], () => w(D, dt))], { domain: 'com.microsoft', outputs: 4, attrs: { epsilon: attr.float(1e-6) } })[3]);
  await probe(`fastgelu_${dt}`, dt, (g, x) => g.op('FastGelu', [x, g.initializer('b', dt, [D], () => w(D, dt))], { domain: 'com.microsoft' }));
  await probe(`mha_${dt}`, dt, (g, x) => g.op('MultiHeadAttention', [x, x, x, g.initializer('b', dt, [3 * D], () => w(3 * D, dt))], { domain: 'com.microsoft', attrs: { num_heads: attr.int(2) } }));
  await probe(`attention_${dt}`, dt, (g, x) => g.op('Attention', [x, g.initializer('w', dt, [D, 3 * D], () => w(3 * D * D, dt)), g.initializer('b', dt, [3 * D], () => w(3 * D, dt))], { domain: 'com.microsoft', attrs: { num_heads: attr.int(2) } }));
}
