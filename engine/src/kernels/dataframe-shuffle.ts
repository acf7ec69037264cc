/**
 * Moving rows between partitions, and joining them: the kernels of `merge`, `sortValues`,
 * `repartition` and `groupby(..., { splitOut })`.
 *
 * A shuffle is two task layers, as in Dask's task-based shuffle: each input partition is
 * split into one piece per output partition (by a hash of the key, or by ranges of a sort
 * key), and output partition `j` concatenates piece `j` of every input. Pieces are Arrow
 * tables in shared memory, so between threads they move as handles.
 */
import { type Data, type Table, Type } from "apache-arrow";
import {
  boolBytes,
  concatData,
  concatTables,
  emptyTable,
  float64Data,
  gatherData,
  isDictionaryType,
  isNumericLike,
  isStringType,
  numericValues,
  plainColumn,
  stringParts,
  tableColumns,
  tableFromData,
  validityBytes,
} from "./dataframe-arrow.js";
import { groupCodes, hashBytes, hashPair } from "./dataframe-groupby.js";
import { gatherOrNull, sortTable } from "./dataframe-ops.js";

// ---------------------------------------------------------------------------------------------
// Hash partitioning

/**
 * A 32-bit hash of each row's key values. Numbers hash their float64 value, so an Int64 key
 * and a Float64 key holding the same number land in the same partition (joins need that).
 */
export function hashRows(table: Table, keys: string[]): Uint32Array {
  const cols = tableColumns(table);
  const n = table.numRows;
  const h = new Uint32Array(n);
  for (const k of keys) {
    const col = cols.get(k);
    if (!col) throw new Error(`No column "${k}"; columns are: ${[...cols.keys()].join(", ")}`);
    // Dictionary columns hash their values, so they meet equal plain strings (joins).
    const d = plainColumn(col);
    const valid = validityBytes(d);
    if (isStringType(d.type)) {
      const { offsets, bytes } = stringParts(d);
      for (let i = 0; i < n; i++) h[i] = hashPair(h[i]!, valid && !valid[i] ? 0 : hashBytes(bytes, offsets[i]!, offsets[i + 1]!));
    } else {
      const x = d.type.typeId === Type.Bool ? boolBytes(d) : numericValues(d);
      const f = new Float64Array(1);
      const w = new Int32Array(f.buffer);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        f[0] = v === 0 ? 0 : v; // 0 and -0 are one key
        h[i] = hashPair(h[i]!, valid && !valid[i] ? 0 : hashPair(w[0]!, w[1]!));
      }
    }
  }
  return h;
}

/** Rows of `table` split into `parts` tables by bucket number (`bucket[i]` in 0..parts-1). */
export function splitByBucket(table: Table, bucket: Int32Array, parts: number): Table[] {
  const n = table.numRows;
  const counts = new Int32Array(parts + 1);
  for (let i = 0; i < n; i++) counts[bucket[i]! + 1]!++;
  for (let p = 0; p < parts; p++) counts[p + 1]! += counts[p]!;
  const order = new Int32Array(n);
  const pos = counts.slice(0, parts);
  for (let i = 0; i < n; i++) order[pos[bucket[i]!]!++] = i;
  const cols = [...tableColumns(table)];
  const out: Table[] = [];
  for (let p = 0; p < parts; p++) {
    const idx = order.subarray(counts[p]!, counts[p + 1]!);
    out.push(tableFromData(cols.map(([name, d]) => [name, gatherData(d, idx)]), idx.length));
  }
  return out;
}

/** A partition split into `parts` pieces by the hash of `keys`. */
export function hashSplit(table: Table, keys: string[], parts: number): Table[] {
  const h = hashRows(table, keys);
  const bucket = new Int32Array(h.length);
  for (let i = 0; i < h.length; i++) bucket[i] = h[i]! % parts;
  return splitByBucket(table, bucket, parts);
}

/** Output partition `j` of a shuffle: piece `j` of every input, concatenated. */
export function shuffleCollect(j: number, ...pieces: Table[][]): Table {
  const all = pieces.map((p) => p[j]!);
  const mine = all.filter((t) => t.numRows > 0);
  // Every input yields every piece, so even an empty output has a table of the right schema.
  return mine.length === 0 ? all[0]! : concatTables(mine);
}

// ---------------------------------------------------------------------------------------------
// Range partitioning (sortValues)

/** Up to `k` evenly spaced values of a column, sorted, with the partition's row count. */
export function sortSample(table: Table, column: string, k: number): { values: (number | string)[]; rows: number } {
  const d = plainColumn(tableColumns(table).get(column)!);
  const valid = validityBytes(d);
  const n = d.length;
  let values: (number | string)[] = [];
  if (isStringType(d.type)) {
    const { offsets, bytes } = stringParts(d);
    const dec = new TextDecoder();
    for (let i = 0; i < n; i++) if (!valid || valid[i]) values.push(dec.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!)));
    values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } else {
    const x = numericValues(d);
    const nums: number[] = [];
    for (let i = 0; i < n; i++) if ((!valid || valid[i]) && x[i] === x[i]) nums.push(x[i]!);
    values = Float64Array.from(nums).sort() as unknown as number[];
    values = Array.from(values as unknown as Float64Array);
  }
  if (values.length <= k) return { values, rows: n };
  const out: (number | string)[] = [];
  for (let s = 0; s < k; s++) out.push(values[Math.floor(((s + 0.5) * values.length) / k)]!);
  return { values: out, rows: n };
}

