import { PerfUsageError } from '../errors';

/** Parses `-H 'Header: value'` (perf_analyzer's -H takes `Header:Value`; whitespace after the colon is optional). */
export function parseHeaderOption(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  // RFC 9110 §5.1: a field name is a token.
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new PerfUsageError(`-H takes 'Header: value', e.g. -H 'Authorization: Bearer KEY'; got '${text}'`);
  }
  return [name.toLowerCase(), text.slice(colon + 1).trim()];
}
