/** L2-normalizes each row of a [rows, dim] array in place; a zero row stays zero. */
export function l2NormalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let off = 0; off < data.length; off += dim) {
    let sum = 0;
    for (let i = off; i < off + dim; i++) sum += data[i] * data[i];
    if (sum === 0) continue;
    const inv = 1 / Math.sqrt(sum);
    for (let i = off; i < off + dim; i++) data[i] *= inv;
  }
  return data;
}
