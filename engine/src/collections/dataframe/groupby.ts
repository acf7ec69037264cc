/**
 * `df.groupby(keys)`: hash aggregation as a tree reduction (Dask's `groupby(...).agg(...)` with
 * `split_out=1`). Each partition is reduced to one row per group (fused with the partition's
 * row-wise work), partials are combined `splitEvery` at a time, and the last task finalizes.
 *
 * The result is a one-partition DataFrame whose first columns are the keys, one row per group
 * (in order of first appearance). There is no index: this is pandas' `as_index=False` shape.
 */
import type { Table } from "apache-arrow";
import { HighLevelGraph, MaterializedLayer } from "../../graph/hlg.js";
import { builtin, call, type Graph, lit, makeKey, ref } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import { AGG_NAMES, type AggName, type AggSpec, groupbyAggregate, groupbyPartial } from "../../kernels/dataframe-groupby.js";
import { DataFrame } from "./frame.js";
import { treeReductionLayer } from "./reduction.js";

export interface GroupByOptions {
  /** Partials combined per task in the tree reduction (default 8). */
  splitEvery?: number;
  /**
   * Output partitions (Dask's `split_out`, default 1): each partial is hash-partitioned on
   * the keys and each output partition reduces its own share of the groups, so results with
   * very many groups never meet in one task.
   */
  splitOut?: number;
}

/** `{ column: "mean" }`, `{ column: ["min", "max"] }`: what to compute per group. */
export type AggRequest = Record<string, AggName | AggName[]>;

export class GroupBy {
  constructor(
    readonly frame: DataFrame,
    readonly keys: string[],
    readonly options: GroupByOptions = {},
  ) {}

  /**
   * Aggregate columns per group. One function per column keeps the column's name
   * (`{ delay: "mean" }` → column `delay`); several name them `column_function`
   * (`{ delay: ["min", "max"] }` → `delay_min`, `delay_max`).
   *
   * Functions: `sum`, `mean`, `count` (non-null values), `min`, `max`, `size` (rows), `var`
   * and `std` (sample, ddof 1), `first` and `last` (non-null, in row order), `nunique`
   * (distinct non-null values; a group whose values are all null gets 0 next to other
   * aggregations and is absent when `nunique` is the only one).
   * Sums of integer columns are Int64 (accumulated in float64: exact below 2^53), means are
   * Float64, counts and sizes Int64, min and max keep the column's type.
   */
  agg(request: AggRequest, opts: GroupByOptions = {}): DataFrame {
    const aggs: AggSpec[] = [];
    const columns = new Set(this.frame.columns);
    for (const [column, hows] of Object.entries(request)) {
      const list = Array.isArray(hows) ? hows : [hows];
      if (list.length === 0) throw new Error(`groupby.agg: no function given for column "${column}"`);
      if (!columns.has(column)) {
        throw new Error(`groupby.agg: no column "${column}"; columns are: ${this.frame.columns.join(", ")}`);
      }
      for (const how of list) {
        if (!AGG_NAMES.includes(how)) throw new Error(`groupby.agg: unknown aggregation "${how}" (use one of ${AGG_NAMES.join(", ")})`);
        const out = list.length === 1 ? column : `${column}_${how}`;
        aggs.push({ column: how === "size" ? null : column, how, out });
      }
    }
    if (aggs.length === 0) throw new Error("groupby.agg: nothing to aggregate");
    const clash = aggs.find((a) => this.keys.includes(a.out));
    if (clash) throw new Error(`groupby.agg: output column "${clash.out}" would repeat a key column; aggregate another column or rename`);
    const o = { ...this.options, ...opts };
    const plain = aggs.filter((a) => a.how !== "nunique");
    const distinct = aggs.filter((a) => a.how === "nunique");
    if (distinct.length === 0) return this.aggregate(aggs, o);
    // nunique: distinct (keys, value) pairs first, then a count of them per group; joined to
    // the other aggregations on the keys.
    let out: DataFrame | null = plain.length > 0 ? this.aggregate(plain, o) : null;
    for (const a of distinct) {
      const pairs = new GroupBy(this.frame.select([...this.keys, a.column!]), [...this.keys, a.column!]).aggregate([{ column: null, how: "size", out: "__n" }], o);
      const counted = new GroupBy(pairs, this.keys).aggregate([{ column: a.column, how: "count", out: a.out }], o);
      out = out === null ? counted : out.merge(counted, { on: this.keys, how: "left" }).fillna({ [a.out]: 0 });
    }
    return out!.select([...this.keys, ...aggs.map((a) => a.out)]);
  }

  /** One column of the groups, to aggregate it alone: `groupby("origin").col("delay").mean()`. */
  col(name: string): SeriesGroupBy {
    if (!this.frame.columns.includes(name)) {
      throw new Error(`groupby.col: no column "${name}"; columns are: ${this.frame.columns.join(", ")}`);
    }
    return new SeriesGroupBy(this, name);
  }

  /** Number of rows of each group, in a column named `size`. */
  size(opts: GroupByOptions = {}): DataFrame {
    return this.aggregate([{ column: null, how: "size", out: "size" }], { ...this.options, ...opts });
  }

