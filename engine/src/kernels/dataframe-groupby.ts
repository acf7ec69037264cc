/**
 * Hash group-by on typed arrays, in three steps like Dask's `apply-concat-apply`:
 *
 *   partial (per partition) → combine (per `splitEvery` partials, repeated) → finalize
 *
 * A partial result is itself an Arrow table: the key columns (one row per group) followed by
 * the running aggregates (`sum`, `count`, `size`, `min`, `max` of a column), so partials cross
 * threads with the table codec and combining them is a group-by of the same kind.
 *
 * Grouping turns key columns into dense group codes (0, 1, 2, …) with open-addressing hash
 * tables over raw bits (numbers) or UTF-8 bytes (strings): no row objects, no per-row
 * closures, no string decoding. Several keys are combined pairwise into codes of code pairs.
 * Rows with a null key are dropped, as pandas' `dropna=True` default does.
 */
import { type Data, Int64, Type, type Table } from "apache-arrow";
import { gatherOrNull } from "./dataframe-ops.js";
import {
  concatTables,
  dictionaryIndices,
  dictionaryValues,
  float64Data,
  gatherData,
  isDictionaryType,
  isNumericLike,
  isStringType,
  numericDataAs,
  numericValues,
  stringParts,
  tableColumns,
  tableFromData,
  validityBytes,
} from "./dataframe-arrow.js";

/** The aggregations `groupby(...).agg(...)` and Series reductions understand. */
export type AggName = "sum" | "mean" | "count" | "min" | "max" | "size" | "var" | "std" | "first" | "last" | "nunique";
export const AGG_NAMES: readonly AggName[] = ["sum", "mean", "count", "min", "max", "size", "var", "std", "first", "last", "nunique"];

/** One output column of an aggregation: `how` of `column` (null for `size`) named `out`. */
export interface AggSpec {
  column: string | null;
  how: AggName;
  out: string;
}

/** A running aggregate kept in partial tables. */
type PartialKind = "sum" | "count" | "size" | "min" | "max" | "m2" | "first" | "last";

/**
 * Partials each aggregation needs. `m2` is the sum of squared deviations from the group mean,
 * merged with Chan's formula (as DuckDB and NumPy do), so variances do not lose precision the
 * way a sum of squares would. `nunique` is planned apart (`GroupBy.agg`): it needs distinct
 * values, not a running number.
 */
const NEEDS: Record<Exclude<AggName, "nunique">, PartialKind[]> & { nunique: PartialKind[] } = {
  var: ["sum", "count", "m2"],
  std: ["sum", "count", "m2"],
  first: ["first"],
  last: ["last"],
  nunique: [],
  sum: ["sum"],
  mean: ["sum", "count"],
  count: ["count"],
  min: ["min"],
  max: ["max"],
  size: ["size"],
};

/** Name of a partial column: stable, and unlikely to collide with user columns. */
const partialName = (kind: PartialKind, column: string | null): string => `__${kind}__${column ?? ""}`;

