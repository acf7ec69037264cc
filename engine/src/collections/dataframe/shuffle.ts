/**
 * Operations that move rows between partitions: `merge`, `sortValues`, `repartition`, and the
 * hash shuffle behind them and `groupby(..., { splitOut })`.
 *
 * A hash shuffle is two layers (Dask's task-based shuffle): `shuffle-split` cuts each input
 * partition into one piece per output partition by a hash of the key columns, and output `j`
 * gathers piece `j` of every input. Pieces stay in shared memory, so an output reading a piece
 * made on another thread receives a handle, not a copy.
 */
import type { Table } from "apache-arrow";
import { HighLevelGraph, MaterializedLayer } from "../../graph/hlg.js";
import { builtin, type Graph, type Key, lit, makeKey, ref, type TaskNode } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import { emptyTable } from "../../kernels/dataframe-arrow.js";
import { joinMeta, type JoinHow, type JoinSpec } from "../../kernels/dataframe-shuffle.js";
import { sortTable } from "../../kernels/dataframe-ops.js";
import { DataFrame } from "./frame.js";

const call = (fn: string, ...args: TaskNode[]): TaskNode => ({ t: "call", fn: builtin(fn), args });

/** The pieces layer of a hash shuffle: `split[i]` is partition `i` cut into `parts` tables. */
export function hashSplitLayer(frame: DataFrame, keys: string[], parts: number): { name: string; graph: HighLevelGraph } {
  const split = frame.mapPartitionsWith("shuffle-split", "dataframe.hashSplit", [keys, parts], [], false);
  return { name: split.name, graph: split.graph };
}

/** Nodes collecting output `j` of a shuffle from the split keys. */
function collectNode(j: number, splitKeys: Key[]): TaskNode {
  return call("dataframe.shuffleCollect", lit(j), ...splitKeys.map(ref));
}

/** `frame` hash-partitioned on `keys` into `parts` partitions (rows with equal keys together). */
export function shuffle(frame: DataFrame, keys: string[], parts: number): DataFrame {
  const split = hashSplitLayer(frame, keys, parts);
  const splitKeys = Array.from({ length: frame.npartitions }, (_, i) => makeKey(split.name, i));
  const name = `shuffle-${tokenize(split.name, parts)}`;
  const graph: Graph = new Map();
  for (let j = 0; j < parts; j++) graph.set(makeKey(name, j), collectNode(j, splitKeys));
  return new DataFrame(name, HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [split.graph]), frame.meta, parts);
}

export interface MergeOptions {
  /** Key columns with the same names on both sides. */
  on?: string | string[];
  leftOn?: string | string[];
  rightOn?: string | string[];
  /** Default `"inner"`. */
  how?: JoinHow;
  /** Appended to names both sides have (other than shared keys); default `["_x", "_y"]`. */
  suffixes?: [string, string];
  /**
   * Send the small side whole to every partition of the other (no shuffle). Default: when
   * that side has one partition. Only the side that may lose no unmatched rows can be sent:
   * the right for inner and left joins, the left for inner and right joins.
   */
  broadcast?: boolean;
  /** Partitions of a shuffle join (default: the larger side's). */
  npartitions?: number;
}

const asList = (x: string | string[]): string[] => (typeof x === "string" ? [x] : x);

/**
 * A database-style join (pandas `merge`): a broadcast join when one side has a single
 * partition (each partition of the other side joins the whole small side, no data moves
 * otherwise), a hash join after shuffling both sides on their keys when both are partitioned.
 */