/** `parts - 1` boundaries from the partitions' samples (each weighted by its rows). */
export function sortDivisions(parts: number, ...samples: { values: (number | string)[]; rows: number }[]): (number | string)[] {
  const points: { v: number | string; w: number }[] = [];
  for (const s of samples) for (const v of s.values) points.push({ v, w: s.rows / Math.max(1, s.values.length) });
  if (points.length === 0) return [];
  points.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  const total = points.reduce((t, p) => t + p.w, 0);
  const out: (number | string)[] = [];
  let acc = 0;
  let q = 1;
  for (const p of points) {
    acc += p.w;
    while (q < parts && acc >= (q * total) / parts) {
      out.push(p.v);
      q++;
    }
  }
  return out;
}

/**
 * A partition split by ranges of `column`: piece `j` holds values after boundary `j-1` up to
 * boundary `j` (equal values always go to one piece); nulls go to the last piece. For a
 * descending sort the pieces are numbered from the largest values.
 */
export function rangeSplit(table: Table, column: string, ascending: boolean, divisions: (number | string)[]): Table[] {
  const parts = divisions.length + 1;
  const d = plainColumn(tableColumns(table).get(column)!);
  const n = d.length;
  const valid = validityBytes(d);
  const bucket = new Int32Array(n);
  const find = (v: number | string): number => {
    // First boundary >= v.
    let lo = 0;
    let hi = divisions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (divisions[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  if (isStringType(d.type)) {
    const { offsets, bytes } = stringParts(d);
    const dec = new TextDecoder();
    for (let i = 0; i < n; i++) {
      if (valid && !valid[i]) bucket[i] = -1;
      else bucket[i] = find(dec.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!)));
    }
  } else {
    const x = numericValues(d);
    for (let i = 0; i < n; i++) bucket[i] = (valid && !valid[i]) || x[i] !== x[i] ? -1 : find(x[i]!);
  }
  for (let i = 0; i < n; i++) {
    const b = bucket[i]!;
    bucket[i] = b < 0 ? parts - 1 : ascending ? b : parts - 1 - b;
  }
  return splitByBucket(table, bucket, parts);
}

/** Output `j` of a sort: its pieces, concatenated and sorted. */
export function sortCollect(j: number, by: string[], ascending: boolean[], ...pieces: Table[][]): Table {
  return sortTable(shuffleCollect(j, ...pieces), by, ascending);
}

// ---------------------------------------------------------------------------------------------
// Repartition

/** Piece `k` of `pieces` equal slices of a partition. */
export function slicePart(table: Table, k: number, pieces: number): Table {
  const n = table.numRows;
  return table.slice(Math.floor((k * n) / pieces), Math.floor(((k + 1) * n) / pieces));
}

// ---------------------------------------------------------------------------------------------
// Joins

export type JoinHow = "inner" | "left" | "right" | "outer";

export interface JoinSpec {
  how: JoinHow;
  leftOn: string[];
  rightOn: string[];
  /** Appended to clashing column names of the left and right side (default `_x`, `_y`). */
  suffixes: [string, string];
}

/** Key columns of both sides in one type, so equal values compare equal. */
function unifiedKeys(l: Data, r: Data, name: string): [Data, Data] {
  if (String(l.type) === String(r.type)) return [l, r];
  if (isDictionaryType(l.type) || isDictionaryType(r.type)) return unifiedKeys(plainColumn(l), plainColumn(r), name);
  if (isNumericLike(l.type) && isNumericLike(r.type)) {
    const f = (d: Data): Data => float64Data(Float64Array.from(numericValues(d)), validityBytes(d));
    return [f(l), f(r)];
  }
  throw new Error(`merge: key "${name}" is ${String(l.type)} on the left and ${String(r.type)} on the right`);
}

/** Row pairs of a hash join: left and right row indices, -1 for the missing side. */
export function joinIndices(left: Table, right: Table, spec: JoinSpec): { li: Int32Array; ri: Int32Array } {
  const lc = tableColumns(left);
  const rc = tableColumns(right);
  const nl = left.numRows;
  const nr = right.numRows;
  // One code space for both sides: group the concatenated key columns.
  const keys = spec.leftOn.map((k, i) => {
    const [l, r] = unifiedKeys(lc.get(k)!, rc.get(spec.rightOn[i]!)!, k);
    return concatData([l, r], l.type);
  });
  const { codes, ngroups } = groupCodes(keys, nl + nr);
  // Right rows bucketed by code (counting sort keeps their order).
  const start = new Int32Array(ngroups + 1);
  for (let j = 0; j < nr; j++) {
    const c = codes[nl + j]!;
    if (c >= 0) start[c + 1]!++;
  }
  for (let g = 0; g < ngroups; g++) start[g + 1]! += start[g]!;
  const rows = new Int32Array(start[ngroups]!);
  const fill = start.slice(0, ngroups);
  for (let j = 0; j < nr; j++) {
    const c = codes[nl + j]!;
    if (c >= 0) rows[fill[c]!++] = j;
  }
  const keepLeft = spec.how === "left" || spec.how === "outer";
  const keepRight = spec.how === "right" || spec.how === "outer";
  let total = 0;
  for (let i = 0; i < nl; i++) {
    const c = codes[i]!;
    const m = c >= 0 ? start[c + 1]! - start[c]! : 0;
    total += m > 0 ? m : keepLeft ? 1 : 0;
  }
  const matched = keepRight ? new Uint8Array(nr) : null;
  let li = new Int32Array(total);
  let ri = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < nl; i++) {
    const c = codes[i]!;
    const a = c >= 0 ? start[c]! : 0;
    const b = c >= 0 ? start[c + 1]! : 0;
    if (a === b) {
      if (keepLeft) {
        li[k] = i;
        ri[k++] = -1;
      }
      continue;
    }
    for (let p = a; p < b; p++) {
      li[k] = i;
      ri[k++] = rows[p]!;
      if (matched) matched[rows[p]!] = 1;
    }
  }
  if (matched) {
    let extra = 0;
    for (let j = 0; j < nr; j++) if (!matched[j]) extra++;
    const l2 = new Int32Array(total + extra);
    const r2 = new Int32Array(total + extra);
    l2.set(li);
    r2.set(ri);
    for (let j = 0; j < nr; j++) {
      if (!matched[j]) {
        l2[k] = -1;
        r2[k++] = j;
      }
    }
    li = l2;
    ri = r2;
  }
  return { li, ri };
}

