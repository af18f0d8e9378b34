import type { Matrix } from '../scoring/similarityEngine';

/**
 * A prompt ensemble's class embeddings as big_vision and open_clip build them: the mean of each class's L2-normalized
 * prompt embeddings, L2-normalized again. `prompts` holds one [classes, dim] matrix per template.
 */
export function ensembleClassEmbeddings(prompts: readonly Matrix[]): Matrix {
  if (!prompts.length) throw new Error('ensembleClassEmbeddings: no templates');
  const { rows, dim } = prompts[0];
  const sum = new Float64Array(rows * dim);
  for (const p of prompts) {
    if (p.rows !== rows || p.dim !== dim) throw new Error(`ensembleClassEmbeddings: a [${p.rows}, ${p.dim}] template matrix among [${rows}, ${dim}] ones`);
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let j = r * dim; j < (r + 1) * dim; j++) ss += p.data[j] * p.data[j];
      const norm = Math.sqrt(ss) || 1;
      for (let j = r * dim; j < (r + 1) * dim; j++) sum[j] += p.data[j] / norm;
    }
  }
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) ss += sum[j] * sum[j];
    const norm = Math.sqrt(ss) || 1;
    for (let j = r * dim; j < (r + 1) * dim; j++) data[j] = sum[j] / norm;
  }
  return { data, rows, dim };
}
