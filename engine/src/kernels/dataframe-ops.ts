/**
 * Row and column kernels beyond expressions: nulls (`fillna`, `dropna`), types (`astype`),
 * `tail`, sorting, `nlargest`, distinct rows, and gathers that may produce nulls (joins).
 * All work on whole typed arrays; results live in shared memory.
 */
import { Bool, type Data, Data as ArrowData, type DataType, Dictionary, Float32, Float64, Int32, Int64, type Table, Type, Utf8 } from "apache-arrow";
import {
  boolBytes,
  boolData,
  emptyData,
  fixedData,
  float64Data,
  gatherData,
  isBoolType,
  isNumericLike,
  isStringType,
  numericDataAs,
  numericValues,
  plainColumn,
  concatData,
  dictionaryData,
  dictionaryIndices,
  dictionaryValues,
  isDictStringType,
  sharedArray,
  stringParts,
  tableColumns,
  tableFromData,
  utf8Data,
  validityBytes,
} from "./dataframe-arrow.js";
import type { Scalar } from "./dataframe-expr.js";
import { groupCodes } from "./dataframe-groupby.js";

// ---------------------------------------------------------------------------------------------
// Nulls

/** A column of `n` nulls of `type`. */
export function nullData(type: DataType, n: number): Data {
  const valid = new Uint8Array(n);
  if (isStringType(type)) return utf8Data(sharedArray(Int32Array, n + 1), sharedArray(Uint8Array, 0), valid);
  if (isBoolType(type)) return boolData(new Uint8Array(n), valid);
  if (type.typeId === Type.Null) return emptyData(type);
  const Storage = (type as unknown as { ArrayType: new (n: number) => ArrayBufferView }).ArrayType;
  const stride = (type as unknown as { stride?: number }).stride ?? 1;
  const values = sharedArray(Storage as never, n * stride) as ArrayBufferView;
  return fixedData(type, values, n, valid);
}

/** Rows `indices` of a column, where an index of -1 gives a null (the unmatched side of a join). */
export function gatherOrNull(data: Data, indices: Int32Array): Data {
  const n = indices.length;
  let missing = 0;
  for (let k = 0; k < n; k++) if (indices[k]! < 0) missing++;
  if (missing === 0) return gatherData(data, indices);
  if (data.length === 0 || missing === n) return nullData(data.type, n);
  const safe = new Int32Array(n);
  for (let k = 0; k < n; k++) safe[k] = indices[k]! < 0 ? 0 : indices[k]!;
  const g = gatherData(data, safe);
  const valid = validityBytes(g) ?? new Uint8Array(n).fill(1);
  for (let k = 0; k < n; k++) if (indices[k]! < 0) valid[k] = 0;
  const bitmap = sharedArray(Uint8Array, (n + 7) >> 3);
  let nulls = 0;
  for (let k = 0; k < n; k++) {
    if (valid[k]) bitmap[k >> 3]! |= 1 << (k & 7);
    else nulls++;
  }
  return new ArrowData(g.type, 0, n, nulls, [g.valueOffsets, g.values, bitmap, g.typeIds] as never, g.children);
}

