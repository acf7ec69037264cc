/**
 * Tree reductions (Dask's `split_every`): per-partition results are combined `splitEvery` at a
 * time, level after level, and the last level runs the final function. With 11 partitions and
 * `splitEvery` 8 that is 11 partials → 2 combines → 1 final task; no task ever reads more than
 * `splitEvery` inputs, so memory and transfers stay bounded however many partitions there are.
 */
import { HighLevelGraph, MaterializedLayer } from "../../graph/hlg.js";
import { tokenize } from "../../graph/tokenize.js";
import type { DataFrame } from "./frame.js";
import { builtin, type Graph, type Key, lit, makeKey, ref, type TaskNode } from "../../graph/task.js";

export const DEFAULT_SPLIT_EVERY = 8;

/**
 * A layer reducing `inputs` to the single key `outKey`.
 * @param combine builtin kernel taking `...leading, ...parts` and returning a part
 * @param final   builtin kernel taking `...finalLeading, ...parts` and returning the result
 */
export function treeReductionLayer(opts: {
  name: string;
  outKey: Key;
  inputs: Key[];
  combine: string;
  leading: unknown[];
  final: string;
  finalLeading: unknown[];
  splitEvery?: number;
  /** Extra index for the combine keys, when several reductions share one layer (`splitOut`). */
  index?: number[];
}): MaterializedLayer {
  const splitEvery = Math.max(2, Math.floor(opts.splitEvery ?? DEFAULT_SPLIT_EVERY));
  const graph: Graph = new Map();
  const call = (fn: string, leading: unknown[], parts: Key[]): TaskNode => ({
    t: "call",
    fn: builtin(fn),
    args: [...leading.map(lit), ...parts.map(ref)],
  });
  let level = opts.inputs;
  let depth = 0;
  // `groupby-agg-<token>` → `groupby-agg-combine-<token>`: its own group in progress bars.
  const combineName = /-[0-9a-f]{8,}$/.test(opts.name) ? opts.name.replace(/-([0-9a-f]{8,})$/, "-combine-$1") : `${opts.name}-combine`;
  while (level.length > splitEvery) {
    const next: Key[] = [];
    for (let i = 0; i < level.length; i += splitEvery) {
      if (i + 1 === level.length) {
        // A lone leftover is carried to the next level rather than "combined" alone.
        next.push(level[i]!);
        continue;
      }
      const key = makeKey(combineName, ...(opts.index ?? []), depth, next.length);
      graph.set(key, call(opts.combine, opts.leading, level.slice(i, i + splitEvery)));
      next.push(key);
    }
    level = next;
    depth++;
  }
  graph.set(opts.outKey, call(opts.final, opts.finalLeading, level));
  return new MaterializedLayer(opts.name, graph);
}

/**
 * A reduction of a DataFrame's partitions to one value: `partial` on every partition (fused
 * with the partition's row-wise work), then `combine` and `final` as a tree.
 * Returns the graph and the output key (`name`, or `name[0]` when `asPartition`).
 */
export function reducePartitions(
  frame: DataFrame,
  opts: {
    prefix: string;
    partial: string;
    partialArgs: unknown[];
    combine: string;
    combineLeading?: unknown[];
    final: string;
    finalLeading?: unknown[];
    splitEvery?: number;
    asPartition?: boolean;
  },
): { name: string; key: Key; graph: HighLevelGraph } {
  const partials = frame.mapPartitionsWith(`${opts.prefix}-chunk`, opts.partial, opts.partialArgs, [], false);
  const name = `${opts.prefix}-${tokenize(partials.name, opts.combine, opts.final, opts.finalLeading ?? [], opts.splitEvery ?? 0)}`;
  const key = opts.asPartition ? makeKey(name, 0) : name;
  const layer = treeReductionLayer({
    name,
    outKey: key,
    inputs: partials.partitionKeys(),
    combine: opts.combine,
    leading: opts.combineLeading ?? [],
    final: opts.final,
    finalLeading: opts.finalLeading ?? [],
    ...(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {}),
  });
  return { name, key, graph: HighLevelGraph.fromLayer(layer, [partials.graph]) };
}
