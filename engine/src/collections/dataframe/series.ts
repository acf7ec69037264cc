/**
 * Series: one column of a DataFrame, or an expression over its columns.
 *
 * A Series records an expression (`delay * 60 > 900`) over its DataFrame's partitions rather
 * than a layer per operator, the way Polars expressions and Arrow compute work: arithmetic on
 * Series costs nothing until the Series is used, and then the whole expression runs in one
 * vectorized pass inside the task of the operation that uses it (`filter`, `assign`, a
 * reduction), fused with the partition's other row-wise work.
 */
import type { DataType, Table, Vector } from "apache-arrow";
import { Delayed } from "../delayed.js";
import { HighLevelGraph } from "../../graph/hlg.js";
import type { Key } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import { dtypeName, isBoolType, isDictStringType, isNumericLike, isStringType, tableFromData } from "../../kernels/dataframe-arrow.js";
import { isDatetimeType } from "../../kernels/dataframe-datetime.js";
import { CAST_TYPES, type CastType } from "../../kernels/dataframe-ops.js";
import { DatetimeMethods, StringMethods } from "./accessors.js";
import { type BinaryOp, evaluateExpr, type Expr, exprToString, type Scalar } from "../../kernels/dataframe-expr.js";
import type { PersistedKeys, TesseraCollection } from "../collection.js";
import { compute, type ComputeOptions } from "../compute.js";
import type { DataFrame } from "./frame.js";
import { concatPartitions } from "./partitions.js";
import { reducePartitions, treeReductionLayer } from "./reduction.js";

export type SeriesReduction = "sum" | "mean" | "min" | "max" | "count" | "std" | "var";

export class Series implements TesseraCollection<Vector> {
  constructor(
    /** The DataFrame whose partitions the expression reads. */
    readonly frame: DataFrame,
    readonly expr: Expr,
    /** Column name of the values (the source column's, until renamed). */
    readonly name: string,
  ) {}

  /** Values of the expression on an empty partition: its type, without computing anything. */
  private get metaColumn(): Table {
    const meta = this.frame.meta;
    const cols = new Map(meta.schema.fields.map((f) => [f.name, meta.getChild(f.name)!.data[0]!]));
    const data = evaluateExpr(this.expr, (n) => {
      const d = cols.get(n);
      if (!d) throw new Error(`Column "${n}" not found; columns are: ${[...cols.keys()].join(", ")}`);
      return d;
    }, 0);
    return tableFromData([[this.name, data]], 0);
  }

  /** Arrow type of the values. */
  get type(): DataType {
    return this.metaColumn.schema.fields[0]!.type;
  }

  /** Arrow type name of the values (`Float64`, `Bool`, …). */
  get dtype(): string {
    return dtypeName(this.type);
  }

  toString(): string {
    return `Series<${this.name}: ${this.dtype}>(${exprToString(this.expr)}) of ${this.frame.name}`;
  }

  /** A Series of the same DataFrame computing `expr`, type-checked now (on the empty meta). */
  derive(expr: Expr, name: string = this.name): Series {
    const out = new Series(this.frame, expr, name);
    void out.type;
    return out;
  }

  // ── accessors ───────────────────────────────────────────────────────────────────────

  /** String methods (pandas `.str`): `s.str.startsWith("S")`, `s.str.lower()`, … */
  get str(): StringMethods {
    const t = this.type;
    if (!isStringType(t) && !isDictStringType(t)) {
      throw new Error(`Series "${this.name}" is ${dtypeName(t)}: .str needs a string column (Utf8 or dictionary-encoded strings)`);
    }
    return new StringMethods(this);
  }

  /** Datetime parts (pandas `.dt`): `s.dt.month`, `s.dt.dayofweek`, … (UTC semantics; see `DatetimeMethods`). */
  get dt(): DatetimeMethods {
    const t = this.type;
    if (!isDatetimeType(t)) throw new Error(`Series "${this.name}" is ${dtypeName(t)}: .dt needs a Timestamp or Date column`);
    return new DatetimeMethods(this);
  }

  // ── element-wise operators ──────────────────────────────────────────────────────────

  private binary(fn: BinaryOp, other: Series | Scalar): Series {
    let right: Expr;
    if (other instanceof Series) {
      if (other.frame.name !== this.frame.name) {
        throw new Error(
          `Cannot combine Series of different DataFrames (${this.frame.name} and ${other.frame.name}); ` +
            `assign one to the other's DataFrame first`,
        );
      }
      right = other.expr;
    } else right = { op: "lit", value: other };
    const out = new Series(this.frame, { op: "bin", fn, left: this.expr, right }, this.name);
    void out.type; // type-check now: a string plus a number fails here, not in a worker
    return out;
  }

