/**
 * Element types of arrays and NumPy's rules for combining them.
 *
 * Six dtypes, each stored in a typed array: `float64`, `float32`, `int32`, `int64`, `uint8` and
 * `bool` (one byte per element, 0 or 1, like NumPy's). `int64` is stored exactly in a
 * `BigInt64Array`, so `.npy` files round-trip bit for bit; arithmetic on it goes through
 * float64 and is therefore exact while magnitudes stay below 2^53.
 */

export type DType = "float64" | "float32" | "int32" | "int64" | "uint8" | "bool";

export const DTYPES: readonly DType[] = ["bool", "uint8", "int32", "int64", "float32", "float64"];

export type TypedArray = Float64Array | Float32Array | Int32Array | BigInt64Array | Uint8Array;

/** Bytes per element. */
export function itemsize(dtype: DType): number {
  switch (dtype) {
    case "float64":
    case "int64":
      return 8;
    case "float32":
    case "int32":
      return 4;
    case "uint8":
    case "bool":
      return 1;
  }
}

/** Throws an error naming the accepted dtypes when `dtype` is not one of them. */
export function checkDType(dtype: unknown, where = "dtype"): DType {
  if (typeof dtype === "string" && (DTYPES as readonly string[]).includes(dtype)) return dtype as DType;
  throw new TypeError(`${where}: unsupported dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(", ")}`);
}

export const isFloat = (d: DType): boolean => d === "float64" || d === "float32";
export const isInteger = (d: DType): boolean => d === "int32" || d === "int64" || d === "uint8";

/**
 * A zero-filled typed array of `n` elements of `dtype`, in ordinary memory. Chunks move to
 * shared memory only when they cross threads (the NDArray codec copies them once): most
 * chunks a kernel makes are intermediates of a fused task that never leave it, and a
 * SharedArrayBuffer's memory goes back to the system only when every thread's garbage
 * collector has let go of it — measured, a loop of 32 MiB shared chunks grew to 3 GiB and
 * spent most of its time in page faults, where ordinary buffers were reused at once.
 */
export function allocate(dtype: DType, n: number): TypedArray {
  const buffer = new ArrayBuffer(n * itemsize(dtype));
  switch (dtype) {
    case "float64":
      return new Float64Array(buffer);
    case "float32":
      return new Float32Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
    case "uint8":
    case "bool":
      return new Uint8Array(buffer);
  }
}

/**
 * The kind of typed array, by its tag rather than `instanceof`: arrays that arrive from another
 * thread, or that were made in another realm (a test runner's VM context, a notebook kernel's
 * sandbox), fail `instanceof` against this realm's constructors.
 */
const TAGS: Record<string, DType> = {
  "[object Float64Array]": "float64",
  "[object Float32Array]": "float32",
  "[object Int32Array]": "int32",
  "[object BigInt64Array]": "int64",
  "[object Uint8Array]": "uint8",
};

export const isBigInt64Array = (data: unknown): data is BigInt64Array => Object.prototype.toString.call(data) === "[object BigInt64Array]";

/** The dtype a typed array stores (Uint8Array is read as uint8). */
export function dtypeOfTypedArray(data: ArrayBufferView): DType {
  const dtype = TAGS[Object.prototype.toString.call(data)];
  if (dtype) return dtype;
  throw new TypeError(
    `Unsupported typed array ${data.constructor.name}; use Float64Array, Float32Array, Int32Array, BigInt64Array or Uint8Array`,
  );
}

// ── promotion ─────────────────────────────────────────────────────────────────────────────

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, int64: 3, float32: 4, float64: 5 };

/** NumPy's `result_type` of two array dtypes (`np.promote_types`). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  const [lo, hi] = RANK[a] < RANK[b] ? [a, b] : [b, a];
  if (lo === "bool") return hi;
  // Integers wider than 16 bits do not fit float32's mantissa: NumPy goes to float64.
  if (hi === "float32" && (lo === "int32" || lo === "int64")) return "float64";
  return hi;
}

/** A Python-style scalar operand: its kind matters, not its size (NEP 50 "weak" scalars). */
export type ScalarKind = "bool" | "int" | "float";

export function scalarKind(v: number | boolean | bigint): ScalarKind {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  return Number.isInteger(v) ? "int" : "float";
}

/** Result dtype of an array of `dtype` combined with a scalar of `kind` (NumPy 2 rules). */
export function promoteWithScalar(dtype: DType, kind: ScalarKind): DType {
  if (kind === "bool") return dtype;
  if (kind === "int") return dtype === "bool" ? "int64" : dtype;
  return isFloat(dtype) ? dtype : "float64";
}

/** The dtype of an element-wise float function (sqrt, exp, …) of `dtype`. */
export function floatResult(dtype: DType): DType {
  if (isFloat(dtype)) return dtype;
  // NumPy gives float16 for 8-bit inputs; float16 has no typed array here, so float32.
  return dtype === "bool" || dtype === "uint8" ? "float32" : "float64";
}
