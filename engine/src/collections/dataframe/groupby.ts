/**
 * `df.groupby(keys)`: hash aggregation as a tree reduction (Dask's `groupby(...).agg(...)` with
 * `split_out=1`). Each partition is reduced to one row per group (fused with the partition's
 * row-wise work), partials are combined `splitEvery` at a time, and the last task finalizes.
 *
 * The result is a one-partition DataFrame whose first columns are the keys, one row per group
 * (in order of first appearance). There is no index: this is pandas' `as_index=False` shape.
 */
import type { Table } from "apache-arrow";
import { HighLevelGraph } from "../../graph/hlg.js";
import { makeKey } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import { AGG_NAMES, type AggName, type AggSpec, groupbyAggregate, groupbyPartial } from "../../kernels/dataframe-groupby.js";
import { DataFrame } from "./frame.js";
import { treeReductionLayer } from "./reduction.js";

export interface GroupByOptions {
  /** Partials combined per task in the tree reduction (default 8). */
  splitEvery?: number;
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
   * Functions: `sum`, `mean`, `count` (non-null values), `min`, `max`, `size` (rows).
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
    return this.aggregate(aggs, opts.splitEvery ?? this.options.splitEvery);
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
    return this.aggregate([{ column: null, how: "size", out: "size" }], opts.splitEvery ?? this.options.splitEvery);
  }

  /** @internal the tree reduction for explicit specs. */
  aggregate(aggs: AggSpec[], splitEvery: number | undefined): DataFrame {
    const { frame, keys } = this;
    const partials = frame.mapPartitionsWith("groupby-chunk", "dataframe.groupbyPartial", [keys, aggs]);
    const name = `groupby-agg-${tokenize(partials.name, keys, aggs, splitEvery ?? 0)}`;
    const layer = treeReductionLayer({
      name,
      outKey: makeKey(name, 0),
      inputs: partials.partitionKeys(),
      combine: "dataframe.groupbyCombine",
      leading: [keys, aggs],
      final: "dataframe.groupbyAggregate",
      finalLeading: [keys, aggs],
      ...(splitEvery !== undefined ? { splitEvery } : {}),
    });
    const meta: Table = groupbyAggregate(keys, aggs, groupbyPartial(frame.meta, keys, aggs));
    return new DataFrame(name, HighLevelGraph.fromLayer(layer, [partials.graph]), meta, 1);
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
  /** Several aggregations of this column: `.agg(["min", "max"])` → `x_min`, `x_max`. */
  agg(hows: AggName[], opts: GroupByOptions = {}): DataFrame {
    return this.groupby.agg({ [this.column]: hows }, opts);
  }
}
