/**
 * L2-normalizes each row of a row-major [rows, dim] matrix into a new float32 matrix, as
 * `sklearn.preprocessing.normalize` does before `cosine_similarity`: a zero row stays zero
 * (`_handle_zeros_in_scale` turns a zero norm into 1), so its cosine with anything is 0.
 */
export function normalizeRows(data: Float32Array, dim: number): Float32Array {
  if (dim <= 0 || data.length % dim !== 0) throw new Error(`normalizeRows: ${data.length} values are not rows of ${dim}`);
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length; r += dim) {
    let ss = 0;
    for (let j = r; j < r + dim; j++) ss += data[j] * data[j];
    const norm = Math.sqrt(ss) || 1;
    for (let j = r; j < r + dim; j++) out[j] = data[j] / norm;
  }
  return out;
}
