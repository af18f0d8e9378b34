import { attr, GraphBuilder, ONNX_ELEM_TYPE, type ValueInfoSpec } from '../../../model-tools/convert/onnx/graphBuilder';
import { onnxProto } from '../../../model-tools/convert/onnx/onnxSchema';

const OPSET = 13;
const IR_VERSION = 8;

/**
 * An in-memory ONNX model computing `queries [m, d] · keysᵀ [d, n]` (Gemm with transB, so the keys stay in their
 * row-major [n, d] layout), and with `topK` also the k largest similarities per row and their key indices (TopK:
 * sorted descending, equal values by lower index first, ONNX TopK-11).
 */
export function similarityModel(options: { topK: boolean }): Uint8Array {
  const g = new GraphBuilder(options.topK ? 'similarity_top_k' : 'similarity');
  const queries = g.input('queries', 'float32', ['m', 'd']);
  const keys = g.input('keys', 'float32', ['n', 'd']);
  const sims = g.op('Gemm', [queries, keys], { attrs: { transB: attr.int(1) } });
  if (options.topK) {
    const k = g.input('k', 'int64', [1]);
    g.node('TopK', [sims, k], { attrs: { axis: attr.int(-1), largest: attr.int(1), sorted: attr.int(1) }, outputs: ['values', 'indices'] });
    g.outputs.push({ name: 'values', elemType: 'float32', dims: ['m', 'k'] }, { name: 'indices', elemType: 'int64', dims: ['m', 'k'] });
  } else {
    g.output(sims, 'similarities', 'float32', ['m', 'n']);
  }
  // No initializers: the whole model is a few hundred bytes, encoded in one piece.
  return onnxProto.ModelProto.encode(
    onnxProto.ModelProto.create({
      ir_version: IR_VERSION,
      producer_name: 'siglip-validate',
      opset_import: [{ domain: '', version: OPSET }],
      graph: { name: g.name, node: g.nodes, input: g.inputs.map(valueInfo), output: g.outputs.map(valueInfo) },
    }),
  ).finish();
}

function valueInfo(v: ValueInfoSpec): Record<string, unknown> {
  const dim = v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name: v.name, type: { tensor_type: { elem_type: ONNX_ELEM_TYPE[v.elemType], shape: { dim } } } };
}
