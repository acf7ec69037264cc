/**
 * DataFrame: a lazy sequence of partitions, each an Apache Arrow `Table` with the same
 * columns (dask.dataframe, without an index: rows are identified by position only).
 *
 *   const df = await readParquet("flights.parquet", { columns: ["origin", "delay"] });
 *   df.columns;                 // ["origin", "delay"]   (known without reading any rows)
 *   const late = df.filter(df.col("delay").gt(15));
 *   await late.groupby("origin").col("delay").mean().compute();   // an Arrow Table
 *
 * Every operation adds one layer to a high-level graph. Row-wise operations (`select`,
 * `assign`, `filter`, …) are blockwise layers over the partitions, which the optimizer fuses:
 * a chain of them runs as one task per partition, right after the partition is read.
 *
 * `meta` is an empty table with the DataFrame's schema. Each operation computes its result's
 * `meta` by running its own kernel on the input's `meta` (as Dask does with `_meta`), so
 * `columns` and `dtypes` are always known and type errors surface before anything runs.
 */
import type { Table } from "apache-arrow";
import { BlockwiseLayer, blockInput, HighLevelGraph, MaterializedLayer, type BlockTemplate } from "../../graph/hlg.js";
import { builtin, call, type Key, lit, makeKey, ref } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import { getKernel } from "../../kernels/index.js";
import { dtypeName, emptyTable } from "../../kernels/dataframe-arrow.js";
import type { Expr, Scalar } from "../../kernels/dataframe-expr.js";
import type { PersistedKeys, TesseraCollection } from "../collection.js";
import { compute, visualize, type ComputeOptions, type VisualizeCollectionsOptions } from "../compute.js";
import { GroupBy, type GroupByOptions } from "./groupby.js";
import { concatPartitions } from "./partitions.js";
import { Series } from "./series.js";
import { reducePartitions } from "./reduction.js";
import { merge, type MergeOptions, repartition, shuffle, type SortOptions, sortValues } from "./shuffle.js";
import { CAST_TYPES, type CastType } from "../../kernels/dataframe-ops.js";
import { describableColumns, describeFinal } from "../../kernels/dataframe-stats.js";
import { shipFunction, type AnyFunction } from "../../scheduler/ship.js";
import { rememberFunction } from "../../scheduler/local-functions.js";
import { toCsv, type ToCsvOptions, toParquet, type ToParquetOptions } from "../../io/write-files.js";
import { Delayed } from "../delayed.js";

export class DataFrame implements TesseraCollection<Table> {
  /**
   * @param name        layer name; partition `i` is the key `name[i]`
   * @param graph       the graph that computes the partitions
   * @param meta        an empty table with the partitions' schema
   * @param npartitions number of partitions
   * @param holder      what keeps persisted partitions in memory (futures), if persisted
   */
  constructor(
    readonly name: string,
    readonly graph: HighLevelGraph,
    readonly meta: Table,
    readonly npartitions: number,
    private readonly holder?: unknown,
  ) {
    if (npartitions < 1) throw new Error("A DataFrame has at least one partition");
  }

  // ── metadata (no computation) ───────────────────────────────────────────────────────

  /** Column names, in order. */
  get columns(): string[] {
    return this.meta.schema.fields.map((f) => f.name);
  }

  /** Arrow type of each column, as Arrow writes it (`Int64`, `Float64`, `Utf8`, `Timestamp<MICROSECOND>`…). */
  get dtypes(): Record<string, string> {
    return Object.fromEntries(this.meta.schema.fields.map((f) => [f.name, dtypeName(f.type)]));
  }

  /** The Arrow schema of every partition. */
  get schema(): Table["schema"] {
    return this.meta.schema;
  }

  /** Keys of the partitions, in order. */
  partitionKeys(): Key[] {
    return Array.from({ length: this.npartitions }, (_, i) => makeKey(this.name, i));
  }

  // ── collection protocol ─────────────────────────────────────────────────────────────

