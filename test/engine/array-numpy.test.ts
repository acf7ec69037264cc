/**
 * Arrays checked against NumPy. Inputs are written as .npy files, a small Python script
 * (the repository's `.venv`) computes every case with NumPy into .npy files, and each case is
 * computed here from the same files cut into awkward chunks (uneven last chunks, single-element
 * chunks, empty dimensions). Integers and booleans must match exactly; floats to 1e-12
 * relative, except where the order of summation differs (sums, means, variances, matrix
 * products: 1e-10 relative to the sum of magnitudes) and float32 (1e-6).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { closeSharedScheduler, compute, da, type ChunkedArray, type NDArray } from "@tessera/engine";

const PYTHON = resolve(process.cwd(), ".venv/bin/python");
const haveNumpy = existsSync(PYTHON);
if (!haveNumpy) console.warn(`Skipping the NumPy comparisons: ${PYTHON} is missing (create the .venv with numpy to run them)`);
const describeNumpy = haveNumpy ? describe : describe.skip;

let dir: string;

type Inputs = Record<string, ChunkedArray>;
interface Case {
  name: string;
  /** Python expression over the inputs (NumPy arrays) and `np`. */
  py: string;
  ts: (x: Inputs) => ChunkedArray;
  /** Tolerance: "exact", "float" (1e-12), "sum" (summation order differs), "f32". */
  tol?: "exact" | "float" | "sum" | "f32";
}

/** Input arrays: made here, saved as .npy, read back by both sides. */
const inputs = {
  a: da.random.normal(0, 1, [37, 23], { seed: 1, chunks: [10, 7] }),
  b: da.random.uniform(0.5, 2, [23], { seed: 2, chunks: 5 }),
  c: da.random.integers(-50, 50, [37, 23], { seed: 3, dtype: "int32", chunks: 37 }),
  i64: da.random.integers(-1000, 1000, [6, 5, 4], { seed: 4, chunks: [4, 2, 3] }),
  f32: da.random.normal(0, 3, [19, 11], { seed: 5, dtype: "float32", chunks: [8, 11] }),
  u8: da.random.integers(0, 256, [30], { seed: 6, dtype: "uint8", chunks: 7 }),
  col: da.random.normal(5, 2, [37, 1], { seed: 7, chunks: [9, 1] }),
  cube: da.random.random([5, 6, 7], { seed: 8, chunks: [2, 4, 3] }),
  empty: da.zeros([0, 5], { chunks: [1, 2] }),
  one: da.random.random([1, 1], { seed: 9, chunks: 1 }),
  t3: da.random.normal(0, 1, [6, 7, 4], { seed: 10, chunks: [4, 3, 2] }),
};
/** How each input is chunked when read back (awkward on purpose). */
const readChunks: Record<string, number | number[]> = {
  a: [6, 5], b: 4, c: [1, 23], i64: [5, 1, 4], f32: [19, 3], u8: 1, col: [10, 1], cube: [3, 1, 7], empty: [1, 3], one: 1, t3: [5, 2, 4],
};

