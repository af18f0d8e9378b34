import * as ort from 'onnxruntime-node';
const px = new Float32Array(3 * 384 * 384).map((_, i) => Math.sin(i));
const outs: Float32Array[] = [];
for (const p of ['/tmp/repo-portable', '/tmp/repo-cuda']) {
  let t = performance.now();
  const s = await ort.InferenceSession.create(`${p}/siglip_vision/1/model.onnx`, { executionProviders: ['cpu'] });
  console.log(p, 'load', ((performance.now() - t) / 1000).toFixed(1));
  t = performance.now();
  const r = await s.run({ pixel_values: new ort.Tensor('float32', px, [1, 3, 384, 384]) });
  const o = r.pooler_output.data as Float32Array; outs.push(o);
  console.log(p, 'run', ((performance.now() - t) / 1000).toFixed(1), Array.from(o.slice(0, 4)), 'nan?', o.some(Number.isNaN));
}
let dot = 0, a = 0, b = 0; for (let i = 0; i < outs[0].length; i++) { dot += outs[0][i] * outs[1][i]; a += outs[0][i] ** 2; b += outs[1][i] ** 2; }
console.log('cos portable-fp32 vs cuda-fp16', dot / Math.sqrt(a * b));
