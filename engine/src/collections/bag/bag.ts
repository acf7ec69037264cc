/**
 * Bag: a lazy, partitioned collection of arbitrary JavaScript values (dask.bag), for
 * semi-structured data such as lines of text and JSON records.
 *
 *   const words = db.readText("logs/*.txt.gz").map((l) => l.split(" ")).flatten();
 *   await words.frequencies().topk(10, (p) => p[1]).compute();
 *
 * `map`, `filter`, `flatten` and `pluck` are blockwise layers that fuse into one task per
 * partition. Aggregations (`count`, `sum`, `frequencies`, `foldby`, `groupby`, …) are tree
 * reductions: per-partition partials combined `splitEvery` at a time.
 *
 * User functions are shipped to worker threads as source, like `delayed`: they may use their
 * parameters, globals every worker has, and values passed in `captures`.
 */
import { BlockwiseLayer, blockInput, HighLevelGraph, perBlock } from "../../graph/hlg.js";
import { inspect } from "node:util";
import { builtin, type Key, lit, makeKey } from "../../graph/task.js";
import type { SourceFnRef } from "../../scheduler/compile.js";
import { tokenize } from "../../graph/tokenize.js";
import type { BagReduction, KeySpec } from "../../kernels/bag.js";
import { rememberFunction } from "../../scheduler/local-functions.js";
import { type AnyFunction, shipFunction } from "../../scheduler/ship.js";
import { expandPaths } from "../../io/paths.js";
import type { PersistedKeys, TesseraCollection } from "../collection.js";
import { compute, visualize, type ComputeOptions, type VisualizeCollectionsOptions } from "../compute.js";
import { treeReductionLayer } from "../dataframe/reduction.js";
import { Delayed } from "../delayed.js";

export interface FunctionOptions {
  /** Values the function reads by name; they travel with it. */
  captures?: Record<string, unknown>;
  /** Name shown in graphs and progress bars. */
  name?: string;
}

export interface AggregateOptions {
  /** Partials combined per task (default 8). */
  splitEvery?: number;
}

/** A key: a property name, or a function of the item. */
export type KeyFunction<T> = string | number | ((item: T) => unknown);

function ship(fn: AnyFunction, opts: FunctionOptions = {}): SourceFnRef {
  if (typeof fn !== "function") throw new TypeError(`expected a function, got ${typeof fn}`);
  const ref = shipFunction(fn, { ...(opts.captures ? { captures: opts.captures } : {}), ...(opts.name ? { name: opts.name } : {}) });
  rememberFunction(ref.id, fn);
  return ref;
}

function keySpec<T>(key: KeyFunction<T>, opts?: FunctionOptions): KeySpec {
  return typeof key === "function" ? { fn: ship(key as AnyFunction, opts) } : { prop: key };
}

export class Bag<T = unknown> implements TesseraCollection<T[]> {
  constructor(
    readonly name: string,
    readonly graph: HighLevelGraph,
    readonly npartitions: number,
    private readonly holder?: unknown,
  ) {}

  partitionKeys(): Key[] {
    return Array.from({ length: this.npartitions }, (_, i) => makeKey(this.name, i));
  }

  __tesseraGraph(): HighLevelGraph {
    return this.graph;
  }
  __tesseraKeys(): Key[] {
    return this.partitionKeys();
  }
  __tesseraPostcompute(values: unknown[]): T[] {
    return (values as T[][]).flat() as T[];
  }
  __tesseraPostpersist(held: PersistedKeys): Bag<T> {
    return new Bag<T>(this.name, new HighLevelGraph(new Map(), new Map()), this.npartitions, held.owners);
  }
  __tesseraToken(): string {
    return this.name;
  }

  /** Every item, partitions in order. */
  async compute(opts: ComputeOptions = {}): Promise<T[]> {
    const [out] = await compute(this, opts);
    return out as T[];
  }

  async persist(opts: Omit<ComputeOptions, "signal"> = {}): Promise<Bag<T>> {
    const { persist } = await import("../futures.js");
    const [out] = await persist(this, opts);
    return out as Bag<T>;
  }

  visualize(opts: VisualizeCollectionsOptions = {}): Promise<{ dot: string; svg: string }> {
    return visualize(this, opts);
  }

  get persistedBy(): unknown {
    return this.holder;
  }