// Functions shipped to the workers by mapOverlap and blockwise: self-contained on purpose.
function movingSum3(b: NDArray): Float64Array {
  const d = b.data as Float64Array;
  const o = new Float64Array(b.size);
  for (let i = 1; i < b.size - 1; i++) o[i] = d[i - 1]! + d[i]! + d[i + 1]!;
  return o;
}
function movingSum5(b: NDArray): Float64Array {
  const d = b.data as Float64Array;
  const o = new Float64Array(b.size);
  for (let i = 2; i < b.size - 2; i++) o[i] = d[i - 2]! + d[i - 1]! + d[i]! + d[i + 1]! + d[i + 2]!;
  return o;
}
function movingSum13(b: NDArray): Float64Array {
  const d = b.data as Float64Array;
  const o = new Float64Array(b.size);
  for (let i = 6; i < b.size - 6; i++) for (let k = -6; k <= 6; k++) o[i] += d[i + k]!;
  return o;
}
function laplacian(b: NDArray): Float64Array {
  const [m, n] = b.shape as [number, number];
  const d = b.data as Float64Array;
  const o = new Float64Array(b.size);
  for (let i = 1; i < m - 1; i++) for (let j = 1; j < n - 1; j++) o[i * n + j] = d[(i - 1) * n + j]! + d[(i + 1) * n + j]! + d[i * n + j - 1]! + d[i * n + j + 1]! - 4 * d[i * n + j]!;
  return o;
}
function movingMax5Axis0(b: NDArray): Float64Array {
  const rows = b.shape[0]!;
  const inner = b.size / rows;
  const d = b.data as Float64Array;
  const o = new Float64Array(b.size);
  for (let i = 2; i < rows - 2; i++) for (let j = 0; j < inner; j++) o[i * inner + j] = Math.max(d[(i - 2) * inner + j]!, d[(i - 1) * inner + j]!, d[i * inner + j]!, d[(i + 1) * inner + j]!, d[(i + 2) * inner + j]!);
  return o;
}
function rowSum3(b: NDArray): Int32Array {
  const [m, n] = b.shape as [number, number];
  const d = b.data as Int32Array;
  const o = new Int32Array(b.size);
  for (let i = 1; i < m - 1; i++) for (let j = 0; j < n; j++) o[i * n + j] = d[(i - 1) * n + j]! + d[i * n + j]! + d[(i + 1) * n + j]!;
  return o;
}
function addTransposed(x: NDArray, y: NDArray): Float64Array {
  const [m, n] = x.shape as [number, number];
  const o = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) o[i * n + j] = (x.data[i * n + j] as number) + (y.data[j * m + i] as number);
  return o;
}
function timesInt(x: NDArray, k: number): Int32Array {
  return (x.data as Int32Array).map((v) => v * k);
}
function rowSums(blocks: NDArray[]): Float64Array {
  const o = new Float64Array(blocks[0]!.shape[0]!);
  for (const b of blocks) for (let i = 0; i < o.length; i++) for (let j = 0; j < b.shape[1]!; j++) o[i] += b.data[i * b.shape[1]! + j] as number;
  return o;
}
function rowMax(b: NDArray): Float64Array {
  const [m, n] = b.shape as [number, number];
  const o = new Float64Array(m).fill(-Infinity);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) o[i] = Math.max(o[i]!, b.data[i * n + j] as number);
  return o;
}
function blockMatmul(as: NDArray[], bs: NDArray[]): Float64Array {
  const m = as[0]!.shape[0]!;
  const n = bs[0]!.shape[1]!;
  const o = new Float64Array(m * n);
  for (let l = 0; l < as.length; l++) {
    const k = as[l]!.shape[1]!;
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) o[i * n + j] += (as[l]!.data[i * k + p] as number) * (bs[l]!.data[p * n + j] as number);
  }
  return o;
}

