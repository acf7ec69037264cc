/**
 * NDArray: one n-dimensional block of numbers in memory, what an array chunk is and what
 * `Array.compute()` returns. Row-major (C order) and contiguous: element `(i, j, k)` of shape
 * `(n0, n1, n2)` is `data[(i * n1 + j) * n2 + k]`.
 *
 * The codec registered here makes an NDArray cross threads as a handle to shared memory and
 * arrive as an NDArray again. Kernels make their chunks in ordinary memory; the first time a
 * chunk leaves its thread it is copied into shared memory once, and that copy is reused for
 * every later crossing.
 */
import { registerCodec, toShared } from "../../scheduler/share.js";
import { inspect } from "node:util";
import { formatNDArray } from "./format.js";
import { allocate, checkDType, type DType, dtypeOfTypedArray, itemsize, type TypedArray, isBigInt64Array } from "./dtype.js";

/** An element as JavaScript sees it: numbers, `bigint` for int64, `boolean` for bool. */
export type Element = number | bigint | boolean;

/** Nested JavaScript arrays of elements (what `toArray()` returns). */
export type NestedArray = Element | NestedArray[];

export class NDArray {
  readonly size: number;

  /**
   * @param data  the elements, row-major; its length must be the product of `shape`
   * @param shape extent of each dimension (`[]` for a single number)
   * @param dtype defaults to the dtype the typed array stores (a Uint8Array is uint8 unless `bool` is given)
   */
  constructor(
    readonly data: TypedArray,
    readonly shape: readonly number[],
    readonly dtype: DType = dtypeOfTypedArray(data),
  ) {
    this.size = shapeSize(shape);
    if (data.length !== this.size) {
      throw new Error(`NDArray: ${data.length} elements do not fill shape (${shape.join(", ")}) of ${this.size} elements`);
    }
    const expected = dtypeOfTypedArray(data);
    if (expected !== dtype && !(dtype === "bool" && expected === "uint8")) {
      throw new TypeError(`NDArray: a ${data.constructor.name} cannot hold dtype ${dtype}`);
    }
  }

  /** A zero-filled array. */
  static empty(shape: readonly number[], dtype: DType): NDArray {
    return new NDArray(allocate(dtype, shapeSize(shape)), shape, dtype);
  }

  get ndim(): number {
    return this.shape.length;
  }

  get nbytes(): number {
    return this.size * itemsize(this.dtype);
  }

  /** Row-major strides, in elements. */
  get strides(): number[] {
    return stridesOf(this.shape);
  }

