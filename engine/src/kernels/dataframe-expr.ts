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
import { type Data, type DataType, type Dictionary, Float64, Int64, type Table } from "apache-arrow";
import {
  boolBytes,
  boolData,
  decodeDictionary,
  dictionaryData,
  dictionaryIndices,
  dictionaryValues,
  float64Data,
  isBoolType,
  isDictionaryType,
  isDictStringType,
  isIntegerType,
  isNumericLike,
  isStringType,
  numericDataAs,
  numericValues,
  type NumArray,
  sharedArray,
  stringParts,
  utf8Data,
  validityBytes,
} from "./dataframe-arrow.js";
import { datetimeDate, datetimeFloor, datetimePart, type DtPart, type FloorUnit, isDatetimeType } from "./dataframe-datetime.js";
import { castColumn, type CastType, fillColumn } from "./dataframe-ops.js";
import { type StrColumn, type StrFn, type StrOptions, strLength, strPredicate, strResultKind, strTransform } from "./dataframe-strings.js";

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
  | { op: "notNull"; arg: Expr }
  | { op: "str"; fn: StrFn; arg: Expr; opts: StrOptions }
  | { op: "dt"; part: DtPart | "date" | "floor"; arg: Expr; unit?: FloorUnit }
  | { op: "fillna"; arg: Expr; value: Scalar }
  | { op: "cast"; arg: Expr; to: CastType };

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
    case "str": {
      const arg = e.opts.pat !== undefined ? JSON.stringify(e.opts.pat) : e.opts.chars ? JSON.stringify(e.opts.chars) : "";
      return `${exprToString(e.arg)}.str.${e.fn}(${arg})`;
    }
    case "dt":
      return e.part === "floor" ? `${exprToString(e.arg)}.dt.floor("${e.unit}")` : `${exprToString(e.arg)}.dt.${e.part}`;
    case "fillna":
      return `${exprToString(e.arg)}.fillna(${typeof e.value === "string" ? JSON.stringify(e.value) : String(e.value)})`;
    case "cast":
      return `${exprToString(e.arg)}.astype("${e.to}")`;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** An intermediate value: a column in a kernel-friendly layout, or a broadcast scalar. */
type Val =
  | { kind: "num"; values: NumArray; valid: Uint8Array | null; int: boolean; type: DataType }
  | { kind: "bool"; values: Uint8Array; valid: Uint8Array | null }
  | { kind: "str"; offsets: Int32Array | Float64Array; bytes: Uint8Array; valid: Uint8Array | null }
  /** Dictionary-encoded strings: row `i` is entry `indices[i]` of `dict`. */
  | { kind: "dict"; indices: NumArray; dict: StrColumn; valid: Uint8Array | null; type: Dictionary }
  | { kind: "scalar"; value: Scalar };

function columnVal(data: Data): Val {
  const t = data.type;
  if (isDictStringType(t)) {
    const values = dictionaryValues(data);
    const { offsets, bytes } = stringParts(values);
    const indices = dictionaryIndices(data);
    let valid = validityBytes(data);
    const entryValid = validityBytes(values);
    if (entryValid) {
      // A null dictionary entry makes its rows null.
      valid ??= new Uint8Array(data.length).fill(1);
      for (let i = 0; i < data.length; i++) if (valid[i] && !entryValid[indices[i]!]) valid[i] = 0;
    }
    return { kind: "dict", indices, dict: { offsets, bytes, n: values.length }, valid, type: t };
  }
  if (isDictionaryType(t)) return columnVal(decodeDictionary(data));
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
  return v.kind === "scalar" ? `scalar ${typeof v.value}` : `${v.kind === "num" ? "numeric" : v.kind === "str" || v.kind === "dict" ? "string" : "boolean"} column`;
}

