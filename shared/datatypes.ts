/** The one table of KServe v2 datatypes: element size, typed array, and ONNX Runtime's tensor type for each. */

/** The KServe v2 datatypes. */
export type Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64'
  | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

/** Every datatype but BYTES (whose elements vary in size). */
export type FixedDatatype = Exclude<Datatype, 'BYTES'>;

/** Typed array for each fixed-size datatype (FP16 travels as raw half-precision bits, BOOL as bytes). */
export type FixedTensorData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** A typed-array constructor of the table. */
export interface TypedArrayConstructor {
  new (length: number): FixedTensorData;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): FixedTensorData;
  readonly BYTES_PER_ELEMENT: number;
}

/** What the servers need to know of a datatype. */
export interface DatatypeInfo {
  /** Bytes per element in the binary tensor extension (little-endian, row-major). */
  size: number;
  array: TypedArrayConstructor;
  /** onnxruntime's Tensor type name. */
  ort: string;
}

export const DATATYPE_INFO: Record<FixedDatatype, DatatypeInfo> = {
  BOOL: { size: 1, array: Uint8Array, ort: 'bool' },
  UINT8: { size: 1, array: Uint8Array, ort: 'uint8' },
  UINT16: { size: 2, array: Uint16Array, ort: 'uint16' },
  UINT32: { size: 4, array: Uint32Array, ort: 'uint32' },
  UINT64: { size: 8, array: BigUint64Array, ort: 'uint64' },
  INT8: { size: 1, array: Int8Array, ort: 'int8' },
  INT16: { size: 2, array: Int16Array, ort: 'int16' },
  INT32: { size: 4, array: Int32Array, ort: 'int32' },
  INT64: { size: 8, array: BigInt64Array, ort: 'int64' },
  FP16: { size: 2, array: Uint16Array, ort: 'float16' },
  FP32: { size: 4, array: Float32Array, ort: 'float32' },
  FP64: { size: 8, array: Float64Array, ort: 'float64' },
};

/** The datatype of an onnxruntime tensor type name, or undefined for one KServe has no name for. */
export function datatypeOfOrt(type: string): FixedDatatype | undefined {
  return (Object.keys(DATATYPE_INFO) as FixedDatatype[]).find((d) => DATATYPE_INFO[d].ort === type);
}
