/**
 * Array kernels that move elements without computing on them: strided slices, assembling a
 * block from pieces of others (rechunk, slicing across chunks), transposes, reshapes, and the
 * blocked matrix product.
 */
import { allocate, type DType, type TypedArray } from "../collections/array/dtype.js";
import { asNumbers, fromNumbers, NDArray, shapeSize, stridesOf } from "../collections/array/ndarray.js";

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
  const acc = new Float64Array(m * n);
  for (let l = 0; l < as.length; l++) {
    const a = asNumbers(as[l]!.data);
    const b = asNumbers(bs[l]!.data);
    const k = as[l]!.shape[1]!;
    if (bs[l]!.shape[0] !== k) throw new Error(`matmul: block shapes (${as[l]!.shape.join(", ")}) and (${bs[l]!.shape.join(", ")}) do not align`);
    // i-p-j loop order: the inner loop walks rows of b and of the result contiguously.
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p]!;
        const brow = p * n;
        for (let j = 0; j < n; j++) acc[row + j]! += aip * b[brow + j]!;
      }
    }
  }
  return new NDArray(dtype === "float64" ? copyShared(acc) : fromNumbers(acc, dtype), [m, n], dtype);
}

function copyShared(values: Float64Array): Float64Array {
  const out = allocate("float64", values.length) as Float64Array;
  out.set(values);
  return out;
}