/** The rows of a dictionary value as plain strings (for operations without a dictionary path). */
function dictToStr(v: Extract<Val, { kind: "dict" }>, n: number): Extract<Val, { kind: "str" }> {
  const { offsets: eo, bytes: eb } = v.dict;
  const idx = v.indices;
  const valid = v.valid;
  let total = 0;
  for (let i = 0; i < n; i++) if (!valid || valid[i]) total += eo[idx[i]! + 1]! - eo[idx[i]!]!;
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (!valid || valid[i]) {
      const a = eo[idx[i]!]!;
      const b = eo[idx[i]! + 1]!;
      for (let k = a; k < b; k++) bytes[pos++] = eb[k]!;
    }
    offsets[i + 1] = pos;
  }
  return { kind: "str", offsets, bytes, valid };
}

/** Per-entry results of a dictionary value looked up per row (null rows read entry 0). */
function throughIndices<T extends Uint8Array | Float64Array>(perEntry: T, v: Extract<Val, { kind: "dict" }>, n: number, make: (n: number) => T): T {
  const out = make(n);
  const idx = v.indices;
  if (perEntry.length === 0) return out;
  const valid = v.valid;
  if (!valid) for (let i = 0; i < n; i++) out[i] = perEntry[idx[i]!]!;
  else for (let i = 0; i < n; i++) out[i] = valid[i] ? perEntry[idx[i]!]! : 0;
  return out;
}

/** `Series.str` operations: on a dictionary, computed once per entry and looked up per row. */
function stringOp(e: Extract<Expr, { op: "str" }>, a: Val, n: number): Val {
  const kind = strResultKind(e.fn);
  if (a.kind === "scalar") {
    if (a.value === null) return { kind: "scalar", value: null };
    if (typeof a.value !== "string") throw new Error(`str.${e.fn} needs strings, got a ${describe(a)}: ${exprToString(e.arg)}`);
    const bytes = utf8.encode(a.value);
    const one = stringOp(e, { kind: "str", offsets: Int32Array.of(0, bytes.length), bytes, valid: null }, 1);
    if (one.kind === "bool") return { kind: "scalar", value: one.values[0] === 1 };
    if (one.kind === "num") return { kind: "scalar", value: one.values[0]! };
    if (one.kind !== "str") throw new Error(`Internal: str.${e.fn} of a scalar`);
    return { kind: "scalar", value: new TextDecoder().decode(one.bytes.subarray(one.offsets[0]!, one.offsets[1]!)) };
  }
  if (a.kind === "dict") {
    const D = a.dict.n;
    if (kind === "bool") {
      const entries = strPredicate(a.dict, e.fn as "startsWith", e.opts);
      return { kind: "bool", values: throughIndices(entries, a, n, (k) => new Uint8Array(k)), valid: a.valid };
    }
    if (kind === "num") {
      const entries = strLength(a.dict);
      return { kind: "num", values: throughIndices(entries, a, n, (k) => new Float64Array(k)), valid: a.valid, int: true, type: new Int64() };
    }
    const t = strTransform(a.dict, e.fn as "lower", e.opts);
    return { ...a, dict: { offsets: t.offsets, bytes: t.bytes, n: D } };
  }
  if (a.kind !== "str") throw new Error(`str.${e.fn} needs strings, got a ${describe(a)}: ${exprToString(e.arg)}`);
  const col: StrColumn = { offsets: a.offsets, bytes: a.bytes, n };
  if (kind === "bool") return { kind: "bool", values: strPredicate(col, e.fn as "startsWith", e.opts), valid: a.valid };
  if (kind === "num") return { kind: "num", values: strLength(col), valid: a.valid, int: true, type: new Int64() };
  const t = strTransform(col, e.fn as "lower", e.opts);
  return { kind: "str", offsets: t.offsets, bytes: t.bytes, valid: a.valid };
}

