/**
 * `mapOverlap` (Dask's `map_overlap`): a user function on every chunk extended by `depth`
 * elements of its neighbours along each axis — for stencils, filters and moving windows that
 * need a margin — after which the margins are trimmed off again.
 *
 * At the array's edges the `boundary` rule supplies the margin: "reflect" mirrors the edge
 * (NumPy's pad mode "symmetric": …, x1, x0 | x0, x1, …), "periodic" wraps around, "nearest"
 * repeats the edge element, a number is a constant, and "none" adds no margin there (edge chunks
 * are then extended on their inner side only). One task per chunk gathers what it needs from
 * its neighbours, so there is no intermediate "overlapped" array to hold.
 */
import { blockIndices } from "../../graph/hlg.js";
import { builtin, type Graph, lit, list, makeKey, ref } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import type { OverlapAxisPlan } from "../../kernels/array-overlap.js";
import { rememberFunction } from "../../scheduler/local-functions.js";
import { type AnyFunction, shipFunction } from "../../scheduler/ship.js";
import type { ChunkedArray } from "./array.js";
import { chunkBoundaries } from "./chunks.js";
import { checkDType } from "./dtype.js";
import type { MapBlocksOptions } from "./map-blocks.js";
import { materialized } from "./structure.js";

export type Boundary = "reflect" | "periodic" | "nearest" | "none" | number;

/** A value for every axis, one for all, or some axes by number (the rest get `fallback`). */
export type PerAxis<T> = T | readonly T[] | Readonly<Record<number, T>>;

export interface MapOverlapOptions extends MapBlocksOptions {
  /** Margin along each axis, in elements. */
  depth: PerAxis<number>;
  /** How margins are filled at the array's edges (default "none", as in Dask). */
  boundary?: PerAxis<Boundary>;
  /** Cut the margins off `fn`'s result (default true); false keeps the extended chunks. */
  trim?: boolean;
}

const BOUNDARIES = new Set(["reflect", "periodic", "nearest", "none"]);

function perAxis<T>(value: PerAxis<T> | undefined, ndim: number, fallback: T, what: string): T[] {
  if (value === undefined) return new Array<T>(ndim).fill(fallback);
  if (Array.isArray(value)) {
    if (value.length !== ndim) throw new Error(`mapOverlap: ${what} lists ${value.length} values for an array of ${ndim} dimensions`);
    return [...(value as T[])];
  }
  if (typeof value === "object" && value !== null) {
    const out = new Array<T>(ndim).fill(fallback);
    for (const [k, v] of Object.entries(value as Record<string, T>)) {
      const d = Number(k);
      if (!Number.isInteger(d) || d < -ndim || d >= ndim) throw new Error(`mapOverlap: ${what} names axis ${k} of an array of ${ndim} dimensions`);
      out[d < 0 ? d + ndim : d] = v;
    }
    return out;
  }
  return new Array<T>(ndim).fill(value as T);
}

/** The global position `p` (possibly outside [0, n)) as a position inside, or -1 for the constant. */
function source(p: number, n: number, boundary: Boundary): number {
  if (p >= 0 && p < n) return p;
  if (typeof boundary === "number") return -1;
  switch (boundary) {
    case "periodic":
      return ((p % n) + n) % n;
    case "nearest":
      return p < 0 ? 0 : n - 1;
    default: {
      // reflect (symmetric), folded as often as a margin wider than the array needs.
      const period = 2 * n;
      const q = ((p % period) + period) % period;
      return q < n ? q : period - 1 - q;
    }
  }
}

