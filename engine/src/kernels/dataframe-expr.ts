/**
 * Column expressions: what `df.col("a").add(1).gt(5)` records, and how a partition evaluates
 * it. An expression is a small tree of plain objects, so it travels inside a task as a
 * literal; evaluation works on whole typed arrays (one loop per operator, no per-row
 * closures, no row objects).
 *
 * Semantics follow SQL/Arrow (and so DuckDB, our oracle): an operation with a null operand is
 * null; `filter` keeps only rows whose condition is true (null counts as false), which is
 * also what pandas does for a boolean mask built from comparisons.
 */
import { type Data, type DataType, Float64, Int64, type Table } from "apache-arrow";
import {
  boolBytes,
  boolData,
  float64Data,
  isBoolType,
  isIntegerType,
  isNumericLike,
  isStringType,
  numericDataAs,
  numericValues,
  type NumArray,
  stringParts,
  validityBytes,
} from "./dataframe-arrow.js";

export type ArithmeticOp = "add" | "sub" | "mul" | "div";
export type ComparisonOp = "gt" | "ge" | "lt" | "le" | "eq" | "ne";
export type LogicalOp = "and" | "or";
export type BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp;
export type Scalar = number | string | boolean | bigint | null;

export type Expr =
  | { op: "col"; name: string }
  | { op: "lit"; value: Scalar }
  | { op: "bin"; fn: BinaryOp; left: Expr; right: Expr }
  | { op: "not"; arg: Expr }
  | { op: "isNull"; arg: Expr }
  | { op: "notNull"; arg: Expr };

export const BINARY_OPS: readonly BinaryOp[] = ["add", "sub", "mul", "div", "gt", "ge", "lt", "le", "eq", "ne", "and", "or"];

/** Columns an expression reads. */
export function exprColumns(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.op) {
    case "col":
      out.add(e.name);
      break;
    case "lit":
      break;
    case "bin":
      exprColumns(e.left, out);
      exprColumns(e.right, out);
      break;
    default:
      exprColumns(e.arg, out);
  }
  return out;
}

const SYMBOLS: Record<BinaryOp, string> = {
  add: "+", sub: "-", mul: "*", div: "/", gt: ">", ge: ">=", lt: "<", le: "<=", eq: "==", ne: "!=", and: "&", or: "|",
};

