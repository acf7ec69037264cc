/**
 * Array kernels that move elements without computing on them: strided slices, assembling a
 * block from pieces of others (rechunk, slicing across chunks), transposes, reshapes, and the
 * blocked matrix product.
 */
import { allocate, type DType, type TypedArray } from "../collections/array/dtype.js";
import { asNumbers, fromNumbers, NDArray, shapeSize, stridesOf, toNumbers } from "../collections/array/ndarray.js";

/** One dimension of a selection: `start`, `stop` (exclusive), `step` (may be negative), all resolved. */
export type DimSlice = [start: number, stop: number, step: number];

/** Elements a resolved slice selects. */
export function sliceLength([start, stop, step]: DimSlice): number {
  return step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
}

/**
 * `x[sel]` with one resolved slice per dimension; dimensions listed in `drop` (selected with a
 * single index) are removed from the result's shape.
 */
export function getitem(x: NDArray, sel: readonly DimSlice[], drop: readonly number[] = []): NDArray {
  const ndim = x.shape.length;
  const lengths = sel.map(sliceLength);
  const whole = sel.every(([s, e, st], d) => s === 0 && e === x.shape[d] && st === 1);
  const outShape = lengths.filter((_, d) => !drop.includes(d));
  if (whole) return drop.length === 0 ? x : new NDArray(x.data, outShape, x.dtype);
  const n = shapeSize(lengths);
  const out = allocate(x.dtype, n);
  const strides = stridesOf(x.shape);
  const src = x.data as { [i: number]: number | bigint };
  const dst = out as unknown as { [i: number]: number | bigint };
  if (n > 0) {
    const counter = new Array<number>(ndim).fill(0);
    let offset = 0;
    for (let d = 0; d < ndim; d++) offset += sel[d]![0] * strides[d]!;
    const inner = ndim - 1;
    const innerStep = ndim > 0 ? sel[inner]![2] * strides[inner]! : 0;
    const innerLen = ndim > 0 ? lengths[inner]! : 1;
    let k = 0;
    for (;;) {
      let o = offset;
      for (let i = 0; i < innerLen; i++, o += innerStep) dst[k++] = src[o]!;
      // Advance the counter over the outer dimensions.
      let d = inner - 1;
      for (; d >= 0; d--) {
        counter[d]!++;
        offset += sel[d]![2] * strides[d]!;
        if (counter[d]! < lengths[d]!) break;
        offset -= sel[d]![2] * strides[d]! * counter[d]!;
        counter[d] = 0;
      }
      if (d < 0) break;
    }
  }
  return new NDArray(out, outShape, x.dtype);
}

/** Copy `piece` into `out` (of shape `outShape`) with its first element at `at`. */
function place(out: TypedArray, outShape: readonly number[], piece: NDArray, at: readonly number[]): void {
  const ndim = outShape.length;
  if (piece.size === 0) return;
  const strides = stridesOf(outShape);
  const dst = out as unknown as { [i: number]: number | bigint };
  const src = piece.data as { [i: number]: number | bigint };
  if (ndim === 0) {
    dst[0] = src[0]!;
    return;
  }
  const rowLen = piece.shape[ndim - 1]!;
  const rows = piece.size / rowLen;
  const counter = new Array<number>(ndim - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let base = at[ndim - 1]!;
    for (let d = 0; d < ndim - 1; d++) base += (at[d]! + counter[d]!) * strides[d]!;
    // Same dtype on both sides (callers cast first), so `set` copies a whole row at once.
    (out as Float64Array).set((piece.data as Float64Array).subarray(r * rowLen, (r + 1) * rowLen), base);
    for (let d = ndim - 2; d >= 0; d--) {
      if (++counter[d]! < piece.shape[d]!) break;
      counter[d] = 0;
    }
  }
}

/** A block of `shape` made of `pieces`, each placed at its offset (rechunking, concatenation). */
export function assemble(shape: readonly number[], dtype: DType, pieces: readonly [NDArray, number[]][]): NDArray {
  if (pieces.length === 1 && pieces[0]![0].shape.every((n, d) => n === shape[d]) && pieces[0]![0].shape.length === shape.length) {
    return pieces[0]![0];
  }
  const out = allocate(dtype, shapeSize(shape));
  for (const [piece, at] of pieces) place(out, shape, piece.dtype === dtype ? piece : new NDArray(fromNumbers(asNumbers(piece.data), dtype), piece.shape, dtype), at);
  return new NDArray(out, shape, dtype);
}

/** Copy a block into a larger array of `outShape` at offset `at` (both of the same dtype). */
export { place as placeBlock };