function partialsOf(aggs: readonly AggSpec[]): { kind: PartialKind; column: string | null }[] {
  const out: { kind: PartialKind; column: string | null }[] = [];
  const seen = new Set<string>();
  for (const a of aggs) {
    for (const kind of NEEDS[a.how]) {
      const column = kind === "size" ? null : a.column;
      const name = partialName(kind, column);
      if (!seen.has(name)) {
        seen.add(name);
        out.push({ kind, column });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dense codes

/** Murmur3's 32-bit finalizer over a pair of 32-bit words. */
export function hashPair(lo: number, hi: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface Codes {
  /** Group code of each row, or -1 for rows that belong to no group (null key). */
  codes: Int32Array;
  ngroups: number;
  /** A row of each group (its first), to gather the key values from. */
  firstRow: Int32Array;
}

/**
 * Dense codes for rows given as pairs of 32-bit words (`words[2i]`, `words[2i+1]`): the raw
 * bits of 64-bit numbers or of two smaller codes. Rows with `valid[i] === 0` get -1.
 */
function densifyPairs(words: Int32Array, valid: Uint8Array | null, n: number): Codes {
  let cap = 1024;
  while (cap < 64) cap <<= 1;
  let slots = new Int32Array(cap).fill(-1);
  let keyLo: Int32Array = new Int32Array(256);
  let keyHi: Int32Array = new Int32Array(256);
  let first: Int32Array = new Int32Array(256);
  let ngroups = 0;
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (valid && valid[i] === 0) {
      codes[i] = -1;
      continue;
    }
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    let mask = cap - 1;
    let s = hashPair(lo, hi) & mask;
    let code = -1;
    for (;;) {
      const c = slots[s]!;
      if (c === -1) break;
      if (keyLo[c] === lo && keyHi[c] === hi) {
        code = c;
        break;
      }
      s = (s + 1) & mask;
    }
    if (code === -1) {
      code = ngroups++;
      if (code >= keyLo.length) {
        const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
          const b = new Int32Array(a.length * 2);
          b.set(a);
          return b;
        };
        keyLo = grow(keyLo);
        keyHi = grow(keyHi);
        first = grow(first);
      }
      keyLo[code] = lo;
      keyHi[code] = hi;
      first[code] = i;
      slots[s] = code;
      if (ngroups * 2 > cap) {
        // Grow and rehash: load factor stays below one half, so probes stay short.
        cap <<= 1;
        mask = cap - 1;
        slots = new Int32Array(cap).fill(-1);
        for (let c = 0; c < ngroups; c++) {
          let t = hashPair(keyLo[c]!, keyHi[c]!) & mask;
          while (slots[t] !== -1) t = (t + 1) & mask;
          slots[t] = c;
        }
      }
    }
    codes[i] = code;
  }
  return { codes, ngroups, firstRow: first.slice(0, ngroups) };
}

export function hashBytes(bytes: Uint8Array, a: number, b: number): number {
  // FNV-1a, then a finalizer: short keys (airport codes, ids) are the common case.
  let h = 0x811c9dc5;
  for (let k = a; k < b; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  return hashPair(h, b - a);
}

function densifyStrings(data: Data): Codes {
  const n = data.length;
  const { offsets, bytes } = stringParts(data);
  const valid = validityBytes(data);
  let cap = 1024;
  let slots = new Int32Array(cap).fill(-1);
  let hashes = new Int32Array(256);
  let first = new Int32Array(256);
  let ngroups = 0;
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (valid && valid[i] === 0) {
      codes[i] = -1;
      continue;
    }
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    const h = hashBytes(bytes, a, b) | 0;
    let mask = cap - 1;
    let s = (h >>> 0) & mask;
    let code = -1;
    for (;;) {
      const c = slots[s]!;
      if (c === -1) break;
      if (hashes[c] === h) {
        const r = first[c]!;
        const ra = offsets[r]!;
        const rb = offsets[r + 1]!;
        if (rb - ra === b - a) {
          let same = true;
          for (let k = 0; k < b - a; k++) {
            if (bytes[ra + k] !== bytes[a + k]) {
              same = false;
              break;
            }
          }
          if (same) {
            code = c;
            break;
          }
        }
      }
      s = (s + 1) & mask;
    }
    if (code === -1) {
      code = ngroups++;
      if (code >= hashes.length) {
        const h2 = new Int32Array(hashes.length * 2);
        h2.set(hashes);
        hashes = h2;
        const f2 = new Int32Array(first.length * 2);
        f2.set(first);
        first = f2;
      }
      hashes[code] = h;
      first[code] = i;
      slots[s] = code;
      if (ngroups * 2 > cap) {
        cap <<= 1;
        mask = cap - 1;
        slots = new Int32Array(cap).fill(-1);
        for (let c = 0; c < ngroups; c++) {
          let t = (hashes[c]! >>> 0) & mask;
          while (slots[t] !== -1) t = (t + 1) & mask;
          slots[t] = c;
        }
      }
    }
    codes[i] = code;
  }
  return { codes, ngroups, firstRow: first.slice(0, ngroups) };
}

/**
 * Codes of a dictionary column without looking up a value per row: the dictionary's entries
 * are coded once (equal entries share a code), then each row takes its entry's code,
 * renumbered in order of first appearance so that entries no row uses make no group.
 */
function dictionaryCodes(data: Data): Codes {
  const dict = columnCodes(dictionaryValues(data));
  const idx = dictionaryIndices(data);
  const valid = validityBytes(data);
  const n = data.length;
  const remap = new Int32Array(dict.ngroups).fill(-1);
  const codes = new Int32Array(n);
  const first = new Int32Array(dict.ngroups);
  let ngroups = 0;
  for (let i = 0; i < n; i++) {
    const dc = valid && !valid[i] ? -1 : dict.codes[idx[i]!]!;
    if (dc < 0) {
      codes[i] = -1;
      continue;
    }
    let c = remap[dc]!;
    if (c < 0) {
      c = remap[dc] = ngroups++;
      first[c] = i;
    }
    codes[i] = c;
  }
  return { codes, ngroups, firstRow: first.slice(0, ngroups) };
}

function columnCodes(data: Data): Codes {
  const n = data.length;
  const t = data.type;
  if (isStringType(t)) return densifyStrings(data);
  if (isDictionaryType(t)) return dictionaryCodes(data);
  const valid = validityBytes(data);
  const v = data.values as unknown;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    // 64-bit integers (and timestamps) hash their exact bits.
    return densifyPairs(new Int32Array(v.buffer, v.byteOffset, 2 * n), valid, n);
  }
  if (isNumericLike(t) || t.typeId === Type.Bool) {
    const nums = t.typeId === Type.Bool ? boolAsNumbers(data) : numericValues(data);
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = nums[i]!;
      // One key for 0 and -0, and for every NaN, as pandas groups them.
      f[i] = x === 0 ? 0 : x !== x ? NaN : x;
    }
    return densifyPairs(new Int32Array(f.buffer), valid, n);
  }
  throw new Error(`Cannot group by a column of type ${String(t)} yet`);
}

function boolAsNumbers(data: Data): Uint8Array {
  const bits = data.values as Uint8Array;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const bit = data.offset + i;
    out[i] = (bits[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** Dense group codes of the rows of several key columns together. */
export function groupCodes(keys: readonly Data[], n: number): Codes {
  if (keys.length === 0) {
    // No keys: one group of every row.
    return { codes: new Int32Array(n), ngroups: n > 0 ? 1 : 0, firstRow: new Int32Array(n > 0 ? 1 : 0) };
  }
  let acc = columnCodes(keys[0]!);
  for (let k = 1; k < keys.length; k++) {
    const next = columnCodes(keys[k]!);
    const words = new Int32Array(2 * n);
    const valid = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const a = acc.codes[i]!;
      const b = next.codes[i]!;
      words[2 * i] = a;
      words[2 * i + 1] = b;
      valid[i] = a >= 0 && b >= 0 ? 1 : 0;
    }
    acc = densifyPairs(words, valid, n);
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------
// Accumulation

/** Group-wise `kind` of `values` (with validity) into `ngroups` slots. */
function accumulate(
  kind: PartialKind,
  data: Data | null,
  codes: Int32Array,
  ngroups: number,
  /** When combining partials, counts and sizes are summed instead of counted. */
  combining: boolean,
): { values: Float64Array; valid: Uint8Array | null } {
  const n = codes.length;
  const out = new Float64Array(ngroups);
  if (kind === "size" && !combining) {
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c >= 0) out[c]!++;
    }
    return { values: out, valid: null };
  }
  const d = data!;
  const valid = validityBytes(d);
  if (kind === "count" && !combining) {
    // Counting non-null values works for every column type.
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c >= 0 && (!valid || valid[i])) out[c]!++;
    }
    return { values: out, valid: null };
  }
  if (!isNumericLike(d.type) && d.type.typeId !== Type.Bool) {
    throw new Error(`Cannot aggregate (${kind}) a column of type ${String(d.type)}`);
  }
  const x = d.type.typeId === Type.Bool ? boolAsNumbers(d) : numericValues(d);
  if (kind === "sum" || kind === "count" || kind === "size") {
    if (valid) {
      for (let i = 0; i < n; i++) {
        const c = codes[i]!;
        if (c >= 0 && valid[i]) out[c]! += x[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const c = codes[i]!;
        if (c >= 0) out[c]! += x[i]!;
      }
    }
    return { values: out, valid: null };
  }
  // min / max: a group with no valid value stays null.
  const seen = new Uint8Array(ngroups);
  const isMin = kind === "min";
  for (let i = 0; i < n; i++) {
    const c = codes[i]!;
    if (c < 0 || (valid && !valid[i])) continue;
    const v = x[i]!;
    if (v !== v) continue; // NaN is skipped, as pandas does
    if (!seen[c]) {
      seen[c] = 1;
      out[c] = v;
    } else if (isMin ? v < out[c]! : v > out[c]!) out[c] = v;
  }
  let all = true;
  for (let g = 0; g < ngroups; g++) if (!seen[g]) all = false;
  return { values: out, valid: all ? null : seen };
}

/** Storage type of a partial: sums of integers stay integers, min/max keep the column's type. */
function partialColumn(kind: PartialKind, source: Data | null, acc: { values: Float64Array; valid: Uint8Array | null }): Data {
  if (kind === "count" || kind === "size") return numericDataAs(new Int64(), acc.values, null);
  const t = source!.type;
  if (kind === "sum") {
    return t.typeId === Type.Int || t.typeId === Type.Bool ? numericDataAs(new Int64(), acc.values, null) : float64Data(acc.values, null);
  }
  return t.typeId === Type.Bool ? float64Data(acc.values, acc.valid) : numericDataAs(t, acc.values, acc.valid);
}

function groupTable(
  table: Table,
  keys: readonly string[],
  partials: { kind: PartialKind; column: string | null }[],
  combining: boolean,
): Table {
  const cols = tableColumns(table);
  const get = (name: string): Data => {
    const d = cols.get(name);
    if (!d) throw new Error(`Column "${name}" not found; columns are: ${[...cols.keys()].join(", ")}`);
    return d;
  };
  const keyData = keys.map(get);
  const { codes, ngroups, firstRow } = groupCodes(keyData, table.numRows);
  const out: [string, Data][] = keys.map((k, i) => [k, gatherData(keyData[i]!, firstRow)]);
  const done = new Map<string, Float64Array>();
  for (const p of partials) {
    const name = partialName(p.kind, p.column);
    // When combining, a partial is read from its own column; at first, from the source column.
    const source = combining ? get(name) : p.column === null ? null : get(p.column);
    if (p.kind === "first" || p.kind === "last") {
      out.push([name, gatherOrNull(source!, pickRows(source!, codes, ngroups, p.kind === "first"))]);
      continue;
    }
    if (p.kind === "m2") {
      const sum = done.get(partialName("sum", p.column))!;
      const count = done.get(partialName("count", p.column))!;
      const m2 = combining
        ? mergeM2(codes, ngroups, sum, count, get(partialName("sum", p.column)), get(partialName("count", p.column)), source!)
        : deviations(codes, ngroups, sum, count, source!);
      out.push([name, float64Data(m2, null)]);
      continue;
    }
    const acc = accumulate(p.kind, source, codes, ngroups, combining);
    done.set(name, acc.values);
    out.push([name, partialColumn(p.kind, source, acc)]);
  }
  return tableFromData(out, ngroups);
}

/** Per group, the first (or last) row whose value is valid and not NaN; -1 when none is. */
function pickRows(data: Data, codes: Int32Array, ngroups: number, first: boolean): Int32Array {
  const rows = new Int32Array(ngroups).fill(-1);
  const valid = validityBytes(data);
  const floats = data.type.typeId === Type.Float ? numericValues(data) : null;
  const n = codes.length;
  for (let k = 0; k < n; k++) {
    const i = first ? k : n - 1 - k;
    const c = codes[i]!;
    if (c < 0 || rows[c] !== -1 || (valid && !valid[i]) || (floats && floats[i] !== floats[i])) continue;
    rows[c] = i;
  }
  return rows;
}

/** Sum of squared deviations from each group's mean (a second pass over the rows). */
function deviations(codes: Int32Array, ngroups: number, sum: Float64Array, count: Float64Array, data: Data): Float64Array {
  const x = data.type.typeId === Type.Bool ? boolAsNumbers(data) : numericValues(data);
  const valid = validityBytes(data);
  const mean = new Float64Array(ngroups);
  for (let g = 0; g < ngroups; g++) mean[g] = count[g]! > 0 ? sum[g]! / count[g]! : 0;
  const m2 = new Float64Array(ngroups);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < 0 || (valid && !valid[i])) continue;
    const d = x[i]! - mean[c]!;
    m2[c]! += d * d;
  }
  return m2;
}

