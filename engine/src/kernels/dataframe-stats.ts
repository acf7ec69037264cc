/**
 * Statistics that do not fit the group-by partials: approximate quantiles and `describe()`.
 *
 * Quantiles use a mergeable sketch, like Dask's per-partition percentiles merged by weight:
 * each partition keeps up to `SKETCH_POINTS` evenly spaced order statistics of its sorted
 * values, each standing for `rows / points` rows; sketches merge by sorting their points and
 * re-sampling them by cumulative weight. A partition (or a whole column) with fewer values
 * than that keeps them all, and then the quantile is exact (pandas' linear interpolation).
 * Otherwise the rank error is about `1 / SKETCH_POINTS` of the rows.
 */
import { type Data, Type, type Table } from "apache-arrow";
import { boolBytes, float64Data, isNumericLike, numericValues, tableColumns, tableFromData, utf8Data, sharedArray, validityBytes } from "./dataframe-arrow.js";
import { evaluateExpr, type Expr } from "./dataframe-expr.js";

export const SKETCH_POINTS = 1024;

/** Sorted values with weights (rows each stands for). `exact` while no point was merged away. */
export interface Sketch {
  values: number[];
  weights: number[];
  exact: boolean;
}

function numbers(d: Data): Float64Array {
  const x = d.type.typeId === Type.Bool ? boolBytes(d) : numericValues(d);
  const valid = validityBytes(d);
  const out = new Float64Array(d.length);
  let k = 0;
  for (let i = 0; i < d.length; i++) if ((!valid || valid[i]) && x[i] === x[i]) out[k++] = x[i]!;
  return out.subarray(0, k).sort();
}

function compress(values: number[], weights: number[], points: number): Sketch {
  if (values.length <= points) return { values, weights, exact: weights.every((w) => w === 1) };
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let acc = 0;
  let k = 0;
  for (let i = 0; i < values.length && k < points; i++) {
    acc += weights[i]!;
    while (k < points && acc >= ((k + 0.5) * total) / points) {
      out.push(values[i]!);
      k++;
    }
  }
  return { values: out, weights: out.map(() => total / out.length), exact: false };
}

/** The sketch of one column's non-null values. */
export function sketchOf(d: Data, points = SKETCH_POINTS): Sketch {
  const x = numbers(d);
  if (x.length <= points) return { values: Array.from(x), weights: Array.from(x, () => 1), exact: true };
  const values: number[] = [];
  for (let s = 0; s < points; s++) values.push(x[Math.floor(((s + 0.5) * x.length) / points)]!);
  return { values, weights: values.map(() => x.length / points), exact: false };
}

/** Several sketches as one. */
export function mergeSketches(...parts: Sketch[]): Sketch {
  const pairs: [number, number][] = [];
  for (const p of parts) p.values.forEach((v, i) => pairs.push([v, p.weights[i]!]));
  pairs.sort((a, b) => a[0] - b[0]);
  const merged = compress(pairs.map((p) => p[0]), pairs.map((p) => p[1]), SKETCH_POINTS);
  return { ...merged, exact: merged.exact && parts.every((p) => p.exact) };
}

/** Quantile `q` (0..1) of a sketch; NaN when it is empty. */
export function sketchQuantile(s: Sketch, q: number): number {
  const n = s.values.length;
  if (n === 0) return NaN;
  if (s.exact) {
    // pandas' default: linear interpolation between the closest ranks.
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return s.values[lo]! + (s.values[hi]! - s.values[lo]!) * (pos - lo);
  }
  const total = s.weights.reduce((a, b) => a + b, 0);
  const target = q * total;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const w = s.weights[i]!;
    // Each point stands for the rows around its own rank: interpolate between neighbours.
    if (acc + w / 2 >= target) {
      if (i === 0) return s.values[0]!;
      const prevCenter = acc - s.weights[i - 1]! / 2;
      const center = acc + w / 2;
      const t = (target - prevCenter) / (center - prevCenter);
      return s.values[i - 1]! + (s.values[i]! - s.values[i - 1]!) * Math.min(1, Math.max(0, t));
    }
    acc += w;
  }
  return s.values[n - 1]!;
}