/** Column names of a join's result, in order, with where each comes from. */
export function joinLayout(
  leftNames: string[],
  rightNames: string[],
  spec: JoinSpec,
): { name: string; side: "left" | "right" | "key"; column: string; keyIndex?: number }[] {
  const sameKeys = spec.leftOn.every((k, i) => k === spec.rightOn[i]);
  const out: { name: string; side: "left" | "right" | "key"; column: string; keyIndex?: number }[] = [];
  const rightKeys = new Set(sameKeys ? spec.rightOn : []);
  const leftRest = leftNames.filter((c) => !(sameKeys && spec.leftOn.includes(c)));
  const rightRest = rightNames.filter((c) => !rightKeys.has(c));
  const clash = new Set(leftRest.filter((c) => rightRest.includes(c)));
  if (sameKeys) spec.leftOn.forEach((k, i) => out.push({ name: k, side: "key", column: k, keyIndex: i }));
  for (const c of leftRest) out.push({ name: clash.has(c) ? c + spec.suffixes[0] : c, side: "left", column: c });
  for (const c of rightRest) out.push({ name: clash.has(c) ? c + spec.suffixes[1] : c, side: "right", column: c });
  return out;
}

/**
 * A hash join of two tables (pandas `merge`): all matching pairs, in left order, then (for
 * right and outer joins) the unmatched right rows. Null keys match nothing, as in SQL.
 * Shared key columns appear once; for right and outer joins they take the right side's
 * value where the left has none.
 */
export function joinTables(left: Table, right: Table, spec: JoinSpec): Table {
  const { li, ri } = joinIndices(left, right, spec);
  const lc = tableColumns(left);
  const rc = tableColumns(right);
  const layout = joinLayout([...lc.keys()], [...rc.keys()], spec);
  const cols: [string, Data][] = layout.map((c) => {
    if (c.side === "left") return [c.name, gatherOrNull(lc.get(c.column)!, li)];
    if (c.side === "right") return [c.name, gatherOrNull(rc.get(c.column)!, ri)];
    const l = lc.get(c.column)!;
    if (spec.how === "inner" || spec.how === "left") return [c.name, gatherOrNull(l, li)];
    // Coalesce: the left key, else the right one (in the left key's type when they differ).
    const [lu, ru] = unifiedKeys(l, rc.get(spec.rightOn[c.keyIndex!]!)!, c.column);
    const both = concatData([lu, ru], lu.type);
    const idx = new Int32Array(li.length);
    for (let k = 0; k < li.length; k++) idx[k] = li[k]! >= 0 ? li[k]! : ri[k]! >= 0 ? left.numRows + ri[k]! : -1;
    return [c.name, gatherOrNull(both, idx)];
  });
  return tableFromData(cols, li.length);
}

/** A join whose two sides are shuffle outputs (or one of them broadcast). */
export function joinPartitions(spec: JoinSpec, left: Table, right: Table): Table {
  return joinTables(left, right, spec);
}

/** Empty table with the join result's schema (metadata, without rows). */
export function joinMeta(left: Table, right: Table, spec: JoinSpec): Table {
  return emptyTable(joinTables(left, right, spec).schema);
}
