/**
 * Element-wise operations on chunked arrays: NumPy broadcasting across chunk grids and
 * NumPy 2's type promotion. Operands are first brought to common chunks (Dask's
 * `unify_chunks`), then one blockwise layer computes each output chunk from the chunks at the
 * same position; an operand of extent 1 along a dimension is read at block 0 there.
 */
import { blockInput, type BlockAxis, type BlockTemplate } from "../../graph/hlg.js";
import { builtin, lit } from "../../graph/task.js";
import { broadcastShapes, type BinaryOp, COMPARISONS, type UnaryOp } from "../../kernels/array-elementwise.js";
import { ChunkedArray } from "./array.js";
import { commonRefinement } from "./chunks.js";
import { checkDType, type DType, floatResult, isFloat, promoteTypes, promoteWithScalar, scalarKind } from "./dtype.js";
import { rechunk } from "./structure.js";
// Registers the rule that runs fused element-wise chains as one loop.
import "./expr-fusion.js";

/** A scalar operand. A JavaScript number that is an integer counts as a Python int (NEP 50). */
export type Scalar = number | boolean;

const isArray = (x: unknown): x is ChunkedArray => x instanceof ChunkedArray;

/** The dtype an operand contributes to promotion. */
function resultType(operands: readonly (ChunkedArray | Scalar)[]): DType {
  const arrays = operands.filter(isArray);
  if (arrays.length === 0) {
    const kinds = operands.map((s) => scalarKind(s as Scalar));
    return kinds.includes("float") ? "float64" : kinds.includes("int") ? "int64" : "bool";
  }
  let dtype = arrays.map((a) => a.dtype).reduce(promoteTypes);
  for (const s of operands) if (!isArray(s)) dtype = promoteWithScalar(dtype, scalarKind(s));
  return dtype;
}

function checkOperand(x: unknown, op: string): void {
  if (isArray(x) || typeof x === "number" || typeof x === "boolean") return;
  throw new TypeError(`${op}: operands must be arrays, numbers or booleans, got ${x === null ? "null" : typeof x}`);
}

/**
 * A blockwise layer over operands broadcast together: `make` receives one template per
 * operand (a block placeholder or a literal scalar) and returns the kernel call's arguments.
 */
export function elementwise(
  prefix: string,
  kernel: string,
  operands: readonly (ChunkedArray | Scalar)[],
  dtype: DType,
  make: (inputs: BlockTemplate[]) => BlockTemplate[],
  tokenParts: unknown[],
): ChunkedArray {
  const arrays = operands.filter(isArray);
  const outShape = broadcastShapes(...arrays.map((a) => a.shape));
  const ndim = outShape.length;
  // Common chunks along every output dimension, from the operands that span it.
  const chunks: number[][] = outShape.map((n, d) => {
    let c: number[] | undefined;
    for (const a of arrays) {
      const k = d - (ndim - a.ndim);
      if (k < 0 || (a.shape[k] === 1 && n !== 1)) continue;
      c = c === undefined ? [...a.chunks[k]!] : commonRefinement(c, a.chunks[k]!);
    }
    return c ?? [n];
  });
  const aligned = operands.map((x) => {
    if (!isArray(x)) return x;
    const want = x.shape.map((n, k) => (n === 1 && outShape[k + ndim - x.ndim] !== 1 ? [1] : chunks[k + ndim - x.ndim]!));
    return rechunk(x, want);
  });
  const templates = aligned.map((x): BlockTemplate => {
    if (!isArray(x)) return lit(x);
    const axes: BlockAxis[] = x.shape.map((n, k) => {
      const d = k + ndim - x.ndim;
      return n === 1 && outShape[d] !== 1 ? { fixed: 0 } : d;
    });
    const identity = x.ndim === ndim && axes.every((a, d) => a === d);
    return identity ? blockInput(x.name) : blockInput(x.name, axes);
  });
  const template: BlockTemplate = { t: "call", fn: builtin(kernel), args: make(templates) };
  return ChunkedArray.blockwise(prefix, chunks.map((c) => c.length), chunks, dtype, template, aligned.filter(isArray), [kernel, ...tokenParts, ...aligned.map((x) => (isArray(x) ? x.name : x))]);
}

