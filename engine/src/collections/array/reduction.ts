/**
 * Reductions of chunked arrays as tree reductions (Dask's `reduction` with `split_every`):
 * each chunk is reduced to a partial in a blockwise layer (which fuses with the element-wise
 * chain before it), then for every output chunk the partials of the chunks along the reduced
 * axes are combined `splitEvery` at a time, level after level, and the last combination is
 * finalized. No task reads more than `splitEvery` partials, however many chunks there are.
 */
import { BlockwiseLayer, blockInput, blockIndices, HighLevelGraph, MaterializedLayer, perBlock } from "../../graph/hlg.js";
import { builtin, type Graph, type Key, lit, makeKey, ref, type TaskNode } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import type { ArgContext, ReduceOp } from "../../kernels/array-reduce.js";
import { ChunkedArray } from "./array.js";
import { chunkBoundaries } from "./chunks.js";
import { type DType, isFloat } from "./dtype.js";

export interface ReductionOptions {
  /** Axis or axes to reduce (negative counts from the end); all of them when omitted. */
  axis?: number | readonly number[];
  /** Keep reduced axes as dimensions of length 1 (default false). */
  keepdims?: boolean;
  /** Partials combined per task in the tree (default 8, at least 2). */
  splitEvery?: number;
  /** Delta degrees of freedom for `var` and `std` (default 0). */
  ddof?: number;
}

export const DEFAULT_SPLIT_EVERY = 8;

/** Normalized, sorted axes; throws naming the array's dimensions on a bad axis. */
export function normalizeAxes(axis: number | readonly number[] | undefined, ndim: number, op: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, d) => d);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -ndim || a >= ndim) throw new RangeError(`${op}: axis ${a} is out of bounds for an array of dimension ${ndim}`);
    return a < 0 ? a + ndim : a;
  });
  if (new Set(out).size !== out.length) throw new Error(`${op}: axis ${JSON.stringify(list)} repeats an axis`);
  return out.sort((a, b) => a - b);
}

/** The dtype NumPy gives `op` of `dtype` (ints sum to int64; see dtype.ts for uint8). */
function outputDtype(op: ReduceOp, dtype: DType): DType {
  switch (op) {
    case "sum":
    case "prod":
      return isFloat(dtype) ? dtype : "int64";
    case "mean":
    case "var":
    case "std":
      return dtype === "float32" ? "float32" : "float64";
    case "min":
    case "max":
      return dtype;
    case "argmin":
    case "argmax":
      return "int64";
    case "any":
    case "all":
      return "bool";
  }
}

const NO_IDENTITY: ReadonlySet<ReduceOp> = new Set(["min", "max", "argmin", "argmax"]);

export function reduction(x: ChunkedArray, op: ReduceOp, opts: ReductionOptions): ChunkedArray {
  const isArg = op === "argmin" || op === "argmax";
  if (isArg && Array.isArray(opts.axis)) throw new Error(`${op}: axis must be a single number or omitted (the flattened array)`);
  const axes = normalizeAxes(opts.axis, x.ndim, op);
  const keepdims = opts.keepdims ?? false;
  const splitEvery = Math.max(2, Math.floor(opts.splitEvery ?? DEFAULT_SPLIT_EVERY));
  const ddof = opts.ddof ?? 0;
  const shape = x.shape;
  if (NO_IDENTITY.has(op) && axes.some((d) => shape[d] === 0)) {
    throw new Error(`${op}: zero-size array (shape (${shape.join(", ")})) along axis ${axes.find((d) => shape[d] === 0)}; the reduction has no identity`);
  }
  const dtype = outputDtype(op, x.dtype);
  const token = tokenize(x.name, op, axes, keepdims, splitEvery, ddof);

  // Partials: one per chunk, reduced over the reduced axes.
  const partialName = `${op}-chunk-${token}`;
  const bounds = x.chunks.map(chunkBoundaries);
  const argAxis = isArg ? (opts.axis === undefined ? null : axes[0]!) : null;
  const partialArgs = [lit(op), blockInput(x.name), lit(axes)];
  if (isArg) {
    partialArgs.push(perBlock((index) => lit({ offsets: index.map((i, d) => bounds[d]![i]!), fullShape: shape, axis: argAxis } satisfies ArgContext)));
  }
  const partial = new BlockwiseLayer(partialName, x.numblocks, { t: "call", fn: builtin("array.reducePartial"), args: partialArgs });

  // Output chunks: reduced axes become one chunk of 1 (keepdims) or go away.
  const outChunks = x.chunks.map((c, d) => (axes.includes(d) ? [1] : [...c]));
  const kept = outChunks.filter((_, d) => keepdims || !axes.includes(d));
  const name = `${op}-${token}`;
  const graph: Graph = new Map();
  const reducedGrid = axes.map((d) => x.numblocks[d]!);
  const outGrid = x.numblocks.map((n, d) => (axes.includes(d) ? 1 : n));
  let combines = 0;
  for (const outIndex of blockIndices(outGrid)) {
    let level: Key[] = blockIndices(reducedGrid).map((r) => {
      const full = [...outIndex];
      axes.forEach((d, k) => (full[d] = r[k]!));
      return makeKey(partialName, ...full);
    });
    const combineName = `${op}-combine-${token}`;
    while (level.length > splitEvery) {
      const next: Key[] = [];
      for (let i = 0; i < level.length; i += splitEvery) {
        if (i + 1 === level.length) {
          next.push(level[i]!);
          continue;
        }
        const key = makeKey(combineName, combines++);
        graph.set(key, { t: "call", fn: builtin("array.reduceCombine"), args: [lit(op), ...level.slice(i, i + splitEvery).map(ref)] } satisfies TaskNode);
        next.push(key);
      }
      level = next;
    }
    const blockShape = outIndex.map((i, d) => outChunks[d]![i]!).filter((_, d) => keepdims || !axes.includes(d));
    const keyIndex = outIndex.filter((_, d) => keepdims || !axes.includes(d));
    graph.set(makeKey(name, ...keyIndex), {
      t: "call",
      fn: builtin("array.reduceFinalize"),
      args: [lit(op), lit(dtype), lit(blockShape), lit(ddof), ...level.map(ref)],
    });
  }
  const hlg = HighLevelGraph.fromLayer(new MaterializedLayer(name, graph), [HighLevelGraph.fromLayer(partial, [x.graph])]);
  return new ChunkedArray(name, hlg, kept, dtype);
}
