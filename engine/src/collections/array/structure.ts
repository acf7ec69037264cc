/**
 * Operations that rearrange chunks: transpose, slicing, rechunk, reshape, concatenate, stack
 * and the blocked matrix product. Each output chunk is assembled from pieces of input chunks,
 * so no task ever sees more of the array than it needs.
 */
import { blockInput, blockIndices, HighLevelGraph, MaterializedLayer } from "../../graph/hlg.js";
import { builtin, type Graph, lit, list, makeKey, ref, type TaskNode } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import type { DimSlice } from "../../kernels/array-structure.js";
import { ChunkedArray } from "./array.js";
import { chunkBoundaries, type ChunksSpec, normalizeChunks, regularChunks, sameChunks } from "./chunks.js";
import { promoteTypes } from "./dtype.js";
import { shapeSize } from "./ndarray.js";

const fmt = (shape: readonly number[]): string => `(${shape.join(", ")})`;
const call = (name: string, ...args: TaskNode[]): TaskNode => ({ t: "call", fn: builtin(name), args });

export function materialized(prefix: string, token: string, build: (name: string) => Graph, inputs: ChunkedArray[], chunks: number[][], dtype = inputs[0]!.dtype): ChunkedArray {
  const name = `${prefix}-${token}`;
  const layer = new MaterializedLayer(name, build(name));
  return new ChunkedArray(name, HighLevelGraph.fromLayer(layer, inputs.map((i) => i.graph)), chunks, dtype);
}

// ── transpose ─────────────────────────────────────────────────────────────────────────────

export function transposeArray(x: ChunkedArray, axes?: readonly number[]): ChunkedArray {
  const ndim = x.ndim;
  const perm = axes ? [...axes].map((a) => (a < 0 ? a + ndim : a)) : Array.from({ length: ndim }, (_, d) => ndim - 1 - d);
  if (perm.length !== ndim || new Set(perm).size !== ndim || perm.some((a) => !Number.isInteger(a) || a < 0 || a >= ndim)) {
    throw new Error(`transpose: axes ${JSON.stringify(axes)} are not a permutation of the ${ndim} dimensions of an array of shape ${fmt(x.shape)}`);
  }
  if (perm.every((a, d) => a === d)) return x;
  // Output block index i reads input block j with j[perm[d]] = i[d].
  const inverse = new Array<number>(ndim);
  perm.forEach((a, d) => (inverse[a] = d));
  const chunks = perm.map((a) => [...x.chunks[a]!]);
  const template = { t: "call" as const, fn: builtin("array.transpose"), args: [blockInput(x.name, inverse), lit(perm)] };
  return ChunkedArray.blockwise("transpose", chunks.map((c) => c.length), chunks, x.dtype, template, [x], [perm]);
}

// ── slicing ───────────────────────────────────────────────────────────────────────────────

/** One dimension of a selection: an index, the whole dimension (null), or `[start, stop, step]`. */
export type IndexSpec = number | null | readonly [start?: number | null, stop?: number | null, step?: number | null];

/** Python's `slice.indices(n)`: clamp start and stop into the dimension, as NumPy does. */
export function resolveSlice(spec: readonly [number?, number?, number?] | readonly (number | null | undefined)[], n: number): DimSlice {
  const step = spec[2] ?? 1;
  if (!Number.isInteger(step) || step === 0) throw new Error(`slice step must be a non-zero integer, got ${spec[2]}`);
  const clamp = (v: number | null | undefined, dflt: number, lo: number, hi: number): number => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new TypeError(`slice bounds must be integers, got ${v}`);
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, lo), hi);
  };
  return step > 0 ? [clamp(spec[0], 0, 0, n), clamp(spec[1], n, 0, n), step] : [clamp(spec[0], n - 1, -1, n - 1), clamp(spec[1], -1, -1, n - 1), step];
}