const cases: Case[] = [
  // element-wise, broadcasting, promotion
  { name: "add_bcast_row", py: "a + b", ts: (x) => x.a!.add(x.b!) },
  { name: "sub_col", py: "a - col", ts: (x) => x.a!.sub(x.col!) },
  { name: "mul_scalar", py: "a * 2.5", ts: (x) => x.a!.mul(2.5) },
  { name: "div_int", py: "c / 7", ts: (x) => x.c!.div(7), tol: "exact" },
  { name: "floordiv_int", py: "c // 7", ts: (x) => x.c!.floordiv(7), tol: "exact" },
  { name: "mod_int_neg", py: "c % -7", ts: (x) => x.c!.mod(-7), tol: "exact" },
  { name: "mod_float", py: "a % 0.7", ts: (x) => x.a!.mod(0.7) },
  { name: "int_plus_float", py: "c + a", ts: (x) => x.c!.add(x.a!) },
  { name: "int32_plus_int64_scalar", py: "c + 3", ts: (x) => x.c!.add(3), tol: "exact" },
  { name: "f32_times_scalar", py: "f32 * 1.5", ts: (x) => x.f32!.mul(1.5), tol: "f32" },
  { name: "f32_plus_f64", py: "f32 + np.float64(1) * f32.astype(np.float64)", ts: (x) => x.f32!.add(x.f32!.astype("float64")) },
  { name: "u8_plus_int", py: "u8 + 200", ts: (x) => x.u8!.add(200), tol: "exact" },
  { name: "i64_mul", py: "i64 * i64 - 3", ts: (x) => x.i64!.mul(x.i64!).sub(3), tol: "exact" },
  { name: "cube_bcast", py: "cube * cube[0] + cube[:, :1, :]", ts: (x) => x.cube!.mul(x.cube!.slice(0)).add(x.cube!.slice(null, [null, 1])) },
  { name: "compare", py: "a > b", ts: (x) => x.a!.gt(x.b!), tol: "exact" },
  { name: "compare_int", py: "c <= 0", ts: (x) => x.c!.le(0), tol: "exact" },
  { name: "logical", py: "(a > 0) & (c < 10)", ts: (x) => x.a!.gt(0).and(x.c!.lt(10)), tol: "exact" },
  { name: "where", py: "np.where(a > 0, a, b)", ts: (x) => da.where(x.a!.gt(0), x.a!, x.b!) },
  { name: "where_scalars", py: "np.where(c > 0, 1, -1)", ts: (x) => da.where(x.c!.gt(0), 1, -1), tol: "exact" },
  { name: "abs_int", py: "np.abs(c)", ts: (x) => x.c!.abs(), tol: "exact" },
  { name: "sqrt", py: "np.sqrt(np.abs(a))", ts: (x) => x.a!.abs().sqrt() },
  { name: "exp", py: "np.exp(a)", ts: (x) => x.a!.exp() },
  { name: "log", py: "np.log(b)", ts: (x) => x.b!.log() },
  { name: "sin_cos", py: "np.sin(a) + np.cos(col)", ts: (x) => x.a!.sin().add(x.col!.cos()) },
  { name: "sqrt_int", py: "np.sqrt(np.abs(c))", ts: (x) => x.c!.abs().sqrt() },
  { name: "maximum", py: "np.maximum(a, b)", ts: (x) => x.a!.maximum(x.b!) },
  { name: "astype_int", py: "(a * 10).astype(np.int32)", ts: (x) => x.a!.mul(10).astype("int32"), tol: "exact" },
  // reductions
  { name: "sum_all", py: "a.sum()", ts: (x) => x.a!.sum(), tol: "sum" },
  { name: "sum_axis0", py: "a.sum(axis=0)", ts: (x) => x.a!.sum({ axis: 0 }), tol: "sum" },
  { name: "sum_axis1_keep", py: "a.sum(axis=1, keepdims=True)", ts: (x) => x.a!.sum({ axis: 1, keepdims: true }), tol: "sum" },
  { name: "sum_int", py: "c.sum(axis=0)", ts: (x) => x.c!.sum({ axis: 0 }), tol: "exact" },
  { name: "sum_cube_axes", py: "cube.sum(axis=(0, 2))", ts: (x) => x.cube!.sum({ axis: [0, 2] }), tol: "sum" },
  { name: "sum_cube_neg", py: "cube.sum(axis=-1, keepdims=True)", ts: (x) => x.cube!.sum({ axis: -1, keepdims: true, splitEvery: 2 }), tol: "sum" },
  { name: "prod", py: "b.prod()", ts: (x) => x.b!.prod(), tol: "sum" },
  { name: "mean", py: "a.mean(axis=0)", ts: (x) => x.a!.mean({ axis: 0 }), tol: "sum" },
  { name: "mean_all_split2", py: "cube.mean()", ts: (x) => x.cube!.mean({ splitEvery: 2 }), tol: "sum" },
  { name: "var", py: "a.var(axis=1)", ts: (x) => x.a!.var({ axis: 1 }), tol: "sum" },
  { name: "std_ddof", py: "a.std(ddof=1)", ts: (x) => x.a!.std({ ddof: 1 }), tol: "sum" },
  { name: "std_f32", py: "f32.std(axis=0)", ts: (x) => x.f32!.std({ axis: 0 }), tol: "f32" },
  { name: "min_max", py: "a.min(axis=0) + a.max(axis=0)", ts: (x) => x.a!.min({ axis: 0 }).add(x.a!.max({ axis: 0 })) },
  { name: "min_int", py: "i64.min(axis=(1, 2))", ts: (x) => x.i64!.min({ axis: [1, 2] }), tol: "exact" },
  { name: "argmin", py: "a.argmin()", ts: (x) => x.a!.argmin(), tol: "exact" },
  { name: "argmax_axis", py: "a.argmax(axis=0)", ts: (x) => x.a!.argmax({ axis: 0 }), tol: "exact" },
  { name: "argmax_cube", py: "cube.argmax(axis=1)", ts: (x) => x.cube!.argmax({ axis: 1 }), tol: "exact" },
  { name: "any_all", py: "np.stack([(c > 45).any(axis=1), (c > -49).all(axis=1)])", ts: (x) => da.stack([x.c!.gt(45).any({ axis: 1 }), x.c!.gt(-49).all({ axis: 1 })]), tol: "exact" },
  { name: "sum_empty", py: "empty.sum(axis=0)", ts: (x) => x.empty!.sum({ axis: 0 }), tol: "exact" },
  { name: "sum_empty_all", py: "empty.sum()", ts: (x) => x.empty!.sum(), tol: "exact" },
  { name: "mean_one", py: "one.mean(axis=1)", ts: (x) => x.one!.mean({ axis: 1 }) },
  // structure
  { name: "transpose", py: "a.T", ts: (x) => x.a!.T, tol: "exact" },
  { name: "transpose_axes", py: "cube.transpose(1, 2, 0)", ts: (x) => x.cube!.transpose([1, 2, 0]), tol: "exact" },
  { name: "add_transpose", py: "cube[:, :, :6] + cube.transpose(0, 2, 1)[:, :6, :]", ts: (x) => x.cube!.slice(null, null, [null, 6]).add(x.cube!.transpose([0, 2, 1]).slice(null, [null, 6])) },
  { name: "slice_basic", py: "a[3:30, 2:]", ts: (x) => x.a!.slice([3, 30], [2, null]), tol: "exact" },
  { name: "slice_step", py: "a[::3, 1::4]", ts: (x) => x.a!.slice([null, null, 3], [1, null, 4]), tol: "exact" },
  { name: "slice_neg_step", py: "a[-2:3:-5, ::-1]", ts: (x) => x.a!.slice([-2, 3, -5], [null, null, -1]), tol: "exact" },
  { name: "slice_index", py: "cube[2, :, -1]", ts: (x) => x.cube!.slice(2, null, -1), tol: "exact" },
  { name: "slice_empty", py: "a[10:5]", ts: (x) => x.a!.slice([10, 5]), tol: "exact" },
  { name: "slice_clamped", py: "a[30:100, -100:4]", ts: (x) => x.a!.slice([30, 100], [-100, 4]), tol: "exact" },
  { name: "rechunk", py: "a", ts: (x) => x.a!.rechunk([[20, 17], 4]), tol: "exact" },
  { name: "rechunk_then_add", py: "a + a", ts: (x) => x.a!.rechunk([13, 23]).add(x.a!) },
  { name: "reshape_flat", py: "a.reshape(-1)", ts: (x) => x.a!.reshape([-1]), tol: "exact" },
  { name: "reshape_split", py: "i64.reshape(3, 2, 20)", ts: (x) => x.i64!.reshape([3, 2, 20]), tol: "exact" },
  { name: "reshape_merge", py: "cube.reshape(30, 7)", ts: (x) => x.cube!.reshape([30, 7]), tol: "exact" },
  { name: "reshape_ones", py: "b.reshape(1, 23, 1)", ts: (x) => x.b!.reshape([1, 23, 1]), tol: "exact" },
  { name: "concatenate", py: "np.concatenate([a, c, a], axis=1)", ts: (x) => da.concatenate([x.a!, x.c!, x.a!], 1), tol: "exact" },
  { name: "concatenate0", py: "np.concatenate([a, col.T.repeat(1, 0)[:, :23]], axis=0)", ts: (x) => da.concatenate([x.a!, x.col!.T.slice(null, [null, 23])]), tol: "exact" },
  { name: "stack", py: "np.stack([a, a * 2], axis=-1)", ts: (x) => da.stack([x.a!, x.a!.mul(2)], -1) },
  { name: "matmul", py: "a @ a.T", ts: (x) => x.a!.matmul(x.a!.T), tol: "sum" },
  { name: "matmul_vec", py: "a @ b", ts: (x) => x.a!.matmul(x.b!), tol: "sum" },
  { name: "dot_vv", py: "np.dot(b, b)", ts: (x) => x.b!.dot(x.b!), tol: "sum" },
  { name: "matmul_int", py: "c.T @ c", ts: (x) => x.c!.T.matmul(x.c!), tol: "exact" },
  // tensordot: contracted axes cut differently on the two sides (cube [3, 1, 7] vs t3 [5, 2, 4])
  { name: "tensordot_2", py: "np.tensordot(cube, t3, axes=2)", ts: (x) => da.tensordot(x.cube!, x.t3!, 2), tol: "sum" },
  { name: "tensordot_lists", py: "np.tensordot(cube, t3, axes=([2, 1], [1, 0]))", ts: (x) => da.tensordot(x.cube!, x.t3!, [[2, 1], [1, 0]]), tol: "sum" },
  { name: "tensordot_one_axis", py: "np.tensordot(cube, t3, axes=([1], [0]))", ts: (x) => da.tensordot(x.cube!, x.t3!, [[1], [0]]), tol: "sum" },
  { name: "tensordot_outer", py: "np.tensordot(b, col, axes=0)", ts: (x) => da.tensordot(x.b!, x.col!, 0), tol: "sum" },
  { name: "tensordot_int_float", py: "np.tensordot(c, a, axes=([0], [0]))", ts: (x) => da.tensordot(x.c!, x.a!, [[0], [0]]), tol: "sum" },
  { name: "tensordot_int", py: "np.tensordot(c, c, axes=([0], [0]))", ts: (x) => da.tensordot(x.c!, x.c!, [[0], [0]]), tol: "exact" },
  // mapOverlap: the function sees each chunk with its margins; what it writes there is trimmed.
  { name: "overlap_reflect", py: "(lambda p: p[:-2] + p[1:-1] + p[2:])(np.pad(b, 1, mode='symmetric'))", ts: (x) => x.b!.mapOverlap(movingSum3, { depth: 1, boundary: "reflect" }) },
  { name: "overlap_none", py: "np.concatenate([[0], b[:-2] + b[1:-1] + b[2:], [0]])", ts: (x) => x.b!.mapOverlap(movingSum3, { depth: 1 }) },
  { name: "overlap_constant", py: "(lambda p: sum(p[k:k + 23] for k in range(5)))(np.pad(b, 2, constant_values=-1.5))", ts: (x) => x.b!.mapOverlap(movingSum5, { depth: 2, boundary: -1.5 }), tol: "sum" },
  { name: "overlap_periodic_wide", py: "sum(np.roll(b, k) for k in range(-6, 7))", ts: (x) => x.b!.mapOverlap(movingSum13, { depth: 6, boundary: "periodic" }), tol: "sum" },
  { name: "overlap_laplacian", py: "np.roll(a, 1, 0) + np.roll(a, -1, 0) + np.roll(a, 1, 1) + np.roll(a, -1, 1) - 4 * a", ts: (x) => x.a!.mapOverlap(laplacian, { depth: 1, boundary: "periodic" }), tol: "sum" },
  { name: "overlap_nearest_axis0", py: "(lambda p: np.maximum.reduce([p[k:k + 5] for k in range(5)]))(np.pad(cube, ((2, 2), (0, 0), (0, 0)), mode='edge'))", ts: (x) => x.cube!.mapOverlap(movingMax5Axis0, { depth: { 0: 2 }, boundary: "nearest" }), tol: "exact" },
  { name: "overlap_int_reflect", py: "(lambda p: p[:-2] + p[1:-1] + p[2:])(np.pad(c, ((1, 1), (0, 0)), mode='symmetric'))", ts: (x) => x.c!.mapOverlap(rowSum3, { depth: [1, 0], boundary: "reflect" }), tol: "exact" },
  // blockwise: chunks lined up by index letters; contracted letters as lists or joined.
  { name: "blockwise_transposed", py: "a + c", ts: (x) => da.blockwise(addTransposed, "ij", x.a!, "ij", x.c!.T, "ji", { dtype: "float64" }) },
  { name: "blockwise_scalar", py: "c * 5", ts: (x) => da.blockwise(timesInt, "ij", x.c!, "ij", 5, null), tol: "exact" },
  { name: "blockwise_contract_list", py: "a.sum(axis=1)", ts: (x) => da.blockwise(rowSums, "i", x.a!, "ij"), tol: "sum" },
  { name: "blockwise_contract_concat", py: "a.max(axis=1)", ts: (x) => da.blockwise(rowMax, "i", x.a!, "ij", { concatenate: true }), tol: "exact" },
  { name: "blockwise_matmul", py: "a @ a.T", ts: (x) => da.blockwise(blockMatmul, "ik", x.a!, "ij", x.a!.T, "jk"), tol: "sum" },
  { name: "linspace", py: "np.linspace(-1, 3, 41)", ts: () => da.linspace(-1, 3, 41, { chunks: 6 }) },
  { name: "linspace_noend", py: "np.linspace(0, 1, 10, endpoint=False)", ts: () => da.linspace(0, 1, 10, { chunks: 3, endpoint: false }) },
  { name: "arange_float", py: "np.arange(0.5, 7.3, 0.7)", ts: () => da.arange(0.5, 7.3, 0.7, { chunks: 4 }) },
  { name: "arange_int", py: "np.arange(3, 50, 4)", ts: () => da.arange(3, 50, 4, { chunks: 5 }), tol: "exact" },
];

