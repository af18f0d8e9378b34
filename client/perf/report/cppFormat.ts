/**
 * A double as C++'s `std::cout << x` prints it (the default: %g with 6 significant digits, trailing zeros
 * dropped), which is how perf_analyzer writes throughput in its text and its CSV: 1407.84, 266.667, 1.23457e+06.
 */
export function cppDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const [mant, expText] = x.toExponential(5).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const sign = exp < 0 ? '-' : '+';
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(5 - exp);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** ns to whole usec, as perf_analyzer's integer `ns / 1000`. */
export function usec(ns: number): number {
  return Math.floor(ns / 1000);
}

/** A usec figure that may be the "infinite" standard deviation of a one-request window. */
export function usecText(us: number): string {
  return Number.isFinite(us) ? String(us) : '18446744073709551615';
}
