/**
 * The collection protocol (Dask's `__dask_graph__`, `__dask_keys__`, `__dask_postcompute__`,
 * `__dask_postpersist__`). Anything implementing it can be passed to `compute`, `persist`
 * and `visualize`: Delayed today, DataFrame, Array and Bag as they arrive.
 */
import type { HighLevelGraph } from "../graph/hlg.js";
import type { Key } from "../graph/task.js";

export interface TesseraCollection<R = unknown> {
  /** The graph that computes this collection's keys. */
  __tesseraGraph(): HighLevelGraph;
  /** The keys whose values make up the result, in order. */
  __tesseraKeys(): Key[];
  /** Combine the computed values of `__tesseraKeys()` into what `compute()` returns. */
  __tesseraPostcompute(values: unknown[]): R;
  /**
   * The same collection backed by results already in memory: its graph is replaced by the
   * keys, kept alive by `holders` (futures) for as long as the collection is referenced.
   */
  __tesseraPostpersist(holders: PersistedKeys): TesseraCollection<R>;
  /** Deterministic identity for `tokenize`. */
  __tesseraToken(): string;
}

/** Keys held in a scheduler's memory on behalf of a persisted collection. */
export interface PersistedKeys {
  keys: Key[];
  /** Opaque owners of the wants (futures); kept referenced so the data stays in memory. */
  owners: readonly unknown[];
}

export function isCollection(x: unknown): x is TesseraCollection {
  return (
    x !== null &&
    (typeof x === "object" || typeof x === "function") &&
    typeof (x as { __tesseraGraph?: unknown }).__tesseraGraph === "function"
  );
}