/** dtypes NumPy gives that have no counterpart here, and what this engine gives instead. */
const DTYPE_EXCEPTIONS: Record<string, string> = {};

function compare(name: string, got: NDArray, want: NDArray, tol: NonNullable<Case["tol"]>): void {
  expect({ name, shape: got.shape }).toEqual({ name, shape: want.shape });
  expect({ name, dtype: got.dtype }).toEqual({ name, dtype: DTYPE_EXCEPTIONS[`${name}:${want.dtype}`] ?? want.dtype });
  const g = got.toFloat64();
  const w = want.toFloat64();
  if (tol === "exact" || got.dtype === "bool" || got.dtype.startsWith("int") || got.dtype === "uint8") {
    if (got.dtype === "int64" && want.dtype === "int64") expect([name, Array.from(got.data)]).toEqual([name, Array.from(want.data)]);
    else expect([name, Array.from(g)]).toEqual([name, Array.from(w)]);
    return;
  }
  const rel = tol === "f32" ? 1e-6 : tol === "sum" ? 1e-10 : 1e-12;
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    if (Number.isNaN(w[i]!) || Number.isNaN(g[i]!)) {
      // A NaN on one side only would poison the maximum below (and pass): report it here.
      if (Number.isNaN(w[i]!) !== Number.isNaN(g[i]!)) throw new Error(`${name}: element ${i} is ${g[i]} here but ${w[i]} in NumPy`);
      continue;
    }
    const scale = Math.max(Math.abs(w[i]!), tol === "sum" || tol === "f32" ? 1 : Number.MIN_VALUE);
    worst = Math.max(worst, Math.abs(g[i]! - w[i]!) / scale);
  }
  if (worst > rel) throw new Error(`${name}: largest relative difference from NumPy ${worst} > ${rel}`);
}

