/**
 * Parsing CSV bytes straight into Arrow columns in shared memory (RFC 4180: fields may be
 * quoted with `"`, a quoted field may hold delimiters, newlines and `""` for a quote).
 *
 * Parser choice, measured on this machine (2 cores, Node 20, loaded) with a generated 1e6-row,
 * 9-column file of the db-benchmark groupby shape (3 string, 5 integer, 1 float column; 50 MB),
 * everything parsed into typed columns, three runs each:
 *
 *   d3-dsv 3 `csvParseRows` (well kept, among the fastest JS CSV parsers):  0.9–1.7 s for the
 *     parse alone, which yields an array of JS strings per row; 4.3–5.8 s once those strings
 *     are turned into numbers and UTF-8 columns
 *   this byte-level parser, writing shared typed arrays as it goes:         0.39–0.54 s
 *
 * Every parser package available yields JavaScript strings (one per field) that must then be
 * converted again; reading bytes lets numbers be parsed from digits and strings be copied as
 * UTF-8 without ever being decoded, so the work scales with bytes, not with objects. That
 * 8–10× is why this parser is hand-written.
 *
 * The parser is a single pass over the bytes of one partition. Column storage is allocated
 * once from an upper bound on the rows (the number of newlines), so no column is ever grown
 * and copied; string bytes grow by doubling.
 */
import { type Data, type DataType, Bool, Float64, Int64, TimestampMillisecond, Utf8 } from "apache-arrow";
import { bitmapFromBytes, fixedData, sharedArray, tableColumns, tableFromData } from "../kernels/dataframe-arrow.js";
import { makeData, type Table } from "apache-arrow";
import * as fs from "node:fs";

/** Column types `readCsv` infers or accepts in `dtype`. */
export type CsvType = "int64" | "float64" | "bool" | "string" | "timestamp";
export const CSV_TYPES: readonly CsvType[] = ["int64", "float64", "bool", "string", "timestamp"];

/** How to read fields (shared by planning and parsing). */
export interface CsvDialect {
  /** One-byte field separator (default `,`). */
  delimiter: string;
  /** Field texts that mean null (default: empty, NA, N/A, NaN, nan, null, NULL, None). */
  naValues: string[];
}

export const DEFAULT_NA = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A"];

/** Where a partition's bytes come from, for messages (file and the line its bytes start on). */
export interface CsvOrigin {
  path: string;
  /** Byte offset of `bytes[0]` in the file. */
  offset: number;
  /** Line number of `bytes[0]` (from 1), or 0 when unknown (computed on error). */
  line: number;
}

export class CsvError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly line: number,
    readonly column?: string,
  ) {
    super(message);
    this.name = "CsvError";
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const enum Kind {
  Skip = 0,
  Int = 1,
  Float = 2,
  Bool = 3,
  Str = 4,
  Time = 5,
}

const KIND: Record<CsvType, Kind> = { int64: Kind.Int, float64: Kind.Float, bool: Kind.Bool, string: Kind.Str, timestamp: Kind.Time };

/** Powers of ten exactly representable in float64 (for the fast decimal path). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

const decoder = new TextDecoder();

/**
 * Parse a decimal number from `b[s:e]`. Returns NaN when the text is not a number (callers
 * tell a literal "NaN" apart by the na list). Mantissas of up to 15 digits with a decimal
 * exponent within ±22 are computed exactly and rounded once (one multiplication or division
 * of two exact float64 values), so they equal `Number(text)`; anything else falls back to
 * `Number(text)`.
 */
function parseFloatBytes(b: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 0x2d || b[i] === 0x2b)) {
    neg = b[i] === 0x2d;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let exp = 0;
  let any = false;
  while (i < e) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) break;
    if (digits < 15) {
      mant = mant * 10 + c;
      if (mant > 0) digits++;
    } else exp++;
    any = true;
    i++;
  }
  if (i < e && b[i] === 0x2e) {
    i++;
    while (i < e) {
      const c = b[i]! - 48;
      if (c < 0 || c > 9) break;
      if (digits < 15) {
        mant = mant * 10 + c;
        if (mant > 0) digits++;
        exp--;
      }
      any = true;
      i++;
    }
  }
  if (!any) return slowNumber(b, s, e);
  if (i < e && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let eneg = false;
    if (i < e && (b[i] === 0x2d || b[i] === 0x2b)) {
      eneg = b[i] === 0x2d;
      i++;
    }
    let ev = 0;
    let edigits = 0;
    while (i < e) {
      const c = b[i]! - 48;
      if (c < 0 || c > 9) break;
      ev = ev * 10 + c;
      edigits++;
      i++;
    }
    if (edigits === 0) return NaN;
    exp += eneg ? -ev : ev;
  }
  if (i !== e) return slowNumber(b, s, e);
  if (digits >= 15 || exp > 22 || exp < -22) return slowNumber(b, s, e);
  const v = exp >= 0 ? mant * POW10[exp]! : mant / POW10[-exp]!;
  return neg ? -v : v;
}

