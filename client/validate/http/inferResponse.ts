import { ValidateError } from '../validateError';

/** The first output tensor of a KServe v2 infer response. */
export interface OutputTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface JsonOutput {
  name?: string;
  datatype?: string;
  shape?: number[];
  data?: number[];
  parameters?: { binary_data_size?: number };
}

/**
 * Decodes the first output of an infer response, JSON or binary-extension: with an `Inference-Header-Content-Length`
 * of N, the first N bytes are the JSON header and a binary output's little-endian float32 values follow it
 * (KServe v2 binary tensor extension); without it the body is JSON and the values are in `outputs[0].data`.
 */
export function decodeFirstOutput(body: Uint8Array, headerLength: string | undefined, what: string): OutputTensor {
  const n = headerLength === undefined ? body.length : Number(headerLength);
  if (!Number.isInteger(n) || n < 0 || n > body.length) {
    throw new ValidateError(`${what}: Inference-Header-Content-Length is ${headerLength} but the body has ${body.length} bytes`);
  }
  let header: { outputs?: JsonOutput[] };
  try {
    header = JSON.parse(Buffer.from(body.buffer, body.byteOffset, n).toString('utf8')) as { outputs?: JsonOutput[] };
  } catch {
    throw new ValidateError(`${what}: the response header is not JSON; is --url a KServe v2 server?`);
  }
  const out = header.outputs?.[0];
  if (!out || !Array.isArray(out.shape)) throw new ValidateError(`${what}: the response has no outputs[0] with a shape`);
  if (out.datatype !== undefined && out.datatype !== 'FP32') throw new ValidateError(`${what}: outputs[0] is ${out.datatype}, expected FP32`);
  const count = out.shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  const binarySize = out.parameters?.binary_data_size;
  if (binarySize !== undefined) {
    if (binarySize !== count * 4 || n + binarySize > body.length) {
      throw new ValidateError(`${what}: outputs[0] has shape [${out.shape}] (${count * 4} bytes) but binary_data_size ${binarySize} and ${body.length - n} bytes after the header`);
    }
    // slice copies into a fresh, aligned buffer (the body may sit at any offset of a pooled one).
    data = new Float32Array(body.slice(n, n + binarySize).buffer);
  } else if (Array.isArray(out.data)) {
    if (out.data.length !== count) throw new ValidateError(`${what}: outputs[0] has shape [${out.shape}] but ${out.data.length} values`);
    data = Float32Array.from(out.data);
  } else if (headerLength !== undefined && body.length - n === count * 4) {
    data = new Float32Array(body.slice(n).buffer);
  } else {
    throw new ValidateError(`${what}: outputs[0] has neither data nor binary_data_size`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ValidateError(`${what}: the server returned a non-finite value (${data[i]}) at element ${i}`);
  }
  return { name: out.name ?? '', shape: out.shape, data };
}