/** A column with its nulls replaced by `value` (which must suit the column's type). */
export function fillColumn(column: Data, value: Scalar, name: string): Data {
  if (value === null) return column;
  // The result's type must not depend on whether this partition has nulls (its meta has none).
  const toFloat = column.type.typeId === Type.Int && typeof value === "number" && !Number.isInteger(value);
  const valid = validityBytes(column);
  if (!valid && !toFloat) return column;
  if (isDictStringType(column.type)) return fillDictionary(column, value, name);
  const data = column;
  const n = data.length;
  const t = data.type;
  if (isNumericLike(t)) {
    if (typeof value !== "number" && typeof value !== "bigint") throw new Error(`fillna: column "${name}" is ${String(t)}; cannot fill it with ${JSON.stringify(value)}`);
    const x = numericValues(data);
    const out = new Float64Array(n);
    const v = Number(value);
    for (let i = 0; i < n; i++) out[i] = !valid || valid[i] ? x[i]! : v;
    // An integer column filled with a fraction becomes float, as in pandas.
    return t.typeId === Type.Int && !Number.isInteger(v) ? float64Data(out, null) : numericDataAs(t, out, null);
  }
  if (!valid) return column;
  if (isBoolType(t)) {
    if (typeof value !== "boolean") throw new Error(`fillna: column "${name}" is Bool; cannot fill it with ${JSON.stringify(value)}`);
    const b = boolBytes(data);
    for (let i = 0; i < n; i++) if (!valid[i]) b[i] = value ? 1 : 0;
    return boolData(b, null);
  }
  if (isStringType(t)) {
    if (typeof value !== "string") throw new Error(`fillna: column "${name}" is Utf8; cannot fill it with ${JSON.stringify(value)}`);
    const fill = new TextEncoder().encode(value);
    const { offsets, bytes } = stringParts(data);
    let total = 0;
    for (let i = 0; i < n; i++) total += valid[i] ? offsets[i + 1]! - offsets[i]! : fill.length;
    const outOff = sharedArray(Int32Array, n + 1);
    const outBytes = sharedArray(Uint8Array, total);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (valid[i]) {
        outBytes.set(bytes.subarray(offsets[i]!, offsets[i + 1]!), pos);
        pos += offsets[i + 1]! - offsets[i]!;
      } else {
        outBytes.set(fill, pos);
        pos += fill.length;
      }
      outOff[i + 1] = pos;
    }
    return utf8Data(outOff, outBytes, null);
  }
  throw new Error(`fillna: columns of type ${String(t)} are not supported`);
}

/**
 * Nulls of a dictionary column of strings filled with `value`: the value becomes a dictionary
 * entry (appended when absent) and null rows point at it, so the column stays encoded.
 */
function fillDictionary(column: Data, value: Scalar, name: string): Data {
  if (typeof value !== "string") throw new Error(`fillna: column "${name}" is ${String(column.type)}; cannot fill it with ${JSON.stringify(value)}`);
  const type = column.type as Dictionary;
  const dict = dictionaryValues(column);
  const { offsets, bytes } = stringParts(dict);
  const fill = new TextEncoder().encode(value);
  let entry = -1;
  for (let e = 0; e < dict.length && entry < 0; e++) {
    if (offsets[e + 1]! - offsets[e]! !== fill.length) continue;
    let same = true;
    for (let k = 0; k < fill.length && same; k++) same = bytes[offsets[e]! + k] === fill[k];
    if (same) entry = e;
  }
  let dictionary = dict;
  if (entry < 0) {
    entry = dict.length;
    dictionary = concatData([plainColumn(dict), utf8Data(Int32Array.of(0, fill.length), fill, null)], new Utf8());
  }
  const width = type.indices.bitWidth;
  if (width < 32 && entry > 2 ** (type.indices.isSigned ? width - 1 : width) - 1) {
    throw new Error(`fillna: column "${name}": a new entry does not fit the ${String(type.indices)} indices of its dictionary`);
  }
  const valid = validityBytes(column)!;
  const idx = dictionaryIndices(column);
  const Indices = (type.indices as unknown as { ArrayType: new (b: ArrayBufferLike, o: number, n: number) => ArrayBufferView & Record<number, number> }).ArrayType;
  const n = column.length;
  const out = new Indices(new SharedArrayBuffer(Math.max(8, Math.ceil((n * (width >> 3)) / 8) * 8)), 0, n);
  for (let i = 0; i < n; i++) out[i] = valid[i] ? idx[i]! : entry;
  return dictionaryData(type, out, dictionary, null);
}

/** `fillna`: one value for every column it suits (`value`), or values by column name. */
export function fillNulls(table: Table, value: Scalar | Record<string, Scalar>): Table {
  const cols = tableColumns(table);
  const out: [string, Data][] = [];
  for (const [name, d] of cols) {
    if (value !== null && typeof value === "object" && typeof value !== "bigint") {
      const v = (value as Record<string, Scalar>)[name];
      out.push([name, v === undefined ? d : fillColumn(d, v, name)]);
    } else {
      // A single value fills the columns whose type it suits (pandas does the same for frames).
      const suits =
        (typeof value === "number" || typeof value === "bigint") ? isNumericLike(d.type) : typeof value === "string" ? isStringType(d.type) || isDictStringType(d.type) : typeof value === "boolean" ? isBoolType(d.type) : false;
      out.push([name, suits ? fillColumn(d, value, name) : d]);
    }
  }
  return tableFromData(out, table.numRows);
}

