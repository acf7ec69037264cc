// Array internals for tests: kernels, chunk arithmetic, the .npy codec.
export * from "./api.js";
export { broadcastShapes, broadcastIndex, binary, unary } from "../../kernels/array-elementwise.js";
export { getitem, assemble, transpose as transposeBlock, matmulBlocks, sliceLength } from "../../kernels/array-structure.js";
export { reducePartial as arrayReducePartial, reduceCombine as arrayReduceCombine, reduceFinalize as arrayReduceFinalize } from "../../kernels/array-reduce.js";
export { chunkGenerator } from "../../kernels/array-create.js";
export { commonRefinement, chunkBoundaries, regularChunks, AUTO_CHUNK_BYTES } from "./chunks.js";
export { promoteTypes, promoteWithScalar, allocate, itemsize } from "./dtype.js";
export { parseNpyHeader, npyHeaderBytes } from "./npy.js";
export { resolveSlice } from "./structure.js";
export { arrayHTML, arraySVG, formatBytes } from "./html.js";
