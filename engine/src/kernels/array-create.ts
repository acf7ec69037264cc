/**
 * Array kernels that make chunks: constants, ranges, random numbers, pieces of data the
 * user handed over, and rows of `.npy` files.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { allocate, type DType, type TypedArray, isBigInt64Array } from "../collections/array/dtype.js";
import { NDArray, shapeSize } from "../collections/array/ndarray.js";
import { typedArrayFromBytes } from "../collections/array/npy.js";
import { getitem, type DimSlice } from "./array-structure.js";

/** A chunk of `shape` with every element `value`. */
export function fullChunk(shape: number[], dtype: DType, value: number | bigint | boolean): NDArray {
  const data = allocate(dtype, shapeSize(shape));
  if (isBigInt64Array(data)) data.fill(BigInt(value));
  else data.fill(Number(value));
  return new NDArray(data, shape, dtype);
}

/** Elements `start + i * step` for i in [offset, offset + n): a chunk of `arange`. */
export function arangeChunk(start: number, step: number, offset: number, n: number, dtype: DType): NDArray {
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = start + (offset + i) * step;
  return new NDArray(store(values, dtype), [n], dtype);
}

/** A chunk of `linspace(start, stop, num)`: `start + i * step`, the last point exactly `stop` (as NumPy). */
export function linspaceChunk(start: number, stop: number, num: number, endpoint: boolean, offset: number, n: number, dtype: DType): NDArray {
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : NaN;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = offset + i;
    values[i] = div > 0 ? k * step + start : start;
    if (endpoint && num > 1 && k === num - 1) values[i] = stop;
  }
  return new NDArray(store(values, dtype), [n], dtype);
}

function store(values: Float64Array, dtype: DType): TypedArray {
  const out = allocate(dtype, values.length);
  if (isBigInt64Array(out)) for (let i = 0; i < values.length; i++) out[i] = BigInt(Math.trunc(values[i]!));
  else out.set(values);
  return out;
}

// ── random numbers ────────────────────────────────────────────────────────────────────────

/** splitmix32: spreads a seed over 32 bits; used to seed each chunk's generator. */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The xoshiro128** state of chunk `block` of the stream `seed`: four 32-bit words, not all zero. */
function seedState(seed: number, block: number): Int32Array {
  const mix = splitmix32(Math.imul(seed >>> 0, 0x2545f491) ^ splitmix32(block)());
  const state = new Int32Array([mix(), mix(), mix(), mix()]);
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return state;
}

/**
 * xoshiro128** seeded from (`seed`, `block`): every chunk draws its own stream, so a chunk's
 * numbers depend only on the seed and the chunk's position, never on which thread ran it.
 * Each call returns a double in [0, 1) with 53 random bits. `fillUniform` draws the same stream.
 */
export function chunkGenerator(seed: number, block: number): () => number {
  const state = seedState(seed, block);
  const one = new Float64Array(1);
  return () => {
    fillUniform(one, state);
    return one[0]!;
  };
}

/**
 * `out` filled with doubles in [0, 1) from the xoshiro128** `state`, which advances. One loop
 * with the state in local variables: this runs for every element of every random chunk, and a
 * closure call per 32-bit draw cost several times the arithmetic.
 */
function fillUniform(out: Float64Array, state: Int32Array): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  const n = out.length;
  for (let i = 0; i < n; i++) {
    // Two 32-bit draws: the high 27 bits of the first and 26 of the second make 53.
    let x = Math.imul(b, 5);
    const hi = (Math.imul((x << 7) | (x >>> 25), 9) >>> 5) | 0;
    let t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    x = Math.imul(b, 5);
    const lo = (Math.imul((x << 7) | (x >>> 25), 9) >>> 6) | 0;
    t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    // `| 0` keeps both halves small integers for the compiler; × 2^-53 is exact, as / 2^53 is.
    out[i] = (hi * 67108864 + lo) * 1.1102230246251565e-16;
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}

export type RandomKind = "random" | "uniform" | "normal" | "integers";

