/**
 * The streaming check of JSON infer bodies (JsonRequestScanner, scannedInferRequest, JsonInferCheck) against the
 * whole-body path the backend takes (decodeJsonInferRequest, then the contract's checkInferRequest and
 * checkValueRanges): the same bodies accepted at the same cost (the batch size), the same refused with the same
 * message, whatever the chunks the body arrives in (whole, one byte at a time, or seeded random sizes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelCatalog, type ModelInfo } from '../../gateway/backends/modelCatalog';
import { jsonInferCheck, validateInferBody } from '../../gateway/validation/inferBody';
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import { JsonRequestScanner, LeafKind, ScannedData } from '../../shared/codec/jsonRequestScanner';
import { scannedInferRequest } from '../../shared/codec/scannedInferRequest';
import { checkInferRequest, checkValueRanges } from '../../shared/contract/checkInferRequest';
import { InferenceError } from '../../shared/errors';
import { fakeClock } from '../gateway/support/fakeClock';
import { mulberry32 } from '../../shared/random';

const enc = new TextEncoder();
const utf8 = (s: string) => enc.encode(s);

// mulberry32, so every chunking and mutation here is the same on every run.
const prng = mulberry32;

/** `body` cut into chunks of 1..maxSize bytes (seeded). */
function randomChunks(body: Uint8Array, seed: number, maxSize: number): Uint8Array[] {
  const rnd = prng(seed);
  const out: Uint8Array[] = [];
  for (let p = 0; p < body.length; ) {
    const n = 1 + Math.floor(rnd() * maxSize);
    out.push(body.subarray(p, p + n));
    p += n;
  }
  return out;
}

/** The chunkings every body is fed in: whole, one byte at a time, and seeded random sizes. */
function chunkings(body: Uint8Array, seed: number): [string, Uint8Array[]][] {
  return [
    ['whole', [body]],
    ['1-byte chunks', randomChunks(body, seed, 1)],
    ['chunks of 1-3', randomChunks(body, seed + 1, 3)],
    ['chunks of 1-17', randomChunks(body, seed + 2, 17)],
    ['chunks of 1-300', randomChunks(body, seed + 3, 300)],
  ];
}

/** What a body comes to: accepted at a cost (tokens: the batch size), or refused with a code and message. */
type Outcome = { cost: number } | { refused: string };

function refusal(err: unknown): Outcome {
  if (!(err instanceof InferenceError)) throw err;
  return { refused: `${err.code}: ${err.message}` };
}

/** The backend's whole-body path (gpu-backend/http/routes/inferRequest.ts for a JSON body). */
function backendOutcome(model: ModelInfo, body: Uint8Array): Outcome {
  try {
    const decoded = decodeJsonInferRequest(body);
    const cost = checkInferRequest(model.contract, decoded, undefined);
    checkValueRanges(model.contract, decoded.tensors.map((t) => ({ name: t.name, data: t.data })));
    return { cost };
  } catch (err) {
    return refusal(err);
  }
}

interface CheckRun {
  outcome: Outcome;
  /** Some chunk was held back (push answered false). */
  held: boolean;
  /** A push threw (the relay stops pushing then, as RelayBody does). */
  threw: boolean;
  /** What `streamable` resolved with once the body was all pushed, if it had. */
  streamedCost: number | undefined;
}

/** Feeds `chunks` to the gateway's check as RelayBody does: push until one throws, then end with the whole body. */
async function runCheck(model: ModelInfo, body: Uint8Array, chunks: Uint8Array[], stream: boolean): Promise<CheckRun> {
  const check = jsonInferCheck(model, stream);
  let held = false;
  let threw = false;
  for (const chunk of chunks) {
    try {
      if (!check.push(chunk)) held = true;
    } catch (err) {
      expect(err).toBeInstanceOf(InferenceError);
      threw = true;
      break;
    }
  }
  // Already settled or not: the race takes `streamable` when it has resolved (it comes first).
  const streamedCost = await Promise.race([check.streamable, Promise.resolve(undefined)]);
  let outcome: Outcome;
  try {
    check.end(() => body);
    outcome = { cost: check.cost };
  } catch (err) {
    outcome = refusal(err);
  }
  return { outcome, held, threw, streamedCost };
}

/** The gateway's whole-body validation (a body read whole: no relay on that runtime, or a chunked one). */
function wholeBodyOutcome(model: ModelInfo, body: Uint8Array): Outcome {
  try {
    return { cost: validateInferBody(body, undefined, model) };
  } catch (err) {
    return refusal(err);
  }
}

/** A catalog answered by a function, to get ModelInfo exactly as the gateway derives it from a backend. */
async function modelFrom(meta: object, config: object): Promise<ModelInfo> {
  const catalog = new ModelCatalog({ forward: async (req) => Response.json(req.path.endsWith('/config') ? config : meta) }, { clock: fakeClock() });
  return (await catalog.get('m'))!;
}

const out = (name: string) => ({ name, datatype: 'FP32', shape: [-1, 4] });
let pixels: ModelInfo; // FP32 [-1, 3, 2, 2], max batch 4: siglip_vision in small
let ids: ModelInfo; // INT64 [-1, 4], values in [0, 99], max batch 8
let idsAndMask: ModelInfo; // two INT64 inputs
let texts: ModelInfo; // BYTES [-1, 1], max batch 8, embed_model and normalize parameters
let fixed: ModelInfo; // FP32 [2, 2], no batching