  __tesseraGraph(): HighLevelGraph {
    return this.graph;
  }
  __tesseraKeys(): Key[] {
    return this.partitionKeys();
  }
  __tesseraPostcompute(values: unknown[]): Table {
    return concatPartitions(values as Table[], this.meta);
  }
  __tesseraPostpersist(held: PersistedKeys): DataFrame {
    return new DataFrame(this.name, new HighLevelGraph(new Map(), new Map()), this.meta, this.npartitions, held.owners);
  }
  __tesseraToken(): string {
    return this.name;
  }

  /** All partitions, concatenated into one Arrow table (one record batch per partition). */
  async compute(opts: ComputeOptions = {}): Promise<Table> {
    const [table] = await compute(this, opts);
    return table as Table;
  }

  /** Compute the partitions into the cluster's memory; later work on the result starts from there. */
  async persist(opts: Omit<ComputeOptions, "signal"> = {}): Promise<DataFrame> {
    const { persist } = await import("../futures.js");
    const [out] = await persist(this, opts);
    return out as DataFrame;
  }

  /** The task graph as Graphviz DOT and SVG. */
  visualize(opts: VisualizeCollectionsOptions = {}): Promise<{ dot: string; svg: string }> {
    return visualize(this, opts);
  }

  /** Held so persisted partitions are not released while this DataFrame is reachable. */
  get persistedBy(): unknown {
    return this.holder;
  }

  toString(): string {
    const cols = this.meta.schema.fields.map((f) => `${f.name}: ${dtypeName(f.type)}`).join(", ");
    return `DataFrame<${this.name}, npartitions=${this.npartitions}>(${cols})`;
  }

  // ── building blocks ─────────────────────────────────────────────────────────────────

  /**
   * A new DataFrame whose partition `i` is `kernel(partition_i, ...args, ...others_i)`:
   * one blockwise layer. `others` must have as many partitions as this DataFrame.
   */
  mapPartitionsWith(prefix: string, kernel: string, args: unknown[], others: DataFrame[] = [], computeMeta = true): DataFrame {
    for (const o of others) {
      if (o.npartitions !== this.npartitions) {
        throw new Error(
          `${prefix}: cannot align DataFrames of ${this.npartitions} and ${o.npartitions} partitions`,
        );
      }
    }
    const name = `${prefix}-${tokenize(this.name, kernel, args, ...others.map((o) => o.name))}`;
    // Partials of reductions are not tables: their meta is never read.
    const meta = computeMeta ? (getKernel(kernel)(this.meta, ...args, ...others.map((o) => o.meta)) as Table) : this.meta;
    const template: BlockTemplate[] = [blockInput(this.name), ...args.map((a) => lit(a)), ...others.map((o) => blockInput(o.name))];
    const layer = BlockwiseLayer.map(name, [this.npartitions], builtin(kernel), ...template);
    const graph = HighLevelGraph.fromLayer(layer, [this.graph, ...others.map((o) => o.graph)]);
    return new DataFrame(name, graph, meta, this.npartitions);
  }

  private checkColumns(names: string[], op: string): void {
    const have = new Set(this.columns);
    const missing = names.filter((n) => !have.has(n));
    if (missing.length > 0) {
      throw new Error(`${op}: no column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}; columns are: ${this.columns.join(", ")}`);
    }
  }

  // ── columns and rows ────────────────────────────────────────────────────────────────

  /** A column as a Series (an expression over this DataFrame's partitions). */
  col(name: string): Series {
    this.checkColumns([name], "col");
    return new Series(this, { op: "col", name }, name);
  }

  /** Only these columns, in this order. */
  select(columns: string[]): DataFrame {
    this.checkColumns(columns, "select");
    return this.mapPartitionsWith("select", "dataframe.select", [columns]);
  }

  /** Every column but these. */
  drop(columns: string | string[]): DataFrame {
    const drop = typeof columns === "string" ? [columns] : columns;
    this.checkColumns(drop, "drop");
    const gone = new Set(drop);
    return this.mapPartitionsWith("drop", "dataframe.select", [this.columns.filter((c) => !gone.has(c))]);
  }

  /** Rename columns, `{ old: "new" }`. */
  rename(mapping: Record<string, string>): DataFrame {
    this.checkColumns(Object.keys(mapping), "rename");
    return this.mapPartitionsWith("rename", "dataframe.rename", [mapping]);
  }

