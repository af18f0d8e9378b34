import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { SafetensorsFile } from '../gpu-backend/convert/safetensors/safetensorsFile';
import { parseSiglipConfig } from '../gpu-backend/convert/siglip/siglipConfig';
import { TowerWeights } from '../gpu-backend/convert/siglip/towerWeights';
import { buildVisionGraph, buildTextGraph } from '../gpu-backend/convert/siglip/towerGraphs';
import { writeOnnxModel } from '../gpu-backend/convert/onnx/writeOnnxModel';
const F = 'test/fixtures/siglip/';
const ref = JSON.parse(readFileSync(F + 'reference.json', 'utf8'));
function stats(out: Float32Array, exp: number[][]) {
  const e = exp.flat(); let m = 0, dot = 0, na = 0, nb = 0;
  for (let i = 0; i < e.length; i++) { m = Math.max(m, Math.abs(out[i] - e[i])); dot += out[i] * e[i]; na += out[i] ** 2; nb += e[i] ** 2; }
  return `maxabs=${m.toExponential(2)} cos=${(dot / Math.sqrt(na * nb)).toFixed(7)}`;
}
for (const flavor of ['portable', 'cuda'] as const) for (const dtype of ['fp32', 'fp16'] as const) {
  const st = await SafetensorsFile.open(F + 'siglip_vision_tiny/model.safetensors');
  const arch = parseSiglipConfig(JSON.parse(readFileSync(F + 'siglip_vision_tiny/config.json', 'utf8')));
  const w = TowerWeights.locate(st, 'vision_model.', 'embeddings.patch_embedding.weight')!;
  const { graph, opsets } = buildVisionGraph(arch.vision!, w, dtype, flavor);
  const p = `.tmpprobe/v_${flavor}_${dtype}.onnx`;
  await writeOnnxModel(graph, p, { opsets });
  const s = await ort.InferenceSession.create(p, { executionProviders: ['cpu'] });
  for (const [name, file, n] of [['random_pixels', 'random_pixels_2x3x384x384.f32', 2], ['photos', 'photos_pixel_values_3x3x384x384.f32', 3]] as const) {
    const buf = readFileSync(F + file);
    const px = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const r = await s.run({ pixel_values: new ort.Tensor('float32', px, [n, 3, 384, 384]) });
    console.log('vision', flavor, dtype, name, stats(r.pooler_output.data as Float32Array, ref[name].pooler_output));
  }
  const st2 = await SafetensorsFile.open(F + 'siglip_text_tiny/model.safetensors');
  const arch2 = parseSiglipConfig(JSON.parse(readFileSync(F + 'siglip_text_tiny/config.json', 'utf8')));
  const w2 = TowerWeights.locate(st2, 'text_model.', 'embeddings.token_embedding.weight')!;
  const t = buildTextGraph(arch2.text!, w2, dtype, flavor);
  const p2 = `.tmpprobe/t_${flavor}_${dtype}.onnx`;
  await writeOnnxModel(t.graph, p2, { opsets: t.opsets });
  const s2 = await ort.InferenceSession.create(p2, { executionProviders: ['cpu'] });
  const ids = ref.text.input_ids as number[][];
  const r2 = await s2.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [ids.length, ids[0].length]) });
  console.log('text', flavor, dtype, stats(r2.pooler_output.data as Float32Array, ref.text.pooler_output));
}
