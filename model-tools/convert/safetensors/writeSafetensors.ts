import { open } from 'node:fs/promises';
import { writeFully } from '../../io/writeFully';
import type { SafetensorsDtype } from './safetensorsFile';

/** A tensor to write: its bytes are produced only when its turn comes, so the whole file never sits in memory. */
export interface SafetensorsWriteEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Little-endian bytes, exactly prod(shape) * sizeof(dtype) long. */
  produce: () => Uint8Array | Promise<Uint8Array>;
}

const ELEMENT_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };

/** Writes a safetensors file tensor by tensor; `onTensor` reports bytes written so far and the total. */
export async function writeSafetensors(
  path: string,
  entries: SafetensorsWriteEntry[],
  options: { metadata?: Record<string, string>; onTensor?: (done: number, total: number, name: string) => void } = {},
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: options.metadata ?? { format: 'pt' } };
  let offset = 0;
  for (const e of entries) {
    const bytes = e.shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[e.dtype];
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const total = offset;
  let json = JSON.stringify(header);
  // The spec lets writers pad the header with spaces; 8-byte alignment keeps every tensor aligned for mmap readers.
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.byteLength));

  const handle = await open(path, 'w');
  try {
    await handle.write(prefix);
    await handle.write(headerBytes);
    let done = 0;
    for (const e of entries) {
      const data = await e.produce();
      const expected = (header[e.name] as { data_offsets: [number, number] }).data_offsets;
      if (data.byteLength !== expected[1] - expected[0]) {
        throw new Error(`writeSafetensors: ${e.name} produced ${data.byteLength} bytes, expected ${expected[1] - expected[0]}`);
      }
      await writeFully(handle, data);
      done += data.byteLength;
      options.onTensor?.(done, total, e.name);
    }
  } finally {
    await handle.close();
  }
}
