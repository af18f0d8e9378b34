/** Bench: preprocessing one 1920×1080 JPEG for so400m, with the faithful (PIL-algorithm) resizes and with sharp's. */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { decodeImageRgb8 } from '../gpu-backend/models/preprocess/decodeImage';
import { DEFAULT_IMAGE_LIMITS } from '../gpu-backend/models/preprocess/imageLimits';
import { SO400M_IMAGE_PROCESSOR } from '../gpu-backend/models/preprocess/imageProcessorConfig';
import { pixelValuesLength, preprocessImage, type Resizer } from '../gpu-backend/models/preprocess/preprocessImage';
import { median, renderTable, type BenchRow } from './table';

const RUNS = 20;
const WARMUP = 3;

/** A 1920×1080 JPEG (quality 90) made from the chelsea fixture photo, scaled up. */
async function makeFullHdJpeg(): Promise<Uint8Array> {
  const photo = readFileSync(new URL('../test/fixtures/siglip/chelsea.png', import.meta.url));
  return new Uint8Array(await sharp(photo).resize(1920, 1080, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer());
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms (median of ${RUNS})`;

/** Per-image preprocessing time, single-threaded, for each resizer; ratios against sharp's resize. */
export async function benchPreprocess(): Promise<BenchRow[]> {
  const jpeg = await makeFullHdJpeg();
  const out = new Float32Array(pixelValuesLength(SO400M_IMAGE_PROCESSOR));
  const run = (resizer: Resizer) => () => preprocessImage(jpeg, SO400M_IMAGE_PROCESSOR, DEFAULT_IMAGE_LIMITS, out, 0, resizer);
  const decode = await timeMs(() => decodeImageRgb8(jpeg, DEFAULT_IMAGE_LIMITS));
  const viaSharp = await timeMs(run('sharp'));
  const viaTorch = await timeMs(run('torch'));
  const viaPil = await timeMs(run('pil'));
  const vsSharp = (ms: number) => `${(ms / viaSharp).toFixed(1)}× the sharp-resize time`;
  const section = 'preprocess 1920×1080 JPEG → [3,384,384]';
  return [
    { section, measure: 'decode only (sharp → RGB)', result: fmt(decode) },
    { section, measure: 'default: torch-exact bicubic (HF 5.x, bit-exact)', result: fmt(viaTorch), ratio: vsSharp(viaTorch) },
    { section, measure: 'Pillow-exact bicubic (HF 4.x PIL path)', result: fmt(viaPil), ratio: vsSharp(viaPil) },
    { section, measure: "sharp's resize (cubic kernel, approximate)", result: fmt(viaSharp) },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderTable(await benchPreprocess()));
}