/** Dimensions reordered: result dimension `d` is input dimension `axes[d]` (NumPy's `transpose`). */
export function transpose(x: NDArray, axes: readonly number[]): NDArray {
  if (axes.every((a, d) => a === d)) return x;
  const shape = axes.map((a) => x.shape[a]!);
  const inStrides = stridesOf(x.shape);
  const strides = axes.map((a) => inStrides[a]!);
  const n = x.size;
  const out = allocate(x.dtype, n);
  const dst = out as unknown as { [i: number]: number | bigint };
  const src = x.data as { [i: number]: number | bigint };
  const ndim = shape.length;
  if (ndim === 2) {
    transpose2d(dst, src, x.shape[0]!, x.shape[1]!);
    return new NDArray(out, shape, x.dtype);
  }
  const counter = new Array<number>(ndim).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    dst[i] = src[offset]!;
    for (let d = ndim - 1; d >= 0; d--) {
      counter[d]!++;
      offset += strides[d]!;
      if (counter[d]! < shape[d]!) break;
      offset -= strides[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return new NDArray(out, shape, x.dtype);
}

/** Tiles of a 2-d transpose: 32 × 32 doubles read and written stay in L1 cache. */
const TRANSPOSE_TILE = 32;

/**
 * `src` (rows × cols, row-major) transposed into `dst`, tile by tile: walking the source
 * row by row would write `dst` with a stride of `rows` elements, one cache miss per element.
 */
function transpose2d(dst: { [i: number]: number | bigint }, src: { [i: number]: number | bigint }, rows: number, cols: number): void {
  for (let i0 = 0; i0 < rows; i0 += TRANSPOSE_TILE) {
    const i1 = Math.min(i0 + TRANSPOSE_TILE, rows);
    for (let j0 = 0; j0 < cols; j0 += TRANSPOSE_TILE) {
      const j1 = Math.min(j0 + TRANSPOSE_TILE, cols);
      for (let j = j0; j < j1; j++) {
        for (let i = i0, o = j * rows + i0, q = i0 * cols + j; i < i1; i++, o++, q += cols) dst[o] = src[q]!;
      }
    }
  }
}

/** The same elements in another shape of the same size (row-major, so no copy). */
export function reshapeBlock(x: NDArray, shape: readonly number[]): NDArray {
  if (shapeSize(shape) !== x.size) {
    throw new Error(`cannot reshape a block of shape (${x.shape.join(", ")}) into shape (${shape.join(", ")})`);
  }
  return new NDArray(x.data, shape, x.dtype);
}

/**
 * One block of a matrix product: `Σ_l as[l] @ bs[l]`, each `as[l]` of shape (m, k_l) and
 * `bs[l]` of shape (k_l, n), accumulated in float64 and stored as `dtype`.
 */
export function matmulBlocks(as: readonly NDArray[], bs: readonly NDArray[], dtype: DType): NDArray {
  const m = as[0]!.shape[0]!;
  const n = bs[0]!.shape[1]!;
  // float64 results accumulate straight in the array they are returned in.
  const acc = dtype === "float64" ? (allocate("float64", m * n) as Float64Array) : new Float64Array(m * n);
  for (let l = 0; l < as.length; l++) {
    const k = as[l]!.shape[1]!;
    if (bs[l]!.shape[0] !== k) throw new Error(`matmul: block shapes (${as[l]!.shape.join(", ")}) and (${bs[l]!.shape.join(", ")}) do not align`);
    gemmAccumulate(acc, float64Data(as[l]!), float64Data(bs[l]!), m, k, n);
  }
  return new NDArray(dtype === "float64" ? acc : fromNumbers(acc, dtype), [m, n], dtype);
}

/**
 * One block of a tensor contraction (NumPy's `tensordot`): `Σ_l tensordot(as[l], bs[l])`
 * over the contracted axes `axesA` of each `as[l]` and `axesB` of each `bs[l]`. Each pair is
 * brought to a matrix product: `a` transposed to (free…, contracted…) and `b` to
 * (contracted…, free…), both row-major, so each is a 2-d matrix without another copy.
 */
export function tensordotBlocks(as: readonly NDArray[], bs: readonly NDArray[], axesA: readonly number[], axesB: readonly number[], dtype: DType): NDArray {
  const a0 = as[0]!;
  const b0 = bs[0]!;
  const freeA = a0.shape.map((_, d) => d).filter((d) => !axesA.includes(d));
  const freeB = b0.shape.map((_, d) => d).filter((d) => !axesB.includes(d));
  const outShape = [...freeA.map((d) => a0.shape[d]!), ...freeB.map((d) => b0.shape[d]!)];
  const m = shapeSize(freeA.map((d) => a0.shape[d]!));
  const n = shapeSize(freeB.map((d) => b0.shape[d]!));
  const acc = dtype === "float64" ? (allocate("float64", m * n) as Float64Array) : new Float64Array(m * n);
  for (let l = 0; l < as.length; l++) {
    const a = transpose(as[l]!, [...freeA, ...axesA]);
    const b = transpose(bs[l]!, [...axesB, ...freeB]);
    const k = shapeSize(axesA.map((d) => as[l]!.shape[d]!));
    const kb = shapeSize(axesB.map((d) => bs[l]!.shape[d]!));
    if (k !== kb) throw new Error(`tensordot: block shapes (${as[l]!.shape.join(", ")}) and (${bs[l]!.shape.join(", ")}) do not align on the contracted axes`);
    gemmAccumulate(acc, float64Data(a), float64Data(b), m, k, n);
  }
  return new NDArray(dtype === "float64" ? acc : fromNumbers(acc, dtype), outShape, dtype);
}

/** The elements as a Float64Array (copied unless they are one), so the product's loops see one array type. */
function float64Data(x: NDArray): Float64Array {
  return x.dtype === "float64" ? (x.data as Float64Array) : toNumbers(x.data);
}

/** Columns of `b` per panel and rows of `b` per panel: a 128 × 256 panel of doubles (256 KiB) stays in L2 cache. */
const GEMM_NC = 256;
const GEMM_KC = 128;

/**
 * `c += a @ b` for row-major `a` (m × k), `b` (k × n), `c` (m × n). Cache-blocked: `b` is
 * walked in panels that stay in cache while every row of `a` passes over them. Register-
 * blocked: each pass of the innermost loop updates four rows of `c` from four rows of `b`, so
 * every element of `b` loaded serves four rows and every load and store of `c` carries four
 * products (the plain i-p-j loop loads and stores `c` once per product); 4 × 4 measured
 * fastest among the small blockings that fit the registers.
 */
function gemmAccumulate(c: Float64Array, a: Float64Array, b: Float64Array, m: number, k: number, n: number): void {
  for (let j0 = 0; j0 < n; j0 += GEMM_NC) {
    const j1 = Math.min(j0 + GEMM_NC, n);
    for (let p0 = 0; p0 < k; p0 += GEMM_KC) {
      const p1 = Math.min(p0 + GEMM_KC, k);
      let i = 0;
      for (; i + 3 < m; i += 4) {
        const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        let p = p0;
        for (; p + 3 < p1; p += 4) {
          const x00 = a[a0 + p]!, x01 = a[a0 + p + 1]!, x02 = a[a0 + p + 2]!, x03 = a[a0 + p + 3]!;
          const x10 = a[a1 + p]!, x11 = a[a1 + p + 1]!, x12 = a[a1 + p + 2]!, x13 = a[a1 + p + 3]!;
          const x20 = a[a2 + p]!, x21 = a[a2 + p + 1]!, x22 = a[a2 + p + 2]!, x23 = a[a2 + p + 3]!;
          const x30 = a[a3 + p]!, x31 = a[a3 + p + 1]!, x32 = a[a3 + p + 2]!, x33 = a[a3 + p + 3]!;
          const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            const v0 = b[b0 + j]!, v1 = b[b1 + j]!, v2 = b[b2 + j]!, v3 = b[b3 + j]!;
            c[c0 + j]! += x00 * v0 + x01 * v1 + x02 * v2 + x03 * v3;
            c[c1 + j]! += x10 * v0 + x11 * v1 + x12 * v2 + x13 * v3;
            c[c2 + j]! += x20 * v0 + x21 * v1 + x22 * v2 + x23 * v3;
            c[c3 + j]! += x30 * v0 + x31 * v1 + x32 * v2 + x33 * v3;
          }
        }
        // The last rows of the panel when its depth is not a multiple of 4.
        for (; p < p1; p++) {
          const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
          const b0 = p * n;
          for (let j = j0; j < j1; j++) {
            const v = b[b0 + j]!;
            c[c0 + j]! += x0 * v;
            c[c1 + j]! += x1 * v;
            c[c2 + j]! += x2 * v;
            c[c3 + j]! += x3 * v;
          }
        }
      }
      // The last rows of `a` when m is not a multiple of 4.
      for (; i < m; i++) {
        const c0 = i * n;
        const a0 = i * k;
        for (let p = p0; p < p1; p++) {
          const x0 = a[a0 + p]!;
          const b0 = p * n;
          for (let j = j0; j < j1; j++) c[c0 + j]! += x0 * b[b0 + j]!;
        }
      }
    }
  }
}