beforeAll(async () => {
  pixels = await modelFrom({ name: 'px', inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 2, 2] }], outputs: [out('EMBEDDING')] }, { max_batch_size: 4 });
  ids = await modelFrom(
    { name: 'ids', inputs: [{ name: 'INPUT_IDS', datatype: 'INT64', shape: [-1, 4] }], outputs: [out('EMBEDDING')] },
    { max_batch_size: 8, parameters: { value_range: { string_value: '{"INPUT_IDS": [0, 99]}' } } },
  );
  idsAndMask = await modelFrom(
    { name: 'two', inputs: [{ name: 'INPUT_IDS', datatype: 'INT64', shape: [-1, 4] }, { name: 'MASK', datatype: 'INT64', shape: [-1, 4] }], outputs: [out('E')] },
    { max_batch_size: 8 },
  );
  texts = await modelFrom(
    { name: 'txt', inputs: [{ name: 'INPUT_TEXT', datatype: 'BYTES', shape: [-1, 1] }], outputs: [out('EMBEDDING')] },
    { max_batch_size: 8, parameters: { default_embed_model: { string_value: 'siglip_text' }, embed_model_choices: { string_value: 'siglip_text,other' } } },
  );
  fixed = await modelFrom({ name: 'fixed', inputs: [{ name: 'X', datatype: 'FP32', shape: [2, 2] }], outputs: [{ name: 'Y', datatype: 'FP32', shape: [2] }] }, { max_batch_size: 0 });
  expect(ids.contract.inputs[0].range).toEqual([0, 99]);
  expect(texts.contract.parameters.embed_model).toEqual({ kind: 'choice', choices: ['siglip_text', 'other'] });
  expect(fixed.contract.maxBatchSize).toBe(0);
});

// ---- Bodies --------------------------------------------------------------------------------------------------

const nums = (n: number, f: (i: number) => string = (i) => String(i / 8)) => Array.from({ length: n }, (_, i) => f(i)).join(',');
const px = (data: string, shape = '[1,3,2,2]', extra = '') => `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":${shape},"data":${data}${extra}}]}`;
const pxN = (n: number) => px(`[${nums(12 * n)}]`, `[${n},3,2,2]`);
const idsBody = (data: string, shape = '[1,4]', extra = '') => `{"inputs":[{"name":"INPUT_IDS","datatype":"INT64","shape":${shape},"data":${data}}]${extra}}`;
const textBody = (data: string, shape: string, extra = '') => `{"inputs":[{"name":"INPUT_TEXT","datatype":"BYTES","shape":${shape},"data":${data}}]${extra}}`;
const nested = (depth: number, inner: string) => '['.repeat(depth) + inner + ']'.repeat(depth);

// Number tokens written the ways clients write them (Python repr, JS, C printf, NumPy), and Triton's non-finites.
const TOKENS = ['0', '-0', '1', '-1', '0.5', '-0.0', '1e-3', '1E+2', '-2.5e-10', '0e0', '3.4028234663852886e38', '123456789012345678901234567890', '0.000001', '1.0E5', '-9.999999e-39', '7', '12.75', '1e0'];
const randomTokens = (n: number, seed: number) => {
  const rnd = prng(seed);
  return Array.from({ length: n }, () => {
    const x = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 6);
    const style = Math.floor(rnd() * 5);
    return style === 0 ? x.toExponential(Math.floor(rnd() * 10)) : style === 1 ? x.toFixed(Math.floor(rnd() * 12)) : style === 2 ? x.toPrecision(1 + Math.floor(rnd() * 16)) : style === 3 ? String(Math.fround(x)) : TOKENS[Math.floor(rnd() * TOKENS.length)];
  });
};

/** Valid requests, by model, with the batch size the decoder path gives them. */
const VALID: [string, () => ModelInfo, string, number][] = [
  ['FP32 pixels, batch 1', () => pixels, pxN(1), 1],
  ['FP32 pixels, batch 4 (the maximum)', () => pixels, pxN(4), 4],
  ['FP32 data nested as the shape', () => pixels, px(`[${[0, 1].map((b) => `[${[0, 1, 2].map((c) => `[[${b}.${c}0,${b}.${c}1],[${b}.${c}2,${b}.${c}3]]`).join(',')}]`).join(',')}]`, '[2,3,2,2]'), 2],
  ['FP32 data nested 200 deep (data arrays have no depth limit)', () => pixels, px(nested(200, nums(12))), 1],
  ['FP32 data with empty arrays in it', () => pixels, px(`[[],[${nums(6)}],[[]],[${nums(6)}],[[[]]]]`), 1],
  ['FP32 exponents and odd number forms', () => pixels, px(`[${TOKENS.slice(0, 12).join(',')}]`), 1],
  ['FP32 random number forms, batch 3', () => pixels, px(`[${randomTokens(36, 7).join(', ')}]`, '[3,3,2,2]'), 3],
  ['FP32 NaN and Infinity tokens (Triton takes them)', () => pixels, px(`[NaN,-NaN,Infinity,-Infinity,Inf,-Inf,${nums(6)}]`), 1],
  ['whitespace everywhere', () => pixels, ` \t\r\n{ "inputs" :\n [ { "name"\t: "PIXEL_VALUES" ,\r\n "datatype" : "FP32" , "shape" : [ 1 , 3 , 2 , 2 ] , "data" : [ ${nums(12).split(',').join(' ,\n\t')} ] } ] } \n\t `, 1],
  [
    'id, parameters and outputs',
    () => pixels,
    `{"id":"req-\\u00e9-1","parameters":{"timeout":1000,"binary_data_output":false,"priority":1,"custom":"x"},"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"parameters":{"note":"n","flag":true,"n":-1.5e3},"data":[${nums(12)}]}],"outputs":[{"name":"EMBEDDING","parameters":{"binary_data":true,"x":1}}]}`,
    1,
  ],
  ['unicode escapes in the input name', () => pixels, `{"inputs":[{"name":"PIXEL\\u005fVALUES","datatype":"\\u0046P32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`, 1],
  ['escapes and raw UTF-8 in ignored strings', () => pixels, `{"id":"\\ud83d\\ude00 日本語 \\" \\\\ \\/ \\b\\f\\n\\r\\t","x":"🙂 \\u0000","inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}],"note":"é"}]}`, 1],
  ['data before the datatype and shape', () => pixels, `{"inputs":[{"data":[${nums(12)}],"shape":[1,3,2,2],"name":"PIXEL_VALUES","datatype":"FP32"}]}`, 1],
  ['inputs after outputs and parameters', () => pixels, `{"outputs":[{"name":"EMBEDDING"}],"parameters":{},"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`, 1],
  ['a leading byte-order mark', () => pixels, `\ufeff${pxN(1)}`, 1],
  ['duplicate keys: the last wins (datatype, shape, data, inputs)', () => pixels, `{"inputs":5,"inputs":[{"name":"X","datatype":"INT32","shape":[9],"data":[1],"name":"PIXEL_VALUES","datatype":"FP32","shape":[2,3,2,2],"data":[${nums(24)}]}]}`, 2],
  ['unknown fields at every level, nested 64 deep', () => pixels, `{"x":${nested(64, '1')},"inputs":[{"y":${nested(63, '{}')},"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}]}],"z":{"a":[{"b":null}]}}`, 1],
  ['shape dims written as 1.0, 3e0 and 2.00', () => pixels, px(`[${nums(12)}]`, '[1.0,3e0,2,2.00]'), 1],
  ['INT64 ids, batch 2', () => ids, idsBody('[1,2,3,4,5,6,7,8]', '[2,4]'), 2],
  ['INT64 ids nested, with -0 and 99', () => ids, idsBody('[[0,-0,99,1],[2,3,4,5],[6,7,8,9]]', '[3,4]'), 3],
  ['INT64 ids and mask, batch 2', () => idsAndMask, `{"inputs":[{"name":"INPUT_IDS","datatype":"INT64","shape":[2,4],"data":[1,2,3,4,5,6,7,8]},{"name":"MASK","datatype":"INT64","shape":[2,4],"data":[[1,1,1,0],[1,1,0,0]]}]}`, 2],
  ['BYTES texts, shape [n]', () => texts, textBody('["a photo of a cat","","日本語 🙂","\\"quoted\\" \\\\ ] , { }","\\ud83d\\ude00\\u00e9"]', '[5]'), 5],
  ['BYTES texts, shape [n,1] nested', () => texts, textBody('[["a"],["b"],["c"]]', '[3,1]'), 3],
  ['BYTES texts with embed_model and normalize', () => texts, textBody('["x"]', '[1]', ',"parameters":{"embed_model":"siglip_text","normalize":true}'), 1],
  ['a model without batching costs 1', () => fixed, `{"inputs":[{"name":"X","datatype":"FP32","shape":[2,2],"data":[[1,2],[3,4]]}]}`, 1],
];