/** Operations whose result is a whole column of a type of its own (parts of dates, casts, fills). */
function evalData(e: Extract<Expr, { op: "dt" | "fillna" | "cast" }>, cols: (name: string) => Data, n: number): Data {
  const arg = evaluateExpr(e.arg, cols, n);
  switch (e.op) {
    case "fillna":
      return fillColumn(arg, e.value, exprToString(e.arg));
    case "cast":
      return castColumn(arg, e.to, exprToString(e.arg));
    case "dt":
      if (!isDatetimeType(arg.type)) throw new Error(`dt.${e.part} needs a Timestamp or Date column; ${exprToString(e.arg)} is ${String(arg.type)}`);
      return e.part === "date" ? datetimeDate(arg) : e.part === "floor" ? datetimeFloor(arg, e.unit ?? "D") : datetimePart(arg, e.part);
  }
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
  // A dictionary against a scalar compares each entry once.
  if (a.kind === "dict" && b.kind === "scalar") {
    const entries = comparison(fn, { kind: "str", offsets: a.dict.offsets, bytes: a.dict.bytes, valid: null }, b, a.dict.n) as Extract<Val, { kind: "bool" }>;
    return { kind: "bool", values: throughIndices(entries.values, a, n, (k) => new Uint8Array(k)), valid: a.valid };
  }
  if (b.kind === "dict" && a.kind === "scalar") {
    const entries = comparison(fn, a, { kind: "str", offsets: b.dict.offsets, bytes: b.dict.bytes, valid: null }, b.dict.n) as Extract<Val, { kind: "bool" }>;
    return { kind: "bool", values: throughIndices(entries.values, b, n, (k) => new Uint8Array(k)), valid: b.valid };
  }
  if (a.kind === "dict") return comparison(fn, dictToStr(a, n), b, n);
  if (b.kind === "dict") return comparison(fn, a, dictToStr(b, n), n);
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
    case "str":
      return stringOp(e, evalVal(e.arg, cols, n), n);
    case "dt":
    case "fillna":
    case "cast":
      return columnVal(evalData(e, cols, n));
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
  if (e.op === "dt" || e.op === "fillna" || e.op === "cast") return evalData(e, cols, n);
  const v = evalVal(e, cols, n);
  switch (v.kind) {
    case "num":
      return v.int ? numericDataAs(new Int64(), toFloat64(v.values), v.valid) : float64Data(toFloat64(v.values), v.valid);
    case "bool":
      return boolData(v.values, v.valid);
    case "str":
      return strData(v.offsets, v.bytes, v.valid, n);
    case "dict":
      return dictionaryData(v.type, v.indices, strData(v.dict.offsets, v.dict.bytes, null, v.dict.n), v.valid);
    case "scalar": {
      const x = v.value;
      if (typeof x === "boolean" || x === null) {
        const valid = x === null ? new Uint8Array(n) : null;
        return boolData(new Uint8Array(n).fill(x ? 1 : 0), valid);
      }
      if (typeof x === "string") {
        // A string broadcast to every row.
        const one = utf8.encode(x);
        const offsets = sharedArray(Int32Array, n + 1);
        const bytes = sharedArray(Uint8Array, n * one.length);
        for (let i = 0; i < n; i++) {
          bytes.set(one, i * one.length);
          offsets[i + 1] = (i + 1) * one.length;
        }
        return utf8Data(offsets, bytes, null);
      }
      const num = toNumber(x);
      const int = Number.isInteger(num);
      const arr = new Float64Array(n).fill(num);
      return int ? numericDataAs(new Int64(), arr, null) : float64Data(arr, null);
    }
  }
}

/** A Utf8 column from offsets that may not start at 0 (or be 64-bit), copying only then. */
function strData(offsets: Int32Array | Float64Array, bytes: Uint8Array, valid: Uint8Array | null, n: number): Data {
  const start = n >= 0 && offsets.length > 0 ? offsets[0]! : 0;
  if (offsets instanceof Int32Array && start === 0) return utf8Data(offsets.subarray(0, n + 1), bytes.subarray(0, offsets[n]!), valid);
  const off = sharedArray(Int32Array, n + 1);
  for (let i = 0; i <= n; i++) off[i] = offsets[i]! - start;
  return utf8Data(off, bytes.slice(start, start + off[n]!), valid);
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
