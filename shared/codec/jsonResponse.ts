/** Writes KServe v2 JSON infer responses with tensor data straight from typed arrays, NaN and Infinity as Triton does. */
import type { InferResponseHeader, ResponseOutput } from '../protocol';

/** Tensor data as an output carries it before it is written. */
export type OutputData = ArrayLike<number> | ArrayLike<bigint> | readonly string[];

/** A response output whose `data`, if any, is still a typed array. */
export interface UnwrittenOutput extends Omit<ResponseOutput, 'data'> {
  data?: OutputData;
}

/** A response header whose outputs are UnwrittenOutputs. */
export interface UnwrittenResponse extends Omit<InferResponseHeader, 'outputs'> {
  outputs: UnwrittenOutput[];
}

/**
 * One number as Triton's writer spells it: rapidjson with kWriteNanAndInfFlag gives NaN, Infinity and
 * -Infinity (JSON.stringify would write null, which clients read as a missing value). Finite doubles are
 * written as JSON.stringify writes them (shortest round-trip form).
 */
function jsonNumberText(v: number): string {
  if (v - v === 0) return String(v);
  if (v !== v) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

function dataText(data: OutputData): string {
  const n = data.length;
  if (n === 0) return '[]';
  const parts = new Array<string>(n);
  const first = data[0];
  if (typeof first === 'string') for (let i = 0; i < n; i++) parts[i] = JSON.stringify(data[i]);
  else if (typeof first === 'bigint') for (let i = 0; i < n; i++) parts[i] = String(data[i]);
  else for (let i = 0; i < n; i++) parts[i] = jsonNumberText(data[i] as number);
  return `[${parts.join(',')}]`;
}

// Appends `"key":value` text to an object's JSON text.
function withMember(objectText: string, member: string): string {
  return objectText === '{}' ? `{${member}}` : `${objectText.slice(0, -1)},${member}}`;
}

/** The response's JSON text: the header fields as JSON.stringify writes them, each output's data in Triton's spelling. */
export function stringifyInferResponse(response: UnwrittenResponse): string {
  const { outputs, ...top } = response;
  const written = outputs.map(({ data, ...rest }) => {
    const head = JSON.stringify(rest);
    return data === undefined ? head : withMember(head, `"data":${dataText(data)}`);
  });
  return withMember(JSON.stringify(top), `"outputs":[${written.join(',')}]`);
}
