import { invalidArgument } from '../../shared/errors';
import type { SiglipTokenizer } from './text/siglipTokenizer';
import type { ElementPreprocessor } from './pipelineModel';
import type { BytesElement } from './types';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text of a BYTES element: a JSON string, or UTF-8 bytes in the binary protocol. */
export function elementText(e: BytesElement, label: string): string {
  if (typeof e === 'string') return e;
  try {
    return utf8.decode(e);
  } catch {
    throw invalidArgument(`${label}: not valid UTF-8`);
  }
}

/** Text element → 64 input ids, padded as SiglipTokenizer does; empty texts are refused. */
export function textPreprocessor(inputName: string, tokenizer: SiglipTokenizer): ElementPreprocessor {
  return async (element, index) => {
    const label = `${inputName}[${index}]`;
    const text = elementText(element, label);
    if (!text.trim()) throw invalidArgument(`${label}: empty string`);
    return tokenizer.encode(text);
  };
}
