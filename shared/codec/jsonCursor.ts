/**
 * A byte cursor over UTF-8 JSON (RFC 8259) that validates what JSON.parse accepts, plus the NaN and Infinity
 * tokens Triton's parser takes.
 */
import { InferenceError } from '../errors';

const enum Ch {
  Tab = 9, Lf = 10, Cr = 13, Space = 32, Quote = 34, Plus = 43, Comma = 44, Minus = 45, Dot = 46, Slash = 47,
  Zero = 48, Nine = 57, Colon = 58, UpperE = 69, LBracket = 91, Backslash = 92, RBracket = 93,
  LowerE = 101, LBrace = 123, RBrace = 125,
}

/** Deepest nesting `value()` builds; request fields are flat, so this only stops abuse. */
const MAX_DEPTH = 64;

// ignoreBOM: a U+FEFF inside a string is content; only the body's leading BOM is dropped (by the caller).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Reading position in a JSON body; `p` is a byte offset into `b`. */
export class JsonCursor {
  p = 0;
  /** The same bytes, for reading four digits at once (jsonNumber.ts). */
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** The 400 for any body JSON.parse would reject, naming the byte where it went wrong. */
  fail(what?: string): InferenceError {
    const at = this.p;
    const detail = what ?? (at >= this.b.length ? 'unexpected end of input' : `unexpected ${describeByte(this.b[at])}`);
    return new InferenceError('INVALID_ARGUMENT', `malformed JSON at byte ${at}: ${detail}`);
  }

  /** Skips JSON whitespace (space, tab, LF, CR only) and returns the next byte, or -1 at the end. */
  ws(): number {
    const b = this.b;
    let p = this.p;
    let c = p < b.length ? b[p] : -1;
    while (c === Ch.Space || c === Ch.Lf || c === Ch.Cr || c === Ch.Tab) c = ++p < b.length ? b[p] : -1;
    this.p = p;
    return c;
  }

  /** Consumes `c` after optional whitespace, or throws. */
  expect(c: number): void {
    if (this.ws() !== c) throw this.fail();
    this.p++;
  }

  /** Parses a string whose opening quote is at `p`; returns it exactly as JSON.parse would. */
  string(): string {
    const b = this.b;
    let p = this.p + 1;
    let out = '';
    let run = p;
    for (;;) {
      if (p >= b.length) { this.p = p; throw this.fail('unterminated string'); }
      const c = b[p];
      if (c === Ch.Quote) break;
      if (c < 0x20) { this.p = p; throw this.fail('control character in string'); }
      if (c !== Ch.Backslash) { p++; continue; }
      if (p > run) out += decodeRun(b, run, p);
      p = this.escape(p, (s) => { out += s; });
      run = p;
    }
    if (p > run) out += decodeRun(b, run, p);
    this.p = p + 1;
    return out;
  }

  /** Skips a string at `p` after validating it (escapes included). */
  skipString(): void {
    const b = this.b;
    let p = this.p + 1;
    for (;;) {
      if (p >= b.length) { this.p = p; throw this.fail('unterminated string'); }
      const c = b[p];
      if (c === Ch.Quote) break;
      if (c < 0x20) { this.p = p; throw this.fail('control character in string'); }
      p = c === Ch.Backslash ? this.escape(p, ignore) : p + 1;
    }
    this.p = p + 1;
  }