/** Chan's merge of per-part (count, mean, M2) into per-group M2. */
function mergeM2(codes: Int32Array, ngroups: number, sum: Float64Array, count: Float64Array, partSum: Data, partCount: Data, partM2: Data): Float64Array {
  const s = numericValues(partSum);
  const n = numericValues(partCount);
  const m = numericValues(partM2);
  const out = new Float64Array(ngroups);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < 0 || n[i]! === 0) continue;
    const d = s[i]! / n[i]! - sum[c]! / count[c]!;
    out[c]! += m[i]! + n[i]! * d * d;
  }
  return out;
}

/** Partial aggregates of one partition. */
export function groupbyPartial(table: Table, keys: string[], aggs: AggSpec[]): Table {
  return groupTable(table, keys, partialsOf(aggs), false);
}

/** Several partials merged into one. */
export function groupbyCombine(keys: string[], aggs: AggSpec[], ...parts: Table[]): Table {
  return groupTable(concatTables(parts), keys, partialsOf(aggs), true);
}

/** Merge the last partials and compute the requested columns. */
export function groupbyAggregate(keys: string[], aggs: AggSpec[], ...parts: Table[]): Table {
  const merged = groupbyCombine(keys, aggs, ...parts);
  const cols = tableColumns(merged);
  const out: [string, Data][] = keys.map((k) => [k, cols.get(k)!]);
  for (const a of aggs) {
    const col = (kind: PartialKind): Data => cols.get(partialName(kind, kind === "size" ? null : a.column))!;
    if (a.how === "mean") {
      const s = numericValues(col("sum"));
      const c = numericValues(col("count"));
      const m = new Float64Array(merged.numRows);
      const valid = new Uint8Array(merged.numRows);
      let anyNull = false;
      for (let g = 0; g < m.length; g++) {
        if (c[g]! > 0) {
          m[g] = s[g]! / c[g]!;
          valid[g] = 1;
        } else anyNull = true;
      }
      out.push([a.out, float64Data(m, anyNull ? valid : null)]);
    } else if (a.how === "var" || a.how === "std") {
      // Sample variance (ddof 1), as pandas and DuckDB's var/stddev: null below two values.
      const c = numericValues(col("count"));
      const m2 = numericValues(col("m2"));
      const v = new Float64Array(merged.numRows);
      const valid = new Uint8Array(merged.numRows);
      let anyNull = false;
      for (let g = 0; g < v.length; g++) {
        if (c[g]! > 1) {
          const variance = Math.max(0, m2[g]! / (c[g]! - 1));
          v[g] = a.how === "std" ? Math.sqrt(variance) : variance;
          valid[g] = 1;
        } else anyNull = true;
      }
      out.push([a.out, float64Data(v, anyNull ? valid : null)]);
    } else {
      out.push([a.out, col(NEEDS[a.how][0]!)]);
    }
  }
  return tableFromData(out, merged.numRows);
}