export function merge(left: DataFrame, right: DataFrame, opts: MergeOptions): DataFrame {
  const how = opts.how ?? "inner";
  if (!["inner", "left", "right", "outer"].includes(how)) throw new Error(`merge: how must be inner, left, right or outer, got "${how}"`);
  let leftOn: string[];
  let rightOn: string[];
  if (opts.on !== undefined) {
    if (opts.leftOn !== undefined || opts.rightOn !== undefined) throw new Error("merge: give either on, or leftOn and rightOn");
    leftOn = rightOn = asList(opts.on);
  } else if (opts.leftOn !== undefined && opts.rightOn !== undefined) {
    leftOn = asList(opts.leftOn);
    rightOn = asList(opts.rightOn);
  } else {
    // pandas: the columns both sides share.
    leftOn = rightOn = left.columns.filter((c) => right.columns.includes(c));
    if (leftOn.length === 0) throw new Error("merge: the frames share no column; give on, or leftOn and rightOn");
  }
  if (leftOn.length !== rightOn.length || leftOn.length === 0) throw new Error("merge: leftOn and rightOn must name as many columns, at least one");
  const miss = (df: DataFrame, cols: string[], side: string): void => {
    const bad = cols.filter((c) => !df.columns.includes(c));
    if (bad.length > 0) throw new Error(`merge: no column ${bad.map((b) => `"${b}"`).join(", ")} on the ${side}; columns are: ${df.columns.join(", ")}`);
  };
  miss(left, leftOn, "left");
  miss(right, rightOn, "right");
  const spec: JoinSpec = { how, leftOn, rightOn, suffixes: opts.suffixes ?? ["_x", "_y"] };
  const meta = joinMeta(left.meta, right.meta, spec);
  const token = tokenize(left.name, right.name, spec, opts.broadcast ?? null, opts.npartitions ?? 0);
  const name = `merge-${token}`;
  const graph: Graph = new Map();

  const canRight = how === "inner" || how === "left";
  const canLeft = how === "inner" || how === "right";
  const force = opts.broadcast === true;
  const never = opts.broadcast === false;
  const broadcastRight = !never && canRight && (right.npartitions === 1 || (force && (right.npartitions <= left.npartitions || !canLeft)));
  const broadcastLeft = !never && !broadcastRight && canLeft && (left.npartitions === 1 || force);
  if (broadcastRight || broadcastLeft) {
    const big = broadcastRight ? left : right;
    const small = broadcastRight ? right : left;
    // The small side as one table (a no-op task when it already is one partition).
    const smallKey = small.npartitions === 1 ? small.partitionKeys()[0]! : makeKey(`${name}-broadcast`);
    if (small.npartitions > 1) graph.set(smallKey, call("dataframe.concat", ...small.partitionKeys().map(ref)));
    big.partitionKeys().forEach((k, i) => {
      const [l, r] = broadcastRight ? [ref(k), ref(smallKey)] : [ref(smallKey), ref(k)];
      graph.set(makeKey(name, i), call("dataframe.join", l, r, lit(spec)));
    });
    const hlg = HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [left.graph, right.graph]);
    return new DataFrame(name, hlg, meta, big.npartitions);
  }

  const parts = Math.max(1, opts.npartitions ?? Math.max(left.npartitions, right.npartitions));
  const ls = hashSplitLayer(left, leftOn, parts);
  const rs = hashSplitLayer(right, rightOn, parts);
  const lkeys = Array.from({ length: left.npartitions }, (_, i) => makeKey(ls.name, i));
  const rkeys = Array.from({ length: right.npartitions }, (_, i) => makeKey(rs.name, i));
  for (let j = 0; j < parts; j++) {
    graph.set(makeKey(name, j), call("dataframe.join", collectNode(j, lkeys), collectNode(j, rkeys), lit(spec)));
  }
  const hlg = HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [ls.graph, rs.graph]);
  return new DataFrame(name, hlg, meta, parts);
}

export interface SortOptions {
  /** One flag, or one per `by` column (default true). */
  ascending?: boolean | boolean[];
  /** Output partitions (default: as many as the input). */
  npartitions?: number;
}

/**
 * Rows sorted by `by` across partitions (Dask's `sort_values`): sample each partition's first
 * sort column, choose `npartitions - 1` boundaries from the samples weighted by partition
 * size, cut every partition into those ranges, then sort each range. Partition `j` holds the
 * `j`-th range, so concatenating the partitions gives the sorted frame. Nulls sort last.
 */