function slowNumber(b: Uint8Array, s: number, e: number): number {
  const text = decoder.decode(b.subarray(s, e)).trim();
  if (text === "") return NaN;
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  return Number(text);
}

/** An integer from `b[s:e]`, or NaN when the text is not an integer. */
function parseIntBytes(b: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 0x2d || b[i] === 0x2b)) {
    neg = b[i] === 0x2d;
    i++;
  }
  if (i === e) return NaN;
  let v = 0;
  for (; i < e; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** Whether `b[s:e]` equals one of the (encoded) na values. */
function isNa(b: Uint8Array, s: number, e: number, na: Uint8Array[]): boolean {
  const len = e - s;
  outer: for (const t of na) {
    if (t.length !== len) continue;
    for (let k = 0; k < len; k++) if (b[s + k] !== t[k]) continue outer;
    return true;
  }
  return false;
}

function parseBoolBytes(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  const c = b[s]! | 0x20; // lower case
  if (len === 4 && c === 0x74 && (b[s + 1]! | 0x20) === 0x72 && (b[s + 2]! | 0x20) === 0x75 && (b[s + 3]! | 0x20) === 0x65) return 1;
  if (len === 5 && c === 0x66 && (b[s + 1]! | 0x20) === 0x61 && (b[s + 2]! | 0x20) === 0x6c && (b[s + 3]! | 0x20) === 0x73 && (b[s + 4]! | 0x20) === 0x65) return 0;
  return -1;
}

/** Number of `\n` bytes in `b` (an upper bound on the records it holds, less one). */
export function countNewlines(b: Uint8Array): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let n = 0;
  for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/** A growable UTF-8 byte store in shared memory, with Arrow offsets. */
class StringBuilder {
  bytes: Uint8Array;
  offsets: Int32Array;
  pos = 0;
  constructor(rows: number, bytesGuess: number) {
    this.offsets = sharedArray(Int32Array, rows + 1);
    this.bytes = sharedArray(Uint8Array, Math.max(64, bytesGuess));
  }
  reserve(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    if (cap > 0x7fffffff) throw new Error("A string column partition exceeds 2 GiB; use a smaller blocksize.");
    const next = sharedArray(Uint8Array, cap);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }
}

export interface ParsedCsv {
  table: Table;
  /** Rows parsed. */
  rows: number;
}

/**
 * Parse records of `bytes` (which start at a record boundary and end with whole records).
 *
 * @param names   every column of the file, in order (the expected field count)
 * @param types   type of each column, or null to skip it (not stored)
 * @param skipFirstLine whether the first record is the header
 */
export function parseCsvBytes(
  bytes: Uint8Array,
  names: string[],
  types: (CsvType | null)[],
  dialect: CsvDialect,
  origin: CsvOrigin,
  skipFirstLine: boolean,
): ParsedCsv {
  const n = bytes.length;
  const ncols = names.length;
  const DELIM = dialect.delimiter.charCodeAt(0);
  const enc = new TextEncoder();
  const na = dialect.naValues.map((t) => enc.encode(t));
  const naHasEmpty = dialect.naValues.includes("");
  const cap = countNewlines(bytes) + 1;
  const kinds = types.map((t) => (t === null ? Kind.Skip : KIND[t]));
  const nums: (Float64Array | null)[] = kinds.map((k) => (k === Kind.Float ? sharedArray(Float64Array, cap) : null));
  const ints: (Int32Array | null)[] = kinds.map((k) => (k === Kind.Int || k === Kind.Time ? new Int32Array(sharedArray(BigInt64Array, cap).buffer, 0, 2 * cap) : null));
  const bools: (Uint8Array | null)[] = kinds.map((k) => (k === Kind.Bool ? new Uint8Array(cap) : null));
  const strs: (StringBuilder | null)[] = kinds.map((k) => (k === Kind.Str ? new StringBuilder(cap, Math.ceil(n / Math.max(1, ncols)) + 64) : null));
  const valid: (Uint8Array | null)[] = kinds.map(() => null);
  const nullAt = (c: number, row: number): void => {
    let v = valid[c];
    if (!v) {
      v = valid[c] = new Uint8Array(cap).fill(1);
    }
    v[row] = 0;
  };

  let row = 0;
  let i = 0;
  let recStart = 0;
  const fail = (message: string, col: number | null, at: number): never => {
    const line = lineOf(bytes, origin, at);
    const colText = col !== null && col < ncols ? `, column "${names[col]}"` : "";
    throw new CsvError(`readCsv: ${origin.path} line ${line}${colText}: ${message}`, origin.path, line, col !== null ? names[col] : undefined);
  };

  if (skipFirstLine) {
    // The header: skip one record, honouring quotes.
    let inQuote = false;
    while (i < n) {
      const c = bytes[i++]!;
      if (c === QUOTE) inQuote = !inQuote;
      else if (c === LF && !inQuote) break;
    }
  }

  while (i < n) {
    recStart = i;
    const first = bytes[i]!;
    // Blank lines are skipped, as pandas and DuckDB do.
    if (first === LF) {
      i++;
      continue;
    }
    if (first === CR && (i + 1 === n || bytes[i + 1] === LF)) {
      i += 2;
      continue;
    }
    let col = 0;
    for (;;) {
      let fs: number;
      let fe: number;
      let quoted = false;
      let escapes = false;
      if (bytes[i] === QUOTE) {
        quoted = true;
        fs = ++i;
        for (;;) {
          if (i >= n) fail("a quoted field is not closed (missing \")", col, fs - 1);
          if (bytes[i] === QUOTE) {
            if (bytes[i + 1] === QUOTE) {
              escapes = true;
              i += 2;
              continue;
            }
            break;
          }
          i++;
        }
        fe = i++;
        const c = bytes[i];
        if (i < n && c !== DELIM && c !== LF && c !== CR) fail(`unexpected text after a closing quote`, col, i);
      } else {
        fs = i;
        while (i < n) {
          const c = bytes[i]!;
          if (c === DELIM || c === LF || c === CR) break;
          i++;
        }
        fe = i;
      }
      if (col < ncols) {
        const kind = kinds[col]!;
        if (kind !== Kind.Skip) {
          const isNull = fe === fs ? !quoted && naHasEmpty : !quoted && isNa(bytes, fs, fe, na);
          if (isNull || (fe === fs && kind !== Kind.Str)) nullAt(col, row);
          else if (kind === Kind.Float) {
            const x = parseFloatBytes(bytes, fs, fe);
            if (x !== x) fail(`cannot parse "${decoder.decode(bytes.subarray(fs, fe))}" as float64`, col, fs);
            nums[col]![row] = x;
          } else if (kind === Kind.Int) {
            let x = fe - fs <= 15 ? parseIntBytes(bytes, fs, fe) : NaN;
            if (x !== x) x = bigIntFallback(bytes, fs, fe, ints[col]!, row);
            if (x !== x) {
              const text = decoder.decode(bytes.subarray(fs, fe));
              fail(`cannot parse "${text}" as int64${/^[+-]?[\d.eE+-]+$/.test(text) ? " (pass dtype float64 for this column)" : ""}`, col, fs);
            }
            if (x !== Infinity) writeInt64(ints[col]!, row, x);
          } else if (kind === Kind.Str) {
            const sb = strs[col]!;
            sb.reserve(fe - fs);
            if (escapes) {
              for (let k = fs; k < fe; k++) {
                const c = bytes[k]!;
                sb.bytes[sb.pos++] = c;
                if (c === QUOTE) k++;
              }
            } else if (fe - fs < 16) {
              for (let k = fs; k < fe; k++) sb.bytes[sb.pos++] = bytes[k]!;
            } else {
              sb.bytes.set(bytes.subarray(fs, fe), sb.pos);
              sb.pos += fe - fs;
            }
            sb.offsets[row + 1] = sb.pos;
          } else if (kind === Kind.Bool) {
            const x = parseBoolBytes(bytes, fs, fe);
            if (x < 0) fail(`cannot parse "${decoder.decode(bytes.subarray(fs, fe))}" as bool (true or false)`, col, fs);
            bools[col]![row] = x;
          } else {
            const text = decoder.decode(bytes.subarray(fs, fe));
            // ISO 8601 without a zone is read as UTC, as DuckDB and pandas do.
            const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || !/\d[T ]\d/.test(text) ? text.replace(" ", "T") : `${text.replace(" ", "T")}Z`);
            if (ms !== ms) fail(`cannot parse "${text}" as a timestamp`, col, fs);
            writeInt64(ints[col]!, row, ms);
          }
        }
      }
      col++;
      if (i < n && bytes[i] === DELIM) {
        i++;
        continue;
      }
      if (i < n && bytes[i] === CR) i++;
      if (i < n && bytes[i] === LF) i++;
      break;
    }
    if (col !== ncols) fail(`expected ${ncols} fields, found ${col}`, null, recStart);
    row++;
  }

  const columns: [string, Data][] = [];
  for (let c = 0; c < ncols; c++) {
    const kind = kinds[c]!;
    if (kind === Kind.Skip) continue;
    const v = valid[c] ? valid[c]!.subarray(0, row) : null;
    columns.push([names[c]!, buildColumn(kind, row, nums[c]!, ints[c]!, bools[c]!, strs[c]!, v)]);
  }
  return { table: tableFromData(columns, row), rows: row };
}

