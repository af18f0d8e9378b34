import sharp from 'sharp';

/** Width of the loopback server's embeddings. */
export const COLOUR_DIM = 8;

/**
 * The loopback server's image embedding: from the decoded pixels' colour statistics. Hue as a point on the circle
 * (so classes of distinct hue point apart), saturation, brightness, and how much darker the centre is than the
 * border (the drawn shape). Deterministic in the image bytes.
 */
export async function imageColourEmbedding(bytes: Uint8Array): Promise<Float32Array> {
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const sum = [0, 0, 0];
  let centre = 0;
  let centreCount = 0;
  let lum = 0;
  for (let p = 0; p < n; p++) {
    const rgb = [data[p * info.channels], data[p * info.channels + 1], data[p * info.channels + 2]];
    for (let c = 0; c < 3; c++) sum[c] += rgb[c];
    const l = (rgb[0] + rgb[1] + rgb[2]) / (3 * 255);
    lum += l;
    const x = p % info.width;
    const y = Math.floor(p / info.width);
    if (Math.abs(x - info.width / 2) < info.width / 4 && Math.abs(y - info.height / 2) < info.height / 4) {
      centre += l;
      centreCount++;
    }
  }
  const mean = sum.map((s) => s / n) as [number, number, number];
  return colourVector(mean, lum / n - centre / Math.max(1, centreCount));
}

/** The loopback server's text embedding: the colour named `#rrggbb` in the text, nudged by a hash of the whole text. */
export function textColourEmbedding(text: string): Float32Array {
  const m = /#([0-9a-f]{6})/i.exec(text);
  const rgb: [number, number, number] = m ? [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16)) as [number, number, number] : [128, 128, 128];
  const v = colourVector(rgb, 0.1);
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  for (let j = 0; j < COLOUR_DIM; j++) v[j] += (((h >>> (j * 4)) & 15) - 7.5) / 400;
  return v;
}

function colourVector([r, g, b]: [number, number, number], shapeContrast: number): Float32Array {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min || 1;
  const hue = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  const angle = (hue / 6) * 2 * Math.PI;
  const sat = max ? (max - min) / max : 0;
  return Float32Array.from([Math.cos(angle), Math.sin(angle), 0.2 * sat, 0.1 * (max / 255), shapeContrast, 0.05, 0.02, 0.01]);
}
