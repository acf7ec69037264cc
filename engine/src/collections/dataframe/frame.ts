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
  mapPartitionsWith(prefix: string, kernel: string, args: unknown[], others: DataFrame[] = []): DataFrame {
    for (const o of others) {
      if (o.npartitions !== this.npartitions) {
        throw new Error(
          `${prefix}: cannot align DataFrames of ${this.npartitions} and ${o.npartitions} partitions`,
        );
      }
    }
    const name = `${prefix}-${tokenize(this.name, kernel, args, ...others.map((o) => o.name))}`;
    const meta = getKernel(kernel)(this.meta, ...args, ...others.map((o) => o.meta)) as Table;
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
    const { Delayed } = await import("../delayed.js");
    return new Delayed<number>(key, HighLevelGraph.fromLayer(layer, [lens.graph])).compute(opts);
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