  toString(): string {
    return `tessera.bag<${this.name.split("-")[0]}, npartitions=${this.npartitions}>`;
  }

  /** What `console.log` and the Node REPL show. */
  [inspect.custom](): string {
    return this.toString();
  }

  private blockwise<U>(prefix: string, kernel: string, args: unknown[], tokenParts: unknown[]): Bag<U> {
    const name = `${prefix}-${tokenize(this.name, kernel, ...tokenParts)}`;
    const layer = BlockwiseLayer.map(name, [this.npartitions], builtin(kernel), blockInput(this.name), ...args.map((a) => lit(a)));
    return new Bag<U>(name, HighLevelGraph.fromLayer(layer, [this.graph]), this.npartitions);
  }

  /** `fn` applied to every item. */
  map<U>(fn: (item: T) => U, opts: FunctionOptions = {}): Bag<U> {
    const ref = ship(fn as AnyFunction, opts);
    return this.blockwise<U>("map", "bag.map", [ref], [ref.id]);
  }

  /** The items for which `fn` is truthy. */
  filter(fn: (item: T) => unknown, opts: FunctionOptions = {}): Bag<T> {
    const ref = ship(fn as AnyFunction, opts);
    return this.blockwise<T>("filter", "bag.filter", [ref], [ref.id]);
  }

  /** Items that are arrays (or iterables) spliced into the bag. */
  flatten(): Bag<T extends Iterable<infer E> ? E : unknown> {
    return this.blockwise("flatten", "bag.flatten", [], []);
  }

  /** `item[key]` of every item. */
  pluck<K extends keyof T>(key: K): Bag<T[K]> {
    return this.blockwise<T[K]>("pluck", "bag.pluck", [key], [key]);
  }

  private reduce(prefix: string, spec: BagReduction, opts: AggregateOptions, tokenParts: unknown[]): { name: string; graph: HighLevelGraph } {
    const token = tokenize(this.name, spec.op, opts.splitEvery ?? 8, ...tokenParts);
    const partial = `${prefix}-part-${token}`;
    const partialLayer = BlockwiseLayer.map(partial, [this.npartitions], builtin("bag.partial"), lit(spec), blockInput(this.name));
    const name = `${prefix}-${token}`;
    const tree = treeReductionLayer({
      name,
      outKey: makeKey(name, 0),
      inputs: Array.from({ length: this.npartitions }, (_, i) => makeKey(partial, i)),
      combine: "bag.combine",
      leading: [spec],
      final: "bag.final",
      finalLeading: [spec],
      ...(opts.splitEvery !== undefined ? { splitEvery: opts.splitEvery } : {}),
    });
    return { name, graph: HighLevelGraph.fromLayer(tree, [HighLevelGraph.fromLayer(partialLayer, [this.graph])]) };
  }

  private aggregate<R>(prefix: string, spec: BagReduction, opts: AggregateOptions, tokenParts: unknown[] = []): Delayed<R> {
    const { name, graph } = this.reduce(prefix, spec, opts, tokenParts);
    return new Delayed<R>(makeKey(name, 0), graph);
  }

  private regroup<U>(prefix: string, spec: BagReduction, opts: AggregateOptions, tokenParts: unknown[] = []): Bag<U> {
    const { name, graph } = this.reduce(prefix, spec, opts, tokenParts);
    return new Bag<U>(name, graph, 1);
  }

  /** Number of items. */
  count(opts: AggregateOptions = {}): Delayed<number> {
    return this.aggregate("count", { op: "count" }, opts);
  }
  /** Sum of numeric items. */
  sum(opts: AggregateOptions = {}): Delayed<number> {
    return this.aggregate("sum", { op: "sum" }, opts);
  }
  /** Mean of numeric items (NaN for an empty bag). */
  mean(opts: AggregateOptions = {}): Delayed<number> {
    return this.aggregate("mean", { op: "mean" }, opts);
  }
  min(opts: AggregateOptions = {}): Delayed<T> {
    return this.aggregate("min", { op: "min" }, opts);
  }
  max(opts: AggregateOptions = {}): Delayed<T> {
    return this.aggregate("max", { op: "max" }, opts);
  }

  /** Each distinct item once (objects compare by their JSON), in a bag of one partition. */
  distinct(opts: AggregateOptions = {}): Bag<T> {
    return this.regroup("distinct", { op: "distinct" }, opts);
  }

