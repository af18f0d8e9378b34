import { OnnxAttributeType, OnnxDataType } from './onnxSchema';

/** Tensor element types used in the graphs this project builds. */
export type ElemType = 'float32' | 'float16' | 'int64' | 'int32';

/** ONNX TensorProto.DataType of an element type. */
export const ONNX_ELEM_TYPE: Record<ElemType, number> = {
  float32: OnnxDataType.FLOAT,
  float16: OnnxDataType.FLOAT16,
  int64: OnnxDataType.INT64,
  int32: OnnxDataType.INT32,
};

const ELEM_BYTES: Record<ElemType, number> = { float32: 4, float16: 2, int64: 8, int32: 4 };

/** A graph attribute value, tagged with its ONNX attribute type. */
export type Attr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] };

/** Constructors for attribute values: `attr.int(14)`, `attr.float(1e-6)`, `attr.ints([0, 2, 1])`. */
export const attr = {
  int: (value: number): Attr => ({ type: 'int', value }),
  float: (value: number): Attr => ({ type: 'float', value }),
  string: (value: string): Attr => ({ type: 'string', value }),
  ints: (value: number[]): Attr => ({ type: 'ints', value }),
  floats: (value: number[]): Attr => ({ type: 'floats', value }),
};

/** An initializer whose bytes are produced only when the writer reaches it (one tensor in memory at a time). */
export interface InitializerSpec {
  name: string;
  elemType: ElemType;
  dims: number[];
  byteLength: number;
  data: () => Uint8Array | Promise<Uint8Array>;
}

/** A node as the writer serializes it (NodeProto fields). */
export interface NodeSpec {
  name: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: Record<string, unknown>[];
}

/** A graph input or output (ValueInfoProto); string dims are symbolic (dynamic). */
export interface ValueInfoSpec {
  name: string;
  elemType: ElemType;
  dims: (number | string)[];
}

/** Options of one node. */
export interface NodeOptions {
  domain?: string;
  attrs?: Record<string, Attr>;
  /** Output names; or a count of outputs to name automatically. Defaults to one. Use '' for an unused optional output. */
  outputs?: string[] | number;
  name?: string;
}

/**
 * Builds an ONNX graph node by node. Names of intermediate values are generated, so graph builders read like the
 * math: `const y = g.op('MatMul', [x, w])`.
 */
export class GraphBuilder {
  readonly name: string;
  readonly nodes: NodeSpec[] = [];
  readonly inputs: ValueInfoSpec[] = [];
  readonly outputs: ValueInfoSpec[] = [];
  readonly initializers: InitializerSpec[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Declares a graph input and returns its name. */
  input(name: string, elemType: ElemType, dims: (number | string)[]): string {
    this.claim(name);
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  /** Declares a graph output; `value` is renamed to `name` with an Identity node when they differ. */
  output(value: string, name: string, elemType: ElemType, dims: (number | string)[]): void {
    if (value !== name) this.node('Identity', [value], { outputs: [name] });
    this.outputs.push({ name, elemType, dims });
  }

  /** Adds an initializer produced lazily; `byteLength` must match what `data` returns. */
  initializer(name: string, elemType: ElemType, dims: number[], data: () => Uint8Array | Promise<Uint8Array>): string {
    this.claim(name);
    const byteLength = dims.reduce((a, b) => a * b, 1) * ELEM_BYTES[elemType];
    this.initializers.push({ name, elemType, dims, byteLength, data });
    return name;
  }

  /** Adds a small int64 constant (shapes, axes, indices). */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    const bytes = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    return this.initializer(this.unique(name), 'int64', dims, () => bytes);
  }

  /** Adds a node and returns its output names. */
  node(opType: string, inputs: string[], options: NodeOptions = {}): string[] {
    const outs =
      typeof options.outputs === 'object'
        ? options.outputs
        : Array.from({ length: options.outputs ?? 1 }, () => this.unique(`${opType}_out`));
    for (const o of outs) if (o !== '') this.claim(o);
    const attribute = Object.entries(options.attrs ?? {}).map(([n, a]) => encodeAttr(n, a));
    this.nodes.push({
      name: options.name ?? this.unique(opType),
      op_type: opType,
      ...(options.domain ? { domain: options.domain } : {}),
      input: inputs,
      output: outs,
      attribute,
    });
    return outs;
  }

  /** Adds a single-output node and returns its output name. */
  op(opType: string, inputs: string[], options: Omit<NodeOptions, 'outputs'> = {}): string {
    return this.node(opType, inputs, options)[0];
  }

  /** A fresh name with the given stem. */
  unique(stem: string): string {
    let name = `${stem}_${this.counter++}`;
    while (this.used.has(name)) name = `${stem}_${this.counter++}`;
    return name;
  }

  /** Total bytes of initializer data. */
  get weightBytes(): number {
    return this.initializers.reduce((n, i) => n + i.byteLength, 0);
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`GraphBuilder: value name "${name}" is already defined`);
    this.used.add(name);
  }
}

function encodeAttr(name: string, a: Attr): Record<string, unknown> {
  switch (a.type) {
    case 'int':
      return { name, type: OnnxAttributeType.INT, i: a.value };
    case 'float':
      return { name, type: OnnxAttributeType.FLOAT, f: a.value };
    case 'string':
      return { name, type: OnnxAttributeType.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'ints':
      return { name, type: OnnxAttributeType.INTS, ints: a.value };
    case 'floats':
      return { name, type: OnnxAttributeType.FLOATS, floats: a.value };
  }
}
