/**
 * Writes perf_analyzer `--input-data` files for our models into data/<model>/, from the project's own fixtures
 * (test/fixtures/siglip: HF-processed pixel values and three photos; the demo tokenizer). Deterministic.
 *
 * Run: npx tsx scripts/make-perf-data.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SiglipTokenizer } from '../gpu-backend/models/text/siglipTokenizer';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const fixture = (name: string) => readFileSync(root(`test/fixtures/siglip/${name}`));

/** Captions for the text models: the kind of prompt zero-shot classification sends. */
export const PERF_TEXTS = ['a photo of an astronaut', 'a photo of a cat', 'a photo of a cup of coffee', 'a photo of a green lizard', 'This is a photo of a tench.'];

function write(model: string, file: string, data: object[]): void {
  mkdirSync(root(`data/${model}`), { recursive: true });
  writeFileSync(root(`data/${model}/${file}`), JSON.stringify({ data }) + '\n');
  console.log(`data/${model}/${file}: ${data.length} entries`);
}

// siglip_vision: the HF-processed pixel values of the first photo (astronaut), as base64 of the raw FP32
// bytes: a fifth of the size of 442,368 decimal numbers, and perf_analyzer sends it as JSON or binary alike.
const pixels = fixture('photos_pixel_values_3x3x384x384.f32');
write('siglip_vision', 'pixel_values.json', [{ PIXEL_VALUES: { b64: pixels.subarray(0, 3 * 384 * 384 * 4).toString('base64'), shape: [3, 384, 384] } }]);

// embed_image: the three photos as base64 text, for --request-parameter=base64_encoded:true:bool.
write('embed_image', 'base64.json', ['astronaut.png', 'chelsea.png', 'coffee.png'].map((f) => ({ INPUT_IMAGE: [fixture(f).toString('base64')] })));

// embed_text: texts; siglip_text: the demo tokenizer's 64 ids of the same texts.
write('embed_text', 'texts.json', PERF_TEXTS.map((t) => ({ INPUT_TEXT: [t] })));
const tokenizer = await SiglipTokenizer.fromDirectory(root('model_repository/embed_text'), { maxLength: 64 });
write('siglip_text', 'input_ids.json', PERF_TEXTS.map((t) => ({ INPUT_IDS: Array.from(tokenizer.encode(t), Number) })));