/** `dropna`: rows without nulls in `subset` (`how: "any"`), or not entirely null (`"all"`). */
export function dropNullRows(table: Table, subset: string[] | null, how: "any" | "all"): Table {
  const cols = tableColumns(table);
  const names = subset ?? [...cols.keys()];
  const n = table.numRows;
  const nullCount = new Uint16Array(n);
  for (const name of names) {
    const d = cols.get(name);
    if (!d) throw new Error(`dropna: no column "${name}"`);
    const v = validityBytes(d);
    let floats: Float64Array | null = null;
    if (d.type.typeId === Type.Float) floats = numericValues(d) as Float64Array;
    for (let i = 0; i < n; i++) {
      // NaN counts as missing, as in pandas.
      if ((v && !v[i]) || (floats && floats[i] !== floats[i])) nullCount[i]!++;
    }
  }
  const limit = how === "any" ? 1 : names.length;
  let keep = 0;
  for (let i = 0; i < n; i++) if (nullCount[i]! < limit) keep++;
  if (keep === n) return table;
  const idx = new Int32Array(keep);
  for (let i = 0, k = 0; i < n; i++) if (nullCount[i]! < limit) idx[k++] = i;
  return tableFromData([...cols].map(([name, d]) => [name, gatherData(d, idx)]), keep);
}

/** The last `n` rows. */
export function tailRows(table: Table, n: number): Table {
  return table.numRows <= n ? table : table.slice(table.numRows - n);
}

// ---------------------------------------------------------------------------------------------
// Types

/** Type names `astype` accepts (`category`: dictionary-encoded strings, as pandas' categorical). */
export type CastType = "int64" | "int32" | "float64" | "float32" | "string" | "bool" | "category";
export const CAST_TYPES: readonly CastType[] = ["int64", "int32", "float64", "float32", "string", "bool", "category"];

function arrowType(t: Exclude<CastType, "category">): DataType {
  switch (t) {
    case "int64":
      return new Int64();
    case "int32":
      return new Int32();
    case "float64":
      return new Float64();
    case "float32":
      return new Float32();
    case "string":
      return new Utf8();
    case "bool":
      return new Bool();
  }
}

/**
 * A string column dictionary-encoded: each distinct value once in the dictionary (in order of
 * first appearance), rows as Int32 indices. Hashes the bytes; no value is decoded.
 */
export function dictionaryEncode(column: Data, name: string): Data {
  if (isDictStringType(column.type)) return column;
  if (!isStringType(column.type)) throw new Error(`astype: cannot cast column "${name}" of type ${String(column.type)} to category (only strings)`);
  const { codes, firstRow } = groupCodes([column], column.length);
  const valid = validityBytes(column);
  const indices = sharedArray(Int32Array, column.length);
  for (let i = 0; i < codes.length; i++) indices[i] = codes[i]! < 0 ? 0 : codes[i]!;
  return dictionaryData(new Dictionary(new Utf8(), new Int32()), indices, gatherData(column, firstRow), valid);
}

