/** Number tokens of a JSON body read straight from bytes into float32, float64 and bigint, matching JSON.parse. */
import { type JsonCursor, latin1 } from './jsonCursor';

// 10^0 … 10^22 are exact doubles (10^22 = 2^22 · 5^22 and 5^22 < 2^53), which makes one multiply or divide by
// them correctly rounded (Clinger's fast path).
const POW10 = new Float64Array(23).map((_, i) => 10 ** i);

// The slow but exact route: V8's string-to-double conversion, which is what JSON.parse uses.
const parseToken = (cur: JsonCursor, start: number): number => Number(latin1(cur.b, start, cur.p));

// The nearest double D to a decimal V satisfies |D − V| ≤ 2^-53·V. An approximation x built with at most four
// more rounded operations is within 5·2^-53·V of V. When every double in x·(1 ± 2^-49) rounds to the same
// float32, so does D: Math.fround is monotonic. This decides the float32 without finding D first.
const BELOW = 1 - 2 ** -49;
const ABOVE = 1 + 2 ** -49;

// Four ASCII digits in a little-endian 32-bit word: each byte is in 0x30..0x39 exactly when its high nibble is 3
// and adding 6 does not carry into it.
const isFourDigits = (w: number) => ((w & 0xf0f0f0f0) | (((w + 0x06060606) & 0xf0f0f0f0) >>> 4)) === 0x33333333;
// Their value, first digit most significant: pairs first (d0·10 + d1 in byte 0, d2·10 + d3 in byte 2), then the pairs.
const fourDigits = (w: number) => {
  const d = (w - 0x30303030) | 0;
  const pairs = (d * 10 + (d >>> 8)) & 0x00ff00ff;
  return (pairs & 0xff) * 100 + (pairs >>> 16);
};

/**
 * Reads the number token at `cur.p` as Math.fround(JSON.parse(token)), bit for bit.
 * Returns NaN, leaving `cur.p` where it was, when the token is not a JSON number (NaN and Infinity tokens
 * included: see JsonCursor.nonFinite); throws on a malformed one.
 *
 * The significand's first 19 significant digits go to `m` (more send us to parseToken), four at a time where
 * the bytes allow it. Up to 15 digits `m` is exact; past that each step may round once, at most ten roundings
 * in all with the scaling, which the 2^-49 window below covers (it is sixteen times 2^-53).
 */
export function readFloat32(cur: JsonCursor): number {
  const b = cur.b;
  const n = b.length;
  const start = cur.p;
  let p = start;
  // Reading past the end yields undefined, and undefined − 48 is NaN, which fails every digit test: no bounds checks.
  let d = b[p] - 48;
  let neg = false;
  if (d === -3) { neg = true; d = b[++p] - 48; }
  let m = 0;
  let sig = 0;
  let frac = 0;
  if (d === 0) d = b[++p] - 48;
  else if (d >= 1 && d <= 9) {
    do {
      if (sig < 19) m = m * 10 + d;
      sig++;
      d = b[++p] - 48;
    } while (d >= 0 && d <= 9);
  } else if (neg && d !== 25 && d !== 30) { cur.p = p; throw cur.fail(); }
  // "NaN", "Infinity", "-Infinity" (d is 'I' − 48 or 'N' − 48): the caller reads them with cur.nonFinite().
  else return NaN;
  if (d === -2) {
    d = b[++p] - 48;
    if (!(d >= 0 && d <= 9)) { cur.p = p; throw cur.fail(); }
    const fracStart = p;
    // Leading zeros of "0.000123" are not significant.
    if (sig === 0) while (d === 0) d = b[++p] - 48;
    const dv = cur.dv;
    while (sig <= 15 && p + 4 <= n) {
      const w = dv.getUint32(p, true);
      if (!isFourDigits(w)) break;
      m = m * 10000 + fourDigits(w);
      sig += 4;
      p += 4;
    }
    d = b[p] - 48;
    // The rest, up to 19 significant digits, as one small integer: two roundings at most.
    let t = 0;
    let k = 0;
    while (d >= 0 && d <= 9 && sig < 19) { t = t * 10 + d; k++; sig++; d = b[++p] - 48; }
    if (k) m = m * POW10[k] + t;
    while (d >= 0 && d <= 9) { sig++; d = b[++p] - 48; }
    frac = p - fracStart;
  }
  let exp = 0;
  if (d === 53 || d === 21) {
    d = b[++p] - 48;
    let expNeg = false;
    if (d === -5 || d === -3) { expNeg = d === -3; d = b[++p] - 48; }
    if (!(d >= 0 && d <= 9)) { cur.p = p; throw cur.fail(); }
    do {
      if (exp < 1e6) exp = exp * 10 + d;
      d = b[++p] - 48;
    } while (d >= 0 && d <= 9);
    if (expNeg) exp = -exp;
  }
  cur.p = p;
  if (m === 0) return neg ? -0 : 0;
  if (sig > 19) return Math.fround(parseToken(cur, start));
  const e10 = exp - frac;
  let x = m;
  if (sig <= 15 && e10 >= -22 && e10 <= 22) {
    // Clinger: m and 10^|e10| are exact, so one rounding gives the nearest double.
    x = e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
    return Math.fround(neg ? -x : x);
  }
  if (e10 < -44 || e10 > 44) return Math.fround(parseToken(cur, start));
  if (e10 < 0) x = e10 < -22 ? x / POW10[22] / POW10[-22 - e10] : x / POW10[-e10];
  else x = e10 > 22 ? x * POW10[22] * POW10[e10 - 22] : x * POW10[e10];
  const f = Math.fround(x * BELOW);
  if (f !== Math.fround(x * ABOVE)) return Math.fround(parseToken(cur, start));
  return neg ? -f : f;
}

