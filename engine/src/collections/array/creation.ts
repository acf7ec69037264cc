/**
 * Making chunked arrays: from data in this thread (`fromArray`), constants (`zeros`, `ones`,
 * `full`), ranges (`arange`, `linspace`), random numbers and `.npy` files. Every chunk is made
 * by its own task, in a worker.
 */
import { randomInt } from "node:crypto";
import { statSync } from "node:fs";
import { BlockwiseLayer, HighLevelGraph, perBlock, type BlockTemplate } from "../../graph/hlg.js";
import { builtin, lit, type TaskNode } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import type { RandomKind } from "../../kernels/array-create.js";
import { toShared } from "../../scheduler/share.js";
import { ChunkedArray } from "./array.js";
import { chunkBoundaries, type ChunksSpec, normalizeChunks } from "./chunks.js";
import { checkDType, type DType, dtypeOfTypedArray, type TypedArray } from "./dtype.js";
import { NDArray, ndarrayFromNested, type NestedArray, shapeSize } from "./ndarray.js";
import { readNpy, readNpyHeader } from "./npy.js";

export interface CreationOptions {
  /** How to cut the array (default `"auto"`: chunks of about 128 MiB). */
  chunks?: ChunksSpec;
  /** Element type. */
  dtype?: DType;
}

const fmt = (shape: readonly number[]): string => `(${shape.join(", ")})`;