/** One column as another type. Strings parse as numbers (an unparsable one fails, naming it). */
export function castColumn(column: Data, to: CastType, name: string): Data {
  if (to === "category") return dictionaryEncode(column, name);
  const d = plainColumn(column);
  const n = d.length;
  const t = d.type;
  const target = arrowType(to);
  const valid = validityBytes(d);
  if (String(t) === String(target)) return d;
  if (to === "string") {
    const enc = new TextEncoder();
    const texts: Uint8Array[] = new Array(n);
    let total = 0;
    const nums = isNumericLike(t) ? numericValues(d) : null;
    const bools = isBoolType(t) ? boolBytes(d) : null;
    if (!nums && !bools) throw new Error(`astype: cannot cast column "${name}" of type ${String(t)} to string`);
    for (let i = 0; i < n; i++) {
      texts[i] = valid && !valid[i] ? new Uint8Array(0) : enc.encode(nums ? String(nums[i]) : bools![i] ? "true" : "false");
      total += texts[i]!.length;
    }
    const off = sharedArray(Int32Array, n + 1);
    const bytes = sharedArray(Uint8Array, total);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      bytes.set(texts[i]!, pos);
      pos += texts[i]!.length;
      off[i + 1] = pos;
    }
    return utf8Data(off, bytes, valid);
  }
  let values: Float64Array;
  if (isStringType(t)) {
    const { offsets, bytes } = stringParts(d);
    const dec = new TextDecoder();
    values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (valid && !valid[i]) continue;
      const text = dec.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!)).trim();
      const x = to === "bool" ? (/^true$/i.test(text) ? 1 : /^false$/i.test(text) ? 0 : NaN) : text === "" ? NaN : Number(text);
      if (x !== x) throw new Error(`astype: cannot cast "${text}" (row ${i} of a partition) of column "${name}" to ${to}`);
      values[i] = x;
    }
  } else if (isBoolType(t)) values = Float64Array.from(boolBytes(d));
  else if (isNumericLike(t)) values = Float64Array.from(numericValues(d));
  else throw new Error(`astype: cannot cast column "${name}" of type ${String(t)}`);
  if (to === "bool") {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = values[i] !== 0 ? 1 : 0;
    return boolData(b, valid);
  }
  if (to === "int64" || to === "int32") {
    for (let i = 0; i < n; i++) {
      if (valid && !valid[i]) continue;
      const x = values[i]!;
      if (!Number.isFinite(x)) throw new Error(`astype: column "${name}" holds ${x}, which is not an integer`);
      values[i] = Math.trunc(x);
    }
  }
  return numericDataAs(target, values, valid);
}

/** `astype({ column: type })`. */
export function castColumns(table: Table, mapping: Record<string, CastType>): Table {
  const cols = tableColumns(table);
  return tableFromData(
    [...cols].map(([name, d]) => [name, mapping[name] ? castColumn(d, mapping[name], name) : d]),
    table.numRows,
  );
}

// ---------------------------------------------------------------------------------------------
// Sorting

type Compare = (a: number, b: number) => number;

/**
 * Comparator of rows by one column: nulls (and NaN) last whatever the direction, as pandas'
 * `na_position="last"` and DuckDB's default `NULLS LAST`.
 */
function columnCompare(column: Data, ascending: boolean): Compare {
  const d = plainColumn(column);
  const valid = validityBytes(d);
  const sign = ascending ? 1 : -1;
  if (isStringType(d.type)) {
    const { offsets, bytes } = stringParts(d);
    return (a, b) => {
      const va = !valid || valid[a];
      const vb = !valid || valid[b];
      if (!va || !vb) return va === vb ? 0 : va ? -1 : 1;
      let i = offsets[a]!;
      const ie = offsets[a + 1]!;
      let j = offsets[b]!;
      const je = offsets[b + 1]!;
      for (; i < ie && j < je; i++, j++) {
        const c = bytes[i]! - bytes[j]!;
        if (c !== 0) return sign * c;
      }
      return sign * ((ie - i) - (je - j));
    };
  }
  const x = isBoolType(d.type) ? boolBytes(d) : numericValues(d);
  return (a, b) => {
    const xa = x[a]!;
    const xb = x[b]!;
    const va = (!valid || valid[a]) && xa === xa;
    const vb = (!valid || valid[b]) && xb === xb;
    if (!va || !vb) return va === vb ? 0 : va ? -1 : 1;
    return xa < xb ? -sign : xa > xb ? sign : 0;
  };
}

