import { describe, expect, it } from 'vitest';
import { canonicalizeText } from '../../gpu-backend/models/text/canonicalizeText';

describe('canonicalizeText (SiglipTokenizer.canonicalize_text after do_lower_case)', () => {
  it('lowercases', () => {
    expect(canonicalizeText('A Photo of a CAT')).toBe('a photo of a cat');
    expect(canonicalizeText('A Photo', { lowercase: false })).toBe('A Photo');
  });

  it("removes every character of Python's string.punctuation and nothing else", () => {
    expect(canonicalizeText('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')).toBe('');
    expect(canonicalizeText("it's a dog-friendly café, isn't it?")).toBe('its a dogfriendly café isnt it');
    expect(canonicalizeText('¿qué? «oui» 「猫」。')).toBe('¿qué «oui» 「猫」。');
  });

  it('collapses whitespace runs to one space and strips the ends, with Python\'s idea of whitespace', () => {
    expect(canonicalizeText('  a \t\n photo \u00a0\u3000 of\u2003a cat \r\n')).toBe('a photo of a cat');
    expect(canonicalizeText('a\u001fb\u0085c')).toBe('a b c');
    // U+FEFF is whitespace to JavaScript's \s but not to Python's str.isspace().
    expect(canonicalizeText('a\ufeffb')).toBe('a\ufeffb');
  });

  it('removes punctuation before collapsing, so "a - b" has one space', () => {
    expect(canonicalizeText('a - b ... c')).toBe('a b c');
  });

  it('keeps keep_punctuation_exact_string verbatim but strips its characters elsewhere', () => {
    expect(canonicalizeText('a photo of {}. {a} }{', { keepPunctuationExactString: '{}' })).toBe('a photo of {} a');
  });

  it('handles unicode case mapping like Python (final sigma, dotted I)', () => {
    expect(canonicalizeText('ΣΟΦΟΣ')).toBe('σοφος');
    expect(canonicalizeText('İ')).toBe('i\u0307');
  });
});