  /** `[item, count]` pairs, most frequent first, in a bag of one partition. */
  frequencies(opts: AggregateOptions = {}): Bag<[T, number]> {
    return this.regroup("frequencies", { op: "frequencies" }, opts);
  }

  /** The `k` largest items (by `key` when given), largest first. */
  topk(k: number, key?: KeyFunction<T>, opts: AggregateOptions & FunctionOptions = {}): Bag<T> {
    if (!Number.isInteger(k) || k < 0) throw new Error(`topk: k must be a non-negative integer, got ${k}`);
    const spec: BagReduction = key === undefined ? { op: "topk", k } : { op: "topk", k, key: keySpec(key, opts) };
    return this.regroup("topk", spec, opts, [spec]);
  }

  /**
   * Group and fold in one pass (Dask's `foldby`): per key, `binop(acc, item)` from `initial`
   * within partitions, then `combine(accA, accB)` (default `binop`) across them.
   * Returns `[key, value]` pairs in a bag of one partition.
   */
  foldby<K, V>(
    key: KeyFunction<T>,
    binop: (acc: V, item: T) => V,
    initial: V,
    opts: AggregateOptions & { combine?: (a: V, b: V) => V; combineInitial?: V; captures?: Record<string, unknown> } = {},
  ): Bag<[K, V]> {
    const fnOpts = opts.captures ? { captures: opts.captures } : {};
    const spec: BagReduction = {
      op: "foldby",
      key: keySpec(key, fnOpts),
      binop: ship(binop as AnyFunction, fnOpts),
      initial,
      ...(opts.combine ? { combine: ship(opts.combine as AnyFunction, fnOpts) } : {}),
      ...("combineInitial" in opts ? { combineInitial: opts.combineInitial } : {}),
    };
    return this.regroup("foldby", spec, opts, [spec]);
  }

  /** `[key, items]` pairs, one per distinct key, in a bag of one partition. */
  groupby<K>(key: KeyFunction<T>, opts: AggregateOptions & FunctionOptions = {}): Bag<[K, T[]]> {
    const spec: BagReduction = { op: "groupby", key: keySpec(key, opts) };
    return this.regroup("groupby", spec, opts, [spec]);
  }

  /** Items that are plain objects as a DataFrame (computes the bag now; see `fromRecords`). */
  async toDataFrame(opts: ComputeOptions = {}): Promise<import("../dataframe/frame.js").DataFrame> {
    const { fromRecords } = await import("../dataframe/from.js");
    const items = await this.compute(opts);
    return fromRecords(items as Record<string, unknown>[], { npartitions: this.npartitions });
  }
}

/** A bag of `items` cut into `npartitions` contiguous partitions (default: up to 16). */
export function fromSequence<T>(items: readonly T[], opts: { npartitions?: number; name?: string } = {}): Bag<T> {
  const n = Math.max(1, Math.min(opts.npartitions ?? 16, Math.max(1, items.length)));
  const parts = Array.from({ length: n }, (_, i) => items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)));
  const name = `${opts.name ?? "from-sequence"}-${tokenize(parts)}`;
  const layer = new BlockwiseLayer(name, [n], { t: "call", fn: builtin("bag.fromList"), args: [perBlock(([i]) => lit(parts[i!]))] });
  return new Bag<T>(name, HighLevelGraph.fromLayer(layer), n);
}

function readFiles<T>(paths: string | readonly string[], json: boolean, reader: string): Bag<T> {
  const files = expandPaths(paths, reader);
  if (files.length === 0) throw new Error(`${reader}: no files match ${JSON.stringify(paths)}`);
  const name = `${reader}-${tokenize(files, json)}`;
  const layer = new BlockwiseLayer(name, [files.length], { t: "call", fn: builtin("bag.readText"), args: [perBlock(([i]) => lit(files[i!])), lit(json)] });
  return new Bag<T>(name, HighLevelGraph.fromLayer(layer), files.length);
}

/** One item per line of each file (a partition per file; `.gz` files are decompressed). Line endings are removed. */
export function readText(paths: string | readonly string[]): Bag<string> {
  return readFiles<string>(paths, false, "read-text");
}

/** One parsed JSON value per non-empty line (JSON Lines), a partition per file. */
export function readJson<T = unknown>(paths: string | readonly string[]): Bag<T> {
  return readFiles<T>(paths, true, "read-json");
}