  add(other: Series | Scalar): Series {
    return this.binary("add", other);
  }
  sub(other: Series | Scalar): Series {
    return this.binary("sub", other);
  }
  mul(other: Series | Scalar): Series {
    return this.binary("mul", other);
  }
  /** True division (always Float64), as pandas `/`. */
  div(other: Series | Scalar): Series {
    return this.binary("div", other);
  }
  gt(other: Series | Scalar): Series {
    return this.binary("gt", other);
  }
  ge(other: Series | Scalar): Series {
    return this.binary("ge", other);
  }
  lt(other: Series | Scalar): Series {
    return this.binary("lt", other);
  }
  le(other: Series | Scalar): Series {
    return this.binary("le", other);
  }
  eq(other: Series | Scalar): Series {
    return this.binary("eq", other);
  }
  ne(other: Series | Scalar): Series {
    return this.binary("ne", other);
  }
  /** Logical and of boolean Series (pandas `&`; SQL three-valued logic for nulls). */
  and(other: Series | boolean): Series {
    return this.binary("and", other);
  }
  /** Logical or of boolean Series (pandas `|`). */
  or(other: Series | boolean): Series {
    return this.binary("or", other);
  }
  /** Logical not (pandas `~`). */
  not(): Series {
    const out = new Series(this.frame, { op: "not", arg: this.expr }, this.name);
    void out.type;
    return out;
  }
  /** True where the value is null. */
  isNull(): Series {
    return new Series(this.frame, { op: "isNull", arg: this.expr }, this.name);
  }
  /** True where the value is not null. */
  notNull(): Series {
    return new Series(this.frame, { op: "notNull", arg: this.expr }, this.name);
  }
  /** The same values under another name (pandas `Series.rename`). */
  rename(name: string): Series {
    return new Series(this.frame, this.expr, name);
  }

  /**
   * The values as another type (pandas `astype`): `int64`, `int32`, `float64`, `float32`,
   * `string`, `bool`, `category` (dictionary-encoded strings). Strings are parsed; one that
   * is not a number fails naming the column.
   */
  astype(to: CastType): Series {
    if (!CAST_TYPES.includes(to)) throw new Error(`astype: unknown type "${String(to)}" for Series "${this.name}" (use one of ${CAST_TYPES.join(", ")})`);
    return this.derive({ op: "cast", arg: this.expr, to });
  }

