/**
 * String kernels of `Series.str` (pandas' `.str` accessor), on the UTF-8 bytes of an Arrow
 * string column: offsets and bytes in, typed arrays out.
 *
 * Literal matching (`startsWith`, `endsWith`, `contains`) compares bytes: UTF-8 is
 * self-synchronizing, so a byte match of a valid UTF-8 pattern is a character match. Nothing
 * is decoded to JavaScript strings except where the semantics need it: regular expressions
 * (one decode of the whole buffer when it is ASCII, else one per row) and case mapping of
 * non-ASCII rows. For a dictionary column the caller runs these kernels on the dictionary
 * (a few hundred entries, typically) and maps the result through the indices.
 */
import { sharedArray } from "./dataframe-arrow.js";

/** A string column as these kernels read it: `n` values, value `i` is `bytes[offsets[i]:offsets[i+1]]`. */
export interface StrColumn {
  offsets: Int32Array | Float64Array;
  bytes: Uint8Array;
  n: number;
}

export type StrPredicate = "startsWith" | "endsWith" | "contains";
export type StrTransform = "lower" | "upper" | "strip" | "lstrip" | "rstrip";
export type StrFn = StrPredicate | StrTransform | "len";
export const STR_FNS: readonly StrFn[] = ["startsWith", "endsWith", "contains", "lower", "upper", "strip", "lstrip", "rstrip", "len"];

/** What a string operation needs besides its input (travels inside the task as a literal). */
export interface StrOptions {
  /** The pattern of a predicate: literal text, or a regular expression's source. */
  pat?: string;
  /** `contains`: `pat` is a regular expression (JavaScript syntax) with these flags. */
  regex?: { flags: string } | null;
  /** `strip`: the characters to remove, or null for whitespace. */
  chars?: string | null;
}

const utf8 = new TextEncoder();

/** Whether every byte of `bytes[a:b]` is ASCII. */
function isAscii(bytes: Uint8Array, a: number, b: number): boolean {
  for (let k = a; k < b; k++) if (bytes[k]! >= 0x80) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Predicates (1 = true, 0 = false per value)

export function strPredicate(col: StrColumn, fn: StrPredicate, opts: StrOptions): Uint8Array {
  const { offsets, bytes, n } = col;
  const out = new Uint8Array(n);
  if (fn === "contains" && opts.regex) return regexTest(col, new RegExp(opts.pat ?? "", opts.regex.flags.replace(/[gy]/g, "")));
  const pat = utf8.encode(opts.pat ?? "");
  const m = pat.length;
  if (fn === "startsWith") {
    for (let i = 0; i < n; i++) {
      const a = offsets[i]!;
      if (offsets[i + 1]! - a < m) continue;
      let k = 0;
      while (k < m && bytes[a + k] === pat[k]) k++;
      out[i] = k === m ? 1 : 0;
    }
  } else if (fn === "endsWith") {
    for (let i = 0; i < n; i++) {
      const b = offsets[i + 1]!;
      const a = b - m;
      if (a < offsets[i]!) continue;
      let k = 0;
      while (k < m && bytes[a + k] === pat[k]) k++;
      out[i] = k === m ? 1 : 0;
    }
  } else {
    if (m === 0) return out.fill(1);
    const first = pat[0]!;
    for (let i = 0; i < n; i++) {
      const last = offsets[i + 1]! - m;
      for (let s = offsets[i]!; s <= last; s++) {
        if (bytes[s] !== first) continue;
        let k = 1;
        while (k < m && bytes[s + k] === pat[k]) k++;
        if (k === m) {
          out[i] = 1;
          break;
        }
      }
    }
  }
  return out;
}

/**
 * `re.test` of every value. When the values are ASCII the whole buffer is decoded once and
 * values are sliced from it (slices of a string share its memory in V8), else each value is
 * decoded on its own.
 */
function regexTest(col: StrColumn, re: RegExp): Uint8Array {
  const { offsets, bytes, n } = col;
  const out = new Uint8Array(n);
  if (n === 0) return out;
  const start = offsets[0]!;
  const end = offsets[n]!;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isAscii(bytes, start, end)) {
    const all = buf.toString("latin1", start, end);
    for (let i = 0; i < n; i++) out[i] = re.test(all.slice(offsets[i]! - start, offsets[i + 1]! - start)) ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = re.test(buf.toString("utf8", offsets[i]!, offsets[i + 1]!)) ? 1 : 0;
  }
  return out;
}

