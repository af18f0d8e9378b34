import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import protobuf from 'protobufjs';
import { writeFully } from '../../io/writeFully';
import { ONNX_ELEM_TYPE, type GraphBuilder, type InitializerSpec, type ValueInfoSpec } from './graphBuilder';
import { FIELD, onnxProto } from './onnxSchema';

/** An operator set the model imports: '' is the default ONNX domain. */
export interface OpsetImport {
  domain: string;
  version: number;
}

/** Options of {@link writeOnnxModel}. */
export interface WriteOnnxOptions {
  opsets: OpsetImport[];
  producerName?: string;
  producerVersion?: string;
  /** Store weights in `<model>.data` beside the model: 'auto' does so when the weights pass `externalDataThreshold`. */
  externalData?: 'auto' | 'always' | 'never';
  /** Bytes of weights above which 'auto' goes external. Protobuf messages are capped at 2 GiB. */
  externalDataThreshold?: number;
  onProgress?: (bytesWritten: number, totalBytes: number) => void;
}

/** What {@link writeOnnxModel} wrote. */
export interface WrittenOnnxModel {
  modelPath: string;
  externalDataPath?: string;
  weightBytes: number;
}

// 2 GiB is protobuf's hard cap on a serialized message; stay clear of it for the graph's own bytes.
const DEFAULT_EXTERNAL_THRESHOLD = 2 ** 31 - 64 * 1024 * 1024;
// Offsets SHOULD be multiples of the page size so runtimes can mmap the data (onnx.proto, external_data).
const EXTERNAL_ALIGN = 4096;
// Small tensors stay inline even in external-data models: shape inference must read shape and axes constants
// from the model itself (onnx's own convert_model_to_external_data uses the same 1 KiB threshold).
const INLINE_BELOW = 1024;
const IR_VERSION = 8;

/**
 * Serializes a graph to an ONNX model file, streaming the weights: each initializer's bytes are produced, written
 * and dropped in turn. The graph's small parts are encoded with protobufjs; the initializers are appended as
 * length-delimited GraphProto.initializer fields, whose lengths are known before their bytes exist.
 */
export async function writeOnnxModel(graph: GraphBuilder, path: string, options: WriteOnnxOptions): Promise<WrittenOnnxModel> {
  const weightBytes = graph.weightBytes;
  const threshold = options.externalDataThreshold ?? DEFAULT_EXTERNAL_THRESHOLD;
  const external = options.externalData === 'always' || (options.externalData !== 'never' && weightBytes > threshold);
  const dataPath = `${path}.data`;
  const dataLocation = basename(dataPath);

  const modelHead = onnxProto.ModelProto.encode(
    onnxProto.ModelProto.create({
      ir_version: IR_VERSION,
      producer_name: options.producerName ?? 'siglip-serve',
      producer_version: options.producerVersion ?? '0.1.0',
      opset_import: options.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    }),
  ).finish();
  const graphHead = onnxProto.GraphProto.encode(
    onnxProto.GraphProto.create({
      name: graph.name,
      node: graph.nodes,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    }),
  ).finish();

  // Lay out every initializer first: its TensorProto header, and where its bytes go.
  let dataOffset = 0;
  const planned = graph.initializers.map((init) => {
    let header: Uint8Array;
    const isExternal = external && init.byteLength >= INLINE_BELOW;
    if (isExternal) {
      dataOffset = align(dataOffset, EXTERNAL_ALIGN);
      header = encodeTensorHeader(init, [
        { key: 'location', value: dataLocation },
        { key: 'offset', value: String(dataOffset) },
        { key: 'length', value: String(init.byteLength) },
      ]);
      dataOffset += init.byteLength;
    } else {
      header = encodeTensorHeader(init);
    }
    const inline = isExternal ? 0 : init.byteLength;
    // TensorProto = header fields + (raw_data tag, length, bytes) when inline.
    const rawPrefix = isExternal ? new Uint8Array(0) : lengthPrefix(FIELD.TENSOR_RAW_DATA, inline);
    const tensorLen = header.byteLength + rawPrefix.byteLength + inline;
    const fieldPrefix = lengthPrefix(FIELD.GRAPH_INITIALIZER, tensorLen);
    return { init, header, rawPrefix, fieldPrefix, isExternal, bytes: fieldPrefix.byteLength + tensorLen };
  });
  const graphLen = graphHead.byteLength + planned.reduce((n, p) => n + p.bytes, 0);
  if (graphLen >= 2 ** 31) {
    throw new Error(`writeOnnxModel: the graph is ${graphLen} bytes, over protobuf's 2 GiB limit; use externalData`);
  }

  const model = await open(path, 'w');
  const data = external ? await open(dataPath, 'w') : undefined;
  try {
    await writeFully(model, modelHead);
    await writeFully(model, lengthPrefix(FIELD.MODEL_GRAPH, graphLen));
    await writeFully(model, graphHead);
    let written = 0;
    let dataPos = 0;
    for (const p of planned) {
      await writeFully(model, p.fieldPrefix);
      await writeFully(model, p.header);
      const bytes = await p.init.data();
      if (bytes.byteLength !== p.init.byteLength) {
        throw new Error(`writeOnnxModel: initializer ${p.init.name} produced ${bytes.byteLength} bytes, expected ${p.init.byteLength} for [${p.init.dims}] ${p.init.elemType}`);
      }
      if (!p.isExternal) {
        await writeFully(model, p.rawPrefix);
        await writeFully(model, bytes);
      } else if (data) {
        const at = align(dataPos, EXTERNAL_ALIGN);
        if (at > dataPos) await writeFully(data, new Uint8Array(at - dataPos));
        await writeFully(data, bytes);
        dataPos = at + bytes.byteLength;
      }
      written += bytes.byteLength;
      options.onProgress?.(written, weightBytes);
    }
  } finally {
    await model.close();
    await data?.close();
  }
  return { modelPath: path, ...(external ? { externalDataPath: dataPath } : {}), weightBytes };
}

function valueInfo(v: ValueInfoSpec): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: ONNX_ELEM_TYPE[v.elemType],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function encodeTensorHeader(init: InitializerSpec, externalData?: { key: string; value: string }[]): Uint8Array {
  return onnxProto.TensorProto.encode(
    onnxProto.TensorProto.create({
      name: init.name,
      dims: init.dims,
      data_type: ONNX_ELEM_TYPE[init.elemType],
      ...(externalData ? { external_data: externalData, data_location: 1 } : {}),
    }),
  ).finish();
}

// Tag (field number, wire type 2 = length-delimited) followed by the varint length.
function lengthPrefix(field: number, length: number): Uint8Array {
  return protobuf.Writer.create().uint32((field << 3) | 2).uint32(length).finish();
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