function checkShape(shape: number | readonly number[], op: string): number[] {
  const s = typeof shape === "number" ? [shape] : [...shape];
  if (s.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${op}: shape ${fmt(s)} must hold non-negative integers`);
  return s;
}

/** A chunked array whose chunk at `index` is `call(kernel, ...args(index, chunkShape))`. */
function generated(prefix: string, kernel: string, shape: number[], dtype: DType, chunksSpec: ChunksSpec | undefined, args: (index: readonly number[], chunk: number[], offsets: number[]) => TaskNode[], tokenParts: unknown[]): ChunkedArray {
  const chunks = normalizeChunks(chunksSpec, shape, dtype);
  const bounds = chunks.map(chunkBoundaries);
  const name = `${prefix}-${tokenize(kernel, shape, dtype, chunks, ...tokenParts)}`;
  const template: BlockTemplate = perBlock((index) => ({
    t: "call",
    fn: builtin(kernel),
    args: args(index, index.map((i, d) => chunks[d]![i]!), index.map((i, d) => bounds[d]![i]!)),
  }));
  const layer = new BlockwiseLayer(name, chunks.map((c) => c.length), template);
  return new ChunkedArray(name, HighLevelGraph.fromLayer(layer), chunks, dtype);
}

export interface FromArrayOptions extends CreationOptions {
  /** Shape of the data (default: one dimension, or the nesting of nested arrays / the NDArray's). */
  shape?: readonly number[];
  /** Name prefix of the keys (default `array`). */
  name?: string;
}

/**
 * A chunked array of data in this thread: a typed array (row-major), an NDArray or nested
 * JavaScript arrays. The data is put in shared memory once; each chunk's task slices its part.
 */
export function fromArray(data: TypedArray | NDArray | NestedArray, opts: FromArrayOptions = {}): ChunkedArray {
  let nd: NDArray;
  if (data instanceof NDArray) nd = data;
  else if (ArrayBuffer.isView(data)) {
    const dtype = opts.dtype ?? dtypeOfTypedArray(data);
    const shape = opts.shape ? checkShape(opts.shape, "fromArray") : [data.length];
    if (shapeSize(shape) !== data.length) throw new Error(`fromArray: ${data.length} elements do not fit shape ${fmt(shape)} (${shapeSize(shape)} elements)`);
    if (dtype !== dtypeOfTypedArray(data) && !(dtype === "bool" && dtypeOfTypedArray(data) === "uint8")) {
      throw new TypeError(`fromArray: a ${data.constructor.name} holds ${dtypeOfTypedArray(data)}, not ${dtype}; convert the data or omit dtype`);
    }
    nd = new NDArray(toShared(data), shape, dtype);
  } else nd = ndarrayFromNested(data as NestedArray, opts.dtype);
  if (opts.shape && data instanceof NDArray && (opts.shape.length !== nd.shape.length || opts.shape.some((n, d) => n !== nd.shape[d]))) {
    throw new Error(`fromArray: shape ${fmt(opts.shape)} given for an NDArray of shape ${fmt(nd.shape)}`);
  }
  const shared = toShared(nd.data);
  const token = tokenize(shared, nd.shape, nd.dtype);
  return generated(opts.name ?? "array", "array.sliceOfWhole", [...nd.shape], nd.dtype, opts.chunks, (_, chunk, offsets) => [
    lit(shared),
    lit(nd.shape),
    lit(nd.dtype),
    lit(offsets.map((o, d) => [o, o + chunk[d]!, 1])),
  ], [token]);
}

/** An array of `shape` filled with `value` (dtype: bool for booleans, int64 for integers, else float64). */
export function full(shape: number | readonly number[], value: number | boolean, opts: CreationOptions = {}): ChunkedArray {
  const s = checkShape(shape, "full");
  const dtype = opts.dtype ? checkDType(opts.dtype, "full") : typeof value === "boolean" ? "bool" : Number.isInteger(value) ? "int64" : "float64";
  return generated("full", "array.full", s, dtype, opts.chunks, (_, chunk) => [lit(chunk), lit(dtype), lit(typeof value === "boolean" ? Number(value) : value)], [value]);
}

/** An array of zeros (float64 unless `dtype` says otherwise). */
export function zeros(shape: number | readonly number[], opts: CreationOptions = {}): ChunkedArray {
  return full(shape, 0, { ...opts, dtype: opts.dtype ?? "float64" });
}

/** An array of ones (float64 unless `dtype` says otherwise). */
export function ones(shape: number | readonly number[], opts: CreationOptions = {}): ChunkedArray {
  return full(shape, 1, { ...opts, dtype: opts.dtype ?? "float64" });
}

/**
 * Evenly spaced values in `[start, stop)` (NumPy's `arange`): `arange(5)`, `arange(2, 10, 3)`.
 * Integers give int64, otherwise float64.
 */
export function arange(start: number, stop?: number, step = 1, opts: CreationOptions = {}): ChunkedArray {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error("arange: step must not be zero");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dtype = opts.dtype ? checkDType(opts.dtype, "arange") : [start, stop, step].every(Number.isInteger) ? "int64" : "float64";
  return generated("arange", "array.arange", [n], dtype, opts.chunks, (_, chunk, offsets) => [lit(start), lit(step), lit(offsets[0]), lit(chunk[0]), lit(dtype)], [start, step]);
}

/** `num` evenly spaced values from `start` to `stop` (NumPy's `linspace`; `endpoint` default true). */
export function linspace(start: number, stop: number, num = 50, opts: CreationOptions & { endpoint?: boolean } = {}): ChunkedArray {
  if (!Number.isInteger(num) || num < 0) throw new Error(`linspace: num must be a non-negative integer, got ${num}`);
  const endpoint = opts.endpoint ?? true;
  const dtype = opts.dtype ? checkDType(opts.dtype, "linspace") : "float64";
  return generated("linspace", "array.linspace", [num], dtype, opts.chunks, (_, chunk, offsets) => [lit(start), lit(stop), lit(num), lit(endpoint), lit(offsets[0]), lit(chunk[0]), lit(dtype)], [start, stop, endpoint]);
}

export interface RandomOptions extends CreationOptions {
  /**
   * Seed (an integer). Each chunk draws from its own generator seeded by (seed, chunk
   * position), so results do not depend on threads or timing; they are not NumPy's streams.
   * Without a seed every call draws new numbers.
   */
  seed?: number;
}

function randomArray(kind: RandomKind, shape: number | readonly number[], params: number[], dtype: DType, opts: RandomOptions): ChunkedArray {
  const s = checkShape(shape, `random.${kind}`);
  const seed = opts.seed ?? randomInt(2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`random.${kind}: seed must be an integer, got ${seed}`);
  const chunks = normalizeChunks(opts.chunks, s, dtype);
  const grid = chunks.map((c) => c.length);
  return generated(`random_${kind}`, "array.random", s, dtype, chunks, (index, chunk) => {
    let linear = 0;
    index.forEach((i, d) => (linear = linear * grid[d]! + i));
    return [lit(kind), lit(seed), lit(linear), lit(chunk), lit(params), lit(dtype)];
  }, [kind, seed, params]);
}

/** Random numbers for chunked arrays (Dask's `da.random`). */
export const random = {
  /** Uniform in [0, 1), float64. */
  random(shape: number | readonly number[], opts: RandomOptions = {}): ChunkedArray {
    return randomArray("random", shape, [], opts.dtype ?? "float64", opts);
  },
  /** Uniform in [low, high). */
  uniform(low: number, high: number, shape: number | readonly number[], opts: RandomOptions = {}): ChunkedArray {
    return randomArray("uniform", shape, [low, high], opts.dtype ?? "float64", opts);
  },
  /** Normal (Gaussian) with mean `loc` and standard deviation `scale`. */
  normal(loc: number, scale: number, shape: number | readonly number[], opts: RandomOptions = {}): ChunkedArray {
    if (scale < 0) throw new Error(`random.normal: scale must be non-negative, got ${scale}`);
    return randomArray("normal", shape, [loc, scale], opts.dtype ?? "float64", opts);
  },
  /** Integers in [low, high) (int64 unless `dtype` says otherwise). */
  integers(low: number, high: number, shape: number | readonly number[], opts: RandomOptions = {}): ChunkedArray {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`random.integers: need integers low < high, got ${low} and ${high}`);
    return randomArray("integers", shape, [low, high], opts.dtype ?? "int64", opts);
  },
};

/**
 * A chunked array of a `.npy` file. Chunks along the first dimension read only their rows
 * from disk, in the workers; the header is read now, for shape and dtype.
 */
export function fromNpy(path: string, opts: Omit<CreationOptions, "dtype"> = {}): ChunkedArray {
  const header = readNpyHeader(path);
  if (header.fortranOrder) return fromArray(readNpy(path), { ...(opts.chunks !== undefined ? { chunks: opts.chunks } : {}), name: "from-npy" });
  const stat = statSync(path);
  return generated("from-npy", "array.readNpy", header.shape, header.dtype, opts.chunks, (_, chunk, offsets) => [
    lit({ path, dataOffset: header.dataOffset, dtype: header.dtype, shape: header.shape, sel: offsets.map((o, d) => [o, o + chunk[d]!, 1]) }),
  ], [path, stat.mtimeMs, stat.size]);
}
