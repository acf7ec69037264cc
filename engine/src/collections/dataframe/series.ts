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
import { dtypeName, tableFromData } from "../../kernels/dataframe-arrow.js";
import { type BinaryOp, evaluateExpr, type Expr, exprToString, type Scalar } from "../../kernels/dataframe-expr.js";
import type { PersistedKeys, TesseraCollection } from "../collection.js";
import { compute, type ComputeOptions } from "../compute.js";
import type { DataFrame } from "./frame.js";
import { concatPartitions } from "./partitions.js";
import { reducePartitions, treeReductionLayer } from "./reduction.js";

export type SeriesReduction = "sum" | "mean" | "min" | "max" | "count";

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

  // ── reductions ──────────────────────────────────────────────────────────────────────

  private reduction(how: SeriesReduction, opts: { splitEvery?: number }): Delayed<number> {
    void this.type;
    const partials = this.frame.mapPartitionsWith("reduce-chunk", "dataframe.reducePartial", [this.expr]);
    // Partials are plain objects, not tables: their meta is never used.
    const key = `${how}-${tokenize(partials.name, how, opts.splitEvery ?? 0)}`;
    const layer = treeReductionLayer({
      name: key,
      outKey: key,
      inputs: partials.partitionKeys(),
      combine: "dataframe.reduceCombine",
      leading: [],
      final: "dataframe.reduceFinalize",
      finalLeading: [how],
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