  /**
   * New or replaced columns (pandas `assign`): `df.assign({ total: df.col("a").add(df.col("b")) })`.
   * A value may be a Series of this DataFrame, of another DataFrame partitioned the same way,
   * or a scalar (broadcast).
   */
  assign(columns: Record<string, Series | Scalar>): DataFrame {
    const names = Object.keys(columns);
    const exprs: Expr[] = [];
    const sources: number[] = [];
    const others: DataFrame[] = [];
    for (const name of names) {
      const v = columns[name]!;
      if (v instanceof Series) {
        exprs.push(v.expr);
        sources.push(this.sourceOf(v.frame, others));
      } else {
        exprs.push({ op: "lit", value: v });
        sources.push(0);
      }
    }
    return this.mapPartitionsWith("assign", "dataframe.assign", [names, exprs, sources], others);
  }

  /** Rows where `condition` (a boolean Series) is true; null counts as false. */
  filter(condition: Series): DataFrame {
    if (!(condition instanceof Series)) throw new Error("filter: the condition must be a boolean Series, such as df.col(\"a\").gt(0)");
    const others: DataFrame[] = [];
    const source = this.sourceOf(condition.frame, others);
    return this.mapPartitionsWith("filter", "dataframe.filter", [condition.expr, source], others);
  }

  /** 0 for this DataFrame, else the position (from 1) of `frame` in `others`, adding it. */
  private sourceOf(frame: DataFrame, others: DataFrame[]): number {
    if (frame.name === this.name) return 0;
    const at = others.findIndex((o) => o.name === frame.name);
    if (at >= 0) return at + 1;
    others.push(frame);
    return others.length;
  }

  /**
   * The first `n` rows, computed now (like Dask's `head`). Reads the first partition, then
   * more (doubling) only when it holds fewer than `n` rows.
   */
  async head(n = 5, opts: ComputeOptions = {}): Promise<Table> {
    const heads = this.mapPartitionsWith("head", "dataframe.head", [n]);
    const parts: Table[] = [];
    let rows = 0;
    let done = 0;
    for (let want = 1; done < this.npartitions && rows < n; want *= 2) {
      const keys = heads.partitionKeys().slice(done, Math.min(this.npartitions, done + want));
      const got = await compute(new PartitionSubset(heads, keys), opts);
      for (const t of got[0] as Table[]) {
        parts.push(t);
        rows += t.numRows;
      }
      done += keys.length;
    }
    const all = concatPartitions(parts, this.meta);
    return all.numRows > n ? all.slice(0, n) : all;
  }

  /** Number of rows, computed now (like `len(ddf)` in Dask). */
  async len(opts: ComputeOptions = {}): Promise<number> {
    const lens = this.mapPartitionsWith("len-chunk", "dataframe.len", []);
    const key = `len-${tokenize(this.name)}`;
    const layer = new MaterializedLayer(key, new Map([[key, call(builtin("sum"), ...lens.partitionKeys().map(ref))]]));
    return new Delayed<number>(key, HighLevelGraph.fromLayer(layer, [lens.graph])).compute(opts);
  }

  // ── nulls, types, ends ──────────────────────────────────────────────────────────────

  /**
   * Nulls replaced (pandas `fillna`): one value fills every column of a matching type
   * (a number fills numeric columns, a string string columns…), or `{ column: value }`.
   * Floating NaN is not null here (as in Arrow and DuckDB); `dropna` drops both.
   */
  fillna(value: Scalar | Record<string, Scalar>): DataFrame {
    if (value !== null && typeof value === "object") this.checkColumns(Object.keys(value), "fillna");
    return this.mapPartitionsWith("fillna", "dataframe.fillna", [value]);
  }

  /** Rows without nulls (or NaN) in `subset` (default every column); `how: "all"` drops only rows null everywhere. */
  dropna(opts: { subset?: string[]; how?: "any" | "all" } = {}): DataFrame {
    if (opts.subset) this.checkColumns(opts.subset, "dropna");
    return this.mapPartitionsWith("dropna", "dataframe.dropna", [opts.subset ?? null, opts.how ?? "any"]);
  }