/** Row order sorting `table` by `by` (stable: ties keep their order). */
export function sortIndices(table: Table, by: string[], ascending: boolean[]): Int32Array {
  const cols = tableColumns(table);
  const only = by.length === 1 ? cols.get(by[0]!) : undefined;
  if (only && isNumericLike(only.type) && only.nullCount === 0) {
    // The common case, one numeric key without nulls: NaN keys moved last up front, the rest
    // radix-sorted (3 M rows: ~0.2 s instead of ~2 s for a comparator sort).
    const x = numericValues(only);
    const n = x.length;
    const idx = new Int32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) if (x[i] === x[i]) idx[k++] = i;
    const valid = k;
    for (let i = 0; i < n; i++) if (x[i] !== x[i]) idx[k++] = i;
    idx.set(radixArgsort(x, idx.subarray(0, valid), ascending[0] ?? true), 0);
    return idx;
  }
  const cmps = by.map((c, k) => {
    const d = cols.get(c);
    if (!d) throw new Error(`sortValues: no column "${c}"`);
    return columnCompare(d, ascending[k] ?? true);
  });
  const n = table.numRows;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const cmp: Compare =
    cmps.length === 1
      ? (a, b) => cmps[0]!(a, b) || a - b
      : (a, b) => {
          for (const c of cmps) {
            const r = c(a, b);
            if (r !== 0) return r;
          }
          return a - b;
        };
  return idx.sort(cmp);
}

/**
 * Stable argsort of `x[rows]` (no NaN) by LSD radix sort on the float64 bits, 16 bits per
 * pass. Bits are mapped so unsigned order is numeric order (negative numbers: all bits flipped;
 * others: the sign bit flipped), and flipped again for descending order, which keeps ties in
 * row order. Passes whose digit is the same for every row (common: the low word of small
 * integers is zero) are skipped.
 */
export function radixArgsort(x: ArrayLike<number>, rows: Int32Array, ascending: boolean): Int32Array {
  const n = rows.length;
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    f[0] = x[rows[k]!]! === 0 ? 0 : x[rows[k]!]!; // -0 sorts with 0
    let l = w[0]!;
    let h = w[1]!;
    if (h & 0x80000000) {
      l = ~l >>> 0;
      h = ~h >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    if (!ascending) {
      l = ~l >>> 0;
      h = ~h >>> 0;
    }
    lo[k] = l;
    hi[k] = h;
  }
  // Positions into rows/lo/hi, permuted pass after pass.
  let order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  let next = new Int32Array(n);
  const counts = new Int32Array(65537);
  for (const [words, shift] of [[lo, 0], [lo, 16], [hi, 0], [hi, 16]] as const) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[((words[k]! >>> shift) & 0xffff) + 1]!++;
    if (n === 0 || counts[((words[0]! >>> shift) & 0xffff) + 1] === n) continue;
    for (let d = 0; d < 65536; d++) counts[d + 1]! += counts[d]!;
    for (let k = 0; k < n; k++) {
      const p = order[k]!;
      next[counts[(words[p]! >>> shift) & 0xffff]!++] = p;
    }
    [order, next] = [next, order];
  }
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = rows[order[k]!]!;
  return out;
}

/** `table` sorted by `by`. */
export function sortTable(table: Table, by: string[], ascending: boolean[]): Table {
  const idx = sortIndices(table, by, ascending);
  return tableFromData([...tableColumns(table)].map(([name, d]) => [name, gatherData(d, idx)]), idx.length);
}

/** The `n` rows with the largest (`largest`) or smallest values of `by`, in that order. */
export function topRows(table: Table, n: number, by: string[], largest: boolean): Table {
  const sorted = sortTable(table, by, by.map(() => !largest));
  return sorted.numRows <= n ? sorted : sorted.slice(0, n);
}

// ---------------------------------------------------------------------------------------------
// Distinct rows

/** The first row of each distinct combination of `subset` (all columns when null). */
export function distinctRows(table: Table, subset: string[] | null, keep: "first" | "last" = "first"): Table {
  const cols = tableColumns(table);
  const names = subset ?? [...cols.keys()];
  const keys = names.map((c) => {
    const d = cols.get(c);
    if (!d) throw new Error(`dropDuplicates: no column "${c}"`);
    return d;
  });
  // Null keys form their own group here: pandas keeps one row of duplicated nulls.
  const n = table.numRows;
  const withNulls = keys.flatMap((d) => (d.nullCount > 0 ? nullAsValue(d) : [d]));
  const { codes, ngroups, firstRow } = groupCodes(withNulls, n);
  let rows = firstRow;
  if (keep === "last") {
    rows = new Int32Array(ngroups);
    for (let i = 0; i < n; i++) rows[codes[i]!] = i;
  }
  rows = Int32Array.from(rows).sort();
  return tableFromData([...cols].map(([name, d]) => [name, gatherData(d, rows)]), rows.length);
}

