// Our half-float conversions against @petamoriken/float16 (and an exact BigInt reference) on edge values: every
// half itself, every tie between neighbouring halves and its float32 neighbours, subnormal and overflow boundaries,
// NaN, -0, and doubles a hair off a tie (which a conversion rounding via float32 gets wrong). The exhaustive sweep of
// all 2^32 float32 patterns is `npx tsx scripts/check-float16.ts` (docs/library-choices.md).
import { describe, expect, it } from 'vitest';
import { float32ToFloat16 } from '../../model-tools/convert/tensor/halfFloat';
import { float64ToHalfBits } from '../../shared/codec/jsonHalfFloat';
import { decodeTensorData } from '../../shared/codec/jsonTensorData';
import { JsonCursor } from '../../shared/codec/jsonCursor';
import { doubleRoundingCases, exactHalfBits, halfValue, isHalfNaN, libraryHalfBits, sameHalf } from '../../scripts/check-float16';

const f32 = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];
const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];

/** Float32 edge values, a few thousand of them. */
function float32Edges(): Float32Array {
  const out: number[] = [];
  // Every 16th half exactly, its tie with the next half, and the float32 neighbours of that tie.
  for (let h = 0; h < 0x7c00; h += 16) {
    const v = halfValue(h);
    const tie = (v + halfValue(h + 1)) / 2;
    const t = bitsOf(tie);
    out.push(v, tie, f32(t - 1), f32(t + 1));
  }
  // Every tie in the subnormal range and at the normal boundary (2^-14), where the rounding shift changes.
  for (let h = 0; h < 0x0410; h++) out.push((halfValue(h) + halfValue(h + 1)) / 2);
  const boundary = [
    2 ** -24, 2 ** -25, 2 ** -26, 2 ** -14, 2 ** -15, 3 * 2 ** -26, 3 * 2 ** -25, // smallest subnormal, its tie with 0, normal edge
    65504, 65519, 65520, 65536, 1e10, 3.4028234663852886e38, // largest half, the overflow tie, beyond
    Infinity, f32(1), 1, 1 + 2 ** -11, 1 + 3 * 2 ** -11,
  ];
  for (const b of boundary) {
    const t = bitsOf(b);
    out.push(b, f32(t - 1), f32(t + 1));
  }
  // NaNs (Infinity's next pattern) are checked on their own: their sign and payload are policy.
  const all = [...out, ...out.map((x) => -x), 0, -0].filter((x) => x === x);
  return Float32Array.from(all);
}

const NANS = [0x7fc00000, 0x7f800001, 0x7fffffff, 0xffc00000, 0xff800001, 0x7fa00000];