/** Integers of more than 15 digits: exact through BigInt, written as 64-bit words. */
function bigIntFallback(b: Uint8Array, s: number, e: number, words: Int32Array, row: number): number {
  const text = decoder.decode(b.subarray(s, e));
  if (!/^[+-]?\d+$/.test(text)) return NaN;
  const x = BigInt(text);
  if (x > 0x7fffffffffffffffn || x < -0x8000000000000000n) return NaN;
  const u = BigInt.asUintN(64, x);
  words[2 * row] = Number(u & 0xffffffffn) | 0;
  words[2 * row + 1] = Number(u >> 32n) | 0;
  return Infinity; // written
}

function writeInt64(words: Int32Array, row: number, x: number): void {
  const hi = Math.floor(x / 4294967296);
  words[2 * row] = (x - hi * 4294967296) | 0;
  words[2 * row + 1] = hi | 0;
}

function buildColumn(
  kind: Kind,
  rows: number,
  nums: Float64Array,
  ints: Int32Array,
  bools: Uint8Array,
  strs: StringBuilder,
  valid: Uint8Array | null,
): Data {
  switch (kind) {
    case Kind.Float:
      return fixedData(new Float64(), nums.subarray(0, rows), rows, valid);
    case Kind.Int:
    case Kind.Time: {
      const big = new BigInt64Array(ints.buffer, 0, rows);
      return fixedData(kind === Kind.Int ? new Int64() : new TimestampMillisecond(), big, rows, valid);
    }
    case Kind.Bool: {
      const bits = sharedArray(Uint8Array, (rows + 7) >> 3);
      for (let r = 0; r < rows; r++) if (bools[r]) bits[r >> 3]! |= 1 << (r & 7);
      const { bitmap, nullCount } = bitmapFromBytes(valid, rows);
      return makeData({ type: new Bool(), length: rows, nullCount, nullBitmap: bitmap, data: bits });
    }
    default: {
      // Rows that were null wrote no offset: carry the previous one forward.
      const off = strs.offsets;
      for (let r = 1; r <= rows; r++) if (off[r]! < off[r - 1]!) off[r] = off[r - 1]!;
      const { bitmap, nullCount } = bitmapFromBytes(valid, rows);
      return makeData({
        type: new Utf8(),
        length: rows,
        nullCount,
        nullBitmap: bitmap,
        valueOffsets: off.subarray(0, rows + 1),
        data: strs.bytes.subarray(0, Math.max(strs.pos, 0)),
      });
    }
  }
}