/** Per dimension: output chunks and, for each, the input block and the slice inside it. */
function sliceDimension(chunks: readonly number[], sl: DimSlice): { block: number; local: DimSlice; length: number }[] {
  const [start, stop, step] = sl;
  const bounds = chunkBoundaries(chunks);
  const out: { block: number; local: DimSlice; length: number }[] = [];
  const order = step > 0 ? chunks.map((_, b) => b) : chunks.map((_, b) => chunks.length - 1 - b);
  for (const b of order) {
    const lo = bounds[b]!;
    const hi = bounds[b + 1]!;
    if (step > 0) {
      const from = Math.max(start, lo);
      const first = from + ((((start - from) % step) + step) % step);
      const end = Math.min(stop, hi);
      if (first >= end) continue;
      const length = Math.ceil((end - first) / step);
      out.push({ block: b, local: [first - lo, first - lo + (length - 1) * step + 1, step], length });
    } else {
      const s = -step;
      const from = Math.min(start, hi - 1);
      const first = from - ((((from - start) % s) + s) % s);
      const end = Math.max(stop, lo - 1);
      if (first <= end) continue;
      const length = Math.ceil((first - end) / s);
      out.push({ block: b, local: [first - lo, first - lo - (length - 1) * s - 1, step], length });
    }
  }
  if (out.length === 0) out.push({ block: 0, local: [0, 0, 1], length: 0 });
  return out;
}

export function sliceArray(x: ChunkedArray, specs: readonly IndexSpec[]): ChunkedArray {
  if (specs.length > x.ndim) throw new RangeError(`slice: ${specs.length} indices for an array of shape ${fmt(x.shape)} (${x.ndim} dimensions)`);
  const shape = x.shape;
  const drop: number[] = [];
  const perDim = shape.map((n, d) => {
    const spec = specs[d] ?? null;
    if (typeof spec === "number") {
      if (!Number.isInteger(spec) || spec < -n || spec >= n) throw new RangeError(`slice: index ${spec} is out of bounds for axis ${d} with size ${n} (shape ${fmt(shape)})`);
      const i = spec < 0 ? spec + n : spec;
      drop.push(d);
      return sliceDimension(x.chunks[d]!, [i, i + 1, 1]);
    }
    if (spec !== null && !Array.isArray(spec)) throw new TypeError(`slice: spec ${JSON.stringify(spec)} for axis ${d} must be a number, null or [start, stop, step]`);
    return sliceDimension(x.chunks[d]!, resolveSlice(spec === null ? [] : (spec as (number | null)[]), n));
  });
  if (drop.length === 0 && perDim.every((p, d) => p.length === x.chunks[d]!.length && p.every((q, b) => q.block === b && q.local[0] === 0 && q.local[2] === 1 && q.length === x.chunks[d]![b]))) return x;
  const chunks = perDim.filter((_, d) => !drop.includes(d)).map((p) => p.map((q) => q.length));
  return materialized("getitem", tokenize(x.name, specs.map((s) => s ?? "all")), (name) => {
    const graph: Graph = new Map();
    for (const index of blockIndices(perDim.map((p) => p.length))) {
      const pieces = index.map((i, d) => perDim[d]![i]!);
      const outIndex = index.filter((_, d) => !drop.includes(d));
      graph.set(makeKey(name, ...outIndex), call("array.getitem", ref(makeKey(x.name, ...pieces.map((p) => p.block))), lit(pieces.map((p) => p.local)), lit(drop)));
    }
    return graph;
  }, [x], chunks);
}

// ── rechunk ───────────────────────────────────────────────────────────────────────────────

