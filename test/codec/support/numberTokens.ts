/** Number tokens written the ways clients write them, and requests made of them (decoder property tests). */
import fc from 'fast-check';
import { pythonRepr } from '../../../bench/jsonDecode';

export const enc = (s: string) => new TextEncoder().encode(s);

/** A one-input request whose data is `tokens` as written, joined by the given separators. */
export function tensorRequest(datatype: string, tokens: string[], gaps: string[] = []): Uint8Array {
  const data = tokens.map((t, i) => (i ? `${gaps[i % Math.max(1, gaps.length)] ?? ''},${gaps[(i + 1) % Math.max(1, gaps.length)] ?? ''}` : '') + t).join('');
  return enc(`{"inputs":[{"name":"x","datatype":"${datatype}","shape":[${tokens.length}],"data":[ ${data} ]}]}`);
}

/** Bit patterns, so that -0 differs from 0 and every float is compared exactly. */
export const bits = (a: ArrayBufferView) => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

export const whitespace = fc.array(fc.constantFrom(' ', '\n', '\t', '\r', ''), { maxLength: 3 }).map((a) => a.join(''));
export const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
const digits = fc.integer({ min: 0, max: 20 });

// Exact decimal expansion of a double (toPrecision stops at 100 digits, enough for the float32 range tested).
const midpoint = fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-3e38), max: Math.fround(3e38) }).map((f) => {
  const next = new Float32Array(1);
  next[0] = f;
  const u = new Uint32Array(next.buffer);
  u[0] += 1;
  return (f + next[0]) / 2;
});

/** Number tokens written the ways clients write them. */
export const numberToken = fc.oneof(
  anyDouble.map((x) => JSON.stringify(x)),
  fc.tuple(anyDouble, digits).map(([x, k]) => x.toExponential(k)),
  fc.tuple(anyDouble, digits).map(([x, k]) => x.toFixed(k)),
  fc.tuple(anyDouble, fc.integer({ min: 1, max: 21 })).map(([x, k]) => x.toPrecision(k)),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((f) => pythonRepr(f)),
  anyDouble.map((x) => pythonRepr(x).toUpperCase()),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e-37, max: 1e-37 }).map((x) => String(x)),
  fc.stringMatching(/^-?(0|[1-9]\d{0,24})(\.\d{1,30})?([eE][+-]?\d{1,3})?$/),
  // Halfway between two float32s, and a hair off it: where rounding to double first changes the float32.
  fc.tuple(midpoint, fc.integer({ min: 6, max: 40 })).map(([m, k]) => m.toPrecision(k)),
  fc.tuple(midpoint, fc.constantFrom('000000000001', '999999999999', '0000000000000000000001')).map(([m, tail]) => {
    const [mant, exp] = m.toExponential(60).split('e');
    return `${mant.replace(/0+$/, '')}${tail}e${exp}`;
  }),
);

