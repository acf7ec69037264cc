/**
 * The array namespace, used like `dask.array`:
 *
 *   import { da } from "@tessera/engine";
 *   const x = da.random.normal(0, 1, [4000, 4000], { chunks: 1000, seed: 0 });
 *   await da.where(x.gt(0), x, 0).mean({ axis: 0 }).compute();
 */
import { ChunkedArray, type ArrayOrScalar } from "./array.js";
import { binaryOp, unaryOp, where as whereOp, type Scalar } from "./elementwise.js";
import type { ReductionOptions } from "./reduction.js";
import { concatenate as concat, matmul as mm, stack as stk } from "./structure.js";
import { tensordot as td, type TensordotAxes } from "./linalg.js";

export { ChunkedArray as Array, ChunkedArray } from "./array.js";
export { NDArray, ndarrayFromNested, type Element, type NestedArray } from "./ndarray.js";
export { fromArray, fromNpy, zeros, ones, full, arange, linspace, random, type CreationOptions, type FromArrayOptions, type RandomOptions } from "./creation.js";
export { readNpy, writeNpy } from "./npy.js";
export { normalizeChunks, type ChunksSpec } from "./chunks.js";
export type { DType } from "./dtype.js";
export type { ReductionOptions } from "./reduction.js";
export type { IndexSpec } from "./structure.js";
export type { MapBlocksOptions } from "./map-blocks.js";
export type { TensordotAxes } from "./linalg.js";
import type { MapBlocksOptions } from "./map-blocks.js";
import type { MapOverlapOptions } from "./map-overlap.js";
import type { NDArray } from "./ndarray.js";

export type { Boundary, MapOverlapOptions, PerAxis } from "./map-overlap.js";
export { blockwise, type BlockwiseOptions } from "./blockwise.js";

/** Arrays joined along an existing axis (default 0); dtypes promote. */
export const concatenate = (arrays: readonly ChunkedArray[], axis = 0): ChunkedArray => concat(arrays, axis);
/** Arrays of one shape joined along a new axis (default 0). */
export const stack = (arrays: readonly ChunkedArray[], axis = 0): ChunkedArray => stk(arrays, axis);
/** `cond ? x : y` element by element, with broadcasting. */
export const where = (cond: ArrayOrScalar, x: ArrayOrScalar, y: ArrayOrScalar): ChunkedArray => whereOp(cond, x, y);
/** Matrix product of 1-d and 2-d arrays. */
export const matmul = (a: ChunkedArray, b: ChunkedArray): ChunkedArray => mm(a, b);
/** NumPy's `tensordot`: contract `axes` (N: the last N of a with the first N of b; or two lists). */
export const tensordot = (a: ChunkedArray, b: ChunkedArray, axes: TensordotAxes = 2): ChunkedArray => td(a, b, axes);
/** Same as `matmul` for 1-d and 2-d arrays. */
export const dot = (a: ChunkedArray, b: ChunkedArray): ChunkedArray => mm(a, b);
/** `fn` on every chunk of `x` (as `x.mapBlocks`). */
export const mapBlocks = (fn: (block: NDArray, index: number[]) => unknown, x: ChunkedArray, opts?: MapBlocksOptions): ChunkedArray => x.mapBlocks(fn, opts);
/** `fn` on every chunk of `x` extended by its neighbours' margins (as `x.mapOverlap`). */
export const mapOverlap = (fn: (block: NDArray, index: number[]) => unknown, x: ChunkedArray, opts: MapOverlapOptions): ChunkedArray => x.mapOverlap(fn, opts);

const asArray = (x: ArrayOrScalar, op: string): ChunkedArray => {
  if (x instanceof ChunkedArray) return x;
  throw new TypeError(`${op}: expected an array, got ${typeof x}`);
};
export const add = (a: ArrayOrScalar, b: ArrayOrScalar): ChunkedArray => binaryOp("add", a as ChunkedArray | Scalar, b);
export const subtract = (a: ArrayOrScalar, b: ArrayOrScalar): ChunkedArray => binaryOp("sub", a, b);
export const multiply = (a: ArrayOrScalar, b: ArrayOrScalar): ChunkedArray => binaryOp("mul", a, b);
export const divide = (a: ArrayOrScalar, b: ArrayOrScalar): ChunkedArray => binaryOp("div", a, b);
export const maximum = (a: ArrayOrScalar, b: ArrayOrScalar): ChunkedArray => binaryOp("maximum", a, b);
export const minimum = (a: ArrayOrScalar, b: ArrayOrScalar): ChunkedArray => binaryOp("minimum", a, b);
export const abs = (x: ArrayOrScalar): ChunkedArray => unaryOp("abs", asArray(x, "abs"));
export const sqrt = (x: ArrayOrScalar): ChunkedArray => unaryOp("sqrt", asArray(x, "sqrt"));
export const exp = (x: ArrayOrScalar): ChunkedArray => unaryOp("exp", asArray(x, "exp"));
export const log = (x: ArrayOrScalar): ChunkedArray => unaryOp("log", asArray(x, "log"));
export const sin = (x: ArrayOrScalar): ChunkedArray => unaryOp("sin", asArray(x, "sin"));
export const cos = (x: ArrayOrScalar): ChunkedArray => unaryOp("cos", asArray(x, "cos"));
export const sum = (x: ChunkedArray, opts?: ReductionOptions): ChunkedArray => x.sum(opts);
export const mean = (x: ChunkedArray, opts?: ReductionOptions): ChunkedArray => x.mean(opts);
export const min = (x: ChunkedArray, opts?: ReductionOptions): ChunkedArray => x.min(opts);
export const max = (x: ChunkedArray, opts?: ReductionOptions): ChunkedArray => x.max(opts);
export const std = (x: ChunkedArray, opts?: ReductionOptions): ChunkedArray => x.std(opts);
export const variance = (x: ChunkedArray, opts?: ReductionOptions): ChunkedArray => x.var(opts);
export const prod = (x: ChunkedArray, opts?: ReductionOptions): ChunkedArray => x.prod(opts);
export const transpose = (x: ChunkedArray, axes?: readonly number[]): ChunkedArray => x.transpose(axes);
export const reshape = (x: ChunkedArray, shape: readonly number[]): ChunkedArray => x.reshape(shape);
