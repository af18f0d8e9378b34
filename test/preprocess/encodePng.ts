import { crc32, deflateSync } from 'node:zlib';

/** PNG colour types (PNG spec §11.2.2). */
export const PNG_COLOR = { gray: 0, rgb: 2, palette: 3, grayAlpha: 4, rgba: 6 } as const;

export interface PngSpec {
  width: number;
  height: number;
  colorType: (typeof PNG_COLOR)[keyof typeof PNG_COLOR];
  bitDepth: 8 | 16;
  /** Samples row by row, without filter bytes; 16-bit samples as numbers 0..65535. */
  samples: ArrayLike<number>;
  /** RGB triples, for colour type 3. */
  palette?: number[];
  /** Alpha per palette entry (tRNS), for colour type 3. */
  paletteAlpha?: number[];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * A minimal PNG writer for tests: exact control over colour type, bit depth and palette, which
 * sharp's encoder does not give (it picks its own layout).
 */
export function encodePng(spec: PngSpec): Uint8Array {
  const bytesPerSample = spec.bitDepth / 8;
  const rowBytes = spec.width * CHANNELS[spec.colorType] * bytesPerSample;
  const raw = Buffer.alloc((rowBytes + 1) * spec.height);
  let s = 0;
  for (let y = 0; y < spec.height; y++) {
    let o = y * (rowBytes + 1) + 1; // filter byte 0 = None
    for (let i = 0; i < rowBytes / bytesPerSample; i++, s++) {
      if (bytesPerSample === 2) {
        raw.writeUInt16BE(spec.samples[s], o);
        o += 2;
      } else {
        raw[o++] = spec.samples[s];
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr.set([spec.bitDepth, spec.colorType, 0, 0, 0], 8);
  const chunks = [chunk('IHDR', ihdr)];
  if (spec.palette) chunks.push(chunk('PLTE', Buffer.from(spec.palette)));
  if (spec.paletteAlpha) chunks.push(chunk('tRNS', Buffer.from(spec.paletteAlpha)));
  chunks.push(chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)));
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]));
}

/**
 * A valid PNG header that declares `width`×`height` but carries almost no data: what a decompression
 * bomb looks like to a decoder that trusts the header.
 */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, PNG_COLOR.rgb, 0, 0, 0], 8);
  const idat = deflateSync(Buffer.alloc(1024));
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', idat),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}
