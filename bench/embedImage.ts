/** Bench: embed_image throughput (image files in, embeddings out) on the demo model, against the pre-resized path. */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { encodeBytesElements } from '../shared/codec/binaryTensor';
import { binaryPixelRequest, fixturePixels } from './e2e';
import { describeLoad, runLoad } from './loadgen';
import { benchPreprocess } from './preprocess';
import { startCli } from './processes';
import { renderTable, type BenchRow } from './table';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 60;

/** A binary-extension embed_image request carrying one encoded image file as a length-prefixed BYTES element. */
export function binaryImageRequest(file: Uint8Array): { body: Uint8Array; headers: Record<string, string> } {
  const data = encodeBytesElements([file]);
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: [{ name: 'INPUT_IMAGE', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: data.byteLength } }],
      outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }],
    }),
  );
  const body = new Uint8Array(header.length + data.byteLength);
  body.set(header);
  body.set(data, header.length);
  return { body, headers: { 'inference-header-content-length': String(header.length), 'content-type': 'application/octet-stream' } };
}

/**
 * embed_image images/s at concurrency 60 (binary protocol, astronaut.png, 512×512 PNG) on a backend child
 * process with the demo model on CPU; the same load on siglip_vision with pixels already preprocessed
 * gives the ratio that preprocessing costs. Followed by benchPreprocess's per-image rows (1920×1080 JPEG).
 */
export async function benchEmbedImage(): Promise<BenchRow[]> {
  const png = new Uint8Array(readFileSync(new URL('../test/fixtures/siglip/astronaut.png', import.meta.url)));
  const images = binaryImageRequest(png);
  const pixels = binaryPixelRequest(fixturePixels());
  const opts = { concurrency: CONCURRENCY, seconds: SECONDS, maxRequests: 20_000 };
  const backend = await startCli(['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info'], 'backend ready');
  let embed, vision;
  try {
    embed = await runLoad({ url: `${backend.url}/v2/models/embed_image/infer`, ...images }, opts);
    vision = await runLoad({ url: `${backend.url}/v2/models/siglip_vision/infer`, ...pixels }, opts);
  } finally {
    await backend.stop();
  }
  const section = 'embed_image (CPU, demo model)';
  return [
    {
      section,
      measure: `astronaut.png (512×512, ${(png.byteLength / 1024).toFixed(0)} KiB) as binary BYTES, c=${CONCURRENCY}`,
      result: describeLoad(embed, 'images/s'),
      ratio: `${(embed.rps / vision.rps).toFixed(2)}× siglip_vision with preprocessed pixels`,
    },
    { section, measure: `siglip_vision, preprocessed pixels as binary FP32, c=${CONCURRENCY} (reference)`, result: describeLoad(vision, 'images/s') },
    ...(await benchPreprocess()),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderTable(await benchEmbedImage()));
}
