// Explicit JSON values to tensor bytes, after perf_analyzer's SerializeExplicitTensor (src/perf_utils.cc):
// BYTES elements are strings, each written as a 4-byte little-endian length and its UTF-8 bytes; numbers go
// little-endian in the datatype's width; BOOL takes true/false.
import { encodeBytesElements } from '../../../shared/codec/binaryTensor';
import { float64ToHalfBits } from '../../../shared/codec/jsonHalfFloat';
import { DATATYPE_SIZE, type Datatype } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';

const utf8 = new TextEncoder();

const INT_RANGE: Partial<Record<Datatype, [number, number]>> = {
  INT8: [-128, 127], UINT8: [0, 255], INT16: [-32768, 32767], UINT16: [0, 65535],
  INT32: [-(2 ** 31), 2 ** 31 - 1], UINT32: [0, 2 ** 32 - 1],
};

/** Serializes a flat list of JSON values as `datatype` tensor bytes; `where` locates the data in its file. */
export function serializeExplicitTensor(values: unknown[], datatype: Datatype, where: string): Uint8Array {
  if (datatype === 'BYTES') {
    return encodeBytesElements(
      values.map((v) => {
        if (typeof v !== 'string') throw new PerfUsageError(`unable to find string data in json (${where})`);
        return utf8.encode(v);
      }),
    );
  }
  const size = DATATYPE_SIZE[datatype];
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    const off = i * size;
    if (datatype === 'BOOL') {
      if (typeof v !== 'boolean') throw new PerfUsageError(`unable to find bool data in json (${where}, element ${i})`);
      dv.setUint8(off, v ? 1 : 0);
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new PerfUsageError(`${datatype} data must be numbers (${where}, element ${i} is ${JSON.stringify(v)})`);
    switch (datatype) {
      case 'FP32': dv.setFloat32(off, v, true); return;
      case 'FP64': dv.setFloat64(off, v, true); return;
      case 'FP16': dv.setUint16(off, float64ToHalfBits(v), true); return;
      case 'INT64':
      case 'UINT64': {
        // JSON.parse has already rounded integers past 2^53; refuse them rather than send a different id.
        if (!Number.isSafeInteger(v) || (datatype === 'UINT64' && v < 0)) throw new PerfUsageError(`${datatype} value ${v} is not an integer JSON can carry exactly (${where}, element ${i})`);
        if (datatype === 'INT64') dv.setBigInt64(off, BigInt(v), true);
        else dv.setBigUint64(off, BigInt(v), true);
        return;
      }
      default: {
        const [lo, hi] = INT_RANGE[datatype]!;
        if (!Number.isInteger(v) || v < lo || v > hi) throw new PerfUsageError(`unable to find ${datatype.toLowerCase()} data in json: ${v} (${where}, element ${i})`);
        if (datatype === 'INT8') dv.setInt8(off, v);
        else if (datatype === 'UINT8') dv.setUint8(off, v);
        else if (datatype === 'INT16') dv.setInt16(off, v, true);
        else if (datatype === 'UINT16') dv.setUint16(off, v, true);
        else if (datatype === 'INT32') dv.setInt32(off, v, true);
        else dv.setUint32(off, v, true);
      }
    }
  });
  return out;
}
