// Text tokenization for SigLIP: HF SiglipTokenizer in TypeScript.
export { canonicalizeText, type CanonicalizeOptions } from './canonicalizeText';
export { SiglipTokenizer, type SiglipTokenizerConfig, type SiglipTokenizerOptions } from './siglipTokenizer';
