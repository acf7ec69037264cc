/**
 * ChunkedArray: an n-dimensional array cut into a grid of chunks, each an NDArray that
 * crosses threads through shared memory (dask.array). Shape, chunks and dtype are known without computing anything; every
 * operation adds a layer to a high-level graph, and element-wise chains fuse into one task per
 * chunk before anything runs.
 *
 *   const x = da.random.random([10_000, 10_000], { chunks: 1000, seed: 1 });
 *   const y = x.add(x.T).sub(x.mean({ axis: 0 }));
 *   y.shape;                     // [10000, 10000], nothing computed yet
 *   await y.sum().compute();     // an NDArray of shape []
 */
import { BlockwiseLayer, blockInput, type BlockTemplate, HighLevelGraph, perBlock } from "../../graph/hlg.js";
import { inspect } from "node:util";
import { builtin, call, type Key, lit, makeKey } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import { blockIndices } from "../../graph/hlg.js";
import { placeBlock, type DimSlice } from "../../kernels/array-structure.js";
import type { BinaryOp, UnaryOp } from "../../kernels/array-elementwise.js";
import type { PersistedKeys, TesseraCollection } from "../collection.js";
import { compute, visualize, type ComputeOptions, type VisualizeCollectionsOptions } from "../compute.js";
import { chunkBoundaries, type ChunksSpec } from "./chunks.js";
import { allocate, type DType, itemsize } from "./dtype.js";
import { binaryOp, unaryOp, castArray, type Scalar } from "./elementwise.js";
import { NDArray, shapeSize } from "./ndarray.js";
import { reduction, type ReductionOptions } from "./reduction.js";
import { mapBlocks, type MapBlocksOptions } from "./map-blocks.js";
import { mapOverlap, type MapOverlapOptions } from "./map-overlap.js";
import { matmul, rechunk, reshape, sliceArray, transposeArray, type IndexSpec } from "./structure.js";
import { arrayHTML, arraySVG } from "./html.js";

/** An array or a scalar: what element-wise operations accept on either side. */
export type ArrayOrScalar = ChunkedArray | Scalar;

export class ChunkedArray implements TesseraCollection<NDArray> {
  /**
   * @param name   layer name; chunk `(i, j)` is the key `name[i,j]` (`name` alone for 0-d arrays)
   * @param graph  the graph that computes the chunks
   * @param chunks chunk lengths along each dimension (Dask's `chunks`)
   * @param dtype  element type
   * @param holder what keeps persisted chunks in memory (futures), if persisted
   */
  constructor(
    readonly name: string,
    readonly graph: HighLevelGraph,
    readonly chunks: readonly (readonly number[])[],
    readonly dtype: DType,
    private readonly holder?: unknown,
  ) {}

  // ── metadata (no computation) ───────────────────────────────────────────────────────

  /** Extent of each dimension. */
  get shape(): number[] {
    return this.chunks.map((c) => c.reduce((a, b) => a + b, 0));
  }
  get ndim(): number {
    return this.chunks.length;
  }
  /** Number of elements. */
  get size(): number {
    return shapeSize(this.shape);
  }
  /** Bytes of the whole array once computed. */
  get nbytes(): number {
    return this.size * itemsize(this.dtype);
  }
  get itemsize(): number {
    return itemsize(this.dtype);
  }
  /** Number of chunks along each dimension. */
  get numblocks(): number[] {
    return this.chunks.map((c) => c.length);
  }
  /** The largest chunk along each dimension (Dask's `chunksize`). */
  get chunksize(): number[] {
    return this.chunks.map((c) => Math.max(0, ...c));
  }
  /** Number of chunks (tasks of the last layer). */
  get npartitions(): number {
    return shapeSize(this.numblocks);
  }

  /** Keys of the chunks, row-major over the block grid. */
  blockKeys(): Key[] {
    return blockIndices(this.numblocks).map((i) => makeKey(this.name, ...i));
  }

  /** Shape of chunk `(i, j, …)`. */
  blockShape(index: readonly number[]): number[] {
    return index.map((i, d) => this.chunks[d]![i]!);
  }

  // ── collection protocol ─────────────────────────────────────────────────────────────

  __tesseraGraph(): HighLevelGraph {
    return this.graph;
  }
  __tesseraKeys(): Key[] {
    return this.blockKeys();
  }
  __tesseraPostcompute(values: unknown[]): NDArray {
    return assembleBlocks(values as NDArray[], this.chunks, this.dtype);
  }
  __tesseraPostpersist(held: PersistedKeys): ChunkedArray {
    return new ChunkedArray(this.name, new HighLevelGraph(new Map(), new Map()), this.chunks, this.dtype, held.owners);
  }
  __tesseraToken(): string {
    return this.name;
  }

  /** The whole array in this thread, as one row-major NDArray. */
  async compute(opts: ComputeOptions = {}): Promise<NDArray> {
    const [out] = await compute(this, opts);
    return out as NDArray;
  }

