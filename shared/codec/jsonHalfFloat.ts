/** IEEE 754 binary16 bits of a double, rounded to nearest, ties to even (the FP16 datatype of JSON tensors). */
export function float64ToHalfBits(v: number): number {
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a !== a) return 0x7e00;
  if (a === Infinity) return sign | 0x7c00;
  // Below 2^-14 halves are subnormal: multiples of 2^-24. Dividing by a power of two is exact, so only
  // roundHalfEven rounds. A result of 1024 is the smallest normal, whose bits are 0x0400: the encoding carries.
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  // log2 may be off by one near powers of two; fix it so that 2^e ≤ a < 2^(e+1).
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (e > 15) return sign | 0x7c00;
  // (a / 2^e − 1) · 1024 is exact: Sterbenz for the subtraction, powers of two for the rest.
  const bits = ((e + 15) << 10) + roundHalfEven((a / 2 ** e - 1) * 1024);
  return sign | Math.min(bits, 0x7c00);
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
