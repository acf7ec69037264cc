/**
 * Chunk specifications, as Dask writes them: for every dimension, the lengths of its chunks
 * (`[[5, 5, 2], [4, 4]]` for a 12×8 array in 3×2 blocks). Users may say it shorter: one size for
 * every dimension (`5`), one per dimension (`[5, -1]`, where -1 or null means the whole
 * dimension), explicit lengths, or `"auto"`.
 */
import { type DType, itemsize } from "./dtype.js";

/** What users may pass as `chunks`. */
export type ChunksSpec = "auto" | number | readonly (number | null | "auto" | readonly number[])[];

/** Chunks a creation function aims for with `"auto"`: 128 MiB, Dask's `array.chunk-size`. */
export const AUTO_CHUNK_BYTES = 128 * 2 ** 20;

const fmt = (shape: readonly number[]): string => `(${shape.join(", ")})`;

/** Lengths of `n` split into pieces of `size` (the last one shorter); `[0]` for an empty dimension. */
export function regularChunks(n: number, size: number): number[] {
  if (n === 0) return [0];
  const out: number[] = [];
  for (let start = 0; start < n; start += size) out.push(Math.min(size, n - start));
  return out;
}

/** Full Dask-style chunks for an array of `shape` from whatever the user passed. */
export function normalizeChunks(spec: ChunksSpec | undefined, shape: readonly number[], dtype: DType, limitBytes = AUTO_CHUNK_BYTES): number[][] {
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`shape ${fmt(shape)} must hold non-negative integers`);
  }
  const perDim: (number | null | "auto" | readonly number[])[] =
    spec === undefined || spec === "auto"
      ? shape.map(() => "auto")
      : typeof spec === "number"
        ? shape.map(() => spec)
        : [...spec];
  if (perDim.length !== shape.length) {
    throw new Error(`chunks ${JSON.stringify(spec)} give ${perDim.length} dimensions for an array of shape ${fmt(shape)}`);
  }
  const out: (number[] | undefined)[] = perDim.map((c, d) => {
    const n = shape[d]!;
    if (c === "auto") return undefined;
    if (c === null || c === -1) return [n];
    if (typeof c === "number") {
      if (!Number.isInteger(c) || c <= 0) throw new Error(`chunk size ${c} for dimension ${d} must be a positive integer (or -1 for the whole dimension)`);
      return regularChunks(n, c);
    }
    const lengths = [...c];
    const total = lengths.reduce((a, b) => a + b, 0);
    if (lengths.some((x) => !Number.isInteger(x) || x < 0) || total !== n || lengths.length === 0) {
      throw new Error(`chunks (${lengths.join(", ")}) for dimension ${d} add up to ${total}, but the array's shape ${fmt(shape)} has ${n} there`);
    }
    return lengths;
  });
  const autoDims = out.map((c, d) => (c === undefined ? d : -1)).filter((d) => d >= 0);
  if (autoDims.length > 0) {
    // Budget left for the automatic dimensions once the fixed ones take their chunk sizes.
    const fixed = out.reduce((p, c) => p * (c ? Math.max(1, ...c) : 1), 1);
    let budget = Math.max(1, Math.floor(limitBytes / itemsize(dtype) / fixed));
    let remaining = [...autoDims];
    // Dimensions smaller than an even share are kept whole; the rest split the budget evenly.
    for (;;) {
      const share = Math.max(1, Math.floor(budget ** (1 / remaining.length)));
      const small = remaining.filter((d) => shape[d]! <= share);
      if (small.length === 0 || small.length === remaining.length) {
        for (const d of remaining) out[d] = small.length === remaining.length ? [shape[d]!] : regularChunks(shape[d]!, share);
        break;
      }
      for (const d of small) {
        out[d] = [shape[d]!];
        budget = Math.max(1, Math.floor(budget / Math.max(1, shape[d]!)));
      }
      remaining = remaining.filter((d) => !small.includes(d));
    }
  }
  return out as number[][];
}

/** Start offset of every chunk along one dimension, plus the total at the end. */
export function chunkBoundaries(chunks: readonly number[]): number[] {
  const out = [0];
  for (const c of chunks) out.push(out[out.length - 1]! + c);
  return out;
}

/** The coarsest chunks whose boundaries include both `a`'s and `b`'s (Dask's common refinement). */
export function commonRefinement(a: readonly number[], b: readonly number[]): number[] {
  const bounds = [...new Set([...chunkBoundaries(a), ...chunkBoundaries(b)])].sort((x, y) => x - y);
  const out: number[] = [];
  for (let i = 1; i < bounds.length; i++) out.push(bounds[i]! - bounds[i - 1]!);
  return out.length === 0 ? [0] : out;
}

export const sameChunks = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean =>
  a.length === b.length && a.every((c, d) => c.length === b[d]!.length && c.every((x, i) => x === b[d]![i]));
