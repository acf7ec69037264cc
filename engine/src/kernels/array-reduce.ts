/**
 * Array reductions in three steps, for tree reductions over chunks: every chunk is reduced
 * to a partial (`reducePartial`), partials are combined a few at a time (`reduceCombine`),
 * and the last combination becomes the result block (`reduceFinalize`).
 *
 * Partials keep the chunk's dimensions with the reduced ones set to 1, so partials of chunks
 * that differ only along reduced axes line up element by element. Accumulation is in
 * float64; mean and variance combine counts, means and squared deviations with Chan's
 * pairwise formula, which keeps them accurate however the chunks are split.
 */
import type { DType } from "../collections/array/dtype.js";
import { asNumbers, fromNumbers, NDArray, shapeSize, stridesOf } from "../collections/array/ndarray.js";

export type ReduceOp = "sum" | "prod" | "min" | "max" | "any" | "all" | "mean" | "var" | "std" | "argmin" | "argmax";

/** A partial result: per output element, one accumulator (or moments, or best value and index). */
export type ReducePartial =
  | { kind: "acc"; acc: Float64Array }
  | { kind: "moments"; n: number; mean: Float64Array; m2: Float64Array }
  | { kind: "arg"; val: Float64Array; idx: Float64Array };

/** Where the chunk sits in the whole array, for argmin/argmax's global indices. */
export interface ArgContext {
  /** Offset of the chunk's first element along each dimension. */
  offsets: number[];
  /** Shape of the whole array. */
  fullShape: number[];
  /** The reduced axis, or null for the index into the flattened array. */
  axis: number | null;
}