  /** Compute the chunks into the cluster's memory; later work on the result starts from there. */
  async persist(opts: Omit<ComputeOptions, "signal"> = {}): Promise<ChunkedArray> {
    const { persist } = await import("../futures.js");
    const [out] = await persist(this, opts);
    return out as ChunkedArray;
  }

  /** The task graph as Graphviz DOT and SVG. */
  visualize(opts: VisualizeCollectionsOptions = {}): Promise<{ dot: string; svg: string }> {
    return visualize(this, opts);
  }

  /** Held so persisted chunks are not released while this array is reachable. */
  get persistedBy(): unknown {
    return this.holder;
  }

  toString(): string {
    return `tessera.array<${this.name.split("-")[0]}, shape=(${this.shape.join(", ")}), dtype=${this.dtype}, chunksize=(${this.chunksize.join(", ")})>`;
  }

  /** What `console.log` and the Node REPL show. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** A Dask-like summary table (bytes, shape, chunks, dtype) with the chunk diagram, as HTML. */
  toHTML(): string {
    return arrayHTML(this);
  }

  /** The chunk grid drawn as SVG (as Dask draws it in notebooks). */
  toSVG(): string {
    return arraySVG(this);
  }

  /** Compute and write a `.npy` file NumPy reads with `np.load`. */
  async toNpy(path: string, opts: ComputeOptions = {}): Promise<void> {
    const { writeNpy } = await import("./npy.js");
    writeNpy(path, await this.compute(opts));
  }

  // ── element-wise ────────────────────────────────────────────────────────────────────

  /** `this + other` (NumPy broadcasting and type promotion). */
  add(other: ArrayOrScalar): ChunkedArray { return binaryOp("add", this, other); }
  /** `this - other`. */
  sub(other: ArrayOrScalar): ChunkedArray { return binaryOp("sub", this, other); }
  /** `this * other`. */
  mul(other: ArrayOrScalar): ChunkedArray { return binaryOp("mul", this, other); }
  /** `this / other` (true division: integers give float64). */
  div(other: ArrayOrScalar): ChunkedArray { return binaryOp("div", this, other); }
  /** `this // other`. */
  floordiv(other: ArrayOrScalar): ChunkedArray { return binaryOp("floordiv", this, other); }
  /** `this % other` (the result takes the divisor's sign, as in NumPy). */
  mod(other: ArrayOrScalar): ChunkedArray { return binaryOp("mod", this, other); }
  /** `this ** other`. */
  pow(other: ArrayOrScalar): ChunkedArray { return binaryOp("pow", this, other); }
  /** Element-wise maximum (NaN wins). */
  maximum(other: ArrayOrScalar): ChunkedArray { return binaryOp("maximum", this, other); }
  /** Element-wise minimum (NaN wins). */
  minimum(other: ArrayOrScalar): ChunkedArray { return binaryOp("minimum", this, other); }
  eq(other: ArrayOrScalar): ChunkedArray { return binaryOp("eq", this, other); }
  ne(other: ArrayOrScalar): ChunkedArray { return binaryOp("ne", this, other); }
  lt(other: ArrayOrScalar): ChunkedArray { return binaryOp("lt", this, other); }
  le(other: ArrayOrScalar): ChunkedArray { return binaryOp("le", this, other); }
  gt(other: ArrayOrScalar): ChunkedArray { return binaryOp("gt", this, other); }
  ge(other: ArrayOrScalar): ChunkedArray { return binaryOp("ge", this, other); }
  /** `this & other` (logical for bool, bitwise for int32/uint8). */
  and(other: ArrayOrScalar): ChunkedArray { return binaryOp("and", this, other); }
  or(other: ArrayOrScalar): ChunkedArray { return binaryOp("or", this, other); }
  xor(other: ArrayOrScalar): ChunkedArray { return binaryOp("xor", this, other); }
  /** Binary operation by name (`"add"`, `"lt"`, …). */
  binary(op: BinaryOp, other: ArrayOrScalar): ChunkedArray { return binaryOp(op, this, other); }

  neg(): ChunkedArray { return unaryOp("neg", this); }
  abs(): ChunkedArray { return unaryOp("abs", this); }
  sqrt(): ChunkedArray { return unaryOp("sqrt", this); }
  exp(): ChunkedArray { return unaryOp("exp", this); }
  log(): ChunkedArray { return unaryOp("log", this); }
  sin(): ChunkedArray { return unaryOp("sin", this); }
  cos(): ChunkedArray { return unaryOp("cos", this); }
  /** Logical not (bool arrays). */
  not(): ChunkedArray { return unaryOp("not", this); }
  isnan(): ChunkedArray { return unaryOp("isnan", this); }
  /** Unary operation by name. */
  unary(op: UnaryOp): ChunkedArray { return unaryOp(op, this); }
  /** The same values as another dtype (NumPy's casting: floats truncate into integers). */
  astype(dtype: DType): ChunkedArray { return castArray(this, dtype); }

  // ── reductions ──────────────────────────────────────────────────────────────────────