/** A chunk of random numbers: `random` in [0, 1), `uniform(a, b)`, `normal(loc, scale)`, `integers(low, high)`. */
export function randomChunk(kind: RandomKind, seed: number, block: number, shape: number[], params: number[], dtype: DType): NDArray {
  const n = shapeSize(shape);
  const state = seedState(seed, block);
  // float64 chunks are drawn straight into their own memory; other dtypes (and an odd
  // number of normals, which draws one uniform more) go through a float64 buffer.
  const direct = dtype === "float64" && (kind !== "normal" || n % 2 === 0);
  // Box–Muller draws two uniforms per pair of normals, also for a last odd element.
  const draws = kind === "normal" ? n + (n % 2) : n;
  const values = direct ? (allocate("float64", n) as Float64Array) : new Float64Array(draws);
  fillUniform(values, state);
  switch (kind) {
    case "random":
      break;
    case "uniform": {
      const [low, high] = params as [number, number];
      const width = high - low;
      for (let i = 0; i < n; i++) values[i] = low + width * values[i]!;
      break;
    }
    case "normal": {
      const [loc, scale] = params as [number, number];
      // Box–Muller: two uniforms give two independent normals, written over them in place.
      const twoPi = 2 * Math.PI;
      for (let i = 0; i < draws; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - values[i]!));
        const theta = twoPi * values[i + 1]!;
        values[i] = loc + scale * r * Math.cos(theta);
        values[i + 1] = loc + scale * r * Math.sin(theta);
      }
      break;
    }
    case "integers": {
      const [low, high] = params as [number, number];
      const width = high - low;
      for (let i = 0; i < n; i++) values[i] = low + Math.floor(values[i]! * width);
      break;
    }
  }
  if (direct) return new NDArray(values, shape, dtype);
  return new NDArray(store(values.length === n ? values : values.subarray(0, n), dtype), shape, dtype);
}

// ── data from the user and from files ────────────────────────────────────────────────────

/** The part `sel` of a whole array handed over in shared memory (one chunk of `fromArray`). */
export function sliceOfWhole(data: TypedArray, shape: number[], dtype: DType, sel: DimSlice[]): NDArray {
  return getitem(new NDArray(data, shape, dtype), sel);
}

/** Where a `.npy` file's elements start and how they are laid out. */
export interface NpyPart {
  path: string;
  dataOffset: number;
  dtype: DType;
  /** Shape of the array in the file. */
  shape: number[];
  /** The chunk: a range of the first dimension read from disk, the other dimensions sliced in memory. */
  sel: DimSlice[];
}

/** One chunk of a `.npy` file: reads only the rows of the first dimension it covers. */
export function readNpyChunk(part: NpyPart): NDArray {
  const { shape, dtype, sel } = part;
  if (shape.length === 0) return readRows(part, 0, 1, []);
  const [r0, r1] = sel[0]!;
  const rows = readRows(part, r0, r1, shape.slice(1));
  return getitem(rows, [[0, r1 - r0, 1], ...sel.slice(1)]);
  function readRows(p: NpyPart, from: number, to: number, rest: number[]): NDArray {
    const rowElements = shapeSize(rest);
    const bytesPer = dtype === "float64" || dtype === "int64" ? 8 : dtype === "float32" || dtype === "int32" ? 4 : 1;
    const length = (to - from) * rowElements * bytesPer;
    const bytes = new Uint8Array(length);
    const fd = openSync(p.path, "r");
    try {
      let done = 0;
      while (done < length) {
        const got = readSync(fd, bytes, done, length - done, p.dataOffset + from * rowElements * bytesPer + done);
        if (got === 0) throw new Error(`${p.path}: the file ends before the data its header announces`);
        done += got;
      }
    } finally {
      closeSync(fd);
    }
    const chunkShape = p.shape.length === 0 ? [] : [to - from, ...rest];
    return new NDArray(typedArrayFromBytes(bytes, dtype), chunkShape, dtype);
  }
}