const ORACLE = `
import json, sys
import numpy as np
d = sys.argv[1]
spec = json.load(open(d + "/cases.json"))
env = {name: np.load(d + "/in_" + name + ".npy") for name in spec["inputs"]}
env["np"] = np
for case in spec["cases"]:
    out = np.asarray(eval(case["py"], env))
    np.save(d + "/out_" + case["name"] + ".npy", np.array(out, order="C"))
`;

describeNumpy("arrays against NumPy", () => {
  const results = new Map<string, NDArray>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-array-"));
    for (const [name, arr] of Object.entries(inputs)) await arr.toNpy(join(dir, `in_${name}.npy`));
    writeFileSync(join(dir, "cases.json"), JSON.stringify({ inputs: Object.keys(inputs), cases: cases.map(({ name, py }) => ({ name, py })) }));
    writeFileSync(join(dir, "oracle.py"), ORACLE);
    execFileSync(PYTHON, [join(dir, "oracle.py"), dir], { stdio: ["ignore", "inherit", "inherit"] });
    const read: Inputs = Object.fromEntries(Object.keys(inputs).map((n) => [n, da.fromNpy(join(dir, `in_${n}.npy`), { chunks: readChunks[n]! })]));
    // All cases in one compute, sharing the reading of the inputs.
    const outs = await compute(...cases.map((c) => c.ts(read)));
    cases.forEach((c, i) => results.set(c.name, outs[i] as NDArray));
  }, 60000);

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await closeSharedScheduler();
  });

  test.each(cases.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const want = da.readNpy(join(dir, `out_${name}.npy`));
    compare(name, results.get(name)!, want, c.tol ?? "float");
  });

  test("the same cases on the sync scheduler give the same bytes", async () => {
    const read: Inputs = Object.fromEntries(Object.keys(inputs).map((n) => [n, da.fromNpy(join(dir, `in_${n}.npy`), { chunks: readChunks[n]! })]));
    const picked = cases.filter((c) => ["sum_axis0", "slice_neg_step", "matmul", "reshape_merge", "var"].includes(c.name));
    const outs = await compute(...picked.map((c) => c.ts(read)), { scheduler: "sync" });
    picked.forEach((c, i) => expect(Array.from((outs[i] as NDArray).toFloat64())).toEqual(Array.from(results.get(c.name)!.toFloat64())));
  });
});
