/**
 * A streaming scanner of KServe v2 JSON infer requests: bytes go in as they arrive, split anywhere, and come out
 * as the request's fields with every `data` array replaced by a ScannedData (how many elements, of which kinds).
 * Numbers are never converted and data arrays never built: the state is O(nesting depth), plus the few header
 * fields the request rules read (names, datatypes, shapes, parameters).
 *
 * It accepts exactly the JSON that decodeJsonInferRequest accepts (JsonCursor's grammar: RFC 8259 plus the NaN
 * and Infinity tokens Triton's rapidjson takes, a leading BOM, the 64-level nesting limit where JsonCursor.value
 * applies it, none inside data arrays), and keeps the fields buildDecodedRequest reads with JSON.parse's rules
 * (the last of duplicate keys wins). Unknown fields are validated and dropped.
 */
import { InferenceError } from '../errors';
import { setMember } from './jsonCursor';
import { forgetCopiedChunk, WASM_RUN_MIN_BYTES, wasmNumberRun } from './wasmNumberRun';

/** Kinds of data-array elements (bits of ScannedData.kinds); NonFinite is NaN, Inf or Infinity, minus or not. */
export const LeafKind = { Number: 1, NonFinite: 2, String: 4, Boolean: 8, Null: 16, Object: 32 } as const;

const KIND_COUNT = 6;

/** What a `data` array held: its elements (nested arrays flattened, as the decoder counts them) by kind. */
export class ScannedData {
  constructor(
    /** Elements, row-major, of any kind. */
    readonly count: number,
    /** The LeafKind bits of the kinds present. */
    readonly kinds: number,
    /** Index of the first element of each kind, by bit position (-1: none). */
    private readonly firstOfKind: readonly number[],
  ) {}

  /** Index of the first element whose kind is not in `allowed`, or -1. */
  firstOutside(allowed: number): number {
    let first = -1;
    for (let k = 0; k < KIND_COUNT; k++) {
      if (allowed & (1 << k)) continue;
      const i = this.firstOfKind[k];
      if (i >= 0 && (first < 0 || i < first)) first = i;
    }
    return first;
  }
}

/**
 * Called when the `data` array of `inputs[inputs.length]` begins, with the fields read so far: of the request
 * (`inputs` not yet among them), of the inputs before it, and of this input (keys after `data` are still to come).
 */
export type DataStartHook = (root: Readonly<Record<string, unknown>>, inputs: readonly unknown[], input: Readonly<Record<string, unknown>>) => void;

/** Deepest nesting JsonCursor.value builds (request fields are flat); data arrays have no limit. */
const MAX_DEPTH = 64;

const enum St {
  Bom, Value, ArrFirst, ObjFirst, Key, Colon, After, End,
  Str, Esc, Hex,
  NumMinus, NumZero, NumInt, NumDot, NumFrac, NumExp, NumExpSign, NumExpDigits,
  Word, InfEnd,
}

// Where a value belongs: which semantic container, or which kind of generic one.
const enum Role { Root, Inputs, Input, Outputs, Output, Params, Shape }
const enum Region { None, Skip, Data }
// What happens to a primitive once it is complete.
const enum Sink { None, Store, Placeholder, Data, Key, GenericKey }
const enum Tok { String, Number, NonFinite, True, False, Null }

/** A container whose value the request rules read: it is built (only with the fields they read). */
interface Frame {
  role: Role;
  isObject: boolean;
  value: Record<string, unknown> | unknown[];
  /** Current member key (objects). */
  key: string;
  /** Value depth of this container as JsonCursor.value counts it (its members are one deeper). */
  depth: number;
}

const NO_STORE = Symbol('no store');
const BOM = [0xef, 0xbb, 0xbf];

// ignoreBOM: a U+FEFF inside a string is content (as JsonCursor decodes strings).
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

const isDigit = (c: number) => c >= 48 && c <= 57;

