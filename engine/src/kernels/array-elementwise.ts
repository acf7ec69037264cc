/**
 * Element-wise array kernels with NumPy broadcasting: operands of shapes (5, 1, 3) and (4, 1)
 * combine into (5, 4, 3), a dimension of size 1 (or a missing leading one) repeating along
 * the other's. Chunks of a chunked array are broadcast the same way inside each task.
 */
import { allocate, type DType, isFloat, type TypedArray, isBigInt64Array } from "../collections/array/dtype.js";
import { asNumbers, fromNumbers, NDArray, shapeSize, stridesOf } from "../collections/array/ndarray.js";

/** An operand: a chunk, or a scalar broadcast to every element. */
export type Operand = NDArray | number | boolean;

/** The shape of operands of `shapes` broadcast together; throws naming both shapes when they do not fit. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const shape of shapes) {
    for (let k = 0; k < shape.length; k++) {
      const d = ndim - shape.length + k;
      const n = shape[k]!;
      if (n === out[d] || n === 1) continue;
      if (out[d] === 1) out[d] = n;
      else {
        throw new Error(
          `operands could not be broadcast together with shapes ${shapes.map((s) => `(${s.join(", ")})`).join(" ")}: ` +
            `dimension ${d} is ${out[d]} in one and ${n} in another`,
        );
      }
    }
  }
  return out;
}

/** For each element of `outShape` (row-major), the flat position of the element of `shape` it reads. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array | null {
  if (shape.length === outShape.length && shape.every((n, d) => n === outShape[d])) return null;
  const size = shapeSize(outShape);
  const ndim = outShape.length;
  const own = stridesOf(shape);
  const strides = outShape.map((_, d) => {
    const k = d - (ndim - shape.length);
    return k < 0 || shape[k] === 1 ? 0 : own[k]!;
  });
  const index = new Int32Array(size);
  const counter = new Array<number>(ndim).fill(0);
  let offset = 0;
  for (let i = 0; i < size; i++) {
    index[i] = offset;
    for (let d = ndim - 1; d >= 0; d--) {
      counter[d]!++;
      offset += strides[d]!;
      if (counter[d]! < outShape[d]!) break;
      offset -= strides[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return index;
}

type Values = ArrayLike<number>;

/** An operand's values as numbers and how to index them at each output position. */
function reader(x: Operand, outShape: readonly number[]): (i: number) => number {
  if (!(x instanceof NDArray)) {
    const v = Number(x);
    return () => v;
  }
  const values: Values = asNumbers(x.data);
  const index = broadcastIndex(x.shape, outShape);
  return index === null ? (i) => values[i]! : (i) => values[index[i]!]!;
}

const shapeOf = (x: Operand): readonly number[] => (x instanceof NDArray ? x.shape : []);

export type UnaryOp =
  | "neg" | "abs" | "sqrt" | "exp" | "log" | "log10" | "sin" | "cos" | "tan"
  | "floor" | "ceil" | "not" | "isnan" | "isfinite" | "square" | "sign";

export const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  floor: Math.floor,
  ceil: Math.ceil,
  not: (x) => (x === 0 ? 1 : 0),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
  isfinite: (x) => (Number.isFinite(x) ? 1 : 0),
  square: (x) => x * x,
  sign: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0),
};

export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "floordiv" | "mod" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and" | "or" | "xor";

export const COMPARISONS: ReadonlySet<BinaryOp> = new Set(["eq", "ne", "lt", "le", "gt", "ge"]);

/** NumPy's float `mod`: the remainder takes the divisor's sign. */
function floatMod(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && b < 0 !== m < 0 ? m + b : m;
}

export function binaryFunction(op: BinaryOp, integer: boolean): (a: number, b: number) => number {
  switch (op) {
    case "add": return (a, b) => a + b;
    case "sub": return (a, b) => a - b;
    case "mul": return (a, b) => a * b;
    case "div": return (a, b) => a / b;
    // Integer division by zero is 0 in NumPy (with a warning), not an exception.
    case "floordiv": return integer ? (a, b) => (b === 0 ? 0 : Math.floor(a / b)) : (a, b) => Math.floor(a / b);
    case "mod": return integer ? (a, b) => (b === 0 ? 0 : a - Math.floor(a / b) * b) : floatMod;
    case "pow": return Math.pow;
    // NaN wins, as in NumPy's maximum/minimum.
    case "maximum": return (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b);
    case "minimum": return (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b);
    case "eq": return (a, b) => (a === b ? 1 : 0);
    case "ne": return (a, b) => (a !== b ? 1 : 0);
    case "lt": return (a, b) => (a < b ? 1 : 0);
    case "le": return (a, b) => (a <= b ? 1 : 0);
    case "gt": return (a, b) => (a > b ? 1 : 0);
    case "ge": return (a, b) => (a >= b ? 1 : 0);
    case "and": return (a, b) => a & b;
    case "or": return (a, b) => a | b;
    case "xor": return (a, b) => a ^ b;
  }
}

/** Where results are written: straight into the output, or through float64 for int64/bool. */
function output(dtype: DType, n: number, exact01: boolean): { out: { [i: number]: number; length: number }; finish: () => TypedArray } {
  if (dtype === "int64" || (dtype === "bool" && !exact01)) {
    const tmp = new Float64Array(n);
    return { out: tmp, finish: () => fromNumbers(tmp, dtype) };
  }
  const arr = allocate(dtype, n) as Exclude<TypedArray, BigInt64Array>;
  return { out: arr, finish: () => arr };
}