/** Per block along one axis: where each extended position comes from, and the margins added. */
function axisPlans(chunks: readonly number[], depth: number, boundary: Boundary): { plan: OverlapAxisPlan; blocks: number[]; trim: [number, number] }[] {
  const bounds = chunkBoundaries(chunks);
  const n = bounds[bounds.length - 1]!;
  const blockOf = (p: number): number => {
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bounds[mid]! <= p) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return chunks.map((size, b) => {
    const lo = bounds[b]!;
    const hi = lo + size;
    const before = n === 0 ? 0 : boundary === "none" ? Math.min(depth, lo) : depth;
    const after = n === 0 ? 0 : boundary === "none" ? Math.min(depth, n - hi) : depth;
    const blocks: number[] = [];
    const plan: OverlapAxisPlan = { neighbor: [], local: [], count: 0 };
    for (let p = lo - before; p < hi + after; p++) {
      const s = source(p, n, boundary);
      if (s < 0) {
        plan.neighbor.push(-1);
        plan.local.push(0);
        continue;
      }
      const sb = blockOf(s);
      let k = blocks.indexOf(sb);
      if (k < 0) k = blocks.push(sb) - 1;
      plan.neighbor.push(k);
      plan.local.push(s - bounds[sb]!);
    }
    // A chunk with only constant margins still reads itself (for its dtype and 0-d case).
    if (blocks.length === 0) blocks.push(b);
    plan.count = blocks.length;
    return { plan, blocks, trim: [before, after] };
  });
}

export function mapOverlap(x: ChunkedArray, fn: AnyFunction, opts: MapOverlapOptions): ChunkedArray {
  const ndim = x.ndim;
  const depth = perAxis(opts.depth, ndim, 0, "depth");
  depth.forEach((k, d) => {
    if (!Number.isInteger(k) || k < 0) throw new Error(`mapOverlap: depth ${k} for axis ${d} must be a non-negative integer`);
  });
  const boundary = perAxis<Boundary>(opts.boundary, ndim, "none", "boundary");
  boundary.forEach((b, d) => {
    if (typeof b === "number" ? !Number.isFinite(b) : !BOUNDARIES.has(b)) {
      throw new Error(`mapOverlap: boundary ${JSON.stringify(b)} for axis ${d} must be "reflect", "periodic", "nearest", "none" or a number`);
    }
  });
  const constants = boundary.filter((b): b is number => typeof b === "number");
  if (new Set(constants).size > 1) throw new Error(`mapOverlap: one constant boundary value for all axes, got ${constants.join(" and ")}`);
  const constant = constants[0] ?? 0;
  const dtype = opts.dtype === undefined ? x.dtype : checkDType(opts.dtype, "mapOverlap");
  const trim = opts.trim !== false;
  const fnRef = shipFunction(fn, { ...(opts.captures ? { captures: opts.captures } : {}), ...(opts.name ? { name: opts.name } : {}) });
  rememberFunction(fnRef.id, fn);

  const plans = x.chunks.map((c, d) => axisPlans(c, depth[d]!, boundary[d]!));
  const chunks = trim ? x.chunks.map((c) => [...c]) : plans.map((p) => p.map((b) => b.plan.neighbor.length));
  const prefix = fnRef.name.replace(/[[\]\s-]/g, "_") || "mapOverlap";
  return materialized(prefix, tokenize("map-overlap", fnRef.id, depth, boundary, dtype, trim, x.name), (name) => {
    const graph: Graph = new Map();
    for (const index of blockIndices(x.numblocks)) {
      const axes = index.map((i, d) => plans[d]![i]!);
      const neighbors = blockIndices(axes.map((a) => a.blocks.length)).map((k) => ref(makeKey(x.name, ...k.map((j, d) => axes[d]!.blocks[j]!))));
      const outShape = index.map((i, d) => chunks[d]![i]!);
      graph.set(makeKey(name, ...index), {
        t: "call",
        fn: builtin("array.mapOverlap"),
        args: [lit(fnRef), list(neighbors), lit(axes.map((a) => a.plan)), lit(constant), lit(trim ? axes.map((a) => a.trim) : null), lit([...index]), lit(outShape), lit(dtype)],
      });
    }
    return graph;
  }, [x], chunks, dtype);
}