export function rechunk(x: ChunkedArray, spec: ChunksSpec): ChunkedArray {
  const shape = x.shape;
  // Dimensions left "auto" keep their current chunks.
  const resolved: ChunksSpec = spec === "auto" ? spec : typeof spec === "number" ? spec : spec.map((c, d) => (c === "auto" ? [...x.chunks[d]!] : c));
  const chunks = normalizeChunks(resolved, shape, x.dtype);
  if (sameChunks(chunks, x.chunks)) return x;
  const inBounds = x.chunks.map(chunkBoundaries);
  const outBounds = chunks.map(chunkBoundaries);
  return materialized("rechunk", tokenize(x.name, chunks), (name) => {
    const graph: Graph = new Map();
    for (const index of blockIndices(chunks.map((c) => c.length))) {
      // Per dimension, the input blocks overlapping this output block and where.
      const spans = index.map((i, d) => {
        const lo = outBounds[d]![i]!;
        const hi = outBounds[d]![i + 1]!;
        const found: { block: number; local: DimSlice; at: number }[] = [];
        const b0 = inBounds[d]!;
        for (let b = 0; b < x.chunks[d]!.length; b++) {
          const s = Math.max(lo, b0[b]!);
          const e = Math.min(hi, b0[b + 1]!);
          if (e > s || (hi === lo && b === 0 && found.length === 0)) found.push({ block: b, local: [s - b0[b]!, Math.max(s, e) - b0[b]!, 1], at: s - lo });
        }
        return found;
      });
      const blockShape = index.map((i, d) => chunks[d]![i]!);
      const pieces = blockIndices(spans.map((s) => s.length)).map((combo) => {
        const parts = combo.map((k, d) => spans[d]![k]!);
        const piece = call("array.getitem", ref(makeKey(x.name, ...parts.map((p) => p.block))), lit(parts.map((p) => p.local)));
        return list([piece, lit(parts.map((p) => p.at))]);
      });
      graph.set(makeKey(name, ...index), pieces.length === 1 ? (pieces[0]! as { items: TaskNode[] }).items[0]! : call("array.assemble", lit(blockShape), lit(x.dtype), list(pieces)));
    }
    return graph;
  }, [x], chunks);
}

// ── reshape ───────────────────────────────────────────────────────────────────────────────

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Reshape by groups: dimensions of the input and output are matched into groups of equal
 * product (for (6, 4) → (2, 3, 4): {6} → {2, 3} and {4} → {4}). Within a group only the first
 * dimension may be split into several chunks, the others are made whole, and the first
 * dimension's chunks are made multiples of what keeps rows intact; then every chunk reshapes
 * on its own, row-major, like NumPy's C-order reshape.
 */