/** Characters (Unicode code points, as pandas and DuckDB count them) of every value. */
export function strLength(col: StrColumn): Float64Array {
  const { offsets, bytes, n } = col;
  const out = new Float64Array(n);
  if (n > 0 && isAscii(bytes, offsets[0]!, offsets[n]!)) {
    // ASCII: characters are bytes.
    for (let i = 0; i < n; i++) out[i] = offsets[i + 1]! - offsets[i]!;
    return out;
  }
  for (let i = 0; i < n; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    let len = b - a;
    // Continuation bytes (10xxxxxx) do not start a character.
    for (let k = a; k < b; k++) if ((bytes[k]! & 0xc0) === 0x80) len--;
    out[i] = len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transforms (a new string column)

/** A growable UTF-8 buffer with Arrow offsets (from 0). */
class Utf8Builder {
  offsets: Int32Array;
  bytes: Uint8Array;
  pos = 0;
  constructor(n: number, guess: number) {
    this.offsets = sharedArray(Int32Array, n + 1);
    this.bytes = sharedArray(Uint8Array, Math.max(16, guess));
  }
  reserve(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    if (cap > 0x7fffffff) throw new Error("A string column partition exceeds 2 GiB; use more partitions.");
    const next = sharedArray(Uint8Array, cap);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }
  append(src: Uint8Array, a: number, b: number): void {
    this.reserve(b - a);
    if (b - a < 16) for (let k = a; k < b; k++) this.bytes[this.pos++] = src[k]!;
    else {
      this.bytes.set(src.subarray(a, b), this.pos);
      this.pos += b - a;
    }
  }
  appendText(text: string): void {
    this.reserve(text.length * 3);
    this.pos += utf8.encodeInto(text, this.bytes.subarray(this.pos)).written;
  }
  end(i: number): void {
    this.offsets[i + 1] = this.pos;
  }
  result(): { offsets: Int32Array; bytes: Uint8Array } {
    return { offsets: this.offsets, bytes: this.bytes.subarray(0, this.pos) };
  }
}

/** Lower- or upper-cased values: ASCII rows byte by byte, others with JavaScript's Unicode case mapping. */
function caseMap(col: StrColumn, upper: boolean): { offsets: Int32Array | Float64Array; bytes: Uint8Array } {
  const { offsets, bytes, n } = col;
  const start = n > 0 ? offsets[0]! : 0;
  const end = n > 0 ? offsets[n]! : 0;
  const from = upper ? 0x61 : 0x41; // 'a' or 'A'
  const flip = 0x20;
  if (isAscii(bytes, start, end)) {
    let changes = false;
    for (let k = start; k < end && !changes; k++) changes = bytes[k]! - from < 26 && bytes[k]! >= from;
    if (!changes) return { offsets, bytes };
    // Same lengths: the offsets are the input's, rebased to 0.
    const out = sharedArray(Uint8Array, end - start);
    for (let k = start; k < end; k++) {
      const c = bytes[k]!;
      out[k - start] = c - from < 26 && c >= from ? c ^ flip : c;
    }
    const off = sharedArray(Int32Array, n + 1);
    for (let i = 0; i <= n; i++) off[i] = offsets[i]! - start;
    return { offsets: off, bytes: out };
  }
  const sb = new Utf8Builder(n, end - start);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    if (isAscii(bytes, a, b)) {
      sb.reserve(b - a);
      for (let k = a; k < b; k++) {
        const c = bytes[k]!;
        sb.bytes[sb.pos++] = c - from < 26 && c >= from ? c ^ flip : c;
      }
    } else {
      const text = buf.toString("utf8", a, b);
      sb.appendText(upper ? text.toUpperCase() : text.toLowerCase());
    }
    sb.end(i);
  }
  return sb.result();
}

/**
 * Characters `strip` removes by default: those Python's `str.isspace` accepts (pandas strips
 * with Python's `str.strip`), as UTF-8 byte sequences.
 */
const WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/** A set of characters as a table of single bytes plus the longer UTF-8 sequences. */
interface CharSet {
  single: Uint8Array;
  multi: Uint8Array[];
}

function charSet(chars: string): CharSet {
  const single = new Uint8Array(256);
  const multi: Uint8Array[] = [];
  for (const ch of chars) {
    const b = utf8.encode(ch);
    if (b.length === 1) single[b[0]!] = 1;
    else multi.push(b);
  }
  return { single, multi };
}

/** Length of the set's character starting at `i` (before `end`), or 0. */
function matchAt(set: CharSet, bytes: Uint8Array, i: number, end: number): number {
  const c = bytes[i]!;
  if (c < 0x80) return set.single[c]! ? 1 : 0;
  for (const seq of set.multi) {
    if (i + seq.length > end) continue;
    let k = 0;
    while (k < seq.length && bytes[i + k] === seq[k]) k++;
    if (k === seq.length) return k;
  }
  return 0;
}

/** Length of the set's character ending just before `j` (after `start`), or 0. */
function matchBefore(set: CharSet, bytes: Uint8Array, start: number, j: number): number {
  const c = bytes[j - 1]!;
  if (c < 0x80) return set.single[c]! ? 1 : 0;
  for (const seq of set.multi) {
    const i = j - seq.length;
    if (i < start) continue;
    let k = 0;
    while (k < seq.length && bytes[i + k] === seq[k]) k++;
    if (k === seq.length) return k;
  }
  return 0;
}

function stripRange(col: StrColumn, left: boolean, right: boolean, chars: string | null): { offsets: Int32Array | Float64Array; bytes: Uint8Array } {
  const { offsets, bytes, n } = col;
  const set = charSet(chars ?? WHITESPACE);
  // Clean data has nothing to strip: then the values are returned as they are.
  let changes = false;
  for (let i = 0; i < n && !changes; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    changes = a < b && ((left && matchAt(set, bytes, a, b) > 0) || (right && matchBefore(set, bytes, a, b) > 0));
  }
  if (!changes) return { offsets, bytes };
  const sb = new Utf8Builder(n, n > 0 ? offsets[n]! - offsets[0]! : 0);
  for (let i = 0; i < n; i++) {
    let a = offsets[i]!;
    let b = offsets[i + 1]!;
    if (left) for (let k = a < b ? matchAt(set, bytes, a, b) : 0; k > 0; k = a < b ? matchAt(set, bytes, a, b) : 0) a += k;
    if (right) for (let k = a < b ? matchBefore(set, bytes, a, b) : 0; k > 0; k = a < b ? matchBefore(set, bytes, a, b) : 0) b -= k;
    sb.append(bytes, a, b);
    sb.end(i);
  }
  return sb.result();
}

/** Transformed values; the input's own offsets and bytes when nothing changes. */
export function strTransform(col: StrColumn, fn: StrTransform, opts: StrOptions): { offsets: Int32Array | Float64Array; bytes: Uint8Array } {
  switch (fn) {
    case "lower":
      return caseMap(col, false);
    case "upper":
      return caseMap(col, true);
    case "strip":
      return stripRange(col, true, true, opts.chars ?? null);
    case "lstrip":
      return stripRange(col, true, false, opts.chars ?? null);
    case "rstrip":
      return stripRange(col, false, true, opts.chars ?? null);
  }
}

/** What an operation returns: a boolean, a number or a string per value. */
export function strResultKind(fn: StrFn): "bool" | "num" | "str" {
  return fn === "startsWith" || fn === "endsWith" || fn === "contains" ? "bool" : fn === "len" ? "num" : "str";
}
