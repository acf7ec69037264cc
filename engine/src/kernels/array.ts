/**
 * Array kernels, registered by name so every worker resolves them (DESIGN idea 1).
 * Importing this module also registers the NDArray codec in the thread.
 */
import type { DType, TypedArray } from "../collections/array/dtype.js";
import { NDArray } from "../collections/array/ndarray.js";
import type { FnRef } from "../graph/task.js";
import { arangeChunk, fullChunk, linspaceChunk, randomChunk, readNpyChunk, sliceOfWhole } from "./array-create.js";
import { binary, castTo, unary, where } from "./array-elementwise.js";
import { evaluateExpr } from "./array-expr.js";
import { reduceCombine, reduceFinalize, reducePartial } from "./array-reduce.js";
import { assemble, getitem, matmulBlocks, reshapeBlock, transpose } from "./array-structure.js";
import { userFunction } from "./array-user.js";
import { registerKernel } from "./registry.js";

registerKernel("array.full", fullChunk);
registerKernel("array.arange", arangeChunk);
registerKernel("array.linspace", linspaceChunk);
registerKernel("array.random", randomChunk);
registerKernel("array.sliceOfWhole", sliceOfWhole);
registerKernel("array.readNpy", readNpyChunk);
registerKernel("array.unary", unary);
registerKernel("array.binary", binary);
registerKernel("array.where", where);
registerKernel("array.astype", castTo);
registerKernel("array.expr", evaluateExpr);
registerKernel("array.reducePartial", reducePartial);
registerKernel("array.reduceCombine", reduceCombine);
registerKernel("array.reduceFinalize", reduceFinalize);
registerKernel("array.getitem", getitem);
registerKernel("array.assemble", assemble);
registerKernel("array.transpose", transpose);
registerKernel("array.reshape", reshapeBlock);
registerKernel("array.matmul", matmulBlocks);

/**
 * A user function on one chunk (`mapBlocks`). It may return an NDArray or a typed array of
 * the chunk's size; either must have the shape and dtype the array declared for it.
 */
registerKernel("array.mapBlocks", (fnRef: FnRef, block: NDArray, index: number[], shape: number[], dtype: DType): NDArray => {
  const fn = userFunction(fnRef);
  const out = fn(block, index);
  const fmt = (s: readonly number[]): string => `(${s.join(", ")})`;
  let nd: NDArray;
  if (out instanceof NDArray) nd = out;
  else if (ArrayBuffer.isView(out) && !(out instanceof DataView)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const length = (out as TypedArray).length;
    if (length !== n) throw new Error(`mapBlocks: ${fnRef.name} returned ${length} elements for block ${fmt(index)}, whose shape ${fmt(shape)} holds ${n}`);
    nd = new NDArray(out as TypedArray, shape, dtype);
  }
  else if (out !== null && typeof out === "object" && "data" in out && "shape" in out) {
    const o = out as { data: TypedArray; shape: number[]; dtype?: DType };
    nd = new NDArray(o.data, o.shape, o.dtype ?? dtype);
  } else throw new TypeError(`mapBlocks: ${fnRef.name} returned ${typeof out} for block ${fmt(index)}; return an NDArray or a typed array`);
  if (nd.shape.length !== shape.length || nd.shape.some((n, d) => n !== shape[d])) {
    throw new Error(`mapBlocks: ${fnRef.name} returned shape ${fmt(nd.shape)} for block ${fmt(index)}, whose shape is ${fmt(shape)}`);
  }
  if (nd.dtype !== dtype) throw new TypeError(`mapBlocks: ${fnRef.name} returned dtype ${nd.dtype} for block ${fmt(index)}; declare it with { dtype: "${nd.dtype}" }`);
  return nd;
});