export function reshape(x: ChunkedArray, newShape: readonly number[]): ChunkedArray {
  const size = x.size;
  const unknown = newShape.filter((n) => n === -1).length;
  if (unknown > 1 || newShape.some((n) => !Number.isInteger(n) || n < -1)) throw new Error(`reshape: bad shape ${fmt(newShape)}; use non-negative integers and at most one -1`);
  const known = shapeSize(newShape.filter((n) => n !== -1));
  const target = newShape.map((n) => (n === -1 ? (known === 0 ? 0 : size / known) : n));
  if (shapeSize(target) !== size || target.some((n) => !Number.isInteger(n))) {
    throw new Error(`reshape: cannot reshape an array of shape ${fmt(x.shape)} (${size} elements) into shape ${fmt(newShape)}`);
  }
  const shape = x.shape;
  if (target.length === shape.length && target.every((n, d) => n === shape[d])) return x;
  if (size === 0) {
    // Nothing to move: one empty chunk of the new shape.
    return materialized("reshape", tokenize(x.name, target), (name) => new Map([[makeKey(name, ...target.map(() => 0)), call("array.full", lit(target), lit(x.dtype), lit(0))]]), [x], target.map((n) => [n]));
  }
  // Drop dimensions of length 1 on both sides first: they never constrain chunks.
  const inDims = shape.map((n, d) => d).filter((d) => shape[d] !== 1);
  const outDims = target.map((n, d) => d).filter((d) => target[d] !== 1);
  const squeezed = x.ndim === inDims.length ? x : reshapeBlocks(x, inDims.map((d) => shape[d]!), inDims.map((d) => [...x.chunks[d]!]));
  const inShape = inDims.map((d) => shape[d]!);
  const outShape = outDims.map((d) => target[d]!);
  // Groups of equal product.
  const groups: { ins: number[]; outs: number[] }[] = [];
  for (let i = 0, j = 0; i < inShape.length || j < outShape.length; ) {
    const g = { ins: [i], outs: [j] };
    let pi = inShape[i]!;
    let po = outShape[j]!;
    while (pi !== po) {
      if (pi < po) pi *= inShape[++i]!;
      else po *= outShape[++j]!;
    }
    groups.push(g);
    g.ins = range(g.ins[0]!, i + 1);
    g.outs = range(g.outs[0]!, j + 1);
    i++;
    j++;
  }
  const inChunks: number[][] = squeezed.chunks.map((c) => [...c]);
  const outChunks: number[][] = new Array(outShape.length);
  for (const { ins, outs } of groups) {
    const restIn = shapeSize(ins.slice(1).map((d) => inShape[d]!));
    const restOut = shapeSize(outs.slice(1).map((d) => outShape[d]!));
    for (const d of ins.slice(1)) inChunks[d] = [inShape[d]!];
    const first = ins[0]!;
    // Rows of the first input dimension per chunk must fill whole rows of the output group.
    const unit = restOut / gcd(restIn, restOut);
    const current = Math.max(...squeezed.chunks[first]!);
    const per = Math.max(unit, Math.round(current / unit) * unit);
    const mult = inChunks[first]!.every((c) => c % unit === 0) ? inChunks[first]! : regularChunks(inShape[first]!, per);
    inChunks[first] = mult;
    // Output: the first dimension takes the elements of each input chunk, the rest are whole.
    outChunks[outs[0]!] = mult.map((c) => (c * restIn) / restOut);
    for (const d of outs.slice(1)) outChunks[d] = [outShape[d]!];
    if (outs.length > 1 && outChunks[outs[0]!]!.some((c) => !Number.isInteger(c))) throw new Error(`reshape: internal chunk mismatch for ${fmt(shape)} → ${fmt(target)}`);
  }
  const ready = rechunk(squeezed, inChunks);
  const reshaped = reshapeBlocks(ready, outShape, outChunks);
  if (outShape.length === target.length) return reshaped;
  const finalChunks = target.map((n) => [n]);
  outDims.forEach((d, k) => (finalChunks[d] = outChunks[k]!));
  return reshapeBlocks(reshaped, target, finalChunks);
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/** Reshape chunk by chunk when the block grids correspond one to one (in row-major order). */
function reshapeBlocks(x: ChunkedArray, shape: number[], chunks: number[][]): ChunkedArray {
  const outGrid = chunks.map((c) => c.length);
  const inKeys = x.blockKeys();
  if (shapeSize(outGrid) !== inKeys.length) throw new Error(`reshape: internal block mismatch ${fmt(x.numblocks)} → ${fmt(outGrid)}`);
  return materialized("reshape", tokenize(x.name, shape, chunks), (name) => {
    const graph: Graph = new Map();
    blockIndices(outGrid).forEach((index, n) => {
      graph.set(makeKey(name, ...index), call("array.reshape", ref(inKeys[n]!), lit(index.map((i, d) => chunks[d]![i]!))));
    });
    return graph;
  }, [x], chunks);
}

// ── concatenate and stack ─────────────────────────────────────────────────────────────────

function checkSameShapes(arrays: readonly ChunkedArray[], skip: number, op: string): void {
  const first = arrays[0]!;
  for (const a of arrays.slice(1)) {
    if (a.ndim !== first.ndim || a.shape.some((n, d) => d !== skip && n !== first.shape[d])) {
      throw new Error(
        `${op}: all arrays must have the same shape${skip >= 0 ? ` except along axis ${skip}` : ""}; got ${fmt(first.shape)} and ${fmt(a.shape)}`,
      );
    }
  }
}

/** Arrays joined along an existing axis. */
export function concatenate(arrays: readonly ChunkedArray[], axis = 0): ChunkedArray {
  if (arrays.length === 0) throw new Error("concatenate: give at least one array");
  const ndim = arrays[0]!.ndim;
  if (ndim === 0) throw new Error("concatenate: zero-dimensional arrays cannot be concatenated");
  const ax = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= ndim) throw new RangeError(`concatenate: axis ${axis} is out of bounds for arrays of dimension ${ndim}`);
  checkSameShapes(arrays, ax, "concatenate");
  const dtype = arrays.map((a) => a.dtype).reduce(promoteTypes);
  // Other dimensions follow the first array's chunks.
  const base = arrays[0]!.chunks;
  const aligned = arrays.map((a) => rechunk(a, a.chunks.map((c, d) => (d === ax ? [...c] : [...base[d]!]))));
  const chunks = base.map((c, d) => (d === ax ? aligned.flatMap((a) => [...a.chunks[ax]!]) : [...c]));
  return materialized("concatenate", tokenize(aligned.map((a) => a.name), ax, dtype), (name) => {
    const graph: Graph = new Map();
    let offset = 0;
    for (const a of aligned) {
      for (const index of blockIndices(a.numblocks)) {
        const out = index.map((i, d) => (d === ax ? i + offset : i));
        const input = ref(makeKey(a.name, ...index));
        graph.set(makeKey(name, ...out), a.dtype === dtype ? call("identity", input) : call("array.astype", input, lit(dtype)));
      }
      offset += a.numblocks[ax]!;
    }
    return graph;
  }, aligned, chunks, dtype);
}

