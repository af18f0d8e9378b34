/**
 * Writes model_repository/embed_text/tokenizer.json: a SentencePiece-style Unigram tokenizer with exactly
 * 32000 pieces for the demo text tower (test/fixtures/siglip/siglip_text_tiny, vocab_size 32000).
 * The project makes it itself: it is NOT so400m's vocabulary, so its ids mean nothing to a real SigLIP.
 *
 * Layout, matching so400m's special ids (T5-style spiece.model): 0 `<pad>`, 1 `</s>` (EOS and padding),
 * 2 `<unk>`, then `▁`, single characters, `▁`+character, common caption words, letter bigrams and trigrams.
 * Scores are synthetic log-probabilities that favour longer pieces. Output is deterministic.
 *
 * Run: npx tsx scripts/make-demo-tokenizer.ts [output path]
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Size of the demo vocabulary: the tiny text tower's vocab_size. */
export const DEMO_VOCAB_SIZE = 32000;

const SPACE = '\u2581'; // SentencePiece's meta-space "▁"

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const CHARACTERS = [
  ...LETTERS,
  ...'0123456789',
  ...'àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœ',
  ...'αβγδεζηθικλμνξοπρστυφχψως',
  ...'абвгдежзийклмнопрстуфхцчшщъыьэюя',
  ...'的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年',
];
const WORDS = `a an the of and in on at with by for from to is are was be this that it its as or
photo picture image drawing painting illustration sketch render close up view portrait landscape
cat cats dog dogs kitten puppy bird birds horse cow sheep fish animal animals person people man woman
men women child children boy girl baby face hand hands hair eye eyes smiling standing sitting lying
walking running playing holding wearing looking red green blue yellow black white brown gray grey
orange purple pink dark light bright small large big little old new young two three four five many
car cars bus truck train plane boat bike bicycle road street city building house room kitchen table
chair bed window door tree trees flower flowers grass field forest mountain mountains beach sea ocean
river lake sky cloud clouds sun snow rain night day morning evening food pizza cake coffee cup
plate bowl fruit apple banana sandwich bread water glass bottle book phone computer screen keyboard
astronaut space rocket moon star stars earth planet suit helmet flag chelsea tabby whiskers fur
sleeping eating drinking flying swimming riding jumping top front back side left right near next
over under inside outside together alone group crowd team game ball sport soccer tennis field`
  .split(/\s+/)
  .filter(Boolean);

type Piece = [string, number];

/** The demo tokenizer.json, as an object in the layout HF tokenizers writes for a SentencePiece Unigram model. */
export function buildDemoTokenizer(): Record<string, unknown> {
  const pieces: Piece[] = [];
  const seen = new Set<string>();
  const add = (piece: string, score: number) => {
    if (pieces.length < DEMO_VOCAB_SIZE && !seen.has(piece)) {
      seen.add(piece);
      pieces.push([piece, score]);
    }
  };
  // Specials score 0 like in a converted spiece.model; they are matched as added tokens, never by the lattice.
  add('<pad>', 0);
  add('</s>', 0);
  add('<unk>', 0);
  add(SPACE, -3);
  for (const c of CHARACTERS) add(c, -10);
  for (const c of CHARACTERS) add(SPACE + c, -9);
  WORDS.forEach((w, i) => add(SPACE + w, -2 - Math.round(i / 50)));
  for (const a of LETTERS) for (const b of LETTERS) add(a + b, -8);
  for (const a of LETTERS) for (const b of LETTERS) add(SPACE + a + b, -7);
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) add(a + b + c, -6);
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) add(SPACE + a + b + c, -5);
  if (pieces.length !== DEMO_VOCAB_SIZE) throw new Error(`built ${pieces.length} pieces, need ${DEMO_VOCAB_SIZE}`);

  const special = (id: number) => ({
    id,
    content: pieces[id][0],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const metaspace = { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'always', split: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0), special(1), special(2)],
    // so400m's converted tokenizer.json carries spiece.model's nmt_nfkc charsmap; NFKC plus space squeezing stands in.
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }],
    },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 2, vocab: pieces, byte_fallback: false },
  };
}

/** Serialises compactly, one vocabulary piece per line, so diffs stay readable and the file small. */
export function serializeDemoTokenizer(tokenizer: Record<string, unknown>): string {
  const { model, ...rest } = tokenizer as { model: { vocab: Piece[] } & Record<string, unknown> };
  const { vocab, ...modelRest } = model;
  const head = JSON.stringify({ ...rest, model: { ...modelRest, vocab: [] } });
  const lines = vocab.map((p) => JSON.stringify(p)).join(',\n');
  return head.replace('"vocab":[]', `"vocab":[\n${lines}\n]`) + '\n';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? 'model_repository/embed_text/tokenizer.json';
  const text = serializeDemoTokenizer(buildDemoTokenizer());
  writeFileSync(out, text);
  console.log(`wrote ${out}: ${DEMO_VOCAB_SIZE} pieces, ${text.length} bytes`);
}
