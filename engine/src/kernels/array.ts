/**
 * Array kernels, registered by name so every worker resolves them (DESIGN idea 1).
 * Importing this module also registers the NDArray codec in the thread.
 */
import type { DType } from "../collections/array/dtype.js";
import { NDArray } from "../collections/array/ndarray.js";
import type { FnRef } from "../graph/task.js";
import { arangeChunk, fullChunk, linspaceChunk, randomChunk, readNpyChunk, sliceOfWhole } from "./array-create.js";
import { binary, castTo, unary, where } from "./array-elementwise.js";
import { evaluateExpr } from "./array-expr.js";
import { reduceCombine, reduceFinalize, reducePartial } from "./array-reduce.js";
import { assemble, getitem, matmulBlocks, reshapeBlock, tensordotBlocks, transpose } from "./array-structure.js";
import { blockResult, userFunction } from "./array-user.js";
import { mapOverlapBlock } from "./array-overlap.js";
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
registerKernel("array.tensordot", tensordotBlocks);

/**
 * A user function on one chunk (`mapBlocks`). It may return an NDArray or a typed array of
 * the chunk's size; either must have the shape and dtype the array declared for it.
 */
registerKernel("array.mapBlocks", (fnRef: FnRef, block: NDArray, index: number[], shape: number[], dtype: DType): NDArray =>
  blockResult("mapBlocks", fnRef.name, userFunction(fnRef)(block, index), index, shape, dtype),
);

/** A user function on the chunks of several arrays that meet at one output block (`blockwise`). */
registerKernel("array.blockwise", (fnRef: FnRef, args: unknown[], index: number[], shape: number[], dtype: DType): NDArray =>
  blockResult("blockwise", fnRef.name, userFunction(fnRef)(...args), index, shape, dtype),
);

registerKernel("array.mapOverlap", mapOverlapBlock);