/** For each element of `shape`, its position in the shape with `axes` set to 1. */
function outputPositions(shape: readonly number[], axes: readonly number[]): { map: Int32Array | null; size: number } {
  const outShape = shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const size = shapeSize(outShape);
  if (size === 1) return { map: null, size };
  const n = shapeSize(shape);
  const outStrides = stridesOf(outShape).map((s, d) => (axes.includes(d) ? 0 : s));
  const map = new Int32Array(n);
  const counter = new Array<number>(shape.length).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    map[i] = o;
    for (let d = shape.length - 1; d >= 0; d--) {
      counter[d]!++;
      o += outStrides[d]!;
      if (counter[d]! < shape[d]!) break;
      o -= outStrides[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return { map, size };
}

const IDENTITY: Partial<Record<ReduceOp, number>> = { sum: 0, prod: 1, min: Infinity, max: -Infinity, any: 0, all: 1 };

/**
 * A chunk seen as rows along its last dimension: row `r` holds elements `r * len … r * len + len - 1`
 * and accumulates into output positions `rowOut[r] + j * step` (step 0 when the last dimension
 * is reduced, 1 when it is kept). Kernels loop over rows and elements with no per-element
 * index map or closure; `rowOut` has one entry per row, not per element.
 */
interface RowLayout {
  rows: number;
  len: number;
  step: number;
  rowOut: Int32Array;
  size: number;
}

function rowLayout(shape: readonly number[], axes: readonly number[]): RowLayout {
  const ndim = shape.length;
  const outShape = shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const size = shapeSize(outShape);
  if (ndim === 0) return { rows: 1, len: 1, step: 0, rowOut: new Int32Array(1), size };
  const len = shape[ndim - 1]!;
  const step = axes.includes(ndim - 1) ? 0 : 1;
  const outer = shape.slice(0, -1);
  const rows = shapeSize(outer);
  const outStrides = stridesOf(outShape).map((s, d) => (axes.includes(d) ? 0 : s));
  const rowOut = new Int32Array(rows);
  const counter = new Array<number>(ndim - 1).fill(0);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    rowOut[r] = o;
    for (let d = ndim - 2; d >= 0; d--) {
      counter[d]!++;
      o += outStrides[d]!;
      if (counter[d]! < outer[d]!) break;
      o -= outStrides[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return { rows, len, step, rowOut, size };
}

type Values = ArrayLike<number>;

/** `acc[o] += values[i]` over the layout (a running sum per row when the last axis is reduced). */
function addInto(acc: Float64Array, values: Values, { rows, len, step, rowOut }: RowLayout): void {
  for (let r = 0, i = 0; r < rows; r++) {
    const o = rowOut[r]!;
    if (step === 0) {
      let s = 0;
      for (let j = 0; j < len; j++) s += values[i++]!;
      acc[o]! += s;
    } else for (let j = 0; j < len; j++) acc[o + j]! += values[i++]!;
  }
}

/** Reduce one chunk over `axes` (chunk dimensions) to a partial. */
export function reducePartial(op: ReduceOp, x: NDArray, axes: readonly number[], arg?: ArgContext): ReducePartial {
  const values = asNumbers(x.data);
  const n = x.size;
  if (op === "argmin" || op === "argmax") {
    const { map, size } = outputPositions(x.shape, axes);
    const at = map === null ? () => 0 : (i: number) => map[i]!;
    return argPartial(op, x, values, at, size, arg!);
  }
  const layout = rowLayout(x.shape, axes);
  const { rows, len, step, rowOut, size } = layout;
  if (op === "mean" || op === "var" || op === "std") {
    const count = size === 0 ? 0 : n / size;
    const mean = new Float64Array(size);
    addInto(mean, values, layout);
    for (let o = 0; o < size; o++) mean[o] = count > 0 ? mean[o]! / count : 0;
    const m2 = new Float64Array(size);
    if (op !== "mean") {
      for (let r = 0, i = 0; r < rows; r++) {
        const o = rowOut[r]!;
        for (let j = 0, k = o; j < len; j++, k += step) {
          const dev = values[i++]! - mean[k]!;
          m2[k]! += dev * dev;
        }
      }
    }
    return { kind: "moments", n: count, mean, m2 };
  }
  const acc = new Float64Array(size).fill(IDENTITY[op]!);
  if (op === "sum") {
    addInto(acc, values, layout);
    return { kind: "acc", acc };
  }
  for (let r = 0, i = 0; r < rows; r++) {
    const o = rowOut[r]!;
    switch (op) {
      case "prod":
        for (let j = 0, k = o; j < len; j++, k += step) acc[k]! *= values[i++]!;
        break;
      case "min":
        for (let j = 0, k = o; j < len; j++, k += step) {
          const v = values[i++]!;
          // The first NaN sticks (NumPy propagates NaN).
          if (v < acc[k]! || v !== v) acc[k] = acc[k] !== acc[k] ? acc[k]! : v;
        }
        break;
      case "max":
        for (let j = 0, k = o; j < len; j++, k += step) {
          const v = values[i++]!;
          if (v > acc[k]! || v !== v) acc[k] = acc[k] !== acc[k] ? acc[k]! : v;
        }
        break;
      case "any":
        for (let j = 0, k = o; j < len; j++, k += step) if (values[i++] !== 0) acc[k] = 1;
        break;
      case "all":
        for (let j = 0, k = o; j < len; j++, k += step) if (values[i++] === 0) acc[k] = 0;
        break;
    }
  }
  return { kind: "acc", acc };
}

function argPartial(op: "argmin" | "argmax", x: NDArray, values: ArrayLike<number>, at: (i: number) => number, size: number, ctx: ArgContext): ReducePartial {
  const val = new Float64Array(size).fill(op === "argmin" ? Infinity : -Infinity);
  const idx = new Float64Array(size).fill(-1);
  const ndim = x.shape.length;
  const fullStrides = stridesOf(ctx.fullShape);
  const counter = new Array<number>(ndim).fill(0);
  const better = op === "argmin" ? (v: number, b: number) => v < b : (v: number, b: number) => v > b;
  for (let i = 0; i < x.size; i++) {
    const o = at(i);
    const v = values[i]!;
    const best = val[o]!;
    // NaN is the extreme of both orders (NumPy returns the first NaN's index).
    if (best === best && (v !== v || better(v, best) || idx[o] === -1)) {
      val[o] = v;
      let g = 0;
      if (ctx.axis === null) for (let d = 0; d < ndim; d++) g += (ctx.offsets[d]! + counter[d]!) * fullStrides[d]!;
      else g = ctx.offsets[ctx.axis]! + counter[ctx.axis]!;
      idx[o] = g;
    }
    for (let d = ndim - 1; d >= 0; d--) {
      if (++counter[d]! < x.shape[d]!) break;
      counter[d] = 0;
    }
  }
  return { kind: "arg", val, idx };
}

/** Combine partials of the same op (and the same output positions) into one. */
export function reduceCombine(op: ReduceOp, ...parts: ReducePartial[]): ReducePartial {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  if (first.kind === "moments") {
    let { n, mean, m2 } = first;
    mean = mean.slice();
    m2 = m2.slice();
    for (const p of parts.slice(1) as Extract<ReducePartial, { kind: "moments" }>[]) {
      const total = n + p.n;
      if (p.n === 0) continue;
      for (let o = 0; o < mean.length; o++) {
        const delta = p.mean[o]! - mean[o]!;
        mean[o]! += (delta * p.n) / total;
        m2[o]! += p.m2[o]! + (delta * delta * n * p.n) / total;
      }
      n = total;
    }
    return { kind: "moments", n, mean, m2 };
  }
  if (first.kind === "arg") {
    const val = first.val.slice();
    const idx = first.idx.slice();
    const better = op === "argmin" ? (v: number, b: number) => v < b : (v: number, b: number) => v > b;
    for (const p of parts.slice(1) as Extract<ReducePartial, { kind: "arg" }>[]) {
      for (let o = 0; o < val.length; o++) {
        const v = p.val[o]!;
        const b = val[o]!;
        if (p.idx[o] === -1 || b !== b) continue;
        if (idx[o] === -1 || v !== v || better(v, b) || (v === b && p.idx[o]! < idx[o]!)) {
          val[o] = v;
          idx[o] = p.idx[o]!;
        }
      }
    }
    return { kind: "arg", val, idx };
  }
  const acc = first.acc.slice();
  for (const p of parts.slice(1) as Extract<ReducePartial, { kind: "acc" }>[]) {
    const b = p.acc;
    switch (op) {
      case "sum":
        for (let o = 0; o < acc.length; o++) acc[o]! += b[o]!;
        break;
      case "prod":
        for (let o = 0; o < acc.length; o++) acc[o]! *= b[o]!;
        break;
      case "min":
        for (let o = 0; o < acc.length; o++) acc[o] = acc[o] !== acc[o] || b[o] !== b[o] ? NaN : Math.min(acc[o]!, b[o]!);
        break;
      case "max":
        for (let o = 0; o < acc.length; o++) acc[o] = acc[o] !== acc[o] || b[o] !== b[o] ? NaN : Math.max(acc[o]!, b[o]!);
        break;
      case "any":
        for (let o = 0; o < acc.length; o++) acc[o] = acc[o] || b[o] ? 1 : 0;
        break;
      case "all":
        for (let o = 0; o < acc.length; o++) acc[o] = acc[o] && b[o] ? 1 : 0;
        break;
      default:
        throw new Error(`reduceCombine: ${op} does not combine accumulators`);
    }
  }
  return { kind: "acc", acc };
}

/** The result block of shape `shape` and dtype `dtype` from the last partials. */
export function reduceFinalize(op: ReduceOp, dtype: DType, shape: number[], ddof: number, ...parts: ReducePartial[]): NDArray {
  const p = reduceCombine(op, ...parts);
  let values: Float64Array;
  if (p.kind === "moments") {
    values = new Float64Array(p.mean.length);
    for (let o = 0; o < values.length; o++) {
      if (op === "mean") values[o] = p.n > 0 ? p.mean[o]! : NaN;
      else {
        const v = p.n - ddof > 0 ? p.m2[o]! / (p.n - ddof) : NaN;
        values[o] = op === "std" ? Math.sqrt(v) : v;
      }
    }
  } else if (p.kind === "arg") values = p.idx;
  else values = p.acc;
  return new NDArray(fromNumbers(values, dtype), shape, dtype);
}