describe('float32 → float16 (converter) matches @petamoriken/float16', () => {
  const values = float32Edges();
  const lib = libraryHalfBits(values);

  it('float32ToFloat16 gives the library\'s half bits on every edge value', () => {
    expect(values.length).toBeGreaterThan(2000);
    const ours = float32ToFloat16(values);
    const bad = [...values].map((v, i) => ({ v, ours: ours[i], lib: lib[i] })).filter((r) => r.ours !== r.lib);
    expect(bad).toEqual([]);
  });

  it('float64ToHalfBits gives the same bits for the same values read as doubles', () => {
    const bad = [...values].map((v, i) => ({ v, ours: float64ToHalfBits(v), lib: lib[i] })).filter((r) => r.ours !== r.lib);
    expect(bad).toEqual([]);
  });

  it('both agree with the exact reference (so the library is not wrong in the same way)', () => {
    const bad = [...values].filter((v, i) => exactHalfBits(v) !== lib[i]);
    expect(bad).toEqual([]);
  });

  it('rounds the landmarks as IEEE 754 says', () => {
    const half = (x: number) => float32ToFloat16(Float32Array.of(x))[0];
    expect(half(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal: even (0)
    expect(half(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal quanta: even (2)
    expect(half(3 * 2 ** -26)).toBe(0x0001); // 0.75 of a quantum: up
    expect(half(f32(bitsOf(2 ** -25) + 1))).toBe(0x0001);
    expect(half(65519)).toBe(0x7bff);
    expect(half(65520)).toBe(0x7c00); // tie between 65504 and infinity: infinity
    expect(half(-65520)).toBe(0xfc00);
    expect(half(1 + 2 ** -11)).toBe(0x3c00); // tie: even
    expect(half(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(half(-0)).toBe(0x8000);
  });

  it('turns every NaN into a NaN (ours: the quiet 0x7e00, sign kept; the library keeps payload bits)', () => {
    const nans = new Float32Array(Uint32Array.from(NANS).buffer);
    const ours = float32ToFloat16(nans);
    const lib2 = libraryHalfBits(nans);
    for (let i = 0; i < nans.length; i++) {
      expect(isHalfNaN(ours[i])).toBe(true);
      expect(sameHalf(ours[i], lib2[i])).toBe(true);
      expect(ours[i]).toBe((NANS[i] >>> 16) & 0x8000 ? 0xfe00 : 0x7e00);
    }
    expect(float64ToHalfBits(NaN)).toBe(0x7e00);
  });
});

describe('double → float16 (JSON FP16) rounds each double once, never via float32', () => {
  const traps = doubleRoundingCases(17);
  const lib = libraryHalfBits(traps);

  it('1 + 2^-11 + 2^-40 rounds up to 0x3c01 (via float32 it would be the tie 1 + 2^-11, rounded to even 0x3c00)', () => {
    const x = 1 + 2 ** -11 + 2 ** -40;
    expect(Math.fround(x)).toBe(1 + 2 ** -11);
    expect(float64ToHalfBits(x)).toBe(0x3c01);
    expect(libraryHalfBits([x])[0]).toBe(0x3c01);
    expect(float64ToHalfBits(1 + 2 ** -11 - 2 ** -40)).toBe(0x3c00);
    expect(float64ToHalfBits(65520 - 2 ** -20)).toBe(0x7bff);
  });

  it('float64ToHalfBits matches the library and the exact reference on doubles a hair off every tie', () => {
    expect(traps.length).toBeGreaterThan(2000);
    const bad = traps.map((v, i) => ({ v, ours: float64ToHalfBits(v), lib: lib[i], exact: exactHalfBits(v) })).filter((r) => r.ours !== r.lib || r.ours !== r.exact);
    expect(bad).toEqual([]);
  });

  it('the JSON decoder\'s FP16 path gives the same bits from the JSON text of those doubles', () => {
    const text = new TextEncoder().encode(JSON.stringify(traps));
    const r = decodeTensorData(new JsonCursor(text), 'FP16', traps.length);
    expect(r.ok).toBe(true);
    const data = (r as { data: Uint16Array }).data;
    const bad = traps.map((v, i) => ({ v, json: data[i], lib: lib[i] })).filter((x) => x.json !== x.lib);
    expect(bad).toEqual([]);
  });

  it('these cases catch a converter that rounds via float32, or truncates (the comparison has teeth)', () => {
    const viaFloat32 = float32ToFloat16(Float32Array.from(traps));
    expect(traps.filter((_, i) => viaFloat32[i] !== lib[i]).length).toBeGreaterThan(traps.length / 3);
    const truncate = (x: number) => {
      const b = bitsOf(x);
      const a = b & 0x7fffffff;
      return ((b >>> 16) & 0x8000) | (a < 0x38800000 ? 0 : (a - 0x38000000) >>> 13);
    };
    const edges = float32Edges().filter((v) => Math.abs(v) >= 2 ** -14 && Math.abs(v) < 65504);
    const libEdges = libraryHalfBits(edges);
    expect(edges.filter((v, i) => truncate(v) !== libEdges[i]).length).toBeGreaterThan(100);
  });
});