// ---------------------------------------------------------------------------------------------
// Whole-column reductions (Series.sum() and friends)

/**
 * Running totals of one column: enough for sum, mean, count, min, max and, through `m2` (the
 * sum of squared deviations from the mean, merged with Chan's formula), var and std.
 */
export interface ReductionPartial {
  sum: number;
  count: number;
  min: number;
  max: number;
  m2: number;
}

export function reducePartial(data: Data): ReductionPartial {
  const t = data.type;
  if (!isNumericLike(t) && t.typeId !== Type.Bool) {
    // Other types (strings…) only count their non-null values; `Series` allows only `count` on them.
    return { sum: NaN, count: data.length - data.nullCount, min: NaN, max: NaN, m2: NaN };
  }
  const raw = t.typeId === Type.Bool ? boolAsNumbers(data) : numericValues(data);
  // One element type in the loops below: a site that sees Int32Array, Float64Array and
  // Uint8Array in turn becomes megamorphic and several times slower than this copy.
  const x = raw instanceof Float64Array ? raw : Float64Array.from(raw);
  const valid = validityBytes(data);
  let sum = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (valid && !valid[i]) continue;
    const v = x[i]!;
    if (v !== v) continue;
    sum += v;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // A second pass around the partition's mean keeps m2 exact where a sum of squares would not be.
  let m2 = 0;
  if (count > 1) {
    const mean = sum / count;
    for (let i = 0; i < x.length; i++) {
      if (valid && !valid[i]) continue;
      const v = x[i]!;
      if (v !== v) continue;
      m2 += (v - mean) * (v - mean);
    }
  }
  return { sum, count, min, max, m2 };
}

