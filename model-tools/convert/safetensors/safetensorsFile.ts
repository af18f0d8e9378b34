import { open, type FileHandle } from 'node:fs/promises';
import { bfloat16ToFloat32, float16ToFloat32 } from '../tensor/halfFloat';

/** Element types this reader understands (the safetensors names). */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

/** One tensor's entry in a safetensors header; offsets are relative to the end of the header. */
export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

const ELEMENT_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };

// The format caps the JSON header at 100 MB; a larger length means the file is not safetensors.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * A safetensors file opened for random access: the header is parsed once, and each tensor's byte range is read
 * on demand, so a 3.5 GB checkpoint never sits in memory at once.
 * Format: 8-byte little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [b, e]}}`, data.
 */
export class SafetensorsFile {
  readonly path: string;
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
  readonly metadata: Record<string, string>;
  private readonly handle: FileHandle;
  private readonly dataStart: number;

  private constructor(path: string, handle: FileHandle, dataStart: number, tensors: Map<string, SafetensorsTensorInfo>, metadata: Record<string, string>) {
    this.path = path;
    this.handle = handle;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens a file and parses its header; throws with the file name when it is not valid safetensors. */
  static async open(path: string): Promise<SafetensorsFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const lenBuf = Buffer.alloc(8);
      await readExactly(handle, lenBuf, 0);
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
        throw new Error(`${path}: not a safetensors file (header length ${headerLen}, file size ${size})`);
      }
      const headerBuf = Buffer.alloc(headerLen);
      await readExactly(handle, headerBuf, 8);
      const header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
      const dataStart = 8 + headerLen;
      const tensors = new Map<string, SafetensorsTensorInfo>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') {
          metadata = raw as Record<string, string>;
          continue;
        }
        tensors.set(name, parseEntry(path, name, raw, size - dataStart));
      }
      return new SafetensorsFile(path, handle, dataStart, tensors, metadata);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The entry for a tensor; throws naming the file and the missing key. */
  info(name: string): SafetensorsTensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.path}: tensor "${name}" not found (${this.tensors.size} tensors present)`);
    return t;
  }

  /** Reads one tensor's raw little-endian bytes into a fresh, 8-byte aligned buffer. */
  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    // A fresh ArrayBuffer (offset 0) so typed-array views over it are always aligned.
    const out = new Uint8Array(new ArrayBuffer(t.end - t.begin));
    await readExactly(this.handle, out, this.dataStart + t.begin);
    return out;
  }

  /** Reads a floating-point tensor as float32, widening F16 and BF16. */
  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    const bytes = await this.readBytes(name);
    switch (t.dtype) {
      case 'F32':
        return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
      case 'F16':
        return float16ToFloat32(new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2));
      case 'BF16':
        return bfloat16ToFloat32(new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2));
      default:
        throw new Error(`${this.path}: tensor "${name}" is ${t.dtype}, expected a floating-point dtype (F32, F16, BF16)`);
    }
  }

  /** Releases the file handle. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

function parseEntry(path: string, name: string, raw: unknown, dataBytes: number): SafetensorsTensorInfo {
  const e = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
  const dtype = e.dtype as SafetensorsDtype;
  if (!(dtype in ELEMENT_BYTES)) throw new Error(`${path}: tensor "${name}" has unsupported dtype ${e.dtype}`);
  const shape = e.shape ?? [];
  const [begin, end] = e.data_offsets ?? [-1, -1];
  const expected = shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[dtype];
  if (!(begin >= 0 && end >= begin && end <= dataBytes && end - begin === expected)) {
    throw new Error(`${path}: tensor "${name}" has data_offsets [${begin}, ${end}] that do not fit shape [${shape}] ${dtype} in ${dataBytes} data bytes`);
  }
  return { name, dtype, shape, begin, end };
}

// FileHandle.read may return fewer bytes than asked (and at most 2 GiB per call), so loop until the range is filled.
async function readExactly(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const want = Math.min(into.byteLength - done, 1 << 30);
    const { bytesRead } = await handle.read(into, done, want, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}