  private escape(p: number, emit: (s: string) => void): number {
    const b = this.b;
    const e = p + 1 < b.length ? b[p + 1] : -1;
    switch (e) {
      case Ch.Quote: emit('"'); return p + 2;
      case Ch.Backslash: emit('\\'); return p + 2;
      case Ch.Slash: emit('/'); return p + 2;
      case 98: emit('\b'); return p + 2;
      case 102: emit('\f'); return p + 2;
      case 110: emit('\n'); return p + 2;
      case 114: emit('\r'); return p + 2;
      case 116: emit('\t'); return p + 2;
      case 117: {
        let code = 0;
        for (let i = p + 2; i < p + 6; i++) {
          const h = i < b.length ? hexValue(b[i]) : -1;
          if (h < 0) { this.p = i; throw this.fail('bad \\u escape'); }
          code = code * 16 + h;
        }
        // Lone surrogates stay as they are, as JSON.parse leaves them.
        emit(String.fromCharCode(code));
        return p + 6;
      }
      default:
        this.p = p + 1;
        throw this.fail('bad escape');
    }
  }

  /**
   * Validates a number token at `p` and moves past it; returns true when it has a fraction or exponent.
   * Grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
   */
  skipNumber(): boolean {
    if (this.nonFinite() !== undefined) return true;
    const b = this.b;
    const n = b.length;
    let p = this.p;
    let c = b[p];
    if (c === Ch.Minus) c = ++p < n ? b[p] : -1;
    if (c === Ch.Zero) c = ++p < n ? b[p] : -1;
    else if (c > Ch.Zero && c <= Ch.Nine) {
      do c = ++p < n ? b[p] : -1; while (c >= Ch.Zero && c <= Ch.Nine);
    } else { this.p = p; throw this.fail(); }
    let real = false;
    if (c === Ch.Dot) {
      real = true;
      c = ++p < n ? b[p] : -1;
      if (!(c >= Ch.Zero && c <= Ch.Nine)) { this.p = p; throw this.fail(); }
      do c = ++p < n ? b[p] : -1; while (c >= Ch.Zero && c <= Ch.Nine);
    }
    if (c === Ch.LowerE || c === Ch.UpperE) {
      real = true;
      c = ++p < n ? b[p] : -1;
      if (c === Ch.Plus || c === Ch.Minus) c = ++p < n ? b[p] : -1;
      if (!(c >= Ch.Zero && c <= Ch.Nine)) { this.p = p; throw this.fail(); }
      do c = ++p < n ? b[p] : -1; while (c >= Ch.Zero && c <= Ch.Nine);
    }
    this.p = p;
    return real;
  }

  /**
   * Consumes NaN, Inf, Infinity, -Inf, -Infinity or -NaN at `p` and returns its value, or returns undefined
   * (cursor unmoved). Not JSON, but Triton's parser takes them (rapidjson's kParseNanAndInfFlag), and
   * perf_analyzer's random JSON input contains them.
   */
  nonFinite(): number | undefined {
    const b = this.b;
    let p = this.p;
    const neg = b[p] === Ch.Minus;
    if (neg) p++;
    let value: number;
    if (b[p] === 78 && b[p + 1] === 97 && b[p + 2] === 78) {
      value = NaN;
      p += 3;
    } else if (b[p] === 73 && b[p + 1] === 110 && b[p + 2] === 102) {
      value = neg ? -Infinity : Infinity;
      p += 3;
      if (b[p] === 105) {
        // "Inf" may only continue as "Infinity".
        if (!(b[p + 1] === 110 && b[p + 2] === 105 && b[p + 3] === 116 && b[p + 4] === 121)) { this.p = p; throw this.fail(); }
        p += 5;
      }
    } else return undefined;
    this.p = p;
    return value;
  }

  /** Consumes the literal `word` (true, false, null) at `p`, or throws. */
  literal(word: string): void {
    const b = this.b;
    for (let i = 0; i < word.length; i++) {
      if (this.p + i >= b.length || b[this.p + i] !== word.charCodeAt(i)) { this.p += i; throw this.fail(); }
    }
    this.p += word.length;
  }