/** Bodies the backend refuses (every one for a rule the gateway checks); the gateway must refuse them alike. */
const INVALID: [string, () => ModelInfo, string][] = [
  // Not JSON.
  ['empty body', () => pixels, ''],
  ['whitespace only', () => pixels, ' \n\t '],
  ['truncated in the data', () => pixels, pxN(1).slice(0, 80)],
  ['truncated before the last brace', () => pixels, pxN(1).slice(0, -1)],
  ['truncated in a string', () => pixels, '{"inputs":[{"name":"PIXEL_VAL'],
  ['truncated after a number at the end of the body', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}`],
  ['truncated inside "Infinity"', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(11)},Infin`],
  ['truncated after "Inf"', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(11)},Inf`],
  ['trailing garbage', () => pixels, `${pxN(1)}x`],
  ['a second object after the body', () => pixels, `${pxN(1)} {}`],
  ['a closing brace too many', () => pixels, `${pxN(1)}}`],
  ['a comma after the body', () => pixels, `${pxN(1)},`],
  ['a trailing comma in the data', () => pixels, px(`[${nums(12)},]`)],
  ['a trailing comma in the shape', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2,]')],
  ['a trailing comma in an object', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}],}]}`],
  ['a missing comma in the data', () => pixels, px(`[${nums(6)} ${nums(6)}]`)],
  ['a missing colon', () => pixels, '{"inputs" [1]}'],
  ['an unquoted key', () => pixels, '{inputs:[]}'],
  ['single quotes', () => pixels, "{'inputs':[]}"],
  ['a comment', () => pixels, '{"inputs":[] /* x */}'],
  ['a leading zero', () => pixels, px(`[01,${nums(11)}]`)],
  ['a number ending in a dot', () => pixels, px(`[1.,${nums(11)}]`)],
  ['a number starting with a dot', () => pixels, px(`[.5,${nums(11)}]`)],
  ['a plus sign', () => pixels, px(`[+1,${nums(11)}]`)],
  ['an exponent without digits', () => pixels, px(`[1e,${nums(11)}]`)],
  ['a lone minus', () => pixels, px(`[-,${nums(11)}]`)],
  ['hexadecimal', () => pixels, px(`[0x1,${nums(11)}]`)],
  ['a misspelt true', () => pixels, px(`[tru,${nums(11)}]`)],
  ['"Infinit"', () => pixels, px(`[Infinit,${nums(11)}]`)],
  ['"NaNa"', () => pixels, px(`[NaNa,${nums(11)}]`)],
  ['a control character in a string', () => pixels, '{"id":"a\tb","inputs":[]}'],
  ['a bad escape', () => pixels, '{"id":"a\\xb","inputs":[]}'],
  ['a bad \\u escape', () => pixels, '{"id":"\\u12G4","inputs":[]}'],
  ['a mismatched bracket', () => pixels, px(`[${nums(12)}}`)],
  ['the characters of half a byte-order mark', () => pixels, `\xef\xbb${pxN(1)}`],
  ['two byte-order marks', () => pixels, `\ufeff\ufeff${pxN(1)}`],
  // Not a request.
  ['an array', () => pixels, `[${pxN(1)}]`],
  ['a number', () => pixels, '42'],
  ['a string', () => pixels, '"inputs"'],
  ['null', () => pixels, 'null'],
  ['no inputs', () => pixels, '{}'],
  ['inputs not an array', () => pixels, '{"inputs":{"name":"PIXEL_VALUES"}}'],
  ['an input not an object', () => pixels, '{"inputs":[[1,2]]}'],
  ['id not a string', () => pixels, `{"id":5,${pxN(1).slice(1)}`],
  ['id null', () => pixels, `{"id":null,${pxN(1).slice(1)}`],
  ['parameters an array', () => pixels, `{"parameters":[],${pxN(1).slice(1)}`],
  ['a parameter that is an object', () => pixels, `{"parameters":{"a":{"b":1}},${pxN(1).slice(1)}`],
  ['a parameter that is null', () => pixels, `{"parameters":{"a":null},${pxN(1).slice(1)}`],
  ['a negative timeout', () => pixels, `{"parameters":{"timeout":-1},${pxN(1).slice(1)}`],
  ['binary_data_output not a boolean', () => pixels, `{"parameters":{"binary_data_output":"yes"},${pxN(1).slice(1)}`],
  ['an unknown embed_model', () => texts, textBody('["x"]', '[1]', ',"parameters":{"embed_model":"nope"}')],
  ['normalize not a boolean', () => texts, textBody('["x"]', '[1]', ',"parameters":{"normalize":1}')],
  // Inputs.
  ['an unknown input name', () => pixels, `{"inputs":[{"name":"IMAGE","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['an unknown input name in UTF-8, split anywhere', () => pixels, `{"inputs":[{"name":"PIXEL_VALUÉS_日本🙂","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['an unknown input name with escapes (a lone surrogate)', () => pixels, `{"inputs":[{"name":"P\\u00c9\\ud800\\n","datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['a name that is not a string', () => pixels, `{"inputs":[{"name":7,"datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['no name', () => pixels, `{"inputs":[{"datatype":"FP32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['the wrong datatype', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP64","shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['an unknown datatype', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FLOAT32","shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['a datatype that is not a string', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":["FP32"],"shape":[1,3,2,2],"data":[${nums(12)}]}]}`],
  ['the wrong shape', () => pixels, px(`[${nums(12)}]`, '[1,2,3,2]')],
  ['a shape of the wrong rank', () => pixels, px(`[${nums(12)}]`, '[12]')],
  ['a negative dimension', () => pixels, px(`[${nums(12)}]`, '[-1,3,2,2]')],
  ['a fractional dimension', () => pixels, px(`[${nums(12)}]`, '[1.5,3,2,2]')],
  ['a string dimension', () => pixels, px(`[${nums(12)}]`, '["1",3,2,2]')],
  ['a nested shape', () => pixels, px(`[${nums(12)}]`, '[[1],3,2,2]')],
  ['a shape that is not an array', () => pixels, px(`[${nums(12)}]`, '"1,3,2,2"')],
  ['batch 0', () => pixels, px('[]', '[0,3,2,2]')],
  ['batch over max_batch_size', () => pixels, pxN(5)],
  ['batch over max_batch_size, INT64', () => ids, idsBody(`[${nums(36, (i) => String(i % 50))}]`, '[9,4]')],
  ['batch sizes that differ between inputs', () => idsAndMask, `{"inputs":[{"name":"INPUT_IDS","datatype":"INT64","shape":[2,4],"data":[1,2,3,4,5,6,7,8]},{"name":"MASK","datatype":"INT64","shape":[1,4],"data":[1,1,1,0]}]}`],
  ['an input missing', () => idsAndMask, idsBody('[1,2,3,4]')],
  ['an input twice', () => ids, `{"inputs":[{"name":"INPUT_IDS","datatype":"INT64","shape":[1,4],"data":[1,2,3,4]},{"name":"INPUT_IDS","datatype":"INT64","shape":[1,4],"data":[1,2,3,4]}]}`],
  ['the second input unknown (after the first one streamed)', () => idsAndMask, `{"inputs":[{"name":"INPUT_IDS","datatype":"INT64","shape":[2,4],"data":[1,2,3,4,5,6,7,8]},{"name":"MASKS","datatype":"INT64","shape":[2,4],"data":[1,1,1,0,1,1,0,0]}]}`],
  ['input parameters an array', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2]', ',"parameters":[]')],
  ['binary_data_size without the binary extension', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"parameters":{"binary_data_size":48}}]}`],
  ['binary_data_size and data', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2]', ',"parameters":{"binary_data_size":48}')],
  ['a shared-memory input (refused through the gateway)', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"parameters":{"shared_memory_region":"r","shared_memory_byte_size":48}}]}`],
  ['no data', () => pixels, '{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2]}]}'],
  // Data.
  ['one element too few', () => pixels, px(`[${nums(11)}]`)],
  ['one element too many', () => pixels, px(`[${nums(13)}]`)],
  ['one element too many in a nested row', () => pixels, px(`[[${nums(6)}],[${nums(7)}]]`)],
  ['data not an array', () => pixels, px('5')],
  ['data a string', () => pixels, px('"1,2,3"')],
  ['data an object', () => pixels, px('{"a":[1]}')],
  ['data null', () => pixels, px('null')],
  ['a string in FP32 data', () => pixels, px(`[${nums(11)},"0.5"]`)],
  ['null in FP32 data', () => pixels, px(`[null,${nums(11)}]`)],
  ['true in FP32 data', () => pixels, px(`[${nums(5)},true,${nums(6)}]`)],
  ['an object in FP32 data', () => pixels, px(`[${nums(5)},{"v":[1,2]},${nums(6)}]`)],
  ['a string in FP32 data, and a count that is wrong', () => pixels, px(`[${nums(5)},"x",${nums(9)}]`)],
  ['NaN in INT64 data', () => ids, idsBody('[1,NaN,3,4]')],
  ['a string in INT64 data', () => ids, idsBody('[1,2,"3",4]')],
  ['a fraction in INT64 data with a wrong count (the value is named first)', () => ids, idsBody('[1.5,2,3]')],
  ['a number in BYTES data', () => texts, textBody('["a",1]', '[2]')],
  ['a boolean in BYTES data', () => texts, textBody('[false]', '[1]')],
  ['too few BYTES elements', () => texts, textBody('["a","b"]', '[3,1]')],
  // Outputs.
  ['an unknown output', () => pixels, `{"outputs":[{"name":"LOGITS"}],${pxN(1).slice(1)}`],
  ['an output twice', () => pixels, `{"outputs":[{"name":"EMBEDDING"},{"name":"EMBEDDING"}],${pxN(1).slice(1)}`],
  ['outputs not an array', () => pixels, `{"outputs":{"name":"EMBEDDING"},${pxN(1).slice(1)}`],
  ['outputs null', () => pixels, `{"outputs":null,${pxN(1).slice(1)}`],
  ['an output not an object', () => pixels, `{"outputs":["EMBEDDING"],${pxN(1).slice(1)}`],
  ['an output name not a string', () => pixels, `{"outputs":[{"name":1}],${pxN(1).slice(1)}`],
  ['binary_data not a boolean', () => pixels, `{"outputs":[{"name":"EMBEDDING","parameters":{"binary_data":"true"}}],${pxN(1).slice(1)}`],
  ['an output parameter that is an array', () => pixels, `{"outputs":[{"name":"EMBEDDING","parameters":{"x":[1]}}],${pxN(1).slice(1)}`],
  // Duplicate keys: the last one (which the decoder keeps) makes the request wrong.
  ['a second data array with a wrong count', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2]', `,"data":[${nums(11)}]`)],
  ['a name after the data', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2]', ',"name":"OTHER"')],
  ['a datatype after the data', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2]', ',"datatype":"INT64"')],
  ['a shape after the data', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2]', ',"shape":[2,3,2,2]')],
  ['inputs again, empty', () => pixels, `${pxN(1).slice(0, -1)},"inputs":[]}`],
  // Nesting, where the decoder limits it (outside data arrays).
  ['65 levels under an unknown key', () => pixels, `{"x":${nested(65, '')},${pxN(1).slice(1)}`],
  ['65 levels of objects under an input', () => pixels, px(`[${nums(12)}]`, '[1,3,2,2]', `,"y":${'{"a":'.repeat(65)}1${'}'.repeat(65)}`)],
  ['a parameter nested 64 deep', () => pixels, `{"parameters":{"p":${nested(64, '')}},${pxN(1).slice(1)}`],
  ['an output field nested 63 deep', () => pixels, `{"outputs":[{"name":"EMBEDDING","z":${nested(63, '')}}],${pxN(1).slice(1)}`],
  ['an inputs element nested 65 deep', () => pixels, `{"inputs":${nested(66, '')}}`],
  ['data an object nested 65 deep', () => pixels, px(nested(64, '{"a":[]}').replace(/^\[/, '{"k":').replace(/\]$/, '}'))],
];

// Requests whose values are wrong, not their structure: the gateway lets them through (the backend decodes them
// anyway and refuses them with this message); they still cost their batch size.
const VALUES_FOR_THE_BACKEND: [string, () => ModelInfo, string, number, string][] = [
  ['a fraction in INT64 data', () => ids, idsBody('[1,2.5,3,4]'), 1, "INVALID_ARGUMENT: input 'INPUT_IDS': data element 1 is not an integer"],
  ['a token id over the vocabulary', () => ids, idsBody('[1,2,3,100]'), 1, "INVALID_ARGUMENT: INPUT_IDS: value 100 at element 3 is outside [0, 99], the model's range (for token ids: its vocabulary)"],
  ['an INT64 over its range', () => ids, idsBody('[1,2,3,9223372036854775808]'), 1, "INVALID_ARGUMENT: input 'INPUT_IDS': data element 3 is out of range for INT64"],
  ['a float too large for a double', () => pixels, px(`[1e400,${nums(11)}]`), 1, "INVALID_ARGUMENT: input 'PIXEL_VALUES': data element 0 is out of range for FP32 (too large for a double)"],
];

/** Refusals the gateway leaves to the backend, by design (JsonInferCheck reads no value). */
const VALUE_REFUSAL = /: data element \d+ (is not an integer|is out of range for [A-Z0-9]+( \(too large for a double\))?)$|: value .+ at element \d+ is outside \[/;

function expectSameAsBackend(run: CheckRun, expected: Outcome, where: string): void {
  expect(run.outcome, where).toEqual(expected);
}

describe('JsonInferCheck against the decoder path, whatever the chunks', () => {
  it('takes every valid request at the cost the decoder path gives (its batch size), streamable from its first data array', async () => {
    for (const [i, [what, model, text, batch]] of VALID.entries()) {
      const body = utf8(text);
      expect(backendOutcome(model(), body), what).toEqual({ cost: batch });
      expect(wholeBodyOutcome(model(), body), what).toEqual({ cost: batch });
      for (const [how, chunks] of chunkings(body, 1000 + i * 10)) {
        for (const stream of [false, true]) {
          const run = await runCheck(model(), body, chunks, stream);
          const where = `${what}, ${how}, stream ${stream}`;
          expectSameAsBackend(run, { cost: batch }, where);
          expect(run.threw, where).toBe(false);
          // Only a streaming check may let a body go on early, and then at the cost it ends with.
          if (!stream) expect(run.streamedCost, where).toBeUndefined();
          else if (run.streamedCost !== undefined) expect(run.streamedCost, where).toBe(batch);
        }
      }
    }
  });

  it('streams a request written in the usual order from its first data array, holding nothing back', async () => {
    // All but the two whose fields come after their data (those are held back: see the next test).
    for (const [what, model, text, batch] of VALID.filter(([w]) => !/before the datatype|duplicate keys/.test(w))) {
      const body = utf8(text);
      for (const [how, chunks] of chunkings(body, 77)) {
        const run = await runCheck(model(), body, chunks, true);
        expect([run.streamedCost, run.held], `${what}, ${how}`).toEqual([batch, false]);
      }
    }
  });

  it('holds a body back from the chunk where its fields say it cannot be valid as it stands', async () => {
    // Decided where the data array begins: held back whatever the chunks.
    const atDataStart: [string, () => ModelInfo, string, number | undefined][] = [
      ['data before the datatype', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","shape":[1,3,2,2],"data":[${nums(12)}],"datatype":"FP32"}]}`, undefined],
      ['batch over the maximum', () => pixels, pxN(5), undefined],
      ['the wrong datatype', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP64","shape":[1,3,2,2],"data":[${nums(12)}]}]}`, undefined],
      ['a binary_data_size parameter', () => pixels, `{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"parameters":{"binary_data_size":48},"data":[${nums(12)}]}]}`, undefined],
      // The first input went on; the second one stops the relay where its data begins.
      ['an unknown second input', () => idsAndMask, `{"inputs":[{"name":"INPUT_IDS","datatype":"INT64","shape":[1,4],"data":[1,2,3,4]},{"name":"M","datatype":"INT64","shape":[1,4],"data":[1,1,1,0]}]}`, 1],
    ];
    for (const [what, model, text, streamed] of atDataStart) {
      const body = utf8(text);
      for (const [how, chunks] of chunkings(body, 5)) {
        const run = await runCheck(model(), body, chunks, true);
        expect([run.held || run.threw, run.streamedCost], `${what}, ${how}`).toEqual([true, streamed]);
        expect(run.outcome, `${what}, ${how}`).toEqual(backendOutcome(model(), body));
      }
    }
    // Found in the data array: the check looks at the end of each chunk, so (one byte at a time) at the element
    // itself, while the array is still open.
    const inData: [string, string][] = [
      ['two elements too many', px(`[${nums(14)}]`)],
      ['a string in FP32 data', px(`[${nums(5)},"x",${nums(6)}]`)],
      ['an object in FP32 data', px(`[{},${nums(11)}]`)],
    ];
    for (const [what, text] of inData) {
      const body = utf8(text);
      const run = await runCheck(pixels, body, randomChunks(body, 1, 1), true);
      expect([run.held, run.streamedCost], what).toEqual([true, 1]);
    }
  });

  it('refuses every invalid request with the message the decoder path gives it', async () => {
    for (const [i, [what, model, text]] of INVALID.entries()) {
      const body = utf8(text);
      const expected = backendOutcome(model(), body);
      expect(expected, what).toHaveProperty('refused');
      expect(wholeBodyOutcome(model(), body), what).toEqual(expected);
      for (const [how, chunks] of chunkings(body, 5000 + i * 10)) {
        for (const stream of [false, true]) {
          expectSameAsBackend(await runCheck(model(), body, chunks, stream), expected, `${what}, ${how}, stream ${stream}`);
        }
      }
    }
  });

  it('refuses a body that starts with half a byte-order mark as the decoder does', async () => {
    // "\xef\xbb" in INVALID is two characters, four bytes in UTF-8; these are the two bytes themselves.
    const body = new Uint8Array([0xef, 0xbb, ...utf8(pxN(1))]);
    const expected = backendOutcome(pixels, body);
    expect(expected).toHaveProperty('refused');
    for (const [how, chunks] of chunkings(body, 9)) expectSameAsBackend(await runCheck(pixels, body, chunks, true), expected, how);
  });

  it('finds the nesting limit exactly where the decoder does, under every field that has one', async () => {
    const at: [string, (d: number) => string][] = [
      ['an unknown root key', (d) => `{"x":${nested(d, '')},${pxN(1).slice(1)}`],
      ['an unknown input key', (d) => px(`[${nums(12)}]`, '[1,3,2,2]', `,"y":${nested(d, '1')}`)],
      ['a root parameter', (d) => `{"parameters":{"p":${nested(d, '')}},${pxN(1).slice(1)}`],
      ['an input parameter', (d) => px(`[${nums(12)}]`, '[1,3,2,2]', `,"parameters":{"p":${nested(d, '')}}`)],
      ['an output field', (d) => `{"outputs":[{"name":"EMBEDDING","z":${nested(d, '')}}],${pxN(1).slice(1)}`],
      ['an output parameter', (d) => `{"outputs":[{"name":"EMBEDDING","parameters":{"q":${nested(d, '')}}}],${pxN(1).slice(1)}`],
      ['an outputs element', (d) => `{"outputs":[${nested(d, '')}],${pxN(1).slice(1)}`],
      ['an inputs element', (d) => `{"inputs":[${nested(d, '')}]}`],
      ['a shape element', (d) => px(`[${nums(12)}]`, `[${nested(d, '1')},3,2,2]`)],
      ['the id', (d) => `{"id":${nested(d, '')},${pxN(1).slice(1)}`],
      ['the inputs', (d) => `{"inputs":{"a":${nested(d, '')}}}`],
    ];
    for (const [where, body] of at) {
      const seen = new Set<string>();
      for (let d = 58; d <= 67; d++) {
        const b = utf8(body(d));
        const expected = backendOutcome(pixels, b);
        seen.add('refused' in expected && /nested deeper than 64 levels/.test(expected.refused) ? 'too deep' : 'not too deep');
        for (const [how, chunks] of chunkings(b, d)) expectSameAsBackend(await runCheck(pixels, b, chunks, true), expected, `${where}, depth ${d}, ${how}`);
      }
      expect([...seen].sort(), where).toEqual(['not too deep', 'too deep']);
    }
  });

  it('refuses every truncation of a valid body with the decoder message, cut at every byte', async () => {
    const bodies: [ModelInfo, string][] = [
      [pixels, `{"id":"é\\n","parameters":{"timeout":5},"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[[1e-3,-2.5E+2,NaN,-Infinity],[Inf,0,-0.0,12],[1,2,3,4]]}],"outputs":[{"name":"EMBEDDING"}]}`],
      [texts, textBody('["日本🙂","\\u00e9\\"x"]', '[2,1]')],
    ];
    for (const [model, text] of bodies) {
      const body = utf8(text);
      expect(backendOutcome(model, body)).toHaveProperty('cost');
      for (let n = 0; n < body.length; n++) {
        const cut = body.subarray(0, n);
        const expected = backendOutcome(model, cut);
        expect(expected, `cut at ${n}`).toHaveProperty('refused');
        for (const [how, chunks] of [['whole', [cut]], ['1-byte chunks', randomChunks(cut, n, 1)], ['chunks of 1-9', randomChunks(cut, n, 9)]] as const) {
          expectSameAsBackend(await runCheck(model, cut, [...chunks], true), expected, `cut at ${n}, ${how}`);
        }
      }
    }
  });

  it('lets value problems through to the backend (they cost their batch size there), as documented', async () => {
    for (const [what, model, text, batch, backendSays] of VALUES_FOR_THE_BACKEND) {
      const body = utf8(text);
      expect(backendOutcome(model(), body), what).toEqual({ refused: backendSays });
      for (const [how, chunks] of chunkings(body, 3)) expectSameAsBackend(await runCheck(model(), body, chunks, true), { cost: batch }, `${what}, ${how}`);
    }
  });

  it('agrees with the decoder path on 3,000 seeded mutations of valid bodies, whatever the chunks', async () => {
    const rnd = prng(20240601);
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'f', 'n', 'N', 'I', 'a', 'u', 'x', 'é', '🙂', '\u0001'];
    const seeds: [ModelInfo, string][] = [
      [pixels, `{"id":"a","parameters":{"timeout":1},"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[[0.5,-1e-3,2E2,NaN],[-Inf,3,4,5],[6,7,8,9.25]]}],"outputs":[{"name":"EMBEDDING"}]}`],
      [ids, idsBody('[[1,2,3,4],[5,6,7,8]]', '[2,4]')],
      [idsAndMask, `{"inputs":[{"name":"INPUT_IDS","datatype":"INT64","shape":[1,4],"data":[1,2,3,4]},{"name":"MASK","datatype":"INT64","shape":[1,4],"data":[1,1,0,0]}]}`],
      [texts, textBody('["a b","\\u00e9",""]', '[3]', ',"parameters":{"normalize":false}')],
    ];
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const [model, seed] = seeds[i % seeds.length];
      let text = seed;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * (text.length + 1));
        const ch = alphabet[Math.floor(rnd() * alphabet.length)];
        const op = Math.floor(rnd() * 3);
        text = op === 0 ? text.slice(0, at) + text.slice(at + 1) : op === 1 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + ch + text.slice(at + 1);
      }
      const body = utf8(text);
      const expected = backendOutcome(model, body);
      for (const [how, chunks] of [['whole', [body]], ['random chunks', randomChunks(body, i, 1 + (i % 13))]] as const) {
        const run = await runCheck(model, body, [...chunks], true);
        const where = `mutant ${i} ${JSON.stringify(text)}, ${how}`;
        if ('refused' in expected && VALUE_REFUSAL.test(expected.refused) && 'cost' in run.outcome) continue;
        expectSameAsBackend(run, expected, where);
      }
      if ('cost' in expected) accepted++;
      else refused++;
    }
    // The mutations reach both sides of the line.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(1000);
  });

  it('agrees with the decoder path on 2,000 seeded requests with wrong counts, kinds, values and shapes in their data', async () => {
    const rnd = prng(777);
    const pick = <T,>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    // Mostly good tokens, some of another kind or value.
    const good: Record<string, string[]> = {
      FP32: ['0', '1.5', '-2e-3', 'NaN', '-Infinity', '3.25E+1', '-0'],
      INT64: ['0', '1', '42', '99', '-0', '7'],
      BYTES: ['"a"', '""', '"\\u00e9 \\n"', '"日本"', '"]"'],
    };
    const bad = ['"x"', 'true', 'null', '{}', '{"a":[1,2]}', '1.5', '1e400', '100', '-1', '9223372036854775808', 'Inf', 'false', '2.0'];
    const models: [() => ModelInfo, string, string, number[]][] = [
      [() => pixels, 'PIXEL_VALUES', 'FP32', [3, 2, 2]],
      [() => ids, 'INPUT_IDS', 'INT64', [4]],
      [() => texts, 'INPUT_TEXT', 'BYTES', [1]],
    ];
    let accepted = 0;
    let leftToBackend = 0;
    const reasons = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const [model, name, datatype, item] = models[i % models.length];
      const batch = 1 + Math.floor(rnd() * 5);
      const per = item.reduce((a, b) => a * b, 1);
      let count = batch * per;
      const r = rnd();
      if (r < 0.15) count += 1;
      else if (r < 0.3) count = Math.max(0, count - 1);
      const tokens = Array.from({ length: count }, () => (rnd() < 0.03 ? pick(bad) : pick(good[datatype])));
      // Rows nested as the shape, flat, or in random groups.
      const style = Math.floor(rnd() * 3);
      const data =
        style === 0
          ? `[${tokens.join(', ')}]`
          : style === 1
            ? `[${Array.from({ length: Math.ceil(tokens.length / per) }, (_, k) => `[${tokens.slice(k * per, (k + 1) * per).join(',')}]`).join(',')}]`
            : `[${tokens.map((t) => (rnd() < 0.2 ? `[${t}]` : t)).join(',')}${rnd() < 0.2 ? ',[]' : ''}]`;
      const shape = rnd() < 0.1 ? [batch, ...item.map((d) => d + 1)] : datatype === 'BYTES' && rnd() < 0.5 ? [batch] : [batch, ...item];
      const order = rnd() < 0.2 ? ['data', 'name', 'shape', 'datatype'] : ['name', 'datatype', 'shape', 'data'];
      const fields: Record<string, string> = { name: `"${name}"`, datatype: `"${datatype}"`, shape: `[${shape.join(',')}]`, data };
      const text = `{"inputs":[{${order.map((k) => `"${k}":${fields[k]}`).join(',')}}]}`;
      const body = utf8(text);
      const expected = backendOutcome(model(), body);
      if ('refused' in expected) reasons.add(expected.refused.replace(/\d+/g, 'N'));
      for (const [how, chunks] of [['whole', [body]], ['random chunks', randomChunks(body, i, 1 + (i % 40))]] as const) {
        const run = await runCheck(model(), body, [...chunks], true);
        if ('refused' in expected && VALUE_REFUSAL.test(expected.refused) && 'cost' in run.outcome) {
          expect(run.outcome, text).toEqual({ cost: batch });
          leftToBackend++;
          continue;
        }
        expectSameAsBackend(run, expected, `${text}, ${how}`);
      }
      if ('cost' in expected) accepted++;
    }
    expect(accepted).toBeGreaterThan(500);
    expect(leftToBackend).toBeGreaterThan(20);
    // Refused for counts, kinds, values and shapes alike.
    expect([...reasons].some((m) => m.includes('expected N values for shape'))).toBe(true);
    expect([...reasons].some((m) => m.includes('is not a number'))).toBe(true);
    expect([...reasons].some((m) => m.includes('is not a string'))).toBe(true);
    expect([...reasons].some((m) => m.includes('expected shape'))).toBe(true);
  });
});

describe('JsonInferCheck holds a relay back where its data array goes wrong, also when it closes in that chunk', () => {
  const head = '{"inputs":[{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3,2,2],"data":[';
  const values = (n: number) => Array.from({ length: n }, (_, i) => `${i}.5`);
  // The first chunk ends inside the data array; the second holds the rest of the array, its close and the end.
  const chunked = (n: number, tail = ']}]}') => {
    const body = utf8(`${head}${values(n).join(',')}${tail}`);
    const cut = head.length + 10;
    return { body, chunks: [body.subarray(0, cut), body.subarray(cut)] };
  };

  it.each([
    ['one element too many', 13, ']}]}'],
    ['one element too few', 11, ']}]}'],
    ['a string among the numbers', 11, ',"x"]}]}'],
  ])('%s, the array closing in the chunk that shows it: held, then refused as the decoder refuses it', async (_, n, tail) => {
    const { body, chunks } = chunked(n, tail);
    const run = await runCheck(pixels, body, chunks, true);
    expect(run.held).toBe(true);
    expect(run.outcome).toEqual(backendOutcome(pixels, body));
    expect('refused' in run.outcome).toBe(true);
  });

  it('a body that fits, in the same chunks: never held, and accepted at its batch size', async () => {
    const { body, chunks } = chunked(12);
    const run = await runCheck(pixels, body, chunks, true);
    expect(run.held).toBe(false);
    expect(run.outcome).toEqual({ cost: 1 });
  });
});

describe('JsonRequestScanner', () => {
  const scanAll = (chunks: Uint8Array[]) => {
    const s = new JsonRequestScanner();
    for (const c of chunks) s.push(c);
    return s;
  };

  it('replaces each data array by its element count and kinds, as the decoder counts (nested arrays flattened)', () => {
    const body = utf8('{"inputs":[{"name":"x","datatype":"FP32","shape":[9],"data":[1, "a", [true, [null]], NaN, {"o": [1, 2, 3]}, [[-Infinity]], 2e5, []]}]}');
    for (const [how, chunks] of chunkings(body, 3)) {
      const root = scanAll(chunks).end();
      const data = ((root.inputs as Record<string, unknown>[])[0]).data as ScannedData;
      expect(data, how).toBeInstanceOf(ScannedData);
      expect(data.count, how).toBe(8);
      const L = LeafKind;
      expect(data.kinds, how).toBe(L.Number | L.String | L.Boolean | L.Null | L.NonFinite | L.Object);
      expect(data.firstOutside(L.Number), how).toBe(1);
      expect(data.firstOutside(L.Number | L.String), how).toBe(2);
      expect(data.firstOutside(L.Number | L.String | L.Boolean | L.Null), how).toBe(4);
      expect(data.firstOutside(L.Number | L.String | L.Boolean | L.Null | L.NonFinite), how).toBe(5);
      expect(data.firstOutside(63), how).toBe(-1);
    }
  });

  it('keeps the header fields as the decoder reads them (the id only as a string placeholder)', () => {
    for (const [what, model, text] of VALID) {
      const body = utf8(text);
      const decoded = decodeJsonInferRequest(body);
      for (const [how, chunks] of chunkings(body, 11)) {
        const scanned = scannedInferRequest(scanAll(chunks).end());
        const { id: _a, ...header } = decoded.header;
        const { id: _b, ...scannedHeader } = scanned.header;
        expect(scannedHeader, `${what}, ${how}`).toEqual(header);
        expect(typeof scanned.header.id, `${what}, ${how}`).toBe(typeof decoded.header.id);
        expect(scanned.tensors.map((t) => t.count), `${what}, ${how}`).toEqual(decoded.tensors.map((t) => t.count));
        expect(checkInferRequest(model().contract, scanned, undefined)).toBe(checkInferRequest(model().contract, decoded, undefined));
      }
    }
  });

  it('gives the same failure, at the same byte, however the body is split', () => {
    for (const [what, , text] of INVALID) {
      const body = utf8(text);
      const messages = new Set<string>();
      for (const [, chunks] of chunkings(body, 21)) {
        const s = scanAll(chunks);
        try {
          scannedInferRequest(s.end());
          messages.add('accepted');
        } catch (err) {
          expect(err).toBeInstanceOf(InferenceError);
          messages.add((err as Error).message);
        }
      }
      expect(messages.size, `${what}: ${[...messages].join(' | ')}`).toBe(1);
    }
  });

  it('follows a data array while it streams, and keeps the first failure, ignoring what comes after', () => {
    const s = new JsonRequestScanner();
    s.push(utf8('{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,'));
    expect([s.inData, s.dataCount, s.dataKinds]).toEqual([true, 2, LeafKind.Number]);
    s.push(utf8('3,"x"'));
    expect([s.inData, s.dataCount, s.dataKinds]).toEqual([true, 4, LeafKind.Number | LeafKind.String]);
    s.push(utf8(']}]}'));
    expect(s.inData).toBe(false);
    expect(s.depth).toBe(0);
    expect(s.failure).toBeUndefined();
    s.push(utf8(' x'));
    const failure = s.failure;
    expect(failure?.message).toBe(decodeError(utf8('{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,3,"x"]}]} x')));
    s.push(utf8('{{{{'));
    expect(s.failure).toBe(failure);
    expect(() => s.end()).toThrow(failure);
  });

  it('keeps only its nesting in state: a 100,000-element data array leaves depth at its bracket count', () => {
    const s = new JsonRequestScanner();
    s.push(utf8('{"inputs":[{"name":"x","datatype":"FP32","shape":[100000],"data":[['));
    const depthInData = s.depth;
    const row = utf8(`${nums(1000)},`);
    for (let i = 0; i < 99; i++) s.push(row);
    s.push(utf8(`${nums(1000)}]]}]}`));
    expect(depthInData).toBe(5);
    const data = ((s.end().inputs as Record<string, unknown>[])[0]).data as ScannedData;
    expect([data.count, data.kinds]).toEqual([100_000, LeafKind.Number]);
  });
});

/** The decoder's message for a body it refuses for its syntax. */
function decodeError(body: Uint8Array): string {
  try {
    decodeJsonInferRequest(body);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}