  /** @internal the tree reduction (or `splitOut` reductions) for explicit specs. */
  aggregate(aggs: AggSpec[], opts: GroupByOptions = {}): DataFrame {
    const { frame, keys } = this;
    const { splitEvery } = opts;
    const splitOut = Math.max(1, Math.floor(opts.splitOut ?? 1));
    const partials = frame.mapPartitionsWith("groupby-chunk", "dataframe.groupbyPartial", [keys, aggs]);
    const name = `groupby-agg-${tokenize(partials.name, keys, aggs, splitEvery ?? 0, splitOut)}`;
    const meta: Table = groupbyAggregate(keys, aggs, groupbyPartial(frame.meta, keys, aggs));
    const reduction = (inputs: string[], outKey: string, index?: number[]): MaterializedLayer =>
      treeReductionLayer({
        name,
        outKey,
        inputs,
        combine: "dataframe.groupbyCombine",
        leading: [keys, aggs],
        final: "dataframe.groupbyAggregate",
        finalLeading: [keys, aggs],
        ...(splitEvery !== undefined ? { splitEvery } : {}),
        ...(index ? { index } : {}),
      });
    if (splitOut === 1) {
      const layer = reduction(partials.partitionKeys(), makeKey(name, 0));
      return new DataFrame(name, HighLevelGraph.fromLayer(layer, [partials.graph]), meta, 1);
    }
    // Each partial cut by the keys' hash; output s reduces piece s of every partial.
    const split = partials.mapPartitionsWith("groupby-split", "dataframe.hashSplit", [keys, splitOut], [], false);
    const pick = `groupby-pick-${tokenize(split.name)}`;
    const graph: Graph = new Map();
    for (let s = 0; s < splitOut; s++) {
      const inputs = split.partitionKeys().map((k, i) => {
        const key = makeKey(pick, i, s);
        graph.set(key, call(builtin("getitem"), ref(k), lit(s)));
        return key;
      });
      for (const [k, t] of reduction(inputs, makeKey(name, s), [s]).graph) graph.set(k, t);
    }
    return new DataFrame(name, HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [split.graph]), meta, splitOut);
  }
}

/** One column of grouped rows (`df.groupby(k).col("x")`). Each method returns keys + `x`. */
export class SeriesGroupBy {
  constructor(
    readonly groupby: GroupBy,
    readonly column: string,
  ) {}

  private one(how: AggName, opts: GroupByOptions): DataFrame {
    return this.groupby.agg({ [this.column]: how }, opts);
  }
  sum(opts: GroupByOptions = {}): DataFrame {
    return this.one("sum", opts);
  }
  mean(opts: GroupByOptions = {}): DataFrame {
    return this.one("mean", opts);
  }
  count(opts: GroupByOptions = {}): DataFrame {
    return this.one("count", opts);
  }
  min(opts: GroupByOptions = {}): DataFrame {
    return this.one("min", opts);
  }
  max(opts: GroupByOptions = {}): DataFrame {
    return this.one("max", opts);
  }
  size(opts: GroupByOptions = {}): DataFrame {
    return this.one("size", opts);
  }
  /** Sample variance (ddof 1; null for groups of fewer than two values). */
  var(opts: GroupByOptions = {}): DataFrame {
    return this.one("var", opts);
  }
  /** Sample standard deviation (ddof 1). */
  std(opts: GroupByOptions = {}): DataFrame {
    return this.one("std", opts);
  }
  /** First non-null value of each group, in row order. */
  first(opts: GroupByOptions = {}): DataFrame {
    return this.one("first", opts);
  }
  /** Last non-null value of each group, in row order. */
  last(opts: GroupByOptions = {}): DataFrame {
    return this.one("last", opts);
  }
  /** Number of distinct non-null values in each group. */
  nunique(opts: GroupByOptions = {}): DataFrame {
    return this.one("nunique", opts);
  }
  /**
   * Exact median of each group. A median needs all of a group's values together, so the rows
   * are first hash-shuffled on the keys (into `splitOut` partitions, default the input's),
   * then each partition computes the medians of its groups; the result has that many partitions.
   */
  median(opts: GroupByOptions = {}): DataFrame {
    const { frame, keys } = this.groupby;
    const parts = opts.splitOut ?? this.groupby.options.splitOut ?? frame.npartitions;
    const rows = frame.select([...keys, this.column]).shuffle(keys, { npartitions: parts });
    return rows.mapPartitionsWith("groupby-median", "dataframe.groupMedian", [keys, this.column, this.column]);
  }

  /**
   * The `n` rows of each group with the largest values of this column (keys and this column),
   * after a hash shuffle on the keys as for `median`. Within a partition, groups follow
   * their first appearance and rows go from largest to smallest.
   */
  nlargest(n: number, opts: GroupByOptions = {}): DataFrame {
    return this.top(n, true, opts);
  }

  /** The `n` rows of each group with the smallest values of this column. */
  nsmallest(n: number, opts: GroupByOptions = {}): DataFrame {
    return this.top(n, false, opts);
  }

  private top(n: number, largest: boolean, opts: GroupByOptions): DataFrame {
    const { frame, keys } = this.groupby;
    const parts = opts.splitOut ?? this.groupby.options.splitOut ?? frame.npartitions;
    const rows = frame.select([...keys, this.column]).shuffle(keys, { npartitions: parts });
    return rows.mapPartitionsWith(largest ? "groupby-nlargest" : "groupby-nsmallest", "dataframe.groupTop", [keys, this.column, n, largest]);
  }

  /** Several aggregations of this column: `.agg(["min", "max"])` → `x_min`, `x_max`. */
  agg(hows: AggName[], opts: GroupByOptions = {}): DataFrame {
    return this.groupby.agg({ [this.column]: hows }, opts);
  }
}
