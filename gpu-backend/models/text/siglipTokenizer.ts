import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { canonicalizeText } from './canonicalizeText';

// The subset of HF's tokenizer_config.json that SiglipTokenizer reads; defaults are so400m's.
const tokenizerConfigSchema = z.object({
  do_lower_case: z.boolean().default(true),
  model_max_length: z.number().int().positive().default(64),
  eos_token: z.union([z.string(), z.object({ content: z.string() }).transform((t) => t.content)]).default('</s>'),
  pad_token: z.union([z.string(), z.object({ content: z.string() }).transform((t) => t.content)]).default('</s>'),
});

const MAX_PIECE_CHARS = 64;

/** SiglipTokenizer settings, HF names: see tokenization_siglip.py. */
export type SiglipTokenizerConfig = z.output<typeof tokenizerConfigSchema>;

export interface SiglipTokenizerOptions {
  /** Ids per text (HF `max_length` with padding="max_length"); defaults to model_max_length (64). */
  maxLength?: number;
}

/**
 * HF SiglipTokenizer with `padding="max_length", truncation=True`: canonicalized text (lowercase,
 * no ASCII punctuation, single spaces), SentencePiece pieces from a tokenizer.json, `</s>` appended,
 * padded with the pad id (`</s>` = 1 for so400m) to exactly `maxLength` int64 ids. A text too long
 * keeps its first `maxLength - 1` pieces and still ends in `</s>`.
 *
 * Differences from HF, on purpose: text that spells a special token ("</s>") is plain text (the
 * punctuation removal turns it into "s"); leading whitespace does not yield a stray "▁" piece; the
 * empty string gives `[</s>, pad, ...]` (HF gives a lone "▁" then `</s>`), which callers should reject.
 */
export class SiglipTokenizer {
  readonly maxLength: number;
  readonly eosId: number;
  readonly padId: number;
  readonly config: SiglipTokenizerConfig;
  readonly vocabSize: number;
  private readonly tokenizer: Tokenizer;

  constructor(tokenizerJson: object, tokenizerConfig: unknown = {}, options: SiglipTokenizerOptions = {}) {
    this.config = tokenizerConfigSchema.parse(tokenizerConfig ?? {});
    // The library reads eos_token from the config; the rest of HF's config means nothing to it.
    this.tokenizer = new Tokenizer(tokenizerJson, { eos_token: this.config.eos_token });
    this.maxLength = options.maxLength ?? this.config.model_max_length;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 1) throw new Error(`maxLength must be a positive integer, got ${this.maxLength}`);
    this.eosId = this.idOf(this.config.eos_token, 'eos_token');
    this.padId = this.idOf(this.config.pad_token, 'pad_token');
    this.vocabSize = this.tokenizer.get_vocab(true).size;
  }

  /** Loads `<dir>/tokenizer.json` and, when present, `<dir>/tokenizer_config.json`. */
  static async fromDirectory(dir: string, options: SiglipTokenizerOptions = {}): Promise<SiglipTokenizer> {
    const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as object;
    let config: unknown = {};
    try {
      config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new SiglipTokenizer(json, config, options);
  }

  /** SentencePiece pieces of the canonicalized text, without `</s>`, untruncated. */
  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(this.canonicalize(text), { add_special_tokens: false });
  }

  /** Ids of one text: exactly `maxLength` of them. */
  encode(text: string): BigInt64Array {
    return this.encodeInto(text, new BigInt64Array(this.maxLength), 0);
  }

  /** Ids of many texts, row-major `[texts.length, maxLength]`: the INT64 input_ids tensor. */
  encodeBatch(texts: readonly string[]): BigInt64Array {
    const out = new BigInt64Array(texts.length * this.maxLength);
    texts.forEach((t, i) => this.encodeInto(t, out, i * this.maxLength));
    return out;
  }

  /** Writes one text's `maxLength` ids into `out` from `offset` (for filling a batch buffer) and returns `out`. */
  encodeInto(text: string, out: BigInt64Array, offset: number): BigInt64Array {
    if (offset < 0 || offset + this.maxLength > out.length) {
      throw new RangeError(`encodeInto: ${out.length} ids cannot hold ${this.maxLength} at offset ${offset}`);
    }
    // The tokenizer.json's post-processor is bypassed (add_special_tokens: false) so that EOS is added
    // exactly once whether or not the file appends it, and only after truncation.
    const ids = this.tokenizer.encode(this.boundedPrefix(this.canonicalize(text)), { add_special_tokens: false }).ids;
    const n = Math.min(ids.length, this.maxLength - 1);
    for (let i = 0; i < n; i++) out[offset + i] = BigInt(ids[i]);
    out[offset + n] = BigInt(this.eosId);
    out.fill(BigInt(this.padId), offset + n + 1, offset + this.maxLength);
    return out;
  }

  /** Id of a vocabulary piece such as "▁cat", or undefined. */
  tokenToId(piece: string): number | undefined {
    return this.tokenizer.token_to_id(piece);
  }

  /**
   * The part of a canonical text that can reach the first `maxLength - 1` pieces, so a huge text costs
   * no more than a long caption. Exact because SentencePiece pieces never span a space (every word
   * gives at least one piece) and are at most 16 characters long by default (we allow 64).
   */
  private boundedPrefix(canonical: string): string {
    let cut = Math.min(canonical.length, this.maxLength * MAX_PIECE_CHARS);
    for (let i = 0, words = 0; i < cut; i++) {
      if (canonical.charCodeAt(i) === 32 && ++words === this.maxLength) cut = i;
    }
    return canonical.slice(0, cut);
  }

  private canonicalize(text: string): string {
    return canonicalizeText(text, { lowercase: this.config.do_lower_case });
  }

  private idOf(token: string, field: string): number {
    const id = this.tokenToId(token);
    if (id === undefined) throw new Error(`tokenizer.json has no ${field} "${token}"`);
    return id;
  }
}