/** Arrays of the same shape joined along a new axis. */
export function stack(arrays: readonly ChunkedArray[], axis = 0): ChunkedArray {
  if (arrays.length === 0) throw new Error("stack: give at least one array");
  checkSameShapes(arrays, -1, "stack");
  const ndim = arrays[0]!.ndim + 1;
  const ax = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= ndim) throw new RangeError(`stack: axis ${axis} is out of bounds for the result's ${ndim} dimensions`);
  const expanded = arrays.map((a) => {
    const shape = [...a.shape];
    shape.splice(ax, 0, 1);
    const chunks = a.chunks.map((c) => [...c]);
    chunks.splice(ax, 0, [1]);
    return reshapeBlocks(a, shape, chunks);
  });
  return concatenate(expanded, ax);
}

// ── matrix product ────────────────────────────────────────────────────────────────────────

/** `a @ b` for 1-d and 2-d arrays: output chunk (i, j) sums `a[i, l] @ b[l, j]` over l. */
export function matmul(a: ChunkedArray, b: ChunkedArray): ChunkedArray {
  if (a.ndim === 0 || b.ndim === 0 || a.ndim > 2 || b.ndim > 2) {
    throw new Error(`matmul: operands must be 1-d or 2-d, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? reshapeBlocks(a, [1, a.shape[0]!], [[1], [...a.chunks[0]!]]) : a;
  const b2 = b.ndim === 1 ? reshapeBlocks(b, [b.shape[0]!, 1], [[...b.chunks[0]!], [1]]) : b;
  const [m, k] = a2.shape as [number, number];
  const [k2, n] = b2.shape as [number, number];
  if (k !== k2) throw new Error(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} are not aligned: ${k} (dim ${a.ndim - 1}) != ${k2} (dim 0)`);
  const bAligned = rechunk(b2, [[...a2.chunks[1]!], [...b2.chunks[1]!]]);
  const dtype = promoteTypes(a.dtype, b.dtype);
  const chunks = [[...a2.chunks[0]!], [...bAligned.chunks[1]!]];
  const inner = a2.numblocks[1]!;
  const product = materialized("matmul", tokenize(a2.name, bAligned.name), (name) => {
    const graph: Graph = new Map();
    for (const [i, j] of blockIndices(chunks.map((c) => c.length)) as [number, number][]) {
      const as = range(0, inner).map((l) => ref(makeKey(a2.name, i, l)));
      const bs = range(0, inner).map((l) => ref(makeKey(bAligned.name, l, j)));
      graph.set(makeKey(name, i, j), call("array.matmul", list(as), list(bs), lit(dtype)));
    }
    return graph;
  }, [a2, bAligned], chunks, dtype);
  void m;
  void n;
  if (a.ndim === 2 && b.ndim === 2) return product;
  const shape = [...(a.ndim === 2 ? [a.shape[0]!] : []), ...(b.ndim === 2 ? [b.shape[1]!] : [])];
  const outChunks = [...(a.ndim === 2 ? [chunks[0]!] : []), ...(b.ndim === 2 ? [chunks[1]!] : [])];
  return reshapeBlocks(product, shape, outChunks);
}
