/**
 * Tensor contraction as a blocked algorithm (`tensordot`, as NumPy's and Dask's). Output
 * chunk (i…, j…) over the free axes of `a` and `b` sums the contraction of every pair of
 * chunks that meet on the contracted axes; those axes are first cut alike on both sides.
 */
import { blockIndices } from "../../graph/hlg.js";
import { builtin, type Graph, lit, list, makeKey, ref } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import type { ChunkedArray } from "./array.js";
import { commonRefinement } from "./chunks.js";
import { promoteTypes } from "./dtype.js";
import { materialized, rechunk } from "./structure.js";

const fmt = (shape: readonly number[]): string => `(${shape.join(", ")})`;

/** NumPy's `axes`: N (the last N axes of a with the first N of b), or the two lists of axes. */
export type TensordotAxes = number | readonly [number | readonly number[], number | readonly number[]];

function resolveAxes(a: ChunkedArray, b: ChunkedArray, axes: TensordotAxes): [number[], number[]] {
  let axA: number[];
  let axB: number[];
  if (typeof axes === "number") {
    if (!Number.isInteger(axes) || axes < 0 || axes > a.ndim || axes > b.ndim) {
      throw new Error(`tensordot: axes=${axes} does not fit shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
    }
    axA = Array.from({ length: axes }, (_, i) => a.ndim - axes + i);
    axB = Array.from({ length: axes }, (_, i) => i);
  } else {
    axA = typeof axes[0] === "number" ? [axes[0]] : [...axes[0]];
    axB = typeof axes[1] === "number" ? [axes[1]] : [...axes[1]];
  }
  const norm = (ax: number[], x: ChunkedArray, side: string): number[] =>
    ax.map((d) => {
      if (!Number.isInteger(d) || d < -x.ndim || d >= x.ndim) throw new Error(`tensordot: axis ${d} of ${side} is out of range for shape ${fmt(x.shape)}`);
      return d < 0 ? d + x.ndim : d;
    });
  axA = norm(axA, a, "a");
  axB = norm(axB, b, "b");
  if (axA.length !== axB.length) throw new Error(`tensordot: ${axA.length} axes of a (${axA.join(", ")}) against ${axB.length} of b (${axB.join(", ")})`);
  if (new Set(axA).size !== axA.length || new Set(axB).size !== axB.length) throw new Error("tensordot: an axis is listed twice");
  axA.forEach((d, i) => {
    if (a.shape[d] !== b.shape[axB[i]!]) {
      throw new Error(`tensordot: shapes ${fmt(a.shape)} and ${fmt(b.shape)} are not aligned: ${a.shape[d]} (axis ${d} of a) != ${b.shape[axB[i]!]} (axis ${axB[i]} of b)`);
    }
  });
  return [axA, axB];
}

export function tensordot(a: ChunkedArray, b: ChunkedArray, axes: TensordotAxes = 2): ChunkedArray {
  const [axA, axB] = resolveAxes(a, b, axes);
  // Contracted axes cut alike on both sides.
  const common = axA.map((d, i) => commonRefinement([...a.chunks[d]!], b.chunks[axB[i]!]!));
  const a2 = rechunk(a, a.chunks.map((c, d) => (axA.includes(d) ? common[axA.indexOf(d)]! : [...c])));
  const b2 = rechunk(b, b.chunks.map((c, d) => (axB.includes(d) ? common[axB.indexOf(d)]! : [...c])));
  const freeA = a.chunks.map((_, d) => d).filter((d) => !axA.includes(d));
  const freeB = b.chunks.map((_, d) => d).filter((d) => !axB.includes(d));
  const chunks = [...freeA.map((d) => [...a2.chunks[d]!]), ...freeB.map((d) => [...b2.chunks[d]!])];
  const dtype = promoteTypes(a.dtype, b.dtype);
  const inner = blockIndices(common.map((c) => c.length));
  return materialized("tensordot", tokenize(a2.name, b2.name, axA, axB), (name) => {
    const graph: Graph = new Map();
    for (const out of blockIndices(chunks.map((c) => c.length))) {
      const as = [];
      const bs = [];
      for (const k of inner) {
        const ia = a2.chunks.map((_, d) => (axA.includes(d) ? k[axA.indexOf(d)]! : out[freeA.indexOf(d)]!));
        const ib = b2.chunks.map((_, d) => (axB.includes(d) ? k[axB.indexOf(d)]! : out[freeA.length + freeB.indexOf(d)]!));
        as.push(ref(makeKey(a2.name, ...ia)));
        bs.push(ref(makeKey(b2.name, ...ib)));
      }
      graph.set(makeKey(name, ...out), { t: "call", fn: builtin("array.tensordot"), args: [list(as), list(bs), lit(axA), lit(axB), lit(dtype)] });
    }
    return graph;
  }, [a2, b2], chunks, dtype);
}