  sum(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "sum", opts); }
  prod(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "prod", opts); }
  mean(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "mean", opts); }
  min(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "min", opts); }
  max(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "max", opts); }
  /** Variance with `ddof` (default 0, as NumPy). */
  var(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "var", opts); }
  /** Standard deviation with `ddof` (default 0, as NumPy). */
  std(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "std", opts); }
  any(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "any", opts); }
  all(opts: ReductionOptions = {}): ChunkedArray { return reduction(this, "all", opts); }
  /** Index of the minimum along one axis, or into the flattened array without `axis`. */
  argmin(opts: Omit<ReductionOptions, "axis"> & { axis?: number } = {}): ChunkedArray { return reduction(this, "argmin", opts); }
  argmax(opts: Omit<ReductionOptions, "axis"> & { axis?: number } = {}): ChunkedArray { return reduction(this, "argmax", opts); }

  // ── structure ───────────────────────────────────────────────────────────────────────

  /** The transpose (dimensions reversed). */
  get T(): ChunkedArray {
    return transposeArray(this);
  }
  /** Dimensions reordered (`axes[d]` is the input dimension that becomes dimension `d`). */
  transpose(axes?: readonly number[]): ChunkedArray {
    return transposeArray(this, axes);
  }
  /**
   * A selection, one spec per leading dimension: a number picks one index (the dimension
   * goes away), `null` keeps the whole dimension, `[start, stop, step]` slices as Python does
   * (any of them null, negative values count from the end, a negative step walks backwards).
   *
   *   x.slice([0, 100], null, [null, null, 2])   // x[0:100, :, ::2]
   *   x.slice(3)                                   // x[3]
   */
  slice(...specs: IndexSpec[]): ChunkedArray {
    return sliceArray(this, specs);
  }
  /** The same array cut into other chunks. */
  rechunk(chunks: ChunksSpec): ChunkedArray {
    return rechunk(this, chunks);
  }
  /** The same elements, row-major, in another shape (one dimension may be -1). */
  reshape(shape: readonly number[]): ChunkedArray {
    return reshape(this, shape);
  }
  /** Matrix product (1-d and 2-d operands), as a blocked algorithm over chunks. */
  matmul(other: ChunkedArray): ChunkedArray {
    return matmul(this, other);
  }
  /** Same as `matmul` for 1-d and 2-d arrays. */
  dot(other: ChunkedArray): ChunkedArray {
    return matmul(this, other);
  }
  /**
   * `fn` applied to every chunk, in worker threads. `fn` receives the chunk (an NDArray:
   * `data`, `shape`, `dtype`) and its block index, and returns an NDArray or a typed array of the chunk's size.
   * Values it reads from outside must be passed in `captures`.
   */
  mapBlocks(fn: (block: NDArray, index: number[]) => unknown, opts: MapBlocksOptions = {}): ChunkedArray {
    return mapBlocks(this, fn, opts);
  }

  /**
   * `fn` applied to every chunk extended by `depth` elements of its neighbours (Dask's
   * `map_overlap`), for stencils and moving windows; the margins are trimmed from the result.
   * At the array's edges `boundary` fills them: "reflect", "periodic", "nearest", a constant,
   * or "none" (the default: no margin there).
   */
  mapOverlap(fn: (block: NDArray, index: number[]) => unknown, opts: MapOverlapOptions): ChunkedArray {
    return mapOverlap(this, fn, opts);
  }

  /**
   * A new array whose chunk at every index is `kernel(...args)`, the args built by `make`
   * from placeholders of this array's chunks. The building block of element-wise operations.
   */
  static blockwise(prefix: string, numblocks: readonly number[], chunks: readonly (readonly number[])[], dtype: DType, template: BlockTemplate, inputs: ChunkedArray[], tokenParts: unknown[]): ChunkedArray {
    const name = `${prefix}-${tokenize(...tokenParts, ...inputs.map((i) => i.name))}`;
    const layer = new BlockwiseLayer(name, numblocks, template);
    return new ChunkedArray(name, HighLevelGraph.fromLayer(layer, inputs.map((i) => i.graph)), chunks, dtype);
  }
}

/** Every chunk copied into one row-major NDArray (what `compute()` returns). */
export function assembleBlocks(blocks: readonly NDArray[], chunks: readonly (readonly number[])[], dtype: DType): NDArray {
  const shape = chunks.map((c) => c.reduce((a, b) => a + b, 0));
  if (blocks.length === 1 && blocks[0]!.shape.length === shape.length) return blocks[0]!;
  const out = allocate(dtype, shapeSize(shape));
  const bounds = chunks.map(chunkBoundaries);
  blockIndices(chunks.map((c) => c.length)).forEach((index, n) => {
    placeBlock(out, shape, blocks[n]!, index.map((i, d) => bounds[d]![i]!));
  });
  return new NDArray(out, shape, dtype);
}

/** Placeholders for `blockInput` and per-block literals, re-exported for the array modules. */
export { blockInput, perBlock, builtin, call, lit };
export type { DimSlice };
