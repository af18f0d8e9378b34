// A compute-free stand-in for siglip_vision (issue 3's "server ceiling" rows): each image's 442,368 pixel values are
// averaged per channel and projected to 64 values. Same name, input, output and batching config as the demo model,
// so the server does everything it does for the real one except the model's arithmetic.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, attr } from '../model-tools/convert/onnx/graphBuilder';
import { writeOnnxModel } from '../model-tools/convert/onnx/writeOnnxModel';

const DEMO_CONFIG = fileURLToPath(new URL('../model_repository/siglip_vision/config.json', import.meta.url));
const DIM = 64;

/** Writes `dir/siglip_vision/{config.json,1/model.onnx}` and returns `dir`. */
export async function writeNullModelRepository(dir: string): Promise<string> {
  const g = new GraphBuilder('null_vision');
  const pixels = g.input('pixel_values', 'float32', ['batch', 3, 384, 384]);
  const mean = g.op('ReduceMean', [pixels], { attrs: { axes: attr.ints([2, 3]), keepdims: attr.int(0) } });
  const weights = new Float32Array(3 * DIM).map((_, i) => Math.sin(i + 1));
  const w = g.initializer('projection', 'float32', [3, DIM], () => new Uint8Array(weights.buffer));
  g.output(g.op('MatMul', [mean, w]), 'pooler_output', 'float32', ['batch', DIM]);
  await mkdir(join(dir, 'siglip_vision', '1'), { recursive: true });
  await writeOnnxModel(g, join(dir, 'siglip_vision', '1', 'model.onnx'), { opsets: [{ domain: '', version: 17 }] });
  const config = JSON.parse(await readFile(DEMO_CONFIG, 'utf8'));
  await writeFile(join(dir, 'siglip_vision', 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}