export function reduceCombine(...parts: ReductionPartial[]): ReductionPartial {
  const out: ReductionPartial = { sum: 0, count: 0, min: Infinity, max: -Infinity, m2: 0 };
  for (const p of parts) {
    if (p.count > 0 && out.count > 0) {
      const delta = p.sum / p.count - out.sum / out.count;
      out.m2 += p.m2 + (delta * delta * out.count * p.count) / (out.count + p.count);
    } else out.m2 += p.m2;
    out.sum += p.sum;
    out.count += p.count;
    if (p.min < out.min) out.min = p.min;
    if (p.max > out.max) out.max = p.max;
  }
  return out;
}

/** The final scalar; empty or all-null input gives 0 for sum and count, NaN otherwise (pandas). */
export function reduceFinalize(how: "sum" | "mean" | "count" | "min" | "max", ...parts: ReductionPartial[]): number {
  const r = reduceCombine(...parts);
  switch (how) {
    case "sum":
      return r.sum;
    case "count":
      return r.count;
    case "mean":
      return r.count > 0 ? r.sum / r.count : NaN;
    case "min":
      return r.count > 0 ? r.min : NaN;
    case "max":
      return r.count > 0 ? r.max : NaN;
  }
}

/** Variance or standard deviation with `ddof` delta degrees of freedom (pandas' default 1); NaN without enough values. */
export function reduceFinalizeSpread(how: "var" | "std", ddof: number, ...parts: ReductionPartial[]): number {
  const r = reduceCombine(...parts);
  if (r.count - ddof <= 0) return NaN;
  const variance = Math.max(0, r.m2 / (r.count - ddof));
  return how === "std" ? Math.sqrt(variance) : variance;
}
