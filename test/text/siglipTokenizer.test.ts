import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SiglipTokenizer } from '../../gpu-backend/models/text/siglipTokenizer';

const DEMO_DIR = new URL('../../model_repository/embed_text/', import.meta.url).pathname;
const tokenizer = await SiglipTokenizer.fromDirectory(DEMO_DIR);
const EOS = 1n;
const PAD = 1n;
const ids = (text: string) => [...tokenizer.encode(text)];
const unpadded = (text: string) => {
  const all = ids(text);
  return all.slice(0, all.indexOf(EOS));
};

describe('SiglipTokenizer with the demo tokenizer.json', () => {
  it("uses so400m's special ids: </s> = 1 for EOS and padding, 64 ids per text", () => {
    expect(tokenizer.eosId).toBe(1);
    expect(tokenizer.padId).toBe(1);
    expect(tokenizer.maxLength).toBe(64);
    expect(tokenizer.vocabSize).toBe(32000);
  });

  it('encodes to exactly 64 int64 ids: pieces, then </s>, then padding', () => {
    const out = tokenizer.encode('a photo of a cat');
    expect(out).toBeInstanceOf(BigInt64Array);
    expect(out.length).toBe(64);
    expect(tokenizer.tokenize('a photo of a cat')).toEqual(['▁a', '▁photo', '▁of', '▁a', '▁cat']);
    expect([...out.subarray(5)]).toEqual([EOS, ...new Array(58).fill(PAD)]);
    expect([...out.subarray(0, 5)].every((id) => id > 2n && id < 32000n)).toBe(true);
  });

  it('lowercases, strips punctuation and collapses whitespace before tokenizing', () => {
    expect(ids('  A PHOTO,   of a... Cat!  ')).toEqual(ids('a photo of a cat'));
    expect(tokenizer.tokenize('Hello, World!')).toEqual(tokenizer.tokenize('hello world'));
  });

  it('truncates a long text to 64 ids that still end in </s>', () => {
    const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    expect(tokenizer.tokenize(long).length).toBeGreaterThan(64);
    const out = ids(long);
    expect(out.length).toBe(64);
    expect(out[63]).toBe(EOS);
    expect(out.slice(0, 63)).not.toContain(EOS);
    expect(out.slice(0, 63).map(Number)).toEqual(tokenizer.tokenize(long).slice(0, 63).map((p) => tokenizerId(p)));
  });

  it('fits a text of exactly 63 pieces with its </s> and no padding', () => {
    const text = Array.from({ length: 63 }, () => 'cat').join(' ');
    expect(tokenizer.tokenize(text).length).toBe(63);
    const out = ids(text);
    expect(out[62]).not.toBe(EOS);
    expect(out[63]).toBe(EOS);
  });

  it('gives [</s>, pad, ...] for the empty string (callers reject it; HF would emit a lone "▁")', () => {
    expect(ids('')).toEqual(new Array(64).fill(EOS));
    expect(ids(' ?! ')).toEqual(new Array(64).fill(EOS));
  });

  it('treats special-token spellings in user text as plain text', () => {
    expect(unpadded('</s><unk>')).toEqual(unpadded('sunk'));
    expect(unpadded('</s>')).not.toContain(EOS);
  });

  it('handles unicode: known letters map to pieces, unknown runs to <unk> (2)', () => {
    expect(tokenizer.tokenize('Ελληνικά')[0]).toBe('▁ε');
    expect(unpadded('日本の猫')).toEqual([BigInt(tokenizerId('▁')), 2n]);
    // NFKC in the normalizer: the "ﬁ" ligature becomes "fi", full-width letters become ASCII.
    expect(tokenizer.tokenize('ﬁ ＡＢＣ')).toEqual(['▁fi', '▁abc']);
  });

  it('encodes a batch as row-major [n, 64], each row as encode() would', () => {
    const batch = tokenizer.encodeBatch(['a cat', 'a dog on the beach', '']);
    expect(batch.length).toBe(3 * 64);
    expect([...batch.subarray(64, 128)]).toEqual(ids('a dog on the beach'));
  });

  it('writes into a caller buffer at an offset, and refuses one too small', () => {
    const buf = new BigInt64Array(130).fill(-7n);
    tokenizer.encodeInto('a cat', buf, 64);
    expect(buf[63]).toBe(-7n);
    expect([...buf.subarray(64, 128)]).toEqual(ids('a cat'));
    expect(buf[128]).toBe(-7n);
    expect(() => tokenizer.encodeInto('a cat', buf, 100)).toThrow(RangeError);
  });

  it('honours a configured max length and tokenizer_config.json settings', () => {
    const json = JSON.parse(readFileSync(new URL('tokenizer.json', `file://${DEMO_DIR}`), 'utf8'));
    const short = new SiglipTokenizer(json, {}, { maxLength: 8 });
    expect([...short.encode('a photo of a cat')]).toEqual([...ids('a photo of a cat').slice(0, 6), EOS, PAD]);
    const cased = new SiglipTokenizer(json, { do_lower_case: false, model_max_length: 16 });
    expect(cased.maxLength).toBe(16);
    expect(cased.tokenize('Cat')).not.toEqual(cased.tokenize('cat'));
    expect(() => new SiglipTokenizer(json, { eos_token: '<eos>' })).toThrow(/no eos_token "<eos>"/);
  });
});

function tokenizerId(piece: string): number {
  const id = tokenizer.tokenToId(piece);
  if (id === undefined) throw new Error(`no piece ${piece}`);
  return id;
}

describe('SiglipTokenizer on huge texts', () => {
  it('gives the same ids as for the text cut after its first 64 words', () => {
    const words = Array.from({ length: 5000 }, (_, i) => ['cat', 'photo', 'xyz', 'beach', 'ab'][i % 5] + (i % 7 ? '' : 'q'));
    expect(ids(words.join(' '))).toEqual(ids(words.slice(0, 64).join(' ')));
    expect(ids(words.join(' '))).toEqual([...tokenizer.tokenize(words.slice(0, 64).join(' ')).slice(0, 63).map((p) => BigInt(tokenizerId(p))), EOS]);
  });

  it('still fills 63 pieces from a single enormous word', () => {
    const out = ids('x'.repeat(1_000_000));
    expect(out.slice(0, 63)).not.toContain(EOS);
    expect(out[63]).toBe(EOS);
  });
});