const LOGICAL: ReadonlySet<BinaryOp> = new Set(["and", "or", "xor"]);

/** The dtype of `a op b` and the dtype it is computed in. */
export function binaryResultType(op: BinaryOp, a: ChunkedArray | Scalar, b: ChunkedArray | Scalar): { out: DType; compute: DType } {
  const common = resultType([a, b]);
  const dtypes = [a, b].filter(isArray).map((x) => x.dtype);
  const allBool = common === "bool";
  if (COMPARISONS.has(op)) return { out: "bool", compute: common };
  if (LOGICAL.has(op)) {
    if (isFloat(common)) throw new TypeError(`${op}: not supported for ${dtypes.join(" and ")} arrays (floats have no bitwise ${op})`);
    if (common === "int64") throw new TypeError(`${op}: bitwise operations on int64 are not supported; cast to int32 or use booleans`);
    return { out: common, compute: common };
  }
  if (op === "div") return { out: isFloat(common) ? common : "float64", compute: "float64" };
  if (allBool && op === "sub") throw new TypeError("sub: NumPy does not subtract booleans; use xor, or cast to an integer dtype first");
  if (allBool && (op === "floordiv" || op === "mod" || op === "pow")) {
    throw new TypeError(`${op}: booleans would give int8, which is not supported; cast to an integer dtype first`);
  }
  return { out: common, compute: common };
}

/** `a op b` element by element. */
export function binaryOp(op: BinaryOp, a: ChunkedArray | Scalar, b: ChunkedArray | Scalar): ChunkedArray {
  checkOperand(a, op);
  checkOperand(b, op);
  const { out, compute } = binaryResultType(op, a, b);
  return elementwise(op, "array.binary", [a, b], out, ([ta, tb]) => [lit(op), ta!, tb!, lit(out), lit(compute)], [op, out]);
}

const FLOAT_FUNCTIONS: ReadonlySet<UnaryOp> = new Set(["sqrt", "exp", "log", "log10", "sin", "cos", "tan"]);

/** `op(x)` element by element. */
export function unaryOp(op: UnaryOp, x: ChunkedArray): ChunkedArray {
  let out: DType = x.dtype;
  if (FLOAT_FUNCTIONS.has(op)) out = floatResult(x.dtype);
  else if (op === "not" || op === "isnan" || op === "isfinite") {
    if (op === "not" && isFloat(x.dtype)) throw new TypeError(`not: logical not needs a bool or integer array, got ${x.dtype}`);
    out = "bool";
  } else if (op === "neg" && x.dtype === "bool") throw new TypeError("neg: NumPy does not negate booleans; use not()");
  else if ((op === "floor" || op === "ceil") && !isFloat(x.dtype)) out = floatResult(x.dtype);
  return elementwise(op, "array.unary", [x], out, ([t]) => [lit(op), t!, lit(out)], [op, out]);
}

/** `x` as `dtype`. */
export function castArray(x: ChunkedArray, dtype: DType): ChunkedArray {
  checkDType(dtype, "astype");
  if (x.dtype === dtype) return x;
  return elementwise("astype", "array.astype", [x], dtype, ([t]) => [t!, lit(dtype)], [dtype]);
}

/** `cond ? x : y` element by element, broadcasting all three (NumPy's `where`). */
export function where(cond: ChunkedArray | Scalar, x: ChunkedArray | Scalar, y: ChunkedArray | Scalar): ChunkedArray {
  for (const v of [cond, x, y]) checkOperand(v, "where");
  if (![cond, x, y].some(isArray)) throw new TypeError("where: at least one of cond, x and y must be an array");
  const out = resultType([x, y]);
  return elementwise("where", "array.where", [cond, x, y], out, ([c, a, b]) => [c!, a!, b!, lit(out)], [out]);
}
