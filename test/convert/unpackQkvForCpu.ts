import { readFile, writeFile } from 'node:fs/promises';
import { onnxProto, OnnxDataType } from '../../model-tools/convert/onnx/onnxSchema';

interface NodeObject {
  name: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: unknown[];
}

/**
 * onnxruntime's CPU MultiHeadAttention rejects the packed query [B,S,N,3,H] ("not implemented for CPU"), so a test
 * cannot run the 'mha-packed' graph as is. This rewrites each packed node into what ContribOperators.md defines it
 * to mean: Split on the "3" axis, each part [B,S,N,1,H] reshaped to [B,S,D], then MultiHeadAttention(q, k, v, bias).
 * Everything else (weights, their per-head column order, the Reshape to 5-D, the bias) runs unchanged, so parity of
 * the rewritten model checks the converter's packed layout. Returns how many nodes were rewritten.
 */
export async function unpackQkvForCpu(modelPath: string, outPath: string): Promise<number> {
  const model = onnxProto.ModelProto.toObject(onnxProto.ModelProto.decode(await readFile(modelPath)), { longs: Number, defaults: true });
  const graph = model.graph as { node: NodeObject[]; initializer: unknown[] };
  const toBsd = 'unpack_qkv_bsd_shape';
  graph.initializer.push({ name: toBsd, dims: [3], data_type: OnnxDataType.INT64, raw_data: new Uint8Array(new BigInt64Array([0n, 0n, -1n]).buffer) });
  let rewritten = 0;
  const nodes: NodeObject[] = [];
  for (const node of graph.node) {
    const packed = node.op_type === 'MultiHeadAttention' && !node.input[1] && !node.input[2];
    if (!packed) {
      nodes.push(node);
      continue;
    }
    const id = `${node.name}_unpacked`;
    const parts = ['q', 'k', 'v'].map((t) => `${id}_${t}5`);
    nodes.push({ name: `${id}_split`, op_type: 'Split', input: [node.input[0]], output: parts, attribute: [{ name: 'axis', type: 2, i: 3 }] });
    const qkv = parts.map((p, i) => {
      nodes.push({ name: `${id}_reshape${i}`, op_type: 'Reshape', input: [p, toBsd], output: [`${p}_bsd`], attribute: [] });
      return `${p}_bsd`;
    });
    nodes.push({ ...node, input: [...qkv, ...node.input.slice(3)] });
    rewritten++;
  }
  graph.node = nodes;
  await writeFile(outPath, onnxProto.ModelProto.encode(onnxProto.ModelProto.fromObject(model)).finish());
  return rewritten;
}
