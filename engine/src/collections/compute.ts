/**
 * `compute`, `persist`, `get` and `visualize`: turning collections into results, like the
 * functions of the same names in Dask.
 */
import { HighLevelGraph } from "../graph/hlg.js";
import { optimizeHighLevel } from "../graph/optimize.js";
import { order } from "../graph/order.js";
import type { Graph, Key } from "../graph/task.js";
import { visualizeGraph, type VisualizeOptions } from "../graph/visualize.js";
import { resolveScheduler, type SchedulerChoice } from "../scheduler/default-scheduler.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import { isCollection, type TesseraCollection } from "./collection.js";
// These two import this module back; they only use it when called, so the cycle is harmless.
import { runGraphWithProgress, type ProgressOption } from "../diagnostics/progress.js";
import { visualizeLive, type LiveGraphOptions } from "../diagnostics/live-graph.js";

export interface ComputeOptions {
  /** "threads" (default: the active client's cluster or the shared thread pool), "sync", or a Client. */
  scheduler?: SchedulerChoice;
  /** Cull, inline and fuse before running (default true), as Dask's `optimize_graph`. */
  optimizeGraph?: boolean;
  /** Abort to cancel: tasks nobody else needs stop, and the promise rejects with CancelledError. */
  signal?: AbortSignal;
  /**
   * Show a progress bar of the tasks as they run: in a notebook an HTML bar updated in place,
   * in plain Node a text line on stderr; or a display factory of your own.
   */
  progress?: ProgressOption;
}

const OPTION_KEYS = new Set(["scheduler", "optimizeGraph", "signal", "progress"]);

/** Split `compute(a, b, { scheduler })`'s trailing options object from its values. */
export function splitOptions<O extends object>(args: unknown[], known: Set<string> = OPTION_KEYS): [unknown[], O] {
  const last = args[args.length - 1];
  if (
    last !== null &&
    typeof last === "object" &&
    Object.getPrototypeOf(last) === Object.prototype &&
    !isCollection(last) &&
    Object.keys(last).length > 0 &&
    Object.keys(last).every((k) => known.has(k))
  ) {
    return [args.slice(0, -1), last as O];
  }
  return [args, {} as O];
}

/** The low-level graph and priorities that compute `collections`. */
export function collectionsToGraph(
  collections: TesseraCollection[],
  opts: { optimizeGraph?: boolean } = {},
): { graph: Graph; keys: Key[] } {
  const hlg = HighLevelGraph.merge(...collections.map((c) => c.__tesseraGraph()));
  const keys = collections.flatMap((c) => c.__tesseraKeys());
  // Keys of persisted collections and futures are held by the scheduler, not by any graph:
  // they are asked for as they are, and only the rest is culled and optimized.
  const owners = hlg.keyOwners();
  const inGraph = keys.filter((k) => owners.has(k));
  const graph: Graph =
    inGraph.length === 0
      ? new Map()
      : opts.optimizeGraph === false
        ? hlg.cull(inGraph).toGraph()
        : optimizeHighLevel(hlg, inGraph);
  return { graph, keys };
}

/** Run `graph` for `keys` on `scheduler` and return their values; the scheduler keeps nothing afterwards. */
export async function runGraph(scheduler: Scheduler, graph: Graph, keys: Key[], signal?: AbortSignal): Promise<unknown[]> {
  scheduler.submit(graph, keys, order(graph));
  try {
    return await scheduler.gather(keys, signal);
  } finally {
    scheduler.release(keys);
  }
}

type Computed<T> = { [K in keyof T]: T[K] extends TesseraCollection<infer R> ? R : T[K] };

/**
 * Compute several collections at once, sharing their common work; other values pass
 * through. `await compute(a, b)` → `[aResult, bResult]`; options go last.
 */
export async function compute<T extends unknown[]>(...args: [...T] | [...T, ComputeOptions]): Promise<Computed<T>> {
  const [values, opts] = splitOptions<ComputeOptions>(args);
  const collections = values.filter(isCollection);
  if (collections.length === 0) return values as Computed<T>;
  const { scheduler, owned } = await resolveScheduler(opts.scheduler);
  try {
    const { graph, keys } = collectionsToGraph(collections, opts);
    const results = opts.progress
      ? await runGraphWithProgress(scheduler, graph, keys, opts.signal, opts.progress)
      : await runGraph(scheduler, graph, keys, opts.signal);
    let offset = 0;
    return values.map((v) => {
      if (!isCollection(v)) return v;
      const n = v.__tesseraKeys().length;
      const out = v.__tesseraPostcompute(results.slice(offset, offset + n));
      offset += n;
      return out;
    }) as Computed<T>;
  } finally {
    if (owned) await scheduler.close();
  }
}

/** Run a raw task graph (Dask's `get`): the values of `keys`, in order. */
export async function get(
  graph: Graph,
  keys: Key[],
  opts: { scheduler?: SchedulerChoice; signal?: AbortSignal } = {},
): Promise<unknown[]> {
  const { scheduler, owned } = await resolveScheduler(opts.scheduler);
  try {
    return await runGraph(scheduler, graph, keys, opts.signal);
  } finally {
    if (owned) await scheduler.close();
  }
}

export interface VisualizeCollectionsOptions extends VisualizeOptions, Omit<LiveGraphOptions, keyof VisualizeOptions> {
  /** Draw the graph as it will run (culled, inlined, fused); default false, as in Dask (true when live). */
  optimizeGraph?: boolean;
  /**
   * Recolour the nodes as the graph's tasks run (a notebook updates the picture in place).
   * Returns a LiveGraph, which also has `dot` and `svg`.
   */
  live?: boolean;
}

/** The task graph of collections as Graphviz DOT and SVG (Dask's `visualize`). */
export async function visualize(
  ...args: [...TesseraCollection[]] | [...TesseraCollection[], VisualizeCollectionsOptions]
): Promise<{ dot: string; svg: string }> {
  const [values, opts] = splitOptions<VisualizeCollectionsOptions>(
    args,
    new Set(["optimizeGraph", "rankdir", "color", "priorities", "states", "maxNodes", "title", "live", "scheduler", "intervalMs"]),
  );
  const collections = values.filter(isCollection);
  if (opts.live) {
    const { live: _live, states: _states, ...liveOpts } = opts;
    return visualizeLive(...collections, liveOpts);
  }
  const { graph } = collectionsToGraph(collections, { optimizeGraph: opts.optimizeGraph ?? false });
  return visualizeGraph(graph, opts);
}