/** The line number of byte `at` of a partition, counting from the file's start when needed. */
function lineOf(bytes: Uint8Array, origin: CsvOrigin, at: number): number {
  let before = 0;
  for (let k = 0; k < at; k++) if (bytes[k] === LF) before++;
  if (origin.line > 0 || origin.offset === 0) return Math.max(1, origin.line) + before;
  // Only on the error path: count the file's lines before this partition.
  return linesBefore(origin.path, origin.offset) + 1 + before;
}

function linesBefore(path: string, offset: number): number {
  const fd = fs.openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    for (let pos = 0; pos < offset; ) {
      const got = fs.readSync(fd, buf, 0, Math.min(buf.length, offset - pos), pos);
      if (got <= 0) break;
      for (let i = buf.indexOf(LF); i >= 0 && i < got; i = buf.indexOf(LF, i + 1)) lines++;
      pos += got;
    }
    return lines;
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Type inference

/** The narrowest type that reads every non-null text of a column (int64 → float64 → string). */
export function inferCsvType(texts: Iterable<string | null>, naValues: readonly string[]): CsvType {
  const na = new Set(naValues);
  let int = true;
  let float = true;
  let bool = true;
  let time = true;
  let any = false;
  const INT = /^[+-]?\d{1,18}$/;
  const TIME = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?([zZ]|[+-]\d\d:?\d\d)?)?$/;
  for (const t of texts) {
    if (t === null || na.has(t)) continue;
    any = true;
    if (int && !INT.test(t)) int = false;
    if (float && !int) {
      const x = t.trim() === "" ? NaN : Number(t);
      if (x !== x && !/^[+-]?(inf|infinity)$/i.test(t)) float = false;
    }
    if (bool && !/^(true|false)$/i.test(t)) bool = false;
    if (time && !TIME.test(t)) time = false;
    if (!int && !float && !bool && !time) return "string";
  }
  if (!any) return "string";
  if (int) return "int64";
  if (float) return "float64";
  if (bool) return "bool";
  if (time) return "timestamp";
  return "string";
}