/**
 * Reads the number token at `cur.p` as JSON.parse would. Returns NaN, leaving `cur.p` where it was, when the
 * token is not a JSON number; throws on a malformed one.
 */
export function readFloat64(cur: JsonCursor): number {
  const b = cur.b;
  const n = b.length;
  const start = cur.p;
  let p = start;
  let c = p < n ? b[p] : -1;
  if (!(c === 45 || (c >= 48 && c <= 57))) return NaN;
  let neg = false;
  if (c === 45) { neg = true; c = ++p < n ? b[p] : -1; }
  // "-Infinity", "-NaN": left for cur.nonFinite(), like any token that does not start a number.
  if (c === 73 || c === 78) return NaN;
  let m = 0;
  let sig = 0;
  let frac = 0;
  if (c === 48) c = ++p < n ? b[p] : -1;
  else if (c >= 49 && c <= 57) {
    do { m = m * 10 + (c - 48); sig++; c = ++p < n ? b[p] : -1; } while (c >= 48 && c <= 57);
  } else { cur.p = p; throw cur.fail(); }
  if (c === 46) {
    c = ++p < n ? b[p] : -1;
    if (!(c >= 48 && c <= 57)) { cur.p = p; throw cur.fail(); }
    do {
      m = m * 10 + (c - 48);
      if (m !== 0) sig++;
      frac++;
      c = ++p < n ? b[p] : -1;
    } while (c >= 48 && c <= 57);
  }
  let exp = 0;
  if (c === 101 || c === 69) {
    c = ++p < n ? b[p] : -1;
    let expNeg = false;
    if (c === 43 || c === 45) { expNeg = c === 45; c = ++p < n ? b[p] : -1; }
    if (!(c >= 48 && c <= 57)) { cur.p = p; throw cur.fail(); }
    do {
      if (exp < 1e6) exp = exp * 10 + (c - 48);
      c = ++p < n ? b[p] : -1;
    } while (c >= 48 && c <= 57);
    if (expNeg) exp = -exp;
  }
  cur.p = p;
  if (m === 0) return neg ? -0 : 0;
  const e10 = exp - frac;
  // With ≤ 15 significant digits m is exact (m < 10^15 < 2^53): Clinger's fast path.
  if (sig <= 15 && e10 >= -22 && e10 <= 22) {
    const x = e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
    return neg ? -x : x;
  }
  return parseToken(cur, start);
}

const INTEGER_TOKEN = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads the number token at `cur.p` as an exact integer (for INT64/UINT64, where doubles would lose digits).
 * Returns a reason string when the token is not a number or not an integer; throws on a malformed one.
 */
export function readBigInt(cur: JsonCursor): bigint | 'is not a number' | 'is not an integer' | 'is too large' {
  const start = cur.p;
  const c = start < cur.b.length ? cur.b[start] : -1;
  if (!(c === 45 || (c >= 48 && c <= 57))) return 'is not a number';
  const real = cur.skipNumber();
  const token = latin1(cur.b, start, cur.p);
  if (!real) return BigInt(token);
  const [, sign, int, fraction = '', expText = '0'] = INTEGER_TOKEN.exec(token)!;
  const digits = (int + fraction).replace(/^0+/, '');
  if (digits === '') return 0n;
  const e10 = Number(expText) - fraction.length;
  if (e10 >= 0) {
    // Anything past 20 digits is outside every 64-bit range; stop before building a huge BigInt.
    if (digits.length + e10 > 21) return 'is too large';
    return BigInt(sign + digits + '0'.repeat(e10));
  }
  const keep = digits.length + e10;
  if (!/^0*$/.test(digits.slice(Math.max(0, keep)))) return 'is not an integer';
  return keep <= 0 ? 0n : BigInt(sign + digits.slice(0, keep));
}