  /**
   * Parses any JSON value into plain JS values, like JSON.parse (plus Triton's NaN and Infinity). Nesting past
   * MAX_DEPTH is a 400, not a stack overflow.
   */
  value(depth = 0): unknown {
    const c = this.ws();
    if ((c === Ch.LBrace || c === Ch.LBracket) && depth >= MAX_DEPTH) {
      throw new InferenceError('INVALID_ARGUMENT', `JSON nested deeper than ${MAX_DEPTH} levels at byte ${this.p}`);
    }
    switch (c) {
      case Ch.LBrace: {
        const obj: Record<string, unknown> = {};
        this.members((key) => setMember(obj, key, this.value(depth + 1)));
        return obj;
      }
      case Ch.LBracket: {
        const arr: unknown[] = [];
        this.elements(() => { arr.push(this.value(depth + 1)); });
        return arr;
      }
      case Ch.Quote: return this.string();
      case 116: this.literal('true'); return true;
      case 102: this.literal('false'); return false;
      case 110: this.literal('null'); return null;
      default: {
        const special = this.nonFinite();
        if (special !== undefined) return special;
        const start = this.p;
        this.skipNumber();
        return Number(latin1(this.b, start, this.p));
      }
    }
  }

  /** Walks the members of an object at `p`, calling `onMember` with the cursor at the value. */
  members(onMember: (key: string) => void): void {
    this.p++;
    let c = this.ws();
    if (c === Ch.RBrace) { this.p++; return; }
    for (;;) {
      if (c !== Ch.Quote) throw this.fail();
      const key = this.string();
      this.expect(Ch.Colon);
      onMember(key);
      c = this.ws();
      if (c === Ch.RBrace) { this.p++; return; }
      if (c !== Ch.Comma) throw this.fail();
      this.p++;
      c = this.ws();
    }
  }

  /** Walks the elements of an array at `p`, calling `onElement` with the cursor before each element. */
  elements(onElement: () => void): void {
    this.p++;
    if (this.ws() === Ch.RBracket) { this.p++; return; }
    for (;;) {
      onElement();
      const c = this.ws();
      if (c === Ch.RBracket) { this.p++; return; }
      if (c !== Ch.Comma) throw this.fail();
      this.p++;
    }
  }

  /** Validates and skips any value without building it; iterative, so deep nesting cannot overflow the stack. */
  skipValue(): void {
    // Each entry says whether the open container is an object (true) or an array (false).
    const stack: boolean[] = [];
    for (;;) {
      let c = this.ws();
      // One value.
      if (c === Ch.LBrace || c === Ch.LBracket) {
        this.p++;
        const isObject = c === Ch.LBrace;
        c = this.ws();
        if (c === (isObject ? Ch.RBrace : Ch.RBracket)) { this.p++; }
        else {
          stack.push(isObject);
          if (isObject) this.key();
          continue;
        }
      } else if (c === Ch.Quote) this.skipString();
      else if (c === 116) this.literal('true');
      else if (c === 102) this.literal('false');
      else if (c === 110) this.literal('null');
      else this.skipNumber();
      // After a value: close containers or move to the next element.
      for (;;) {
        if (stack.length === 0) return;
        const isObject = stack[stack.length - 1];
        c = this.ws();
        if (c === Ch.Comma) {
          this.p++;
          if (isObject) { this.ws(); this.key(); }
          break;
        }
        if (c !== (isObject ? Ch.RBrace : Ch.RBracket)) throw this.fail();
        this.p++;
        stack.pop();
      }
    }
  }

  private key(): void {
    if (this.ws() !== Ch.Quote) throw this.fail();
    this.skipString();
    this.expect(Ch.Colon);
  }
}

/** Sets a parsed member the way JSON.parse does: `__proto__` becomes an own property, not the prototype. */
export function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Text of an ASCII-only byte range (number tokens). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

function decodeRun(b: Uint8Array, start: number, end: number): string {
  for (let i = start; i < end; i++) if (b[i] >= 0x80) return utf8.decode(b.subarray(start, end));
  return end - start < 64 ? latin1(b, start, end) : utf8.decode(b.subarray(start, end));
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function describeByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function ignore(): void {}
