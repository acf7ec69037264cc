/**
 * Writing a partition as CSV, in a worker (the `dataframe.writeCsv` kernel of `toCsv`).
 *
 * RFC 4180 quoting: a field is quoted when it holds the delimiter, a quote (doubled inside)
 * or a line break. Nulls are empty fields; an empty string is written `""` and a string that
 * reads as null (`NA`, `null`, … — `readCsv`'s and pandas' defaults) is quoted too, so that
 * `readCsv` gives back exactly what was written. Lines end with `\n`, as pandas writes them.
 *
 * Values: integers in full (64-bit ones beyond 2^53 through BigInt), floats in JavaScript's
 * shortest round-trip form (`inf`/`-inf` for infinities, NaN as null as pandas does), booleans
 * as `true`/`false`, timestamps as `YYYY-MM-DD HH:MM:SS[.fraction]` (plus `+00:00` when the
 * column has a time zone: the values are UTC), dates as `YYYY-MM-DD`.
 *
 * Work is column at a time: every column of a block of rows is first formatted into one byte
 * buffer with each row's start and end (strings that need no quoting are not copied at all,
 * dictionary entries are formatted once), then rows are assembled by copying those ranges.
 * Blocks of 64 Ki rows bound the memory a large partition needs.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { type Data, type Table, type Timestamp, TimeUnit, Type } from "apache-arrow";
import {
  dictionaryIndices,
  dictionaryValues,
  isDictStringType,
  isStringType,
  numericValues,
  stringParts,
  tableColumns,
  validityBytes,
} from "../kernels/dataframe-arrow.js";
import { civilFromDays, datetimeClock, floorDiv64 } from "../kernels/dataframe-datetime.js";
import { DEFAULT_NA } from "./csv-parse.js";

/** How `toCsv` formats (travels inside each task). */
export interface CsvWriteSpec {
  /** Whether every file starts with the column names. */
  header: boolean;
  /** One ASCII character between fields. */
  delimiter: string;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BLOCK = 65536;

/** The fields of one column for a block of rows: field `i` is `bytes[starts[i]:ends[i]]`. */
interface Fields {
  bytes: Uint8Array;
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
}

/** A growable byte buffer with per-row start and end. */
class FieldBuilder {
  bytes: Uint8Array;
  pos = 0;
  starts: Int32Array;
  ends: Int32Array;
  constructor(rows: number, guess: number) {
    this.bytes = new Uint8Array(Math.max(64, guess));
    this.starts = new Int32Array(rows);
    this.ends = new Int32Array(rows);
  }
  reserve(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }
  ascii(text: string): void {
    this.reserve(text.length);
    for (let k = 0; k < text.length; k++) this.bytes[this.pos++] = text.charCodeAt(k);
  }
  /** Zero-padded decimal digits of a non-negative integer below 2^31. */
  digits(x: number, width: number): void {
    this.reserve(Math.max(width, 10));
    let len = 1;
    for (let t = x; t >= 10; t = Math.floor(t / 10)) len++;
    for (let k = len; k < width; k++) this.bytes[this.pos++] = 0x30;
    let p = this.pos + len;
    this.pos = p;
    do {
      this.bytes[--p] = 0x30 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
  }
  fields(): Fields {
    return { bytes: this.bytes, starts: this.starts, ends: this.ends };
  }
}

const enc = new TextEncoder();
const NA_BYTES = DEFAULT_NA.filter((t) => t !== "").map((t) => enc.encode(t));

/** Whether the string `b[a:e]` must be quoted to read back as itself. */
function needsQuotes(b: Uint8Array, a: number, e: number, delim: number): boolean {
  if (a === e) return true; // "" is an empty string; an empty field is null
  for (let k = a; k < e; k++) {
    const c = b[k]!;
    if (c === delim || c === QUOTE || c === LF || c === CR) return true;
  }
  if (e - a <= 4) {
    outer: for (const na of NA_BYTES) {
      if (na.length !== e - a) continue;
      for (let k = 0; k < na.length; k++) if (b[a + k] !== na[k]) continue outer;
      return true;
    }
  }
  return false;
}

/** Append `b[a:e]` quoted, doubling quotes. */
function appendQuoted(fb: FieldBuilder, b: Uint8Array, a: number, e: number): void {
  fb.reserve(2 * (e - a) + 2);
  fb.bytes[fb.pos++] = QUOTE;
  for (let k = a; k < e; k++) {
    const c = b[k]!;
    if (c === QUOTE) fb.bytes[fb.pos++] = QUOTE;
    fb.bytes[fb.pos++] = c;
  }
  fb.bytes[fb.pos++] = QUOTE;
}

/** A string column's fields: the column's own bytes when nothing needs quoting or blanking. */
function stringFields(offsets: Int32Array | Float64Array, bytes: Uint8Array, valid: Uint8Array | null, r0: number, r1: number, delim: number): Fields {
  let plain = true;
  for (let i = r0; i < r1 && plain; i++) {
    if (valid && !valid[i]) plain = offsets[i] === offsets[i + 1];
    else plain = !needsQuotes(bytes, offsets[i]!, offsets[i + 1]!, delim);
  }
  if (plain) return { bytes, starts: offsets.subarray(r0, r1), ends: offsets.subarray(r0 + 1, r1 + 1) };
  const fb = new FieldBuilder(r1 - r0, offsets[r1]! - offsets[r0]! + 16);
  for (let i = r0; i < r1; i++) {
    const k = i - r0;
    fb.starts[k] = fb.pos;
    if (!valid || valid[i]) {
      const a = offsets[i]!;
      const e = offsets[i + 1]!;
      if (needsQuotes(bytes, a, e, delim)) appendQuoted(fb, bytes, a, e);
      else {
        fb.reserve(e - a);
        fb.bytes.set(bytes.subarray(a, e), fb.pos);
        fb.pos += e - a;
      }
    }
    fb.ends[k] = fb.pos;
  }
  return fb.fields();
}

/** A dictionary column's fields: each entry formatted once, rows pointing at their entry. */
function dictionaryFields(entries: Fields, indices: ArrayLike<number>, valid: Uint8Array | null, r0: number, r1: number): Fields {
  const starts = new Int32Array(r1 - r0);
  const ends = new Int32Array(r1 - r0);
  for (let i = r0; i < r1; i++) {
    if (valid && !valid[i]) continue;
    const e = indices[i]!;
    starts[i - r0] = entries.starts[e]!;
    ends[i - r0] = entries.ends[e]!;
  }
  return { bytes: entries.bytes, starts, ends };
}

/** Shortest text of a float32 that reads back as the same float32 (as pandas prints it). */
function float32Text(x: number): string {
  for (let p = 1; p < 9; p++) {
    const t = x.toPrecision(p);
    if (Math.fround(Number(t)) === x) return String(Number(t));
  }
  return String(x);
}

function numberFields(data: Data, valid: Uint8Array | null, r0: number, r1: number): Fields {
  const t = data.type;
  const x = numericValues(data);
  const fb = new FieldBuilder(r1 - r0, (r1 - r0) * 8);
  const isFloat = t.typeId === Type.Float;
  const f32 = isFloat && x instanceof Float32Array;
  const big = data.values instanceof BigInt64Array || data.values instanceof BigUint64Array ? (data.values as BigInt64Array | BigUint64Array) : null;
  for (let i = r0; i < r1; i++) {
    const k = i - r0;
    fb.starts[k] = fb.pos;
    const v = x[i]!;
    if ((!valid || valid[i]) && v === v) {
      if (isFloat) {
        const text = v === Infinity ? "inf" : v === -Infinity ? "-inf" : f32 ? float32Text(v) : String(v);
        // Whole floats keep a ".0" (as pandas writes them), so they read back as floats.
        fb.ascii(Number.isInteger(v) && !text.includes("e") ? `${text}.0` : text);
      }
      else if (Math.abs(v) < 2147483648) {
        if (v < 0) fb.ascii("-");
        fb.digits(Math.abs(v), 1);
      } else if (big && Math.abs(v) >= 9007199254740992) fb.ascii(big[i]!.toString());
      else fb.ascii(String(v));
    }
    fb.ends[k] = fb.pos;
  }
  return fb.fields();
}

function boolFields(data: Data, valid: Uint8Array | null, r0: number, r1: number): Fields {
  // Two entries, rows pointing at them.
  const entries: Fields = { bytes: enc.encode("falsetrue"), starts: [0, 5], ends: [5, 9] };
  const bits = data.values as Uint8Array;
  const idx = new Uint8Array(r1 - r0);
  for (let i = r0; i < r1; i++) {
    const bit = data.offset + i;
    idx[i - r0] = (bits[bit >> 3]! >> (bit & 7)) & 1;
  }
  const v = valid ? valid.subarray(r0, r1) : null;
  return dictionaryFields(entries, idx, v, 0, r1 - r0);
}

const FRACTION_DIGITS: Record<TimeUnit, number> = { [TimeUnit.SECOND]: 0, [TimeUnit.MILLISECOND]: 3, [TimeUnit.MICROSECOND]: 6, [TimeUnit.NANOSECOND]: 9 };

function datetimeFields(data: Data, valid: Uint8Array | null, r0: number, r1: number): Fields {
  const type = data.type;
  const clock = datetimeClock(type);
  const isTimestamp = type.typeId === Type.Timestamp;
  const fraction = isTimestamp ? FRACTION_DIGITS[(type as Timestamp).unit] : 0;
  const zoned = isTimestamp && !!(type as Timestamp).timezone;
  const fb = new FieldBuilder(r1 - r0, (r1 - r0) * (isTimestamp ? 20 + fraction : 10));
  const v = data.values as unknown;
  const words = v instanceof BigInt64Array ? new Int32Array(v.buffer, v.byteOffset, 2 * data.length) : null;
  const nums = words ? null : numericValues(data);
  const qr = new Float64Array(2);
  const ymd = new Int32Array(3);
  for (let i = r0; i < r1; i++) {
    const k = i - r0;
    fb.starts[k] = fb.pos;
    if (!valid || valid[i]) {
      let seconds: number;
      let sub = 0;
      if (clock.days) seconds = nums![i]! * 86400;
      else if (words) {
        floorDiv64(words[2 * i + 1]!, words[2 * i]! >>> 0, clock.ticks, qr);
        seconds = qr[0]!;
        sub = qr[1]!;
      } else {
        const x = nums![i]!;
        seconds = Math.floor(x / clock.ticks);
        sub = x - seconds * clock.ticks;
      }
      const days = Math.floor(seconds / 86400);
      civilFromDays(days, ymd);
      if (ymd[0]! < 0) fb.ascii("-");
      fb.digits(Math.abs(ymd[0]!), 4);
      fb.ascii("-");
      fb.digits(ymd[1]!, 2);
      fb.ascii("-");
      fb.digits(ymd[2]!, 2);
      if (isTimestamp) {
        const sod = seconds - days * 86400;
        fb.ascii(" ");
        fb.digits(Math.floor(sod / 3600), 2);
        fb.ascii(":");
        fb.digits(Math.floor(sod / 60) % 60, 2);
        fb.ascii(":");
        fb.digits(sod % 60, 2);
        if (sub > 0) {
          fb.ascii(".");
          fb.digits(sub, fraction);
        }
        if (zoned) fb.ascii("+00:00");
      }
    }
    fb.ends[k] = fb.pos;
  }
  return fb.fields();
}

/** Formats a block of rows of one column. */
type ColumnFormatter = (r0: number, r1: number) => Fields;

function columnFormatter(name: string, data: Data, delim: number): ColumnFormatter {
  const t = data.type;
  const valid = validityBytes(data);
  if (isStringType(t)) {
    const { offsets, bytes } = stringParts(data);
    return (r0, r1) => stringFields(offsets, bytes, valid, r0, r1, delim);
  }
  if (isDictStringType(t)) {
    const values = dictionaryValues(data);
    const { offsets, bytes } = stringParts(values);
    const entries = stringFields(offsets, bytes, validityBytes(values), 0, values.length, delim);
    const indices = dictionaryIndices(data);
    return (r0, r1) => dictionaryFields(entries, indices, valid, r0, r1);
  }
  switch (t.typeId) {
    case Type.Int:
    case Type.Float:
      return (r0, r1) => numberFields(data, valid, r0, r1);
    case Type.Bool:
      return (r0, r1) => boolFields(data, valid, r0, r1);
    case Type.Timestamp:
    case Type.Date:
      return (r0, r1) => datetimeFields(data, valid, r0, r1);
    case Type.Null:
      return (r0, r1) => ({ bytes: new Uint8Array(0), starts: new Int32Array(r1 - r0), ends: new Int32Array(r1 - r0) });
    default:
      throw new Error(`toCsv: column "${name}" is ${String(t)}, which CSV cannot hold; cast it (astype) or drop it first`);
  }
}

/** The header line's bytes. */
function headerLine(names: string[], delimiter: string): Uint8Array {
  const delim = delimiter.charCodeAt(0);
  const fb = new FieldBuilder(1, 256);
  names.forEach((name, j) => {
    const b = enc.encode(name);
    if (j > 0) fb.ascii(delimiter);
    // A header name is quoted when it holds special characters (never for being "NA").
    let special = false;
    for (const c of b) if (c === delim || c === QUOTE || c === LF || c === CR) special = true;
    if (special) appendQuoted(fb, b, 0, b.length);
    else {
      fb.reserve(b.length);
      fb.bytes.set(b, fb.pos);
      fb.pos += b.length;
    }
  });
  fb.ascii("\n");
  return fb.bytes.slice(0, fb.pos);
}

/** The CSV bytes of a table, block by block (`sink` receives each piece in order). */
export function formatCsv(table: Table, spec: CsvWriteSpec, sink: (bytes: Uint8Array) => void): void {
  const delim = spec.delimiter.charCodeAt(0);
  const cols = [...tableColumns(table)];
  const names = cols.map(([name]) => name);
  if (spec.header) sink(headerLine(names, spec.delimiter));
  const formatters = cols.map(([name, d]) => columnFormatter(name, d, delim));
  const n = table.numRows;
  const ncols = formatters.length;
  for (let r0 = 0; r0 < n; r0 += BLOCK) {
    const r1 = Math.min(n, r0 + BLOCK);
    const fields = formatters.map((f) => f(r0, r1));
    const rows = r1 - r0;
    let size = rows * Math.max(1, ncols);
    for (const f of fields) for (let k = 0; k < rows; k++) size += f.ends[k]! - f.starts[k]!;
    const out = new Uint8Array(size);
    let pos = 0;
    for (let k = 0; k < rows; k++) {
      for (let j = 0; j < ncols; j++) {
        const f = fields[j]!;
        const a = f.starts[k]!;
        const e = f.ends[k]!;
        const b = f.bytes;
        if (e - a < 24) for (let q = a; q < e; q++) out[pos++] = b[q]!;
        else {
          out.set(b.subarray(a, e), pos);
          pos += e - a;
        }
        out[pos++] = j + 1 < ncols ? delim : LF;
      }
      if (ncols === 0) out[pos++] = LF;
    }
    sink(out);
  }
}

/** The `dataframe.writeCsv` kernel: one partition to one file; returns the file's path. */
export function writeCsvPart(table: Table, path: string, spec: CsvWriteSpec): string {
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (err) {
    throw new Error(`toCsv: cannot create ${path}: ${(err as Error).message}`);
  }
  try {
    formatCsv(table, spec, (bytes) => {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    });
  } finally {
    closeSync(fd);
  }
  return path;
}
