// Python's string.punctuation: ASCII only, so "¿", "«" or "、" are kept, as in HF.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

// The characters Python's str.isspace() accepts, which `re.sub(r"\s+")` and `str.strip()` use. Not JS's \s:
// Python adds U+001C..U+001F and U+0085, and does not count U+FEFF.
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${WS}]+`, 'g');
const EDGE_WHITESPACE = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');

export interface CanonicalizeOptions {
  /** SiglipTokenizer's do_lower_case (true for so400m). */
  lowercase?: boolean;
  /** Kept verbatim where it occurs, e.g. "{}"; its characters are still removed elsewhere. */
  keepPunctuationExactString?: string;
}

/**
 * SiglipTokenizer's text clean-up (tokenization_siglip.py, after big_vision's prompt engineering):
 * lowercase (do_lower_case), remove ASCII punctuation, collapse whitespace runs to one space, strip.
 * Done here explicitly because a tokenizer.json converted from spiece.model does not do it.
 */
export function canonicalizeText(text: string, options: CanonicalizeOptions = {}): string {
  const { lowercase = true, keepPunctuationExactString } = options;
  let t = lowercase ? text.toLowerCase() : text;
  t = keepPunctuationExactString
    ? t
        .split(keepPunctuationExactString)
        .map((part) => part.replace(PUNCTUATION, ''))
        .join(keepPunctuationExactString)
    : t.replace(PUNCTUATION, '');
  return t.replace(WHITESPACE_RUN, ' ').replace(EDGE_WHITESPACE, '');
}