/**
 * A key where null is an ordinary value (for distinct rows): the column with its nulls filled
 * with a placeholder, plus its validity as a second key, so a null never equals a real value.
 */
function nullAsValue(d: Data): Data[] {
  const valid = validityBytes(d)!;
  const filled = isStringType(d.type) ? fillColumn(d, "", "") : isBoolType(d.type) ? fillColumn(d, false, "") : fillColumn(d, 0, "");
  return [filled, boolData(valid, null)];
}

// ---------------------------------------------------------------------------------------------
// Holistic per-group operations (after a shuffle put each group in one partition)

/** Rows ordered by group code, then by `column` (nulls and NaN last), dropping null-key rows. */
function groupOrder(table: Table, keys: string[], column: string, ascending: boolean): { order: Int32Array; codes: Int32Array; ngroups: number; firstRow: Int32Array; values: Data } {
  const cols = tableColumns(table);
  const keyData = keys.map((k) => cols.get(k)!);
  const { codes, ngroups, firstRow } = groupCodes(keyData, table.numRows);
  const values = cols.get(column)!;
  const cmp = columnCompare(values, ascending);
  let m = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i]! >= 0) m++;
  const order = new Int32Array(m);
  for (let i = 0, k = 0; i < codes.length; i++) if (codes[i]! >= 0) order[k++] = i;
  order.sort((a, b) => codes[a]! - codes[b]! || cmp(a, b) || a - b);
  return { order, codes, ngroups, firstRow, values };
}

/** Exact median of `column` per group (pandas' median: mean of the two middle values). */
export function groupMedian(table: Table, keys: string[], column: string, out: string): Table {
  const { order, codes, ngroups, firstRow, values } = groupOrder(table, keys, column, true);
  if (!isNumericLike(values.type)) throw new Error(`median: column "${column}" is ${String(values.type)}, not numeric`);
  const x = numericValues(values);
  const valid = validityBytes(values);
  const med = new Float64Array(ngroups);
  const has = new Uint8Array(ngroups);
  for (let a = 0; a < order.length; ) {
    const g = codes[order[a]!]!;
    let b = a;
    while (b < order.length && codes[order[b]!] === g) b++;
    // Valid values come first within the group (nulls and NaN sort last).
    let v = a;
    while (v < b && (!valid || valid[order[v]!]) && x[order[v]!] === x[order[v]!]) v++;
    const n = v - a;
    if (n > 0) {
      const lo = x[order[a + ((n - 1) >> 1)]!]!;
      const hi = x[order[a + (n >> 1)]!]!;
      med[g] = (lo + hi) / 2;
      has[g] = 1;
    }
    a = b;
  }
  const cols = tableColumns(table);
  const result: [string, Data][] = keys.map((k) => [k, gatherData(cols.get(k)!, firstRow)]);
  let all = true;
  for (let g = 0; g < ngroups; g++) if (!has[g]) all = false;
  result.push([out, float64Data(med, all ? null : has)]);
  return tableFromData(result, ngroups);
}

/** The `n` rows of each group with the largest (or smallest) `column`, groups in first-seen order. */
export function groupTop(table: Table, keys: string[], column: string, n: number, largest: boolean): Table {
  const { order, codes } = groupOrder(table, keys, column, !largest);
  const keep: number[] = [];
  for (let a = 0; a < order.length; ) {
    const g = codes[order[a]!]!;
    let b = a;
    while (b < order.length && codes[order[b]!] === g) b++;
    for (let k = a; k < Math.min(b, a + n); k++) keep.push(order[k]!);
    a = b;
  }
  const idx = Int32Array.from(keep);
  return tableFromData([...tableColumns(table)].map(([name, d]) => [name, gatherData(d, idx)]), idx.length);
}
