/** A 32-bit FNV-1a hash of a string: gives each tensor its own seed, independent of write order. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Fills `out` with mean + uniform noise of standard deviation `std`, from the mulberry32 generator seeded with
 * `seed`. Uniform rather than normal noise: one generator step per value keeps 400M values to about a second,
 * and the spread is what matters for synthetic weights.
 */
export function fillUniform(out: Float32Array, seed: number, mean: number, std: number): Float32Array {
  // Uniform on [-a, a] has standard deviation a/√3.
  const a = std * Math.sqrt(3);
  const scale = (2 * a) / 4294967296;
  let state = seed | 0;
  for (let i = 0; i < out.length; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = mean - a + ((t ^ (t >>> 14)) >>> 0) * scale;
  }
  return out;
}
