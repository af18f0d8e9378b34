import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDemoTokenizer, DEMO_VOCAB_SIZE, serializeDemoTokenizer } from '../../scripts/make-demo-tokenizer';

const committed = readFileSync(new URL('../../model_repository/embed_text/tokenizer.json', import.meta.url), 'utf8');
const textConfig = JSON.parse(readFileSync(new URL('../fixtures/siglip/siglip_text_tiny/config.json', import.meta.url), 'utf8'));

describe('the demo tokenizer.json', () => {
  it('is exactly what scripts/make-demo-tokenizer.ts generates', () => {
    expect(committed).toBe(serializeDemoTokenizer(buildDemoTokenizer()));
  });

  it("has the tiny text tower's vocab_size and distinct pieces", () => {
    const vocab = JSON.parse(committed).model.vocab as [string, number][];
    expect(vocab.length).toBe(DEMO_VOCAB_SIZE);
    expect(vocab.length).toBe(textConfig.vocab_size);
    expect(new Set(vocab.map(([p]) => p)).size).toBe(vocab.length);
    expect(vocab.every(([, score]) => score <= 0)).toBe(true);
  });

  it("puts the special tokens at so400m's ids: <pad> 0, </s> 1 (the tower's pad_token_id), <unk> 2", () => {
    const json = JSON.parse(committed);
    expect(json.model.vocab.slice(0, 3).map(([p]: [string]) => p)).toEqual(['<pad>', '</s>', '<unk>']);
    expect(json.model.unk_id).toBe(2);
    expect(textConfig.pad_token_id).toBe(1);
  });
});