/** Arrow type of a CSV type (for metadata). */
export function arrowTypeOf(t: CsvType): DataType {
  switch (t) {
    case "int64":
      return new Int64();
    case "float64":
      return new Float64();
    case "bool":
      return new Bool();
    case "string":
      return new Utf8();
    case "timestamp":
      return new TimestampMillisecond();
  }
}

/** Every field of complete records of `bytes` as strings (for inference and the header). */
export function splitRecords(bytes: Uint8Array, delimiter: string, maxRecords = Infinity): string[][] {
  const DELIM = delimiter.charCodeAt(0);
  const out: string[][] = [];
  const n = bytes.length;
  let i = 0;
  while (i < n && out.length < maxRecords) {
    if (bytes[i] === LF) {
      i++;
      continue;
    }
    if (bytes[i] === CR && bytes[i + 1] === LF) {
      i += 2;
      continue;
    }
    const rec: string[] = [];
    let complete = false;
    for (;;) {
      if (bytes[i] === QUOTE) {
        let j = i + 1;
        const parts: string[] = [];
        let s = j;
        let closed = false;
        while (j < n) {
          if (bytes[j] === QUOTE) {
            parts.push(decoder.decode(bytes.subarray(s, j)));
            if (bytes[j + 1] === QUOTE) {
              parts.push('"');
              j += 2;
              s = j;
              continue;
            }
            closed = true;
            j++;
            break;
          }
          j++;
        }
        if (!closed) return out; // the sample ends inside a quoted field
        rec.push(parts.join(""));
        i = j;
      } else {
        let j = i;
        while (j < n && bytes[j] !== DELIM && bytes[j] !== LF && bytes[j] !== CR) j++;
        rec.push(decoder.decode(bytes.subarray(i, j)));
        i = j;
      }
      if (i < n && bytes[i] === DELIM) {
        i++;
        continue;
      }
      if (i < n && bytes[i] === CR) i++;
      if (i < n && bytes[i] === LF) {
        i++;
        complete = true;
      }
      break;
    }
    if (!complete) break; // a partial last record of a sample
    out.push(rec);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The worker side of readCsv

/** What one partition parses: a byte range of one file. */
export interface CsvPartSpec {
  path: string;
  start: number;
  end: number;
  /** Whether the range begins with the header line. */
  header: boolean;
  /** Every column of the file, in order. */
  names: string[];
  /** Type of each column of `names`, or null for columns not kept. */
  types: (CsvType | null)[];
  /** Columns of the result, in order. */
  columns: string[];
  dialect: CsvDialect;
}

/** The `dataframe.readCsv` kernel: read a byte range and parse it. */
export function readCsvPart(spec: CsvPartSpec): Table {
  const length = spec.end - spec.start;
  const bytes = new Uint8Array(length);
  const fd = fs.openSync(spec.path, "r");
  try {
    let pos = 0;
    while (pos < length) {
      const got = fs.readSync(fd, bytes, pos, length - pos, spec.start + pos);
      if (got <= 0) throw new Error(`readCsv: ${spec.path} changed while reading (expected ${spec.end} bytes)`);
      pos += got;
    }
  } finally {
    fs.closeSync(fd);
  }
  const { table } = parseCsvBytes(bytes, spec.names, spec.types, spec.dialect, { path: spec.path, offset: spec.start, line: spec.start === 0 ? 1 : 0 }, spec.header);
  const cols = tableColumns(table);
  return tableFromData(spec.columns.map((c) => [c, cols.get(c)!]), table.numRows);
}
