/**
 * Checks a JSON infer body while it arrives, for a relay that streams it on to a backend: its syntax, its fields
 * and each input's element count and element kinds, against the model's contract (shared/contract), with a
 * scanner that converts no number and builds no data array (shared/codec/jsonRequestScanner). The values
 * themselves (ranges, integers, token ids) are the backend's to check, where it decodes them anyway.
 *
 * A refused body is answered with the message the whole-body check gives it (the backend's, word for word): the
 * relay holds every byte, so the decoder can tell which of its rules the body breaks first.
 */
import { InferenceError } from '../../shared/errors';
import { elementCount } from '../../shared/protocol';
import { JsonRequestScanner } from '../../shared/codec/jsonRequestScanner';
import { acceptedKinds, scannedInferRequest } from '../../shared/codec/scannedInferRequest';
import { isDatatype } from '../../shared/codec/jsonRequestStructure';
import { checkInferRequest, shapeFits } from '../../shared/contract/checkInferRequest';
import type { ModelContract } from '../../shared/contract/modelContract';
import type { RelayCheck } from '../body/relayBody';

/** The whole-body check a refusal is worded by (validateInferBody's decoder path). */
export type WholeBodyCheck = (body: Uint8Array) => void;

/** Options of a JsonInferCheck. */
export interface JsonInferCheckOptions {
  /** Whether the body may go on to a backend before it has all arrived (from its first `data` array). */
  stream: boolean;
  /** Words a refusal (the decoder and the same rules); without it the scanner's own message stands. */
  wordRefusal?: WholeBodyCheck;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The batch size of a request whose inputs so far look as the contract wants them (names, datatypes, shapes,
 * batch sizes), or undefined. It only decides whether a body may stream before its end: the check at the end
 * is the one that counts.
 */
function batchSoFar(contract: ModelContract, inputs: readonly unknown[]): number | undefined {
  let batch = -1;
  for (const v of inputs) {
    if (!isObject(v)) return undefined;
    const spec = contract.inputs.find((s) => s.name === v.name);
    const { shape } = v;
    if (!spec || v.datatype !== spec.datatype || !Array.isArray(shape)) return undefined;
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !shapeFits(spec, shape as number[], contract.maxBatchSize)) return undefined;
    if (isObject(v.parameters) && Object.keys(v.parameters).some((k) => k === 'binary_data_size' || k.startsWith('shared_memory_'))) return undefined;
    if (contract.maxBatchSize > 0) {
      const n = shape[0] as number;
      if (n < 1 || n > contract.maxBatchSize || (batch !== -1 && n !== batch)) return undefined;
      batch = n;
    }
  }
  return contract.maxBatchSize > 0 ? batch : 1;
}

/** One body's check; `push` its chunks in order, then `end` with the whole body. */
export class JsonInferCheck implements RelayCheck {
  /** Tokens the request costs (its batch size): from the first `data` array while streaming, exact after `end`. */
  cost = 1;
  /** Resolves with the cost once the body may stream on (never, unless `stream`). */
  readonly streamable: Promise<number>;
  private resolveStreamable!: (cost: number) => void;
  private streaming = false;
  private readonly scanner: JsonRequestScanner;
  private doubt = false;
  // What each data array must hold, as far as its input's fields before it tell (by order of their starts;
  // undefined: not known; the last is the array being scanned), and how many closed arrays were seen.
  private readonly expectations: ({ count: number; kinds: number } | undefined)[] = [];
  private closedSeen = 0;

  constructor(
    private readonly contract: ModelContract,
    private readonly options: JsonInferCheckOptions,
  ) {
    this.streamable = new Promise((resolve) => (this.resolveStreamable = resolve));
    this.scanner = new JsonRequestScanner((root, inputs, input) => this.dataStarts([...inputs, input]));
  }

  /**
   * Scans the next chunk. False when something in it may make the request invalid (a wrong count or kind of
   * element, an input that does not fit): the relay then holds it back until the body's end decides. Throws a
   * 400 when the body cannot be valid any more (it is not JSON), which `end` then words.
   */
  push(bytes: Uint8Array): boolean {
    this.scanner.push(bytes);
    if (this.scanner.failure) throw this.scanner.failure;
    const s = this.scanner;
    // Each array closed since the last chunk, against what its input's shape and datatype let it hold.
    for (; this.closedSeen < s.closedData.length; this.closedSeen++) {
      const d = s.closedData[this.closedSeen];
      const want = this.expectations[this.closedSeen];
      if (want && (d.count !== want.count || (d.kinds & ~want.kinds) !== 0)) this.doubt = true;
    }
    // The array still open: too many elements, or a wrong kind, already.
    const e = this.expectations[this.expectations.length - 1];
    if (e && s.inData && (s.dataCount > e.count || (s.dataKinds & ~e.kinds) !== 0)) this.doubt = true;
    return !this.doubt;
  }

  /** The whole body has arrived (`whole` gives it): sets the exact cost, or throws the 400 the whole-body check gives it. */
  end(whole: () => Uint8Array): void {
    try {
      this.cost = checkInferRequest(this.contract, scannedInferRequest(this.scanner.end()), undefined);
    } catch (err) {
      if (!(err instanceof InferenceError)) throw err;
      throw this.worded(whole(), err);
    }
  }

  private dataStarts(inputs: readonly unknown[]): void {
    const batch = batchSoFar(this.contract, inputs);
    const input = inputs[inputs.length - 1] as Record<string, unknown>;
    if (batch === undefined || !isDatatype(input.datatype)) {
      this.doubt = true;
      this.expectations.push(undefined);
      return;
    }
    this.expectations.push({ count: elementCount(input.shape as number[]), kinds: acceptedKinds(input.datatype)[0] });
    if (this.options.stream && !this.streaming && !this.doubt) {
      this.streaming = true;
      this.cost = batch;
      this.resolveStreamable(batch);
    }
  }

  // The decoder finds the rule the body breaks first (a value it cannot take may come before a field's problem);
  // should it find none, or fail itself, the scanner's finding stands.
  private worded(body: Uint8Array, found: InferenceError): InferenceError {
    try {
      this.options.wordRefusal?.(body);
    } catch (err) {
      if (err instanceof InferenceError) return err;
    }
    return found;
  }
}
