import { InferenceError, invalidArgument } from '../../shared/errors';
import type { SiglipTokenizer } from './text/siglipTokenizer';
import type { ElementPipeline } from './elementPipeline';
import type { BytesElement } from './types';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text of a BYTES element: a JSON string, or UTF-8 bytes in the binary protocol. */
function elementText(e: BytesElement, label: string): string {
  if (typeof e === 'string') return e;
  try {
    return utf8.decode(e);
  } catch {
    throw invalidArgument(`${label}: not valid UTF-8`);
  }
}

/** Limits on texts: per element, and per request. */
export interface TextLimits {
  /** Bytes of one text (SigLIP reads 64 tokens: a few hundred characters; 413 beyond). */
  maxTextBytes: number;
  /** Bytes of all texts of one request (413 beyond). */
  maxRequestTextBytes: number;
}

/**
 * Text element → input ids, padded as SiglipTokenizer does; empty texts are refused. A text is measured before
 * it is canonicalized or tokenized, so a huge one costs nothing but its refusal.
 */
export function textPipeline(inputName: string, tokenizer: SiglipTokenizer, limits: TextLimits): ElementPipeline<string> {
  return {
    budget: { max: limits.maxRequestTextBytes, unit: 'bytes of text' },
    async inspect(element, index) {
      const label = `${inputName}[${index}]`;
      const size = typeof element === 'string' ? Buffer.byteLength(element, 'utf8') : element.byteLength;
      if (size > limits.maxTextBytes) {
        throw new InferenceError(
          'PAYLOAD_TOO_LARGE',
          `${label}: text of ${size} bytes exceeds the limit of ${limits.maxTextBytes} bytes (SigLIP reads the first ${tokenizer.maxLength} tokens)`,
          'too_large',
        );
      }
      const text = elementText(element, label);
      if (!text.trim()) throw invalidArgument(`${label}: empty string`);
      return { item: text, cost: size };
    },
    async process(text) {
      return tokenizer.encode(text);
    },
    // The ids up to and including the first EOS (padding may use the same id, so count to the first).
    tokens(row) {
      const eos = BigInt(tokenizer.eosId);
      const ids = row as BigInt64Array;
      const end = ids.indexOf(eos);
      return end < 0 ? ids.length : end + 1;
    },
  };
}