  /**
   * Columns cast to other types: `astype({ id: "string", n: "int64" })`. Types: `int64`,
   * `int32`, `float64`, `float32`, `string`, `bool`, `category` (dictionary-encoded strings,
   * as pandas' categorical). Floats become integers by truncation;
   * strings are parsed, and one that is not a number fails naming the column.
   */
  astype(mapping: Record<string, CastType>): DataFrame {
    this.checkColumns(Object.keys(mapping), "astype");
    for (const [c, t] of Object.entries(mapping)) {
      if (!CAST_TYPES.includes(t)) throw new Error(`astype: unknown type "${t}" for column "${c}" (use one of ${CAST_TYPES.join(", ")})`);
    }
    return this.mapPartitionsWith("astype", "dataframe.astype", [mapping]);
  }

  /** The last `n` rows, computed now (Dask's `tail`): reads the last partitions only. */
  async tail(n = 5, opts: ComputeOptions = {}): Promise<Table> {
    const tails = this.mapPartitionsWith("tail", "dataframe.tail", [n]);
    const keys = tails.partitionKeys();
    const parts: Table[] = [];
    let rows = 0;
    let end = this.npartitions;
    for (let want = 1; end > 0 && rows < n; want *= 2) {
      const from = Math.max(0, end - want);
      const got = (await compute(new PartitionSubset(tails, keys.slice(from, end)), opts))[0] as Table[];
      parts.unshift(...got);
      rows += got.reduce((s, t) => s + t.numRows, 0);
      end = from;
    }
    const all = concatPartitions(parts, this.meta);
    return all.numRows > n ? all.slice(all.numRows - n) : all;
  }

  /** The `n` rows with the largest values of `columns` (ties broken by the next column), as one partition. */
  nlargest(n: number, columns: string | string[], opts: { splitEvery?: number } = {}): DataFrame {
    return this.top(n, typeof columns === "string" ? [columns] : columns, true, opts.splitEvery);
  }

  /** The `n` rows with the smallest values of `columns`, as one partition. */
  nsmallest(n: number, columns: string | string[], opts: { splitEvery?: number } = {}): DataFrame {
    return this.top(n, typeof columns === "string" ? [columns] : columns, false, opts.splitEvery);
  }

  private top(n: number, by: string[], largest: boolean, splitEvery?: number): DataFrame {
    this.checkColumns(by, largest ? "nlargest" : "nsmallest");
    const { name, graph } = reducePartitions(this, {
      prefix: largest ? "nlargest" : "nsmallest",
      partial: "dataframe.top",
      partialArgs: [n, by, largest],
      combine: "dataframe.topConcat",
      combineLeading: [n, by, largest],
      final: "dataframe.topConcat",
      finalLeading: [n, by, largest],
      asPartition: true,
      ...(splitEvery !== undefined ? { splitEvery } : {}),
    });
    return new DataFrame(name, graph, this.meta, 1);
  }

  /**
   * Rows with distinct values of `subset` (default all columns), keeping the first (or last)
   * of each, in their original order. One partition by default; `splitOut: k` hash-partitions
   * the result into `k` partitions for results too large for one.
   */
  dropDuplicates(opts: { subset?: string[]; keep?: "first" | "last"; splitEvery?: number; splitOut?: number } = {}): DataFrame {
    const subset = opts.subset ?? null;
    if (subset) this.checkColumns(subset, "dropDuplicates");
    const keep = opts.keep ?? "first";
    if ((opts.splitOut ?? 1) > 1) {
      // Equal rows meet in one partition (pieces keep input order, so "first" stays first);
      // each partition is then deduplicated on its own.
      const shuffled = shuffle(this.mapPartitionsWith("drop-duplicates-chunk", "dataframe.distinct", [subset, keep]), subset ?? this.columns, opts.splitOut!);
      return shuffled.mapPartitionsWith("drop-duplicates", "dataframe.distinct", [subset, keep]);
    }
    const { name, graph } = reducePartitions(this, {
      prefix: "drop-duplicates",
      partial: "dataframe.distinct",
      partialArgs: [subset, keep],
      combine: "dataframe.distinctConcat",
      combineLeading: [subset, keep],
      final: "dataframe.distinctConcat",
      finalLeading: [subset, keep],
      asPartition: true,
      ...(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {}),
    });
    return new DataFrame(name, graph, this.meta, 1);
  }