// Words a value may start with, by first byte: the rest to match and the token. "Inf" may go on as "Infinity".
const WORDS: Record<number, [string, Tok]> = {
  116: ['rue', Tok.True],
  102: ['alse', Tok.False],
  110: ['ull', Tok.Null],
  78: ['aN', Tok.NonFinite],
  73: ['nf', Tok.NonFinite],
};

/** Scans one request body; `push` each chunk in order, then `end`. */
export class JsonRequestScanner {
  /** Bytes consumed so far. */
  offset = 0;
  private failed: InferenceError | undefined;
  private state = St.Bom as St;
  private readonly frames: Frame[] = [];
  private root: Record<string, unknown> | undefined;
  // Generic containers (skipped values, data arrays): 1 for an object, 0 for an array.
  private gstack = new Uint8Array(64);
  private gdepth = 0;
  private region = Region.None as Region;
  private skipBase = 0;
  private placeholder: unknown = NO_STORE;
  // Data region: elements so far, their kinds, and the generic depth of the object element being skipped (0: none).
  private count = 0;
  private kinds = 0;
  private firstOfKind: number[] = [];
  private objectAt = 0;
  // The primitive being read.
  private sink = Sink.None as Sink;
  private tok = Tok.String as Tok;
  private collect = false;
  private bytes = new Uint8Array(64);
  private nbytes = 0;
  private text = '';
  private word = '';
  private wordAt = 0;
  private hexLeft = 0;
  private hexValue = 0;
  private negative = false;
  private bomSeen = 0;

  constructor(private readonly onDataStart?: DataStartHook) {}

  /** The first syntax or nesting error, if any; later chunks are then ignored. */
  get failure(): InferenceError | undefined {
    return this.failed;
  }

  /** Open containers now: with the header fields, all the scanner keeps of the body. */
  get depth(): number {
    return this.gdepth + this.frames.length;
  }

  /** Whether the scan is inside a `data` array, whose elements so far `dataCount` and `dataKinds` describe. */
  get inData(): boolean {
    return this.region === Region.Data;
  }

  get dataCount(): number {
    return this.count;
  }

  /** LeafKind bits of the elements so far. */
  get dataKinds(): number {
    return this.kinds;
  }

  /** The data arrays closed so far, in order: their elements and the LeafKind bits of their kinds. */
  readonly closedData: { count: number; kinds: number }[] = [];