export function sortValues(frame: DataFrame, by: string | string[], opts: SortOptions = {}): DataFrame {
  const cols = asList(by);
  if (cols.length === 0) throw new Error("sortValues: give at least one column");
  const bad = cols.filter((c) => !frame.columns.includes(c));
  if (bad.length > 0) throw new Error(`sortValues: no column ${bad.map((b) => `"${b}"`).join(", ")}; columns are: ${frame.columns.join(", ")}`);
  const asc: boolean[] = Array.isArray(opts.ascending) ? opts.ascending : cols.map(() => (opts.ascending as boolean | undefined) ?? true);
  if (asc.length !== cols.length) throw new Error("sortValues: give one ascending flag per column");
  sortTable(frame.meta, cols, asc); // type check: sortable columns
  const parts = Math.max(1, opts.npartitions ?? frame.npartitions);
  const token = tokenize(frame.name, cols, asc, parts);
  const name = `sort-values-${token}`;
  const graph: Graph = new Map();
  if (parts === 1) {
    graph.set(makeKey(name, 0), call("dataframe.sort", call("dataframe.concat", ...frame.partitionKeys().map(ref)), lit(cols), lit(asc)));
    return new DataFrame(name, HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [frame.graph]), frame.meta, 1);
  }
  const samples = frame.mapPartitionsWith("sort-sample", "dataframe.sortSample", [cols[0], 256], [], false);
  const divisionsKey = `sort-divisions-${token}`;
  graph.set(divisionsKey, call("dataframe.sortDivisions", lit(parts), ...samples.partitionKeys().map(ref)));
  const splitName = `sort-split-${token}`;
  const splitKeys = frame.partitionKeys().map((k, i) => {
    const key = makeKey(splitName, i);
    graph.set(key, call("dataframe.rangeSplit", ref(k), lit(cols[0]), lit(asc[0]), ref(divisionsKey)));
    return key;
  });
  // The divisions may be fewer than parts - 1 (few distinct values): missing pieces are empty.
  for (let j = 0; j < parts; j++) {
    graph.set(makeKey(name, j), call("dataframe.sortCollect", lit(j), lit(cols), lit(asc), ...splitKeys.map(ref)));
  }
  const hlg = HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [frame.graph, samples.graph]);
  return new DataFrame(name, hlg, frame.meta, parts);
}

/**
 * The same rows in `npartitions` partitions, without looking at the data (Dask's
 * `repartition(npartitions=…)`): fewer partitions concatenate neighbours, more split each
 * partition into equal slices. Row order is kept.
 */
export function repartition(frame: DataFrame, npartitions: number): DataFrame {
  const n = Math.max(1, Math.floor(npartitions));
  const p = frame.npartitions;
  if (n === p) return frame;
  const name = `repartition-${tokenize(frame.name, n)}`;
  const keys = frame.partitionKeys();
  const graph: Graph = new Map();
  if (n < p) {
    for (let j = 0; j < n; j++) {
      const from = Math.floor((j * p) / n);
      const to = Math.floor(((j + 1) * p) / n);
      graph.set(makeKey(name, j), call("dataframe.concat", ...keys.slice(from, to).map(ref)));
    }
  } else {
    let j = 0;
    for (let i = 0; i < p; i++) {
      const pieces = Math.floor(((i + 1) * n) / p) - Math.floor((i * n) / p);
      for (let k = 0; k < pieces; k++) graph.set(makeKey(name, j++), call("dataframe.slice", ref(keys[i]!), lit(k), lit(pieces)));
    }
  }
  return new DataFrame(name, HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [frame.graph]), frame.meta, n);
}

/** An empty table with `frame`'s schema (for kernels that need one). */
export function metaOf(frame: DataFrame): Table {
  return emptyTable(frame.meta.schema);
}
