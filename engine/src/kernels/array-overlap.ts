/**
 * `mapOverlap`'s kernel: a chunk extended by `depth` elements from its neighbours (or from the
 * boundary rule at the array's edges), the user function applied to it, the margins trimmed.
 *
 * The graph side (collections/array/map-overlap.ts) works out, per axis, where each position of
 * the extended chunk comes from: which of the neighbouring chunks along that axis and which
 * element of it, or the constant. Here those per-axis maps are combined: position
 * (i, j, …) reads neighbour (n_0[i], n_1[j], …) at (l_0[i], l_1[j], …).
 */
import { allocate, type DType } from "../collections/array/dtype.js";
import { NDArray, shapeSize, stridesOf } from "../collections/array/ndarray.js";
import type { FnRef } from "../graph/task.js";
import { getitem } from "./array-structure.js";
import { blockResult, userFunction } from "./array-user.js";

/** Where each position of the extended chunk comes from along one axis. */
export interface OverlapAxisPlan {
  /** Index into this axis's neighbours, or -1 where the boundary constant goes. */
  neighbor: number[];
  /** Element of that neighbour along this axis. */
  local: number[];
  /** How many distinct neighbours this axis reads (the neighbours form a grid of these). */
  count: number;
}

/** The extended chunk: `neighbors` is the grid of neighbouring chunks, row-major over the axes' counts. */
export function extendBlock(neighbors: readonly NDArray[], plan: readonly OverlapAxisPlan[], constant: number, dtype: DType): NDArray {
  const shape = plan.map((p) => p.neighbor.length);
  const ndim = shape.length;
  const n = shapeSize(shape);
  const out = allocate(dtype, n);
  const dst = out as unknown as { [i: number]: number | bigint };
  const fill = dtype === "int64" ? BigInt(Math.trunc(constant)) : constant;
  if (ndim === 0) {
    dst[0] = (neighbors[0]!.data as { [i: number]: number | bigint })[0]!;
    return new NDArray(out, shape, dtype);
  }
  if (n === 0) return new NDArray(out, shape, dtype);
  const gridStrides = stridesOf(plan.map((p) => p.count));
  const strides = neighbors.map((nb) => stridesOf(nb.shape));
  const last = ndim - 1;
  const lastPlan = plan[last]!;
  const counter = new Array<number>(ndim).fill(0);
  let k = 0;
  for (;;) {
    // The outer axes fix the neighbour row and offset; the last axis varies in the tight loop.
    let outside = false;
    let gridOuter = 0;
    for (let d = 0; d < last; d++) {
      const nb = plan[d]!.neighbor[counter[d]!]!;
      if (nb < 0) outside = true;
      gridOuter += nb * gridStrides[d]!;
    }
    for (let i = 0; i < shape[last]!; i++) {
      const nbLast = lastPlan.neighbor[i]!;
      if (outside || nbLast < 0) {
        dst[k++] = fill;
        continue;
      }
      const g = gridOuter + nbLast;
      const src = neighbors[g]!.data as { [i: number]: number | bigint };
      const st = strides[g]!;
      let offset = lastPlan.local[i]! * st[last]!;
      for (let d = 0; d < last; d++) offset += plan[d]!.local[counter[d]!]! * st[d]!;
      dst[k++] = src[offset]!;
    }
    let d = last - 1;
    for (; d >= 0; d--) {
      if (++counter[d]! < shape[d]!) break;
      counter[d] = 0;
    }
    if (d < 0) break;
  }
  return new NDArray(out, shape, dtype);
}

/** One output chunk of `mapOverlap`: extend, apply `fnRef`, trim `trim[d] = [before, after]`. */
export function mapOverlapBlock(
  fnRef: FnRef,
  neighbors: NDArray[],
  plan: OverlapAxisPlan[],
  constant: number,
  trim: [number, number][] | null,
  index: number[],
  outShape: number[],
  dtype: DType,
): NDArray {
  const extended = extendBlock(neighbors, plan, constant, neighbors[0]!.dtype);
  const result = blockResult("mapOverlap", fnRef.name, userFunction(fnRef)(extended, index), index, extended.shape, dtype);
  if (trim === null) return result;
  return getitem(result, trim.map(([before], d) => [before, before + outShape[d]!, 1]));
}