  /** Scans the next bytes of the body. Never throws: a failure is kept in `failure`. */
  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    // A chunk's bytes are copied into the kernel once per push; the next push may reuse the same buffer.
    forgetCopiedChunk();
    try {
      this.scan(chunk);
    } catch (err) {
      if (!(err instanceof InferenceError)) throw err;
      this.failed = err;
    }
    this.offset += chunk.length;
  }

  /** Ends the body: returns the request's fields (data arrays as ScannedData), or throws its failure. */
  end(): Record<string, unknown> {
    if (this.failed) throw this.failed;
    const s = this.state;
    // A number or "Inf" may end with the body.
    if (s === St.NumZero || s === St.NumInt || s === St.NumFrac || s === St.NumExpDigits || s === St.InfEnd) this.primitiveDone();
    if (this.state !== St.End || !this.root) {
      this.failed = this.fail(this.offset, 'unexpected end of input');
      throw this.failed;
    }
    return this.root;
  }

  private fail(at: number, detail: string): InferenceError {
    return new InferenceError('INVALID_ARGUMENT', `malformed JSON at byte ${at}: ${detail}`);
  }

  private unexpected(at: number, c: number): InferenceError {
    return this.fail(at, `unexpected ${c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`}`);
  }

  private scan(b: Uint8Array): void {
    const n = b.length;
    const base = this.offset;
    let p = 0;
    while (p < n) {
      const c = b[p];
      switch (this.state) {
        case St.Bom: {
          // TextDecoder drops a leading UTF-8 BOM (EF BB BF) before JSON.parse sees the text. A body that starts
          // with 0xEF is no JSON otherwise, so a partial BOM is an error.
          if (this.bomSeen === 0 && c !== 0xef) { this.state = St.Value; continue; }
          if (c !== BOM[this.bomSeen]) throw this.unexpected(base + p - this.bomSeen, 0xef);
          p++;
          if (++this.bomSeen === 3) this.state = St.Value;
          continue;
        }
        case St.Value:
        case St.ArrFirst: {
          if (c === 32 || c === 10 || c === 13 || c === 9) { p++; continue; }
          if (this.state === St.ArrFirst && c === 93) { p++; this.close(base + p - 1, 93); continue; }
          if (this.region === Region.Data && this.objectAt === 0 && (isDigit(c) || c === 45)) {
            const q = this.dataNumbers(b, p, n);
            if (q !== p) { p = q; continue; }
          }
          p = this.beginValue(b, p, base);
          continue;
        }
        case St.ObjFirst:
        case St.Key: {
          if (c === 32 || c === 10 || c === 13 || c === 9) { p++; continue; }
          if (this.state === St.ObjFirst && c === 125) { p++; this.close(base + p - 1, 125); continue; }
          if (c !== 34) throw this.unexpected(base + p, c);
          this.startString(this.gdepth === 0 ? Sink.Key : Sink.GenericKey, this.gdepth === 0);
          p++;
          continue;
        }
        case St.Colon: {
          if (c === 32 || c === 10 || c === 13 || c === 9) { p++; continue; }
          if (c !== 58) throw this.unexpected(base + p, c);
          p++;
          this.state = St.Value;
          continue;
        }
        case St.After: {
          if (c === 32 || c === 10 || c === 13 || c === 9) { p++; continue; }
          const inObject = this.gdepth > 0 ? this.gstack[this.gdepth - 1] === 1 : this.frames[this.frames.length - 1].isObject;
          if (c === 44) { p++; this.state = inObject ? St.Key : St.Value; continue; }
          if (c === (inObject ? 125 : 93)) { p++; this.close(base + p - 1, c); continue; }
          throw this.unexpected(base + p, c);
        }
        case St.End: {
          if (c === 32 || c === 10 || c === 13 || c === 9) { p++; continue; }
          throw this.unexpected(base + p, c);
        }
        case St.Str: {
          // The run of plain bytes up to a quote, a backslash or a control character.
          const start = p;
          let d = c;
          while (d !== 34 && d !== 92 && d >= 0x20) {
            if (++p === n) break;
            d = b[p];
          }
          if (this.collect && p > start) this.keep(b, start, p);
          if (p === n) continue;
          if (d === 34) { p++; this.primitiveDone(); continue; }
          if (d === 92) { p++; this.state = St.Esc; continue; }
          throw this.fail(base + p, 'control character in string');
        }
        case St.Esc: {
          let s: string;
          switch (c) {
            case 34: s = '"'; break;
            case 92: s = '\\'; break;
            case 47: s = '/'; break;
            case 98: s = '\b'; break;
            case 102: s = '\f'; break;
            case 110: s = '\n'; break;
            case 114: s = '\r'; break;
            case 116: s = '\t'; break;
            case 117:
              this.state = St.Hex;
              this.hexLeft = 4;
              this.hexValue = 0;
              p++;
              continue;
            default:
              throw this.fail(base + p - 1, 'bad escape');
          }
          if (this.collect) this.appendText(s);
          this.state = St.Str;
          p++;
          continue;
        }
        case St.Hex: {
          const h = hexValue(c);
          if (h < 0) throw this.fail(base + p, 'bad \\u escape');
          this.hexValue = this.hexValue * 16 + h;
          p++;
          if (--this.hexLeft === 0) {
            // Lone surrogates stay as they are, as JSON.parse leaves them.
            if (this.collect) this.appendText(String.fromCharCode(this.hexValue));
            this.state = St.Str;
          }
          continue;
        }
        case St.NumMinus: {
          if (c === 48) { this.keepByte(c); p++; this.state = St.NumZero; continue; }
          if (c > 48 && c <= 57) { this.keepByte(c); p++; this.state = St.NumInt; continue; }
          if (c === 78) { p++; this.startWord('aN', Tok.NonFinite); continue; }
          if (c === 73) { p++; this.startWord('nf', Tok.NonFinite); continue; }
          throw this.unexpected(base + p, c);
        }
        case St.NumZero:
        case St.NumInt:
        case St.NumFrac:
        case St.NumExpDigits: {
          if (isDigit(c) && this.state !== St.NumZero) {
            const start = p;
            while (++p < n && isDigit(b[p]));
            if (this.collect) this.keep(b, start, p);
            continue;
          }
          if (c === 46 && (this.state === St.NumZero || this.state === St.NumInt)) { this.keepByte(c); p++; this.state = St.NumDot; continue; }
          if ((c === 101 || c === 69) && this.state !== St.NumExpDigits) { this.keepByte(c); p++; this.state = St.NumExp; continue; }
          // The token ended before this byte, which is read again in the state that follows it.
          this.primitiveDone();
          continue;
        }
        case St.NumDot: {
          if (!isDigit(c)) throw this.unexpected(base + p, c);
          this.keepByte(c);
          p++;
          this.state = St.NumFrac;
          continue;
        }
        case St.NumExp: {
          if (c === 43 || c === 45) { this.keepByte(c); p++; this.state = St.NumExpSign; continue; }
          if (!isDigit(c)) throw this.unexpected(base + p, c);
          this.keepByte(c);
          p++;
          this.state = St.NumExpDigits;
          continue;
        }
        case St.NumExpSign: {
          if (!isDigit(c)) throw this.unexpected(base + p, c);
          this.keepByte(c);
          p++;
          this.state = St.NumExpDigits;
          continue;
        }
        case St.Word: {
          if (c !== this.word.charCodeAt(this.wordAt)) throw this.unexpected(base + p, c);
          p++;
          if (++this.wordAt < this.word.length) continue;
          if (this.word === 'nf') { this.state = St.InfEnd; continue; }
          this.primitiveDone();
          continue;
        }
        case St.InfEnd: {
          // "Inf" may only continue as "Infinity".
          if (c === 105) { p++; this.startWord('nity', Tok.NonFinite); continue; }
          this.primitiveDone();
          continue;
        }
      }
    }
  }

  // Counts the run of number tokens at `p` (see numberRun) as data elements.
  private dataNumbers(b: Uint8Array, p: number, n: number): number {
    const q = numberRun(b, p, n);
    if (run.count > 0) {
      if (this.firstOfKind[0] < 0) this.firstOfKind[0] = this.count;
      this.count += run.count;
      this.kinds |= LeafKind.Number;
      this.state = run.afterToken ? St.After : St.Value;
    }
    return q;
  }

  /** Starts the value at `b[p]` (not whitespace) in the current container; returns where scanning goes on. */
  private beginValue(b: Uint8Array, p: number, base: number): number {
    const c = b[p];
    const isContainer = c === 123 || c === 91;
    if (this.gdepth > 0) {
      if (this.region === Region.Data && this.objectAt === 0) {
        if (c === 91) return this.openGeneric(p, false);
        // An object element is one (wrong) element; what it holds is only checked for syntax.
        this.leaf(c === 123 ? 5 : -1);
        if (c === 123) { this.objectAt = this.gdepth + 1; return this.openGeneric(p, true); }
        return this.startPrimitive(b, p, base, Sink.Data);
      }
      if (isContainer) {
        if (this.region === Region.Skip && this.skipBase + this.gdepth >= MAX_DEPTH) throw tooDeep(base + p);
        return this.openGeneric(p, c === 123);
      }
      return this.startPrimitive(b, p, base, Sink.None);
    }
    if (this.frames.length === 0) {
      // The root: only an object can be a request; anything else is refused as the request rules refuse it.
      if (c !== 123) throw new InferenceError('INVALID_ARGUMENT', 'request body must be a JSON object');
      this.root = {};
      this.pushFrame(Role.Root, true, this.root, 0);
      this.state = St.ObjFirst;
      return p + 1;
    }
    const f = this.frames[this.frames.length - 1];
    const key = f.key;
    switch (f.role) {
      case Role.Root:
        if (key === 'inputs' && c === 91) return this.open(p, Role.Inputs, false, [], 0);
        if (key === 'outputs' && c === 91) return this.open(p, Role.Outputs, false, [], 0);
        if (key === 'parameters' && c === 123) return this.open(p, Role.Params, true, {}, 0);
        if (key === 'id' && c === 34) return this.skip(b, p, base, 0, '');
        return this.skip(b, p, base, 0, key === 'inputs' || key === 'outputs' || key === 'id' ? 0 : key === 'parameters' ? [] : NO_STORE);
      case Role.Inputs:
        if (c === 123) return this.open(p, Role.Input, true, {}, 0);
        return this.skip(b, p, base, 0, 0);
      case Role.Input:
        if (key === 'data') {
          if (c !== 91) return this.skip(b, p, base, 0, null);
          this.region = Region.Data;
          this.count = 0;
          this.kinds = 0;
          this.firstOfKind = new Array<number>(KIND_COUNT).fill(-1);
          this.objectAt = 0;
          const q = this.openGeneric(p, false);
          const inputs = this.frames[this.frames.length - 2];
          if (this.onDataStart && this.frames.length === 3 && inputs.role === Role.Inputs) {
            this.onDataStart(this.root!, inputs.value as unknown[], f.value as Record<string, unknown>);
          }
          return q;
        }
        if ((key === 'name' || key === 'datatype') && c === 34) return this.startPrimitive(b, p, base, Sink.Store);
        if (key === 'shape' && c === 91) return this.open(p, Role.Shape, false, [], 0);
        if (key === 'parameters' && c === 123) return this.open(p, Role.Params, true, {}, 0);
        return this.skip(b, p, base, 0, key === 'name' || key === 'datatype' || key === 'shape' ? 0 : key === 'parameters' ? [] : NO_STORE);
      case Role.Outputs:
        if (c === 123) return this.open(p, Role.Output, true, {}, 1);
        return this.skip(b, p, base, 1, 0);
      case Role.Output:
        if (key === 'name' && c === 34) return this.startPrimitive(b, p, base, Sink.Store);
        if (key === 'parameters' && c === 123) return this.open(p, Role.Params, true, {}, 2);
        return this.skip(b, p, base, 2, key === 'name' ? 0 : key === 'parameters' ? [] : NO_STORE);
      case Role.Params:
        // Parameter values must be strings, numbers or booleans: any container is refused alike.
        if (isContainer) return this.skip(b, p, base, f.depth + 1, {});
        return this.startPrimitive(b, p, base, Sink.Store);
      case Role.Shape:
        if (isContainer || c === 34) return this.skip(b, p, base, 1, null);
        return this.startPrimitive(b, p, base, Sink.Store);
    }
  }

  // A value that is validated but not built: `placeholder` (of the same type class as far as the request rules
  // can tell) is stored in its place, or nothing for NO_STORE.
  private skip(b: Uint8Array, p: number, base: number, depth: number, placeholder: unknown): number {
    const c = b[p];
    this.placeholder = placeholder;
    if (c === 123 || c === 91) {
      this.region = Region.Skip;
      this.skipBase = depth;
      return this.openGeneric(p, c === 123);
    }
    return this.startPrimitive(b, p, base, placeholder === NO_STORE ? Sink.None : Sink.Placeholder);
  }

  private open(p: number, role: Role, isObject: boolean, value: Record<string, unknown> | unknown[], depth: number): number {
    this.pushFrame(role, isObject, value, depth);
    this.state = isObject ? St.ObjFirst : St.ArrFirst;
    return p + 1;
  }

  private pushFrame(role: Role, isObject: boolean, value: Record<string, unknown> | unknown[], depth: number): void {
    this.frames.push({ role, isObject, value, key: '', depth });
  }

  private openGeneric(p: number, isObject: boolean): number {
    if (this.gdepth === this.gstack.length) {
      const bigger = new Uint8Array(this.gstack.length * 2);
      bigger.set(this.gstack);
      this.gstack = bigger;
    }
    this.gstack[this.gdepth++] = isObject ? 1 : 0;
    this.state = isObject ? St.ObjFirst : St.ArrFirst;
    return p + 1;
  }

  private close(at: number, closer: number): void {
    if (this.gdepth > 0) {
      const wasObject = this.gstack[this.gdepth - 1] === 1;
      if ((closer === 125) !== wasObject) throw this.unexpected(at, closer);
      if (this.objectAt === this.gdepth) this.objectAt = 0;
      this.gdepth--;
      if (this.gdepth > 0) { this.state = St.After; return; }
      // A skipped or data value is complete.
      const region = this.region;
      this.region = Region.None;
      if (region === Region.Data) {
        this.closedData.push({ count: this.count, kinds: this.kinds });
        this.store(new ScannedData(this.count, this.kinds, this.firstOfKind));
      } else if (this.placeholder !== NO_STORE) this.store(this.placeholder);
      this.afterValue();
      return;
    }
    const f = this.frames.pop()!;
    if ((closer === 125) !== f.isObject) throw this.unexpected(at, closer);
    if (this.frames.length > 0) this.store(f.value);
    this.afterValue();
  }

  private afterValue(): void {
    this.state = this.gdepth > 0 || this.frames.length > 0 ? St.After : St.End;
  }

  private store(value: unknown): void {
    const f = this.frames[this.frames.length - 1];
    if (f.isObject) setMember(f.value as Record<string, unknown>, f.key, value);
    else (f.value as unknown[]).push(value);
  }

  private startPrimitive(b: Uint8Array, p: number, base: number, sink: Sink): number {
    const c = b[p];
    this.sink = sink;
    this.collect = sink === Sink.Store;
    this.nbytes = 0;
    this.text = '';
    if (c === 34) { this.tok = Tok.String; this.state = St.Str; return p + 1; }
    this.negative = c === 45;
    const word = WORDS[c];
    if (word) { this.startWord(word[0], word[1]); return p + 1; }
    this.tok = Tok.Number;
    if (c === 45) { this.keepByte(c); this.state = St.NumMinus; return p + 1; }
    if (c === 48) { this.keepByte(c); this.state = St.NumZero; return p + 1; }
    if (c > 48 && c <= 57) { this.keepByte(c); this.state = St.NumInt; return p + 1; }
    throw this.unexpected(base + p, c);
  }

  private startWord(rest: string, tok: Tok): void {
    this.word = rest;
    this.wordAt = 0;
    this.tok = tok;
    this.state = St.Word;
  }

  private startString(sink: Sink, collect: boolean): void {
    this.sink = sink;
    this.collect = collect;
    this.nbytes = 0;
    this.text = '';
    this.tok = Tok.String;
    this.state = St.Str;
  }

  // The primitive being read has ended.
  private primitiveDone(): void {
    switch (this.sink) {
      case Sink.Key:
        this.frames[this.frames.length - 1].key = this.takeText();
        this.state = St.Colon;
        return;
      case Sink.GenericKey:
        this.state = St.Colon;
        return;
      case Sink.Data:
        this.leaf(this.tok === Tok.Number ? 0 : this.tok === Tok.NonFinite ? 1 : this.tok === Tok.String ? 2 : this.tok === Tok.Null ? 4 : 3);
        break;
      case Sink.Store:
        this.store(this.materialized());
        break;
      case Sink.Placeholder:
        this.store(this.placeholder);
        break;
      case Sink.None:
        break;
    }
    this.afterValue();
  }

  // Records one data element of kind bit `k` (-1: the kind is known only when the token ends).
  private leaf(k: number): void {
    if (k < 0) return;
    if (this.firstOfKind[k] < 0) this.firstOfKind[k] = this.count;
    this.count++;
    this.kinds |= 1 << k;
  }

  private materialized(): unknown {
    switch (this.tok) {
      case Tok.String: return this.takeText();
      case Tok.Number: return Number(latin1(this.bytes, this.nbytes));
      case Tok.NonFinite: return this.word === 'aN' ? NaN : this.negative ? -Infinity : Infinity;
      case Tok.True: return true;
      case Tok.False: return false;
      case Tok.Null: return null;
    }
  }

  private takeText(): string {
    const s = this.text + this.decodeKept();
    this.text = '';
    return s;
  }

  private appendText(s: string): void {
    this.text += this.decodeKept() + s;
  }

  // A run of string bytes between escapes is decoded whole, as JsonCursor decodes it (a split UTF-8 sequence
  // across chunks decodes as one character).
  private decodeKept(): string {
    if (this.nbytes === 0) return '';
    const s = utf8.decode(this.bytes.subarray(0, this.nbytes));
    this.nbytes = 0;
    return s;
  }

  private keep(b: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.nbytes + len > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.nbytes + len));
      bigger.set(this.bytes.subarray(0, this.nbytes));
      this.bytes = bigger;
    }
    this.bytes.set(b.subarray(start, end), this.nbytes);
    this.nbytes += len;
  }

  private keepByte(c: number): void {
    if (!this.collect) return;
    if (this.nbytes === this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    this.bytes[this.nbytes++] = c;
  }
}

// What the last numberRun saw: tokens counted, and whether it stopped right after one (else after a comma).
const run = { count: 0, afterToken: false };

/**
 * The hot loop of a pixel tensor: number tokens separated by "," or ", " inside a data array, counted without
 * being converted. Stops before anything else, and before the chunk's last comma (the token after it may go on
 * in the next chunk), leaving the rest to the byte-by-byte states; returns where it stopped.
 */
function numberRun(b: Uint8Array, p: number, n: number): number {
  // Every token that starts before the chunk's last comma ends by that comma, so no read below leaves the chunk
  // and none needs a bounds check (a typed-array load out of bounds makes V8 slow the whole loop down).
  const last = b.lastIndexOf(44, n - 1);
  // A long run goes to the WebAssembly kernel (the same grammar, sixteen or eight digits at a time).
  if (last - p >= WASM_RUN_MIN_BYTES) {
    const q = wasmNumberRun(b, p, last, n, run);
    if (q >= 0) return q;
  }
  let count = 0;
  let afterToken = false;
  while (p < last) {
    const start = p;
    let c = b[p];
    if (c === 45) c = b[++p];
    if (c === 48) c = b[++p];
    else if (c >= 49 && c <= 57) { do c = b[++p]; while (c >= 48 && c <= 57); }
    else { p = start; break; }
    if (c === 46) {
      c = b[++p];
      if (!(c >= 48 && c <= 57)) { p = start; break; }
      do c = b[++p]; while (c >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      c = b[++p];
      if (c === 43 || c === 45) c = b[++p];
      if (!(c >= 48 && c <= 57)) { p = start; break; }
      do c = b[++p]; while (c >= 48 && c <= 57);
    }
    count++;
    afterToken = true;
    if (c !== 44) break;
    afterToken = false;
    // The comma may be the chunk's last byte.
    if (++p < n && b[p] === 32) ++p;
  }
  run.count = count;
  run.afterToken = afterToken;
  return p;
}

function tooDeep(at: number): InferenceError {
  return new InferenceError('INVALID_ARGUMENT', `JSON nested deeper than ${MAX_DEPTH} levels at byte ${at}`);
}

function latin1(b: Uint8Array, end: number): string {
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
