import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { httpStatusOf, InferenceError } from '../../shared/errors';
import { decodeImageRgb8 } from '../../gpu-backend/models/preprocess/decodeImage';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../../gpu-backend/models/preprocess/imageLimits';
import { encodePng, PNG_COLOR, pngHeaderOnly } from './encodePng';

const decode = (bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS) => decodeImageRgb8(bytes, limits);
const pixels = (data: Uint8Array) => Array.from({ length: data.length / 3 }, (_, p) => [...data.subarray(p * 3, p * 3 + 3)]);

async function rejection(promise: Promise<unknown>): Promise<InferenceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InferenceError);
  return err as InferenceError;
}

describe('decodeImageRgb8 converts to RGB like PIL convert("RGB")', () => {
  it('replicates a grayscale PNG into three equal channels', async () => {
    const img = await decode(encodePng({ width: 2, height: 2, colorType: PNG_COLOR.gray, bitDepth: 8, samples: [0, 100, 200, 255] }));
    expect(img).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect(pixels(img.data)).toEqual([[0, 0, 0], [100, 100, 100], [200, 200, 200], [255, 255, 255]]);
  });

  it('drops RGBA alpha without compositing: a fully transparent pixel keeps its colour', async () => {
    const png = encodePng({ width: 2, height: 1, colorType: PNG_COLOR.rgba, bitDepth: 8, samples: [200, 100, 50, 0, 1, 2, 3, 128] });
    expect(pixels((await decode(png)).data)).toEqual([[200, 100, 50], [1, 2, 3]]);
  });

  it('drops gray+alpha (LA) alpha and replicates the gray', async () => {
    const png = encodePng({ width: 2, height: 1, colorType: PNG_COLOR.grayAlpha, bitDepth: 8, samples: [10, 0, 20, 255] });
    expect(pixels((await decode(png)).data)).toEqual([[10, 10, 10], [20, 20, 20]]);
  });

  it('expands a palette PNG and ignores its transparency (tRNS)', async () => {
    const png = encodePng({
      width: 3, height: 1, colorType: PNG_COLOR.palette, bitDepth: 8, samples: [2, 0, 1],
      palette: [255, 0, 0, 0, 255, 0, 1, 2, 3], paletteAlpha: [0, 128, 255],
    });
    expect(pixels((await decode(png)).data)).toEqual([[1, 2, 3], [255, 0, 0], [0, 255, 0]]);
  });

  it('keeps the high byte of 16-bit RGB samples, as PIL does', async () => {
    const png = encodePng({ width: 1, height: 1, colorType: PNG_COLOR.rgb, bitDepth: 16, samples: [0x12ff, 0x3400, 0xffff] });
    expect(pixels((await decode(png)).data)).toEqual([[0x12, 0x34, 0xff]]);
  });

  it('keeps the high byte of 16-bit gray too (PIL would clip it to 255: a documented deviation)', async () => {
    const png = encodePng({ width: 2, height: 1, colorType: PNG_COLOR.gray, bitDepth: 16, samples: [0x0100, 0x6464] });
    expect(pixels((await decode(png)).data)).toEqual([[1, 1, 1], [100, 100, 100]]);
  });

  it('decodes a JPEG into three channels, and a grayscale JPEG into equal channels', async () => {
    const colour = await sharp({ create: { width: 6, height: 4, channels: 3, background: { r: 200, g: 30, b: 90 } } }).jpeg().toBuffer();
    const img = await decode(colour);
    expect(img).toMatchObject({ width: 6, height: 4, channels: 3 });
    expect(img.data.length).toBe(6 * 4 * 3);
    const ramp = Buffer.from(new Uint8Array(24).map((_, i) => i * 10));
    const gray = await sharp(ramp, { raw: { width: 6, height: 4, channels: 1 } }).toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    for (const [r, g, b] of pixels((await decode(gray)).data)) expect([g, b]).toEqual([r, r]);
  });

  it('does not apply EXIF orientation (neither PIL nor HF rotates)', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 2, channels: 3, background: '#808080' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    expect(await decode(jpeg)).toMatchObject({ width: 8, height: 2 });
  });

  it.each(['webp', 'gif', 'tiff', 'avif'] as const)('decodes %s', async (format) => {
    const bytes = await sharp({ create: { width: 5, height: 3, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } })
      .toFormat(format)
      .toBuffer();
    const img = await decode(bytes);
    expect(img).toMatchObject({ width: 5, height: 3, channels: 3 });
    expect(img.data.length).toBe(45);
  });
});

describe('decodeImageRgb8 rejects bad input', () => {
  it('answers 413 PAYLOAD_TOO_LARGE past maxEncodedBytes, before decoding', async () => {
    const png = encodePng({ width: 1, height: 1, colorType: PNG_COLOR.gray, bitDepth: 8, samples: [0] });
    const err = await rejection(decode(png, { ...DEFAULT_IMAGE_LIMITS, maxEncodedBytes: png.length - 1 }));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(httpStatusOf(err.code)).toBe(413);
    expect(err.message).toBe(`image is ${png.length} bytes; the limit is ${png.length - 1} bytes`);
  });

  it('answers 400 for a decompression bomb: a tiny PNG that declares 20000×20000', async () => {
    const bomb = pngHeaderOnly(20000, 20000);
    expect(bomb.length).toBeLessThan(200);
    const err = await rejection(decode(bomb));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/20000×20000 = 400000000 pixels; the limit is 50000000 pixels/);
  });

  it('answers 400 when the pixel limit is lowered below a real image', async () => {
    const png = encodePng({ width: 4, height: 4, colorType: PNG_COLOR.gray, bitDepth: 8, samples: new Array(16).fill(9) });
    const err = await rejection(decode(png, { ...DEFAULT_IMAGE_LIMITS, maxPixels: 15 }));
    expect(err.message).toMatch(/4×4 = 16 pixels; the limit is 15 pixels/);
  });

  it('answers 400 for a truncated file', async () => {
    const big = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
      .composite([{ input: Buffer.from(new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256)), raw: { width: 32, height: 32, channels: 3 } }])
      .png({ compressionLevel: 0 })
      .toBuffer();
    const err = await rejection(decode(big.subarray(0, big.length >> 1)));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^corrupt or truncated png image: /);
  });

  it('answers 400 for bytes that are not an image', async () => {
    const err = await rejection(decode(new TextEncoder().encode('a photo of a cat, as text')));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^not a decodable image \(expected JPEG, PNG, WebP, GIF, TIFF or AVIF\)/);
  });

  it('answers 400 for an image format outside the list (SVG)', async () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
    const err = await rejection(decode(svg));
    expect(err.message).toBe('unsupported image format "svg"; send JPEG, PNG, WebP, GIF, TIFF or AVIF');
  });

  it('answers 400 for an empty body', async () => {
    expect((await rejection(decode(new Uint8Array(0)))).message).toBe('image is empty (0 bytes)');
  });
});
