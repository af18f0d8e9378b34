import { invalidArgument } from '../errors';
import { DATATYPE_SIZE, elementCount, type Datatype } from '../protocol';

import { DATATYPE_INFO, type FixedTensorData } from '../datatypes';

export type { FixedTensorData };

/**
 * Splits a binary-extension body at `Inference-Header-Content-Length`.
 * The header must be present, a non-negative integer, and within the body.
 */
export function splitBinaryBody(body: Uint8Array, headerValue: string | undefined): { json: Uint8Array; binary: Uint8Array } {
  const n = binaryHeaderLength(headerValue, body.length);
  return { json: body.subarray(0, n), binary: body.subarray(n) };
}

/** The JSON header's length from Inference-Header-Content-Length, checked against a body of `bodyLength` bytes. */
export function binaryHeaderLength(headerValue: string | undefined, bodyLength: number): number {
  if (headerValue === undefined) throw invalidArgument('missing Inference-Header-Content-Length header');
  if (!/^\d+$/.test(headerValue.trim())) {
    throw invalidArgument(`Inference-Header-Content-Length must be a non-negative integer, got '${headerValue}'`);
  }
  const n = Number(headerValue);
  if (n === 0 || n > bodyLength) {
    throw invalidArgument(`Inference-Header-Content-Length is ${n}, but the body has ${bodyLength} bytes`);
  }
  return n;
}

/**
 * Views `bytes` as a tensor of `datatype` with `count` elements. Little-endian, as the binary extension
 * specifies; bytes not aligned for the element size are copied.
 */
export function viewTensor(datatype: Exclude<Datatype, 'BYTES'>, bytes: Uint8Array, count: number): FixedTensorData {
  const { array: Ctor, size } = DATATYPE_INFO[datatype];
  if (bytes.byteLength !== count * size) {
    throw invalidArgument(`expected ${count * size} bytes for ${count} ${datatype} values, got ${bytes.byteLength}`);
  }
  // new Uint8Array(view) copies, also for a Buffer (whose slice() is a view).
  const src = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  return new Ctor(src.buffer, src.byteOffset, count);
}

/** Decodes BYTES elements: each is a 4-byte little-endian length followed by that many bytes. */
export function decodeBytesElements(bytes: Uint8Array, name = 'tensor'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off < bytes.length) {
    if (off + 4 > bytes.length) throw invalidArgument(`${name}: BYTES element ${out.length} has a truncated length prefix`);
    const len = dv.getUint32(off, true);
    off += 4;
    if (off + len > bytes.length) {
      throw invalidArgument(`${name}: BYTES element ${out.length} declares ${len} bytes, but only ${bytes.length - off} remain`);
    }
    out.push(bytes.subarray(off, off + len));
    off += len;
  }
  return out;
}

/** Encodes BYTES elements with their 4-byte little-endian length prefixes. */
export function encodeBytesElements(elements: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of elements) total += 4 + e.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const e of elements) {
    dv.setUint32(off, e.length, true);
    out.set(e, off + 4);
    off += 4 + e.length;
  }
  return out;
}

/** Raw little-endian bytes of a typed array (a view, no copy). */
export function tensorBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Takes each binary input's bytes from the binary section, in the order the inputs appear, using their
 * `binary_data_size` parameters; the sizes must account for the whole section.
 */
export function sliceBinaryInputs(
  inputs: readonly { name: string; datatype: Datatype; shape: number[]; parameters?: Record<string, unknown> }[],
  binary: Uint8Array,
): Map<string, FixedTensorData | Uint8Array[]> {
  const out = new Map<string, FixedTensorData | Uint8Array[]>();
  let off = 0;
  for (const input of inputs) {
    const size = input.parameters?.binary_data_size;
    if (size === undefined) continue;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw invalidArgument(`${input.name}: binary_data_size must be a non-negative integer`);
    }
    if (off + size > binary.length) {
      throw invalidArgument(`${input.name}: binary_data_size ${size} runs past the end of the body (${binary.length - off} bytes left)`);
    }
    const bytes = binary.subarray(off, off + size);
    off += size;
    if (input.datatype === 'BYTES') {
      out.set(input.name, decodeBytesElements(bytes, input.name));
    } else {
      const count = elementCount(input.shape);
      const want = count * DATATYPE_SIZE[input.datatype];
      if (size !== want) {
        throw invalidArgument(`${input.name}: expected ${want} bytes of ${input.datatype} for shape [${input.shape.join(',')}], got binary_data_size ${size}`);
      }
      out.set(input.name, viewTensor(input.datatype, bytes, count));
    }
  }
  if (off !== binary.length) {
    throw invalidArgument(`the binary section has ${binary.length} bytes, but binary_data_size parameters account for ${off}`);
  }
  return out;
}
