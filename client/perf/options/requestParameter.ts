import { PerfUsageError } from '../errors';

/**
 * Parses `--request-parameter name:value:type` as perf_analyzer documents it (docs/cli.md): type is bool, int or
 * string. The value may itself contain colons (the type is the last field).
 */
export function parseRequestParameter(text: string): [string, string | number | boolean] {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) {
    throw new PerfUsageError(`--request-parameter takes name:value:type, e.g. base64_encoded:true:bool; got '${text}'`);
  }
  const name = text.slice(0, first);
  const value = text.slice(first + 1, last);
  const type = text.slice(last + 1);
  if (type === 'string') return [name, value];
  if (type === 'bool') {
    if (value !== 'true' && value !== 'false') throw new PerfUsageError(`--request-parameter ${name}: a bool is true or false, got '${value}'`);
    return [name, value === 'true'];
  }
  if (type === 'int') {
    if (!/^-?\d+$/.test(value)) throw new PerfUsageError(`--request-parameter ${name}: '${value}' is not an int`);
    return [name, Number(value)];
  }
  throw new PerfUsageError(`--request-parameter ${name}: type must be bool, int or string, got '${type}'`);
}
