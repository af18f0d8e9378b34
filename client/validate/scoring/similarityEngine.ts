import * as ort from 'onnxruntime-node';
import { similarityModel } from './similarityModel';

/** A row-major float32 matrix. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

/** Query rows per ORT run: a [1024, n] similarity block is 40 MB for 10,000 keys, whatever the number of queries. */
const DEFAULT_CHUNK_ROWS = 1024;

/** Top-k similarities of a block of query rows: `values`/`indices` are [rows, k], row-major, best first. */
export interface TopKBlock {
  firstRow: number;
  rows: number;
  k: number;
  values: Float32Array;
  indices: BigInt64Array;
}

/**
 * The matrix arithmetic of `siglip validate` on onnxruntime's CPU kernels (MLAS GEMM), one block of query rows at a
 * time so memory stays bounded by the block, not by the number of queries.
 */
export class SimilarityEngine {
  private constructor(
    private readonly full: ort.InferenceSession,
    private readonly topKSession: ort.InferenceSession,
    readonly chunkRows: number,
  ) {}

  /** Creates the two sessions (plain similarities, similarities + TopK). */
  static async create(options: { chunkRows?: number } = {}): Promise<SimilarityEngine> {
    const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
    if (!(Number.isInteger(chunkRows) && chunkRows > 0)) throw new Error(`SimilarityEngine: chunkRows must be a positive integer, got ${chunkRows}`);
    const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
    const [full, topK] = await Promise.all([
      ort.InferenceSession.create(similarityModel({ topK: false }), opts),
      ort.InferenceSession.create(similarityModel({ topK: true }), opts),
    ]);
    return new SimilarityEngine(full, topK, chunkRows);
  }

  /** Calls `use` with each block of query rows' full similarity rows ([rows, keys.rows], row-major). */
  async forEachSimilarityBlock(queries: Matrix, keys: Matrix, use: (firstRow: number, rows: number, sims: Float32Array) => void): Promise<void> {
    checkShapes(queries, keys);
    const keyTensor = tensor(keys.data, keys.rows, keys.dim);
    for (let r = 0; r < queries.rows; r += this.chunkRows) {
      const rows = Math.min(this.chunkRows, queries.rows - r);
      const out = await this.full.run({ queries: this.block(queries, r, rows), keys: keyTensor });
      use(r, rows, out.similarities.data as Float32Array);
    }
  }

  /** The k best similarities of the query rows [firstRow, firstRow + rows), one ORT run. */
  async topKBlock(queries: Matrix, keys: Matrix, firstRow: number, rows: number, k: number): Promise<TopKBlock> {
    checkShapes(queries, keys);
    if (!(k >= 1 && k <= keys.rows)) throw new Error(`SimilarityEngine: k = ${k} must be between 1 and the ${keys.rows} keys`);
    const out = await this.topKSession.run({
      queries: this.block(queries, firstRow, rows),
      keys: tensor(keys.data, keys.rows, keys.dim),
      k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    });
    return { firstRow, rows, k, values: out.values.data as Float32Array, indices: out.indices.data as BigInt64Array };
  }

  /** Releases the sessions. */
  async close(): Promise<void> {
    await Promise.all([this.full.release(), this.topKSession.release()]);
  }

  private block(m: Matrix, firstRow: number, rows: number): ort.Tensor {
    return tensor(m.data.subarray(firstRow * m.dim, (firstRow + rows) * m.dim), rows, m.dim);
  }
}

function tensor(data: Float32Array, rows: number, dim: number): ort.Tensor {
  return new ort.Tensor('float32', data, [rows, dim]);
}

function checkShapes(queries: Matrix, keys: Matrix): void {
  if (queries.dim !== keys.dim) throw new Error(`SimilarityEngine: queries are ${queries.dim}-d but keys ${keys.dim}-d`);
  for (const m of [queries, keys]) {
    if (m.data.length !== m.rows * m.dim) throw new Error(`SimilarityEngine: ${m.data.length} values for a [${m.rows}, ${m.dim}] matrix`);
  }
  if (keys.rows === 0) throw new Error('SimilarityEngine: no keys');
}
