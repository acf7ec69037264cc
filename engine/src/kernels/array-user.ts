/**
 * Calling a user's shipped function from inside a kernel (`mapBlocks`, `mapOverlap`,
 * `blockwise`, the Bag's `map`, `filter`, `foldby`…): the kernel receives the function's
 * `FnRef` as an argument and calls it on many values. In the thread that built the graph the
 * original function is used (so a debugger stops in the user's code); elsewhere it is
 * compiled once per worker from its source.
 */
import type { DType, TypedArray } from "../collections/array/dtype.js";
import { NDArray } from "../collections/array/ndarray.js";
import type { FnRef } from "../graph/task.js";
import { compileFunction, type SourceFnRef } from "../scheduler/compile.js";
import { originalFunction } from "../scheduler/local-functions.js";

export type UserFunction = (...args: unknown[]) => unknown;

export function userFunction(ref: FnRef): UserFunction {
  if (ref.kind !== "source") throw new Error(`Expected a shipped user function, got built-in kernel ${ref.name}`);
  return (ref.captures ? undefined : originalFunction(ref.id)) ?? compileFunction(ref as SourceFnRef);
}

const fmt = (s: readonly number[]): string => `(${s.join(", ")})`;

/**
 * What a user function returned for one block, as the NDArray the array declared: an NDArray,
 * a typed array of the block's size, or an `{ data, shape, dtype }` object. Anything else, or a
 * wrong shape or dtype, is an error naming the function, the operation and the block.
 */
export function blockResult(op: string, fnName: string, out: unknown, index: readonly number[], shape: readonly number[], dtype: DType): NDArray {
  let nd: NDArray;
  if (out instanceof NDArray) nd = out;
  else if (ArrayBuffer.isView(out) && !(out instanceof DataView)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const length = (out as TypedArray).length;
    if (length !== n) throw new Error(`${op}: ${fnName} returned ${length} elements for block ${fmt(index)}, whose shape ${fmt(shape)} holds ${n}`);
    nd = new NDArray(out as TypedArray, [...shape], dtype);
  } else if (out !== null && typeof out === "object" && "data" in out && "shape" in out) {
    const o = out as { data: TypedArray; shape: number[]; dtype?: DType };
    nd = new NDArray(o.data, o.shape, o.dtype ?? dtype);
  } else throw new TypeError(`${op}: ${fnName} returned ${typeof out} for block ${fmt(index)}; return an NDArray or a typed array`);
  if (nd.shape.length !== shape.length || nd.shape.some((n, d) => n !== shape[d])) {
    throw new Error(`${op}: ${fnName} returned shape ${fmt(nd.shape)} for block ${fmt(index)}, whose shape is ${fmt(shape)}`);
  }
  if (nd.dtype !== dtype) throw new TypeError(`${op}: ${fnName} returned dtype ${nd.dtype} for block ${fmt(index)}; declare it with { dtype: "${nd.dtype}" }`);
  return nd;
}