/** `op(x)` element by element, stored as `outDtype`. */
export function unary(op: UnaryOp, x: NDArray, outDtype: DType): NDArray {
  const f = UNARY[op];
  const values = asNumbers(x.data);
  const n = x.size;
  const { out, finish } = output(outDtype, n, op === "not" || op === "isnan" || op === "isfinite");
  // The common functions get loops of their own: through the table, `f` differs from call to
  // call, so the engine cannot inline it and pays a function call per element.
  switch (op) {
    case "sqrt": for (let i = 0; i < n; i++) out[i] = Math.sqrt(values[i]!); break;
    case "neg": for (let i = 0; i < n; i++) out[i] = -values[i]!; break;
    case "abs": for (let i = 0; i < n; i++) out[i] = Math.abs(values[i]!); break;
    case "square": for (let i = 0; i < n; i++) out[i] = values[i]! * values[i]!; break;
    case "exp": for (let i = 0; i < n; i++) out[i] = Math.exp(values[i]!); break;
    case "log": for (let i = 0; i < n; i++) out[i] = Math.log(values[i]!); break;
    default: for (let i = 0; i < n; i++) out[i] = f(values[i]!);
  }
  return new NDArray(finish(), x.shape, outDtype);
}

/** `op(a, b)` with broadcasting, stored as `outDtype`. */
export function binary(op: BinaryOp, a: Operand, b: Operand, outDtype: DType, computeDtype: DType = outDtype): NDArray {
  const outShape = broadcastShapes(shapeOf(a), shapeOf(b));
  const n = shapeSize(outShape);
  const integer = !isFloat(computeDtype) && computeDtype !== "bool";
  const f = binaryFunction(op, integer);
  const { out, finish } = output(outDtype, n, COMPARISONS.has(op));
  // The common case, same shapes or a scalar, without index arrays.
  const sameA = a instanceof NDArray && a.size === n && broadcastIndex(a.shape, outShape) === null;
  const sameB = b instanceof NDArray && b.size === n && broadcastIndex(b.shape, outShape) === null;
  if (sameA && sameB) {
    const av = asNumbers((a as NDArray).data);
    const bv = asNumbers((b as NDArray).data);
    if (op === "add") for (let i = 0; i < n; i++) out[i] = av[i]! + bv[i]!;
    else if (op === "mul") for (let i = 0; i < n; i++) out[i] = av[i]! * bv[i]!;
    else if (op === "sub") for (let i = 0; i < n; i++) out[i] = av[i]! - bv[i]!;
    else if (op === "div") for (let i = 0; i < n; i++) out[i] = av[i]! / bv[i]!;
    else for (let i = 0; i < n; i++) out[i] = f(av[i]!, bv[i]!);
  } else if (sameA && !(b instanceof NDArray)) {
    const av = asNumbers((a as NDArray).data);
    const s = Number(b);
    if (op === "add") for (let i = 0; i < n; i++) out[i] = av[i]! + s;
    else if (op === "mul") for (let i = 0; i < n; i++) out[i] = av[i]! * s;
    else if (op === "sub") for (let i = 0; i < n; i++) out[i] = av[i]! - s;
    else if (op === "div") for (let i = 0; i < n; i++) out[i] = av[i]! / s;
    else for (let i = 0; i < n; i++) out[i] = f(av[i]!, s);
  } else if (sameB && !(a instanceof NDArray)) {
    const bv = asNumbers((b as NDArray).data);
    const s = Number(a);
    if (op === "add") for (let i = 0; i < n; i++) out[i] = s + bv[i]!;
    else if (op === "mul") for (let i = 0; i < n; i++) out[i] = s * bv[i]!;
    else if (op === "sub") for (let i = 0; i < n; i++) out[i] = s - bv[i]!;
    else if (op === "div") for (let i = 0; i < n; i++) out[i] = s / bv[i]!;
    else for (let i = 0; i < n; i++) out[i] = f(s, bv[i]!);
  } else {
    const ra = reader(a, outShape);
    const rb = reader(b, outShape);
    for (let i = 0; i < n; i++) out[i] = f(ra(i), rb(i));
  }
  return new NDArray(finish(), outShape, outDtype);
}

/** `cond ? x : y` element by element, with broadcasting (NumPy's `where`). */
export function where(cond: Operand, x: Operand, y: Operand, outDtype: DType): NDArray {
  const outShape = broadcastShapes(shapeOf(cond), shapeOf(x), shapeOf(y));
  const n = shapeSize(outShape);
  const rc = reader(cond, outShape);
  const rx = reader(x, outShape);
  const ry = reader(y, outShape);
  const { out, finish } = output(outDtype, n, false);
  for (let i = 0; i < n; i++) out[i] = rc(i) !== 0 ? rx(i) : ry(i);
  // int64 values pass through float64 here; exact below 2^53 (see dtype.ts).
  return new NDArray(finish(), outShape, outDtype);
}

/** `x` cast to `dtype` (NumPy's `astype`). */
export function castTo(x: NDArray, dtype: DType): NDArray {
  if (x.dtype === dtype) return x;
  if (dtype === "int64" && isBigInt64Array(x.data)) return x;
  if (isBigInt64Array(x.data)) return new NDArray(fromNumbers(asNumbers(x.data), dtype), x.shape, dtype);
  if (dtype === "int64" && !isFloat(x.dtype)) {
    const out = allocate("int64", x.size) as BigInt64Array;
    for (let i = 0; i < x.size; i++) out[i] = BigInt(x.data[i] as number);
    return new NDArray(out, x.shape, dtype);
  }
  return new NDArray(fromNumbers(x.data as ArrayLike<number>, dtype), x.shape, dtype);
}
