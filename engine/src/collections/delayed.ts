/**
 * Delayed: lazy function calls that build a task graph (dask.delayed).
 *
 *   const inc = delayed((x: number) => x + 1);
 *   const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0));
 *   await total([1, 2, 3].map((i) => inc(i))).compute();   // 9
 */
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { HighLevelGraph, MaterializedLayer } from "../graph/hlg.js";
import { builtin, call, lit, type Key } from "../graph/task.js";
import { tokenize } from "../graph/tokenize.js";
import type { SourceFnRef } from "../scheduler/compile.js";
import { rememberFunction } from "../scheduler/local-functions.js";
import { shipFunction, type AnyFunction } from "../scheduler/ship.js";
import { argsToNodes } from "./args.js";
import type { PersistedKeys, TesseraCollection } from "./collection.js";
import { compute, visualize, type ComputeOptions, type VisualizeCollectionsOptions } from "./compute.js";

export interface DelayedOptions {
  /** Values the function reads by name; they travel with it (must be structured-cloneable). */
  captures?: Record<string, unknown>;
  /** Name shown in graphs, progress bars and keys (default: the function's name). */
  name?: string;
  /**
   * Same function and arguments give the same key, so repeated calls share one result.
   * Default false, as in Dask: each call is a new task.
   */
  pure?: boolean;
}

/** A value or a Delayed of it: what a delayed function accepts for each parameter. */
export type DelayedArg<T> = T | Delayed<T> | DelayedLike<T>;
/** Anything with one key whose value is a T (Futures qualify). */
export interface DelayedLike<T> extends TesseraCollection<T> {
  readonly key: Key;
}
type DelayedArgs<P extends unknown[]> = { [K in keyof P]: DelayedArg<P[K]> | DeepDelayed<P[K]> };
/** Arrays and plain objects may hold Delayed values anywhere inside, at any depth. */
type DeepDelayed<T> = T extends readonly (infer E)[]
  ? readonly (DelayedArg<E> | DeepDelayed<E>)[]
  : T extends object
    ? { [K in keyof T]: DelayedArg<T[K]> | DeepDelayed<T[K]> }
    : T;

export class Delayed<T = unknown> implements TesseraCollection<T> {
  constructor(
    readonly key: Key,
    private readonly graph: HighLevelGraph,
    /** What keeps a persisted value alive (its future); undefined for lazy values. */
    private readonly holder?: unknown,
  ) {}

  __tesseraGraph(): HighLevelGraph {
    return this.graph;
  }
  __tesseraKeys(): Key[] {
    return [this.key];
  }
  __tesseraPostcompute(values: unknown[]): T {
    return values[0] as T;
  }
  __tesseraPostpersist(held: PersistedKeys): Delayed<T> {
    return new Delayed<T>(this.key, new HighLevelGraph(new Map(), new Map()), held.owners);
  }
  __tesseraToken(): string {
    return this.key;
  }

  /** Compute the value (on worker threads unless `{ scheduler: "sync" }`). */
  async compute(opts: ComputeOptions = {}): Promise<T> {
    const [value] = await compute(this, opts);
    return value as T;
  }

  /** Compute and keep the result in the cluster's memory; returns a Delayed backed by it. */
  async persist(opts: Omit<ComputeOptions, "signal"> = {}): Promise<Delayed<T>> {
    const { persist } = await import("./futures.js");
    const [out] = await persist(this, opts);
    return out as Delayed<T>;
  }

  /** The task graph as Graphviz DOT and SVG. */
  visualize(opts: VisualizeCollectionsOptions = {}): Promise<{ dot: string; svg: string }> {
    return visualize(this, opts);
  }

  /** A Delayed of `value[key]` (Dask's `delayed_obj[key]`). */
  get<K extends keyof T>(item: K): Delayed<T[K]> {
    const key = `getitem-${tokenize(this.key, item as string | number)}`;
    const layer = new MaterializedLayer(key, new Map([[key, call(builtin("getitem"), { t: "ref", key: this.key }, lit(item))]]));
    return new Delayed<T[K]>(key, HighLevelGraph.fromLayer(layer, [this.graph]));
  }

  /** Short description, also used by the kernel's plain-text repr. */
  toString(): string {
    return `Delayed('${this.key}')`;
  }

  /** What `console.log` and the Node REPL show. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** Held so the persisted result is not released while this Delayed is reachable. */
  get persistedBy(): unknown {
    return this.holder;
  }
}

/** A delayed function: calling it records a task instead of running it. */
export interface DelayedFunction<F extends AnyFunction> {
  (...args: DelayedArgs<Parameters<F>>): Delayed<Awaited<ReturnType<F>>>;
  /** The shipped form of the function (source, captures, content id). */
  readonly fnRef: SourceFnRef;
  readonly options: DelayedOptions;
}

/**
 * Wrap a function so calls build tasks, or wrap a value as a Delayed.
 * A function that reads variables from its surroundings fails here, naming them: pass them
 * as arguments or in `captures`.
 */
export function delayed<F extends AnyFunction>(fn: F, opts?: DelayedOptions): DelayedFunction<F>;
export function delayed<T>(value: T, opts?: { name?: string }): Delayed<T>;
export function delayed(fnOrValue: unknown, opts: DelayedOptions = {}): unknown {
  if (typeof fnOrValue !== "function") {
    const { nodes, graphs } = argsToNodes([fnOrValue]);
    const name = opts.name ?? "literal";
    const key = `${name}-${tokenize(fnOrValue)}`;
    const layer = new MaterializedLayer(key, new Map([[key, nodes[0]!]]));
    return new Delayed(key, HighLevelGraph.fromLayer(layer, graphs));
  }
  const fn = fnOrValue as AnyFunction;
  const fnRef = shipFunction(fn, { ...(opts.captures ? { captures: opts.captures } : {}), ...(opts.name ? { name: opts.name } : {}) });
  rememberFunction(fnRef.id, fn);
  const wrapper = (...args: unknown[]): Delayed => {
    const { nodes, graphs } = argsToNodes(args);
    const token = opts.pure ? tokenize(fnRef.id, ...args) : randomUUID().replaceAll("-", "");
    const key = `${safeName(fnRef.name)}-${token}`;
    const layer = new MaterializedLayer(key, new Map([[key, call(fnRef, ...nodes)]]));
    return new Delayed(key, HighLevelGraph.fromLayer(layer, graphs));
  };
  return Object.assign(wrapper, { fnRef, options: opts });
}

export function isDelayedFunction(x: unknown): x is DelayedFunction<AnyFunction> {
  return typeof x === "function" && "fnRef" in x && "options" in x;
}

/** Key prefixes must not look like tokens or contain the index bracket. */
function safeName(name: string): string {
  return name.replace(/[[\]\s]/g, "_") || "lambda";
}