  /** Nulls replaced by `value` (pandas `fillna`); the value must suit the type. */
  fillna(value: Scalar): Series {
    // A value of the wrong kind fails now, not in a worker (the empty meta has no nulls to fill).
    const t = this.type;
    const fits =
      value === null ||
      (isNumericLike(t) ? typeof value === "number" || typeof value === "bigint" : isBoolType(t) ? typeof value === "boolean" : isStringType(t) || isDictStringType(t) ? typeof value === "string" : false);
    if (!fits) throw new Error(`fillna: Series "${this.name}" is ${dtypeName(t)}; cannot fill it with ${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
    return this.derive({ op: "fillna", arg: this.expr, value });
  }

  // ── operations that change the rows (a Series of a new DataFrame) ───────────────────

  /** The non-null values (and not NaN, as pandas), in order. */
  dropna(): Series {
    return this.toFrame().dropna().col(this.name);
  }

  /** The `n` largest values, largest first, as one partition. */
  nlargest(n = 5, opts: { splitEvery?: number } = {}): Series {
    return this.toFrame().nlargest(n, this.name, opts).col(this.name);
  }

  /** The `n` smallest values, smallest first, as one partition. */
  nsmallest(n = 5, opts: { splitEvery?: number } = {}): Series {
    return this.toFrame().nsmallest(n, this.name, opts).col(this.name);
  }

  /** Distinct values (first occurrences, in order; one partition unless `splitOut`). */
  dropDuplicates(opts: { keep?: "first" | "last"; splitEvery?: number; splitOut?: number } = {}): Series {
    return this.toFrame().dropDuplicates(opts).col(this.name);
  }

  // ── reductions ──────────────────────────────────────────────────────────────────────

  private reduction(how: SeriesReduction, opts: { splitEvery?: number; ddof?: number }): Delayed<number> {
    const t = this.type;
    if (how !== "count" && !isNumericLike(t) && !isBoolType(t)) throw new Error(`${how}: Series "${this.name}" is ${dtypeName(t)}, not numeric`);
    const partials = this.frame.mapPartitionsWith("reduce-chunk", "dataframe.reducePartial", [this.expr]);
    // Partials are plain objects, not tables: their meta is never used.
    const spread = how === "var" || how === "std";
    const key = `${how}-${tokenize(partials.name, how, opts.splitEvery ?? 0, spread ? (opts.ddof ?? 1) : 0)}`;
    const layer = treeReductionLayer({
      name: key,
      outKey: key,
      inputs: partials.partitionKeys(),
      combine: "dataframe.reduceCombine",
      leading: [],
      final: spread ? "dataframe.reduceFinalizeSpread" : "dataframe.reduceFinalize",
      finalLeading: spread ? [how, opts.ddof ?? 1] : [how],
      ...(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {}),
    });
    return new Delayed<number>(key, HighLevelGraph.fromLayer(layer, [partials.graph]));
  }

  /** Sum of non-null values (0 when there are none). Integers are summed in float64: exact below 2^53. */
  sum(opts: { splitEvery?: number } = {}): Delayed<number> {
    return this.reduction("sum", opts);
  }
  /** Mean of non-null values (NaN when there are none). */
  mean(opts: { splitEvery?: number } = {}): Delayed<number> {
    return this.reduction("mean", opts);
  }
  /** Smallest non-null value (NaN when there are none). */
  min(opts: { splitEvery?: number } = {}): Delayed<number> {
    return this.reduction("min", opts);
  }
  /** Largest non-null value (NaN when there are none). */
  max(opts: { splitEvery?: number } = {}): Delayed<number> {
    return this.reduction("max", opts);
  }
  /** Number of non-null values. */
  count(opts: { splitEvery?: number } = {}): Delayed<number> {
    return this.reduction("count", opts);
  }
  /** Sample variance (`ddof` 1 by default, as pandas); NaN with fewer than `ddof + 1` values. */
  var(opts: { splitEvery?: number; ddof?: number } = {}): Delayed<number> {
    return this.reduction("var", opts);
  }
  /** Sample standard deviation (`ddof` 1 by default, as pandas). */
  std(opts: { splitEvery?: number; ddof?: number } = {}): Delayed<number> {
    return this.reduction("std", opts);
  }

  /**
   * Approximate quantile(s) of the non-null values (`q` in 0..1), like Dask's
   * `Series.quantile`: per-partition sketches of 1024 order statistics merged by weight.
   * Exact (pandas' linear interpolation) while the column has at most 1024 values.
   */
  quantile(q: number, opts?: { splitEvery?: number }): Delayed<number>;
  quantile(q: number[], opts?: { splitEvery?: number }): Delayed<number[]>;
  quantile(q: number | number[], opts: { splitEvery?: number } = {}): Delayed<number | number[]> {
    for (const x of Array.isArray(q) ? q : [q]) if (!(x >= 0 && x <= 1)) throw new Error(`quantile: q must be between 0 and 1, got ${x}`);
    void this.type;
    const { key, graph } = reducePartitions(this.frame, {
      prefix: "quantile",
      partial: "dataframe.quantilePartial",
      partialArgs: [this.expr],
      combine: "dataframe.sketchCombine",
      final: "dataframe.quantileFinal",
      finalLeading: [q],
      ...(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {}),
    });
    return new Delayed<number | number[]>(key, graph);
  }

  /**
   * How often each distinct value occurs (pandas `value_counts`): a one-partition DataFrame of
   * the values (column named like this Series) and `count`, most frequent first. Nulls are
   * not counted.
   */
  valueCounts(opts: { splitEvery?: number; ascending?: boolean } = {}): DataFrame {
    const frame = this.toFrame();
    const counts = frame.groupby(this.name).size(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {});
    return counts.rename({ size: "count" }).sortValues("count", { ascending: opts.ascending ?? false });
  }

  /** Number of distinct non-null values. */
  nunique(opts: { splitEvery?: number } = {}): Delayed<number> {
    const values = this.toFrame().dropna();
    const { key, graph } = reducePartitions(values, {
      prefix: "nunique",
      partial: "dataframe.distinct",
      partialArgs: [null, "first"],
      combine: "dataframe.distinctConcat",
      combineLeading: [null, "first"],
      final: "dataframe.distinctCount",
      finalLeading: [null],
      ...(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {}),
    });
    return new Delayed<number>(key, graph);
  }

  // ── as a collection: the values, partition by partition ─────────────────────────────

  /** The Series' partitions as a one-column DataFrame. */
  toFrame(): DataFrame {
    return this.frame.mapPartitionsWith("series", "dataframe.series", [this.expr, this.name]);
  }

  private get partitions(): DataFrame {
    return this.toFrame();
  }

  __tesseraGraph(): HighLevelGraph {
    return this.partitions.graph;
  }
  __tesseraKeys(): Key[] {
    return this.partitions.partitionKeys();
  }
  __tesseraPostcompute(values: unknown[]): Vector {
    return concatPartitions(values as Table[], this.metaColumn).getChildAt(0)!;
  }
  __tesseraPostpersist(held: PersistedKeys): TesseraCollection<Vector> {
    const frame = this.partitions.__tesseraPostpersist(held);
    return new Series(frame, { op: "col", name: this.name }, this.name);
  }
  __tesseraToken(): string {
    return this.partitions.name;
  }

  /** All values, as one Arrow Vector. */
  async compute(opts: ComputeOptions = {}): Promise<Vector> {
    const [v] = await compute(this, opts);
    return v as Vector;
  }
}
