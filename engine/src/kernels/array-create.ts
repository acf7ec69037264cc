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

/**
 * xoshiro128** seeded from (`seed`, `block`): every chunk draws its own stream, so a chunk's
 * numbers depend only on the seed and the chunk's position, never on which thread ran it.
 */
export function chunkGenerator(seed: number, block: number): () => number {
  const mix = splitmix32(Math.imul(seed >>> 0, 0x2545f491) ^ splitmix32(block)());
  let a = mix(), b = mix(), c = mix(), d = mix();
  if ((a | b | c | d) === 0) a = 1;
  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  // 53 random bits per double in [0, 1).
  return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

export type RandomKind = "random" | "uniform" | "normal" | "integers";

/** A chunk of random numbers: `random` in [0, 1), `uniform(a, b)`, `normal(loc, scale)`, `integers(low, high)`. */
export function randomChunk(kind: RandomKind, seed: number, block: number, shape: number[], params: number[], dtype: DType): NDArray {
  const n = shapeSize(shape);
  const next = chunkGenerator(seed, block);
  const values = new Float64Array(n);
  switch (kind) {
    case "random":
      for (let i = 0; i < n; i++) values[i] = next();
      break;
    case "uniform": {
      const [low, high] = params as [number, number];
      for (let i = 0; i < n; i++) values[i] = low + (high - low) * next();
      break;
    }
    case "normal": {
      const [loc, scale] = params as [number, number];
      // Box–Muller: two uniforms give two independent normals.
      for (let i = 0; i < n; i += 2) {
        const u = 1 - next();
        const r = Math.sqrt(-2 * Math.log(u));
        const theta = 2 * Math.PI * next();
        values[i] = loc + scale * r * Math.cos(theta);
        if (i + 1 < n) values[i + 1] = loc + scale * r * Math.sin(theta);
      }
      break;
    }
    case "integers": {
      const [low, high] = params as [number, number];
      for (let i = 0; i < n; i++) values[i] = low + Math.floor(next() * (high - low));
      break;
    }
  }
  return new NDArray(store(values, dtype), shape, dtype);
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
    const shared = new Uint8Array(new SharedArrayBuffer(length));
    const fd = openSync(p.path, "r");
    try {
      let done = 0;
      while (done < length) {
        const got = readSync(fd, shared, done, length - done, p.dataOffset + from * rowElements * bytesPer + done);
        if (got === 0) throw new Error(`${p.path}: the file ends before the data its header announces`);
        done += got;
      }
    } finally {
      closeSync(fd);
    }
    const chunkShape = p.shape.length === 0 ? [] : [to - from, ...rest];
    return new NDArray(typedArrayFromBytes(shared, dtype), chunkShape, dtype);
  }
}