/** Readable form, for names and error messages: `(delay > 5)`. */
export function exprToString(e: Expr): string {
  switch (e.op) {
    case "col":
      return e.name;
    case "lit":
      return typeof e.value === "string" ? JSON.stringify(e.value) : String(e.value);
    case "bin":
      return `(${exprToString(e.left)} ${SYMBOLS[e.fn]} ${exprToString(e.right)})`;
    case "not":
      return `~${exprToString(e.arg)}`;
    case "isNull":
      return `${exprToString(e.arg)}.isNull()`;
    case "notNull":
      return `${exprToString(e.arg)}.notNull()`;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** An intermediate value: a column in a kernel-friendly layout, or a broadcast scalar. */
type Val =
  | { kind: "num"; values: NumArray; valid: Uint8Array | null; int: boolean; type: DataType }
  | { kind: "bool"; values: Uint8Array; valid: Uint8Array | null }
  | { kind: "str"; offsets: Int32Array | Float64Array; bytes: Uint8Array; valid: Uint8Array | null }
  | { kind: "scalar"; value: Scalar };

function columnVal(data: Data): Val {
  const t = data.type;
  if (isNumericLike(t)) return { kind: "num", values: numericValues(data), valid: validityBytes(data), int: isIntegerType(t), type: t };
  if (isBoolType(t)) return { kind: "bool", values: boolBytes(data), valid: validityBytes(data) };
  if (isStringType(t)) {
    const { offsets, bytes } = stringParts(data);
    return { kind: "str", offsets, bytes, valid: validityBytes(data) };
  }
  throw new Error(`Expressions on columns of type ${String(t)} are not supported yet`);
}

function andValid(a: Uint8Array | null, b: Uint8Array | null, n: number): Uint8Array | null {
  if (!a) return b;
  if (!b) return a;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i]! & b[i]!;
  return out;
}

function describe(v: Val): string {
  return v.kind === "scalar" ? `scalar ${typeof v.value}` : `${v.kind === "num" ? "numeric" : v.kind === "str" ? "string" : "boolean"} column`;
}

function toNumber(x: Scalar): number {
  return typeof x === "bigint" ? Number(x) : typeof x === "boolean" ? (x ? 1 : 0) : (x as number);
}

function arithmetic(fn: ArithmeticOp, a: Val, b: Val, n: number): Val {
  if (a.kind === "scalar" && b.kind === "scalar") {
    if (a.value === null || b.value === null) return { kind: "scalar", value: null };
    const x = toNumber(a.value);
    const y = toNumber(b.value);
    return { kind: "scalar", value: fn === "add" ? x + y : fn === "sub" ? x - y : fn === "mul" ? x * y : x / y };
  }
  const bad = [a, b].find((v) => !(v.kind === "num" || (v.kind === "scalar" && (v.value === null || typeof v.value !== "string"))));
  if (bad) throw new Error(`Cannot ${fn} a ${describe(bad)}`);
  // Null scalar: the whole result is null.
  if ((a.kind === "scalar" && a.value === null) || (b.kind === "scalar" && b.value === null)) {
    return { kind: "num", values: new Float64Array(n), valid: new Uint8Array(n), int: false, type: new Float64() };
  }
  const out = new Float64Array(n);
  const av = a.kind === "num" ? a.values : null;
  const bv = b.kind === "num" ? b.values : null;
  const as = a.kind === "scalar" ? toNumber(a.value) : 0;
  const bs = b.kind === "scalar" ? toNumber(b.value) : 0;
  // One loop per (operator, shape): the branch is outside the hot loop.
  const L = (i: number): number => (av ? av[i]! : as);
  const R = (i: number): number => (bv ? bv[i]! : bs);
  if (av && bv) {
    if (fn === "add") for (let i = 0; i < n; i++) out[i] = av[i]! + bv[i]!;
    else if (fn === "sub") for (let i = 0; i < n; i++) out[i] = av[i]! - bv[i]!;
    else if (fn === "mul") for (let i = 0; i < n; i++) out[i] = av[i]! * bv[i]!;
    else for (let i = 0; i < n; i++) out[i] = av[i]! / bv[i]!;
  } else if (av) {
    if (fn === "add") for (let i = 0; i < n; i++) out[i] = av[i]! + bs;
    else if (fn === "sub") for (let i = 0; i < n; i++) out[i] = av[i]! - bs;
    else if (fn === "mul") for (let i = 0; i < n; i++) out[i] = av[i]! * bs;
    else for (let i = 0; i < n; i++) out[i] = av[i]! / bs;
  } else {
    for (let i = 0; i < n; i++) {
      const x = L(i);
      const y = R(i);
      out[i] = fn === "add" ? x + y : fn === "sub" ? x - y : fn === "mul" ? x * y : x / y;
    }
  }
  const isInt = (v: Val): boolean =>
    v.kind === "num" ? v.int : v.kind === "scalar" && typeof v.value !== "boolean" && Number.isInteger(toNumber(v.value));
  const aInt = isInt(a);
  const bInt = isInt(b);
  // pandas: int op int stays int64 except true division.
  const int = aInt && bInt && fn !== "div";
  const valid = andValid(a.kind === "num" ? a.valid : null, b.kind === "num" ? b.valid : null, n);
  return { kind: "num", values: out, valid, int, type: int ? new Int64() : new Float64() };
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): number {
  const la = a1 - a0;
  const lb = b1 - b0;
  const m = la < lb ? la : lb;
  for (let k = 0; k < m; k++) {
    const d = a[a0 + k]! - b[b0 + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

function cmpResult(fn: ComparisonOp, c: number): number {
  switch (fn) {
    case "gt":
      return c > 0 ? 1 : 0;
    case "ge":
      return c >= 0 ? 1 : 0;
    case "lt":
      return c < 0 ? 1 : 0;
    case "le":
      return c <= 0 ? 1 : 0;
    case "eq":
      return c === 0 ? 1 : 0;
    case "ne":
      return c !== 0 ? 1 : 0;
  }
}

function comparison(fn: ComparisonOp, a: Val, b: Val, n: number): Val {
  if ((a.kind === "scalar" && a.value === null) || (b.kind === "scalar" && b.value === null)) {
    return { kind: "bool", values: new Uint8Array(n), valid: new Uint8Array(n) };
  }
  const out = new Uint8Array(n);
  // Strings compare by UTF-8 bytes, which is code-point order (as DuckDB and Arrow do).
  if (a.kind === "str" || b.kind === "str") {
    const side = (v: Val): { offsets: Int32Array | Float64Array | null; bytes: Uint8Array; lo: number; hi: number } => {
      if (v.kind === "str") return { offsets: v.offsets, bytes: v.bytes, lo: 0, hi: 0 };
      if (v.kind === "scalar" && typeof v.value === "string") {
        const bytes = utf8.encode(v.value);
        return { offsets: null, bytes, lo: 0, hi: bytes.length };
      }
      throw new Error(`Cannot compare a string column with a ${describe(v)}`);
    };
    const L = side(a);
    const R = side(b);
    for (let i = 0; i < n; i++) {
      const a0 = L.offsets ? L.offsets[i]! : L.lo;
      const a1 = L.offsets ? L.offsets[i + 1]! : L.hi;
      const b0 = R.offsets ? R.offsets[i]! : R.lo;
      const b1 = R.offsets ? R.offsets[i + 1]! : R.hi;
      out[i] = cmpResult(fn, compareBytes(L.bytes, a0, a1, R.bytes, b0, b1));
    }
    const valid = andValid(a.kind === "str" ? a.valid : null, b.kind === "str" ? b.valid : null, n);
    return { kind: "bool", values: out, valid };
  }
  const nums = (v: Val): { arr: ArrayLike<number> | null; s: number; valid: Uint8Array | null } => {
    if (v.kind === "num" || v.kind === "bool") return { arr: v.values, s: 0, valid: v.valid };
    if (v.kind === "scalar" && typeof v.value !== "string") return { arr: null, s: toNumber(v.value), valid: null };
    throw new Error(`Cannot compare a ${describe(a)} with a ${describe(b)}`);
  };
  const L = nums(a);
  const R = nums(b);
  if (L.arr && !R.arr) {
    const x = L.arr;
    const s = R.s;
    if (fn === "gt") for (let i = 0; i < n; i++) out[i] = x[i]! > s ? 1 : 0;
    else if (fn === "ge") for (let i = 0; i < n; i++) out[i] = x[i]! >= s ? 1 : 0;
    else if (fn === "lt") for (let i = 0; i < n; i++) out[i] = x[i]! < s ? 1 : 0;
    else if (fn === "le") for (let i = 0; i < n; i++) out[i] = x[i]! <= s ? 1 : 0;
    else if (fn === "eq") for (let i = 0; i < n; i++) out[i] = x[i]! === s ? 1 : 0;
    else for (let i = 0; i < n; i++) out[i] = x[i]! !== s ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) {
      const x = L.arr ? L.arr[i]! : L.s;
      const y = R.arr ? R.arr[i]! : R.s;
      out[i] = cmpResult(fn, x > y ? 1 : x < y ? -1 : x === y ? 0 : NaN);
    }
  }
  return { kind: "bool", values: out, valid: andValid(L.valid, R.valid, n) };
}

function logical(fn: LogicalOp, a: Val, b: Val, n: number): Val {
  const bools = (v: Val): { arr: Uint8Array | null; s: number; valid: Uint8Array | null; nullScalar: boolean } => {
    if (v.kind === "bool") return { arr: v.values, s: 0, valid: v.valid, nullScalar: false };
    if (v.kind === "scalar" && (typeof v.value === "boolean" || v.value === null)) {
      return { arr: null, s: v.value ? 1 : 0, valid: null, nullScalar: v.value === null };
    }
    throw new Error(`Cannot ${fn} a ${describe(v)}: expected a boolean column`);
  };
  const L = bools(a);
  const R = bools(b);
  const out = new Uint8Array(n);
  const valid = new Uint8Array(n);
  let anyNull = false;
  // Kleene logic (SQL): false AND null = false, true OR null = true.
  for (let i = 0; i < n; i++) {
    const x = L.arr ? L.arr[i]! : L.s;
    const y = R.arr ? R.arr[i]! : R.s;
    const xv = L.nullScalar ? 0 : L.valid ? L.valid[i]! : 1;
    const yv = R.nullScalar ? 0 : R.valid ? R.valid[i]! : 1;
    // A known dominant operand (false for and, true for or) decides; else both must be known.
    const dominant = fn === "and" ? 0 : 1;
    if ((xv && x === dominant) || (yv && y === dominant)) {
      out[i] = dominant;
      valid[i] = 1;
    } else if (xv && yv) {
      out[i] = dominant ^ 1;
      valid[i] = 1;
    } else anyNull = true;
  }
  return { kind: "bool", values: out, valid: anyNull ? valid : null };
}

function evalVal(e: Expr, cols: (name: string) => Data, n: number): Val {
  switch (e.op) {
    case "col":
      return columnVal(cols(e.name));
    case "lit":
      return { kind: "scalar", value: e.value };
    case "bin": {
      const a = evalVal(e.left, cols, n);
      const b = evalVal(e.right, cols, n);
      if (e.fn === "add" || e.fn === "sub" || e.fn === "mul" || e.fn === "div") return arithmetic(e.fn, a, b, n);
      if (e.fn === "and" || e.fn === "or") return logical(e.fn, a, b, n);
      return comparison(e.fn, a, b, n);
    }
    case "not": {
      const a = evalVal(e.arg, cols, n);
      if (a.kind === "scalar") return { kind: "scalar", value: a.value === null ? null : !a.value };
      if (a.kind !== "bool") throw new Error(`Cannot negate a ${describe(a)}`);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = a.values[i]! ^ 1;
      return { kind: "bool", values: out, valid: a.valid };
    }
    case "isNull":
    case "notNull": {
      const a = evalVal(e.arg, cols, n);
      const want = e.op === "isNull" ? 1 : 0;
      const out = new Uint8Array(n);
      if (a.kind === "scalar") out.fill(a.value === null ? want : want ^ 1);
      else if (a.valid) for (let i = 0; i < n; i++) out[i] = a.valid[i]! ^ 1 ^ (want ^ 1);
      else out.fill(want ^ 1);
      return { kind: "bool", values: out, valid: null };
    }
  }
}

/** A column (resolved by name, with the available names for the error message). */
export function columnLookup(table: Table, columns: Map<string, Data>): (name: string) => Data {
  return (name) => {
    const d = columns.get(name);
    if (!d) throw new Error(`Column "${name}" not found; columns are: ${table.schema.fields.map((f) => f.name).join(", ")}`);
    return d;
  };
}

/** Evaluate `e` over `n` rows; the result is a single-chunk Arrow column of `n` rows. */
export function evaluateExpr(e: Expr, cols: (name: string) => Data, n: number): Data {
  // A bare column keeps its type and buffers untouched.
  if (e.op === "col") return cols(e.name);
  const v = evalVal(e, cols, n);
  switch (v.kind) {
    case "num":
      return v.int ? numericDataAs(new Int64(), toFloat64(v.values), v.valid) : float64Data(toFloat64(v.values), v.valid);
    case "bool":
      return boolData(v.values, v.valid);
    case "str":
      throw new Error("Internal: string expressions are returned as columns");
    case "scalar": {
      const x = v.value;
      if (typeof x === "boolean" || x === null) {
        const valid = x === null ? new Uint8Array(n) : null;
        return boolData(new Uint8Array(n).fill(x ? 1 : 0), valid);
      }
      if (typeof x === "string") throw new Error("A string literal cannot be used as a column yet");
      const num = toNumber(x);
      const int = Number.isInteger(num);
      const arr = new Float64Array(n).fill(num);
      return int ? numericDataAs(new Int64(), arr, null) : float64Data(arr, null);
    }
  }
}

function toFloat64(v: NumArray): Float64Array {
  return v instanceof Float64Array ? v : Float64Array.from(v);
}

/** Bytes (1 keep, 0 drop) of a boolean expression; null counts as drop. */
export function evaluateMask(e: Expr, cols: (name: string) => Data, n: number): Uint8Array {
  const v = evalVal(e, cols, n);
  if (v.kind === "scalar") return new Uint8Array(n).fill(v.value === true ? 1 : 0);
  if (v.kind !== "bool") throw new Error(`filter needs a boolean condition, got a ${describe(v)}: ${exprToString(e)}`);
  if (!v.valid) return v.values;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = v.values[i]! & v.valid[i]!;
  return out;
}
