import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../../client/validate/dataset/seededSample';

/** The shapes drawn on the synthetic images, one per class in turn. */
export const SHAPES = ['square', 'disc', 'cross', 'stripes'] as const;

/** One synthetic class: a hue and a shape; its description names its colour as `#rrggbb`. */
export interface SyntheticClass {
  synset: string;
  description: string;
  rgb: [number, number, number];
  shape: (typeof SHAPES)[number];
}

/** Options of {@link writeSyntheticDataset}. */
export interface SyntheticDatasetOptions {
  dir: string;
  classes: number;
  trainPerClass: number;
  validPerClass: number;
  /** Image side in pixels (default 32). */
  size?: number;
  /** Largest shift of an image's colour from its class colour, per channel (default 12; larger makes classes overlap). */
  colourJitter?: number;
  seed?: number;
}

/** What was written: the classes in mapping order and every image's path, by split. */
export interface SyntheticDataset {
  dir: string;
  classes: SyntheticClass[];
  train: string[];
  valid: string[];
}

/**
 * Writes a small dataset in the old accuracy check's layout (LOC_synset_mapping.txt, train/<synset>/<synset>_<n>.JPEG,
 * valid/<synset>/<synset>_<n>.JPEG): each class has its own hue (spread evenly around the colour wheel) and shape,
 * and each image jitters the colour, the shape's place and size, and adds noise, from a seeded generator.
 */
export async function writeSyntheticDataset(options: SyntheticDatasetOptions): Promise<SyntheticDataset> {
  const size = options.size ?? 32;
  const seed = options.seed ?? 0;
  const classes: SyntheticClass[] = Array.from({ length: options.classes }, (_, i) => {
    const rgb = hsvToRgb((360 * i) / options.classes, 0.75, 0.85);
    const shape = SHAPES[i % SHAPES.length];
    const hex = rgb.map((v) => v.toString(16).padStart(2, '0')).join('');
    return { synset: `n${String(i + 1).padStart(8, '0')}`, description: `${shape} on #${hex}, synthetic class ${i + 1}`, rgb, shape };
  });
  await mkdir(options.dir, { recursive: true });
  await writeFile(join(options.dir, 'LOC_synset_mapping.txt'), classes.map((c) => `${c.synset} ${c.description}\n`).join(''));
  const out: SyntheticDataset = { dir: options.dir, classes, train: [], valid: [] };
  for (const [split, count] of [['train', options.trainPerClass], ['valid', options.validPerClass]] as const) {
    for (const cls of classes) {
      const folder = join(options.dir, split, cls.synset);
      await mkdir(folder, { recursive: true });
      for (let n = 1; n <= count; n++) {
        const path = join(folder, `${cls.synset}_${n}.JPEG`);
        await writeFile(path, await drawImage(cls, size, options.colourJitter ?? 12, seededRandom(`${seed}:${split}:${cls.synset}:${n}`)));
        out[split].push(path);
      }
    }
  }
  return out;
}

async function drawImage(cls: SyntheticClass, size: number, colourJitter: number, rand: () => number): Promise<Buffer> {
  const jitter = () => (rand() - 0.5) * 2 * colourJitter;
  const bg = cls.rgb.map((v) => v + jitter());
  const fg = cls.rgb.map((v) => v * 0.45);
  const cx = size * (0.35 + 0.3 * rand());
  const cy = size * (0.35 + 0.3 * rand());
  const r = size * (0.15 + 0.1 * rand());
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = insideShape(cls.shape, x - cx, y - cy, r, x);
      const base = inside ? fg : bg;
      for (let ch = 0; ch < 3; ch++) pixels[(y * size + x) * 3 + ch] = clamp(base[ch] + (rand() - 0.5) * 16);
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

function insideShape(shape: SyntheticClass['shape'], dx: number, dy: number, r: number, x: number): boolean {
  switch (shape) {
    case 'square':
      return Math.abs(dx) <= r && Math.abs(dy) <= r;
    case 'disc':
      return dx * dx + dy * dy <= r * r;
    case 'cross':
      return (Math.abs(dx) <= r / 3 && Math.abs(dy) <= r) || (Math.abs(dy) <= r / 3 && Math.abs(dx) <= r);
    case 'stripes':
      return Math.abs(dy) <= r && Math.floor(x / 3) % 2 === 0;
  }
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}