  /**
   * Summary statistics of the numeric columns (pandas `describe()`): rows `count`, `mean`,
   * `std`, `min`, `25%`, `50%`, `75%`, `max` in a `statistic` column, one Float64 column per
   * numeric column. Quantiles are approximate on large data (see `Series.quantile`).
   */
  describe(opts: { splitEvery?: number } = {}): DataFrame {
    const columns = describableColumns(this.meta);
    const { name, graph } = reducePartitions(this, {
      prefix: "describe",
      partial: "dataframe.describePartial",
      partialArgs: [columns],
      combine: "dataframe.describeCombine",
      final: "dataframe.describeFinal",
      finalLeading: [columns],
      asPartition: true,
      ...(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {}),
    });
    return new DataFrame(name, graph, describeFinal(columns), 1);
  }

  /**
   * How often each distinct row of `subset` (default every column) occurs (pandas
   * `DataFrame.value_counts`): the key columns and `count`, most frequent first, as one
   * partition. Rows with a null in `subset` are not counted.
   */
  valueCounts(opts: { subset?: string[]; ascending?: boolean; splitEvery?: number } = {}): DataFrame {
    const keys = opts.subset ?? this.columns;
    if (opts.subset) this.checkColumns(opts.subset, "valueCounts");
    if (keys.includes("count")) throw new Error(`valueCounts: a key column is named "count", the name of the result's count column; rename it first`);
    const counts = this.groupby(keys).size(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {});
    return counts.rename({ size: "count" }).sortValues("count", { ascending: opts.ascending ?? false });
  }

  /** Number of distinct non-null values of every column (pandas `DataFrame.nunique`), as `{ column: n }`. */
  nunique(opts: { splitEvery?: number } = {}): Delayed<Record<string, number>> {
    const parts = this.columns.map((c) => this.col(c).nunique(opts));
    const key = `nunique-${tokenize(this.name, opts.splitEvery ?? 0)}`;
    const layer = new MaterializedLayer(key, new Map([[key, call(builtin("dataframe.zipObject"), lit(this.columns), ...parts.map((p) => ref(p.key)))]]));
    const graph = HighLevelGraph.fromLayer(layer, parts.map((p) => p.__tesseraGraph()));
    return new Delayed<Record<string, number>>(key, graph);
  }

  // ── writing ─────────────────────────────────────────────────────────────────────────

  /**
   * Write one Parquet file per partition into `dir` (`part-00000.parquet`, …; Dask's
   * `to_parquet`): each worker writes the partitions it computes, in parallel. Resolves with
   * the files' paths when all are written. `compression`: `"snappy"` (default), `"zstd"`,
   * `"gzip"`, `"brotli"`, `"lz4"` or `"none"`. A directory that already holds files is refused
   * unless `overwrite: true`, which clears it first.
   */
  toParquet(dir: string, opts: ToParquetOptions = {}): Promise<string[]> {
    return toParquet(this, dir, opts);
  }

  /**
   * Write one CSV file per partition into `dir` (`part-00000.csv`, …), in parallel as
   * `toParquet`: a header line unless `header: false`, fields separated by `delimiter`
   * (default `,`), quoted as RFC 4180 says, nulls as empty fields. Resolves with the paths.
   */
  toCsv(dir: string, opts: ToCsvOptions = {}): Promise<string[]> {
    return toCsv(this, dir, opts);
  }

  // ── user functions ──────────────────────────────────────────────────────────────────