  /** The element at `(i, j, …)`; negative indices count from the end. */
  get(...index: number[]): Element {
    if (index.length !== this.shape.length) {
      throw new RangeError(`get: ${index.length} indices for an array of ${this.shape.length} dimensions (shape (${this.shape.join(", ")}))`);
    }
    let flat = 0;
    for (let d = 0; d < index.length; d++) {
      const n = this.shape[d]!;
      let i = index[d]!;
      if (i < 0) i += n;
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new RangeError(`get: index ${index[d]} is out of bounds for axis ${d} of size ${n}`);
      }
      flat = flat * n + i;
    }
    return this.at(flat);
  }

  /** The element at flat (row-major) position `i`. */
  at(i: number): Element {
    const v = this.data[i]!;
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /** The only element of a one-element array (NumPy's `item()`). */
  item(): Element {
    if (this.size !== 1) throw new Error(`item: the array has ${this.size} elements, not 1`);
    return this.at(0);
  }

  /** Nested JavaScript arrays (a plain element for 0-d arrays). */
  toArray(): NestedArray {
    const build = (d: number, offset: number): NestedArray => {
      if (d === this.shape.length) return this.at(offset);
      const n = this.shape[d]!;
      const stride = shapeSize(this.shape.slice(d + 1));
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(d + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /** Every element as a JavaScript number (int64 via `Number`, bool as 0/1). */
  toFloat64(): Float64Array {
    return toNumbers(this.data);
  }

  toString(): string {
    return `NDArray<${this.dtype}>(${this.shape.join(", ")})`;
  }

  /** The values, as NumPy prints them (summarized beyond 1000 elements): what `console.log` shows. */
  [inspect.custom](): string {
    return formatNDArray(this);
  }

  /** Bytes held, for the scheduler's memory accounting. */
  __tesseraNbytes(): number {
    return this.data.byteLength;
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** The values as numbers: the same array unless it holds bigints. */
export function asNumbers(data: TypedArray): Exclude<TypedArray, BigInt64Array> | Float64Array {
  if (isBigInt64Array(data)) return toNumbers(data);
  return data;
}

export function toNumbers(data: TypedArray): Float64Array {
  const out = new Float64Array(data.length);
  if (isBigInt64Array(data)) for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
  else out.set(data);
  return out;
}

/**
 * Store numbers as `dtype`, with NumPy's casts: floats truncate toward zero into integers,
 * integers wrap around, anything non-zero (NaN included) is `true`.
 */
export function fromNumbers(values: ArrayLike<number>, dtype: DType): TypedArray {
  const n = values.length;
  const out = allocate(dtype, n);
  if (isBigInt64Array(out)) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      out[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : -9223372036854775808n;
    }
  } else if (dtype === "bool") {
    for (let i = 0; i < n; i++) out[i] = values[i] !== 0 ? 1 : 0;
  } else if (dtype === "int32" || dtype === "uint8") {
    // Typed-array stores already truncate and wrap; NaN and infinities become 0 (NumPy: undefined).
    for (let i = 0; i < n; i++) out[i] = values[i]!;
  } else out.set(values);
  return out;
}

/** `nd` converted to `dtype` (the same array when it already is). */
export function astype(nd: NDArray, dtype: DType): NDArray {
  if (nd.dtype === dtype) return nd;
  if (dtype === "int64" && nd.dtype !== "bool" && !(nd.dtype === "float64" || nd.dtype === "float32")) {
    const out = allocate("int64", nd.size) as BigInt64Array;
    for (let i = 0; i < nd.size; i++) out[i] = BigInt(nd.data[i] as number);
    return new NDArray(out, nd.shape, dtype);
  }
  return new NDArray(fromNumbers(asNumbers(nd.data), dtype), nd.shape, dtype);
}

/** An NDArray from nested JavaScript arrays of numbers or booleans (shape inferred). */
export function ndarrayFromNested(values: NestedArray, dtype?: DType): NDArray {
  const shape: number[] = [];
  for (let v: NestedArray = values; Array.isArray(v); v = v[0]!) shape.push(v.length);
  const flat: Element[] = [];
  const walk = (v: NestedArray, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(v)) throw new Error("ndarrayFromNested: ragged nested arrays");
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) throw new Error(`ndarrayFromNested: ragged nested arrays at depth ${d}`);
    for (const x of v) walk(x, d + 1);
  };
  walk(values, 0);
  const dt = dtype ?? (flat.every((x) => typeof x === "boolean") && flat.length > 0 ? "bool" : flat.some((x) => typeof x === "bigint") ? "int64" : "float64");
  checkDType(dt);
  const nums = flat.map((x) => (typeof x === "boolean" ? (x ? 1 : 0) : Number(x)));
  const data = dt === "int64" ? Object.assign(allocate("int64", flat.length), {}) as BigInt64Array : fromNumbers(nums, dt);
  if (isBigInt64Array(data)) flat.forEach((x, i) => (data[i] = typeof x === "bigint" ? x : BigInt(Math.trunc(Number(x)))));
  return new NDArray(data, shape, dt);
}

interface NDArrayWire {
  data: TypedArray;
  shape: number[];
  dtype: DType;
}

/**
 * The shared copy of each NDArray's data, made on its first crossing and reused after (a chunk
 * read by tasks on several threads is copied once). Chunks are never changed once made.
 */
const sharedData = new WeakMap<NDArray, TypedArray>();

function sharedDataOf(nd: NDArray): TypedArray {
  let data = sharedData.get(nd);
  if (data === undefined) {
    data = toShared(nd.data);
    sharedData.set(nd, data);
  }
  return data;
}

registerCodec<NDArray, NDArrayWire>({
  name: "ndarray",
  test: (v): v is NDArray => v instanceof NDArray,
  encode: (nd) => ({ data: sharedDataOf(nd), shape: [...nd.shape], dtype: nd.dtype }),
  decode: (w) => new NDArray(w.data, w.shape, w.dtype),
});