export function quantilePartial(table: Table, expr: Expr): Sketch {
  const cols = tableColumns(table);
  return sketchOf(evaluateExpr(expr, (n) => cols.get(n)!, table.numRows));
}

export function quantileFinal(qs: number | number[], ...parts: Sketch[]): number | number[] {
  const s = mergeSketches(...parts);
  return Array.isArray(qs) ? qs.map((q) => sketchQuantile(s, q)) : sketchQuantile(s, qs);
}

// ---------------------------------------------------------------------------------------------
// describe()

/** Count, mean and M2 (merged with Chan's formula), min, max, and a quantile sketch. */
export interface ColumnSummary {
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  sketch: Sketch;
}

function summarize(d: Data): ColumnSummary {
  const x = numbers(d);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]!;
  const mean = x.length > 0 ? sum / x.length : 0;
  let m2 = 0;
  for (let i = 0; i < x.length; i++) m2 += (x[i]! - mean) ** 2;
  return { count: x.length, mean, m2, min: x.length ? x[0]! : NaN, max: x.length ? x[x.length - 1]! : NaN, sketch: sketchOf(d) };
}

function mergeSummaries(parts: ColumnSummary[]): ColumnSummary {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of parts) {
    if (p.count === 0) continue;
    const n = count + p.count;
    const delta = p.mean - mean;
    mean += (delta * p.count) / n;
    m2 += p.m2 + (delta * delta * count * p.count) / n;
    count = n;
    if (p.min < min) min = p.min;
    if (p.max > max) max = p.max;
  }
  return { count, mean, m2, min: count ? min : NaN, max: count ? max : NaN, sketch: mergeSketches(...parts.map((p) => p.sketch)) };
}

/** Numeric (and boolean) columns `describe()` summarizes. */
export function describableColumns(table: Table): string[] {
  return table.schema.fields.filter((f) => isNumericLike(f.type) || f.type.typeId === Type.Bool).map((f) => f.name);
}

export function describePartial(table: Table, columns: string[]): ColumnSummary[] {
  const cols = tableColumns(table);
  return columns.map((c) => summarize(cols.get(c)!));
}

export function describeCombine(...parts: ColumnSummary[][]): ColumnSummary[] {
  return parts[0]!.map((_, k) => mergeSummaries(parts.map((p) => p[k]!)));
}

export const DESCRIBE_ROWS = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"];

/** pandas' `describe()` table: a `statistic` column, then one Float64 column per input column. */
export function describeFinal(columns: string[], ...parts: ColumnSummary[][]): Table {
  const merged = parts.length > 0 ? describeCombine(...parts) : [];
  const enc = new TextEncoder();
  const labels = DESCRIBE_ROWS.map((r) => enc.encode(r));
  const offsets = sharedArray(Int32Array, labels.length + 1);
  const bytes = sharedArray(Uint8Array, labels.reduce((a, b) => a + b.length, 0));
  let pos = 0;
  labels.forEach((l, i) => {
    bytes.set(l, pos);
    pos += l.length;
    offsets[i + 1] = pos;
  });
  const out: [string, Data][] = [["statistic", utf8Data(offsets, bytes, null)]];
  columns.forEach((c, k) => {
    const s = merged[k] ?? { count: 0, mean: NaN, m2: 0, min: NaN, max: NaN, sketch: { values: [], weights: [], exact: true } };
    const std = s.count > 1 ? Math.sqrt(s.m2 / (s.count - 1)) : NaN;
    const values = [s.count, s.count ? s.mean : NaN, std, s.min, sketchQuantile(s.sketch, 0.25), sketchQuantile(s.sketch, 0.5), sketchQuantile(s.sketch, 0.75), s.max];
    out.push([c, float64Data(Float64Array.from(values), null)]);
  });
  return tableFromData(out, DESCRIBE_ROWS.length);
}