  /**
   * Apply `fn` to every partition (Dask's `map_partitions`). `fn` receives the partition as an
   * Arrow `Table` (then `args`) and returns a `Table`. It runs in worker threads, so it is
   * shipped as source like `delayed`: variables it reads from its surroundings must be passed
   * in `captures` (or it fails here, naming them).
   *
   * The result's columns come from `meta` (an empty Arrow table) when given; otherwise `fn`
   * is called once now on an empty partition to find them, as Dask does.
   *
   *   df.mapPartitions((t) => t.select(["a", "b"]).slice(0, 10))
   */
  mapPartitions(
    fn: (table: Table, ...args: never[]) => Table,
    opts: { meta?: Table; args?: unknown[]; captures?: Record<string, unknown>; name?: string } = {},
  ): DataFrame {
    const fnRef = shipFunction(fn as AnyFunction, { ...(opts.captures ? { captures: opts.captures } : {}), ...(opts.name ? { name: opts.name } : {}) });
    rememberFunction(fnRef.id, fn as AnyFunction);
    const args = opts.args ?? [];
    let meta = opts.meta;
    if (!meta) {
      try {
        meta = (fn as (t: Table, ...a: unknown[]) => Table)(this.emptyMeta(), ...args);
      } catch (err) {
        throw new Error(`mapPartitions: ${fnRef.name} failed on an empty partition (pass meta to skip that call): ${(err as Error).message}`, { cause: err });
      }
      meta = getKernel("dataframe.checkPartition")(fnRef.name, meta) as Table;
    }
    const name = `${fnRef.name.replace(/[[\]\s-]/g, "_") || "map"}-partitions-${tokenize(this.name, fnRef.id, args)}`;
    const template: BlockTemplate = {
      t: "call",
      fn: builtin("dataframe.checkPartition"),
      args: [lit(fnRef.name), { t: "call", fn: fnRef, args: [blockInput(this.name), ...args.map((a) => lit(a))] }],
    };
    const layer = new BlockwiseLayer(name, [this.npartitions], template);
    return new DataFrame(name, HighLevelGraph.fromLayer(layer, [this.graph]), emptyTable(meta.schema), this.npartitions);
  }

  // ── moving rows ─────────────────────────────────────────────────────────────────────

  /** Join with another DataFrame (pandas `merge`); see `MergeOptions`. */
  merge(other: DataFrame, opts: MergeOptions = {}): DataFrame {
    return merge(this, other, opts);
  }

  /** Rows sorted by `by` across partitions; see `SortOptions`. */
  sortValues(by: string | string[], opts: SortOptions = {}): DataFrame {
    return sortValues(this, by, opts);
  }

  /** The same rows in `npartitions` partitions (neighbours concatenated or partitions sliced). */
  repartition(opts: { npartitions: number }): DataFrame {
    return repartition(this, opts.npartitions);
  }

  /** Rows hash-partitioned on `keys` into `npartitions` (equal keys in one partition). */
  shuffle(keys: string | string[], opts: { npartitions?: number } = {}): DataFrame {
    const ks = typeof keys === "string" ? [keys] : keys;
    this.checkColumns(ks, "shuffle");
    return shuffle(this, ks, opts.npartitions ?? this.npartitions);
  }

  // ── grouping ────────────────────────────────────────────────────────────────────────

  /** Group rows by one or more key columns (`groupby("origin")`, `groupby(["a", "b"])`). */
  groupby(keys: string | string[], opts: GroupByOptions = {}): GroupBy {
    const ks = typeof keys === "string" ? [keys] : keys;
    if (ks.length === 0) throw new Error("groupby: give at least one key column");
    this.checkColumns(ks, "groupby");
    return new GroupBy(this, ks, opts);
  }

  /** A small helper for tests and internals: an empty frame of the same schema. */
  emptyMeta(): Table {
    return emptyTable(this.meta.schema);
  }
}

/** Some partitions of a DataFrame as a collection whose result is the list of tables. */
class PartitionSubset implements TesseraCollection<Table[]> {
  constructor(
    private readonly frame: DataFrame,
    private readonly keys: Key[],
  ) {}
  __tesseraGraph(): HighLevelGraph {
    return this.frame.graph;
  }
  __tesseraKeys(): Key[] {
    return this.keys;
  }
  __tesseraPostcompute(values: unknown[]): Table[] {
    return values as Table[];
  }
  __tesseraPostpersist(): TesseraCollection<Table[]> {
    return this;
  }
  __tesseraToken(): string {
    return `${this.frame.name}-${this.keys.length}`;
  }
}
