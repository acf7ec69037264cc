/**
 * Futures: handles to results that live in a cluster's memory (dask.distributed's Future).
 *
 * A Future holds one *want* on its key: while any Future (or persisted collection) for a
 * key is reachable, the scheduler keeps the result. `release()` drops the want at once;
 * a Future that is garbage-collected drops it too.
 */
import { HighLevelGraph } from "../graph/hlg.js";
import { inspect } from "node:util";
import type { Key } from "../graph/task.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import { CancelledError } from "../scheduler/task-errors.js";
import { isCollection, type PersistedKeys, type TesseraCollection } from "./collection.js";
import { collectionsToGraph, splitOptions, type ComputeOptions } from "./compute.js";
import { order } from "../graph/order.js";
import { resolveScheduler } from "../scheduler/default-scheduler.js";

export type FutureStatus = "pending" | "finished" | "error" | "cancelled";

/** Releases the want of a Future that was garbage-collected without `release()`. */
const unreleased = new FinalizationRegistry<{ scheduler: Scheduler; key: Key; released: { done: boolean } }>((held) => {
  if (!held.released.done) held.scheduler.release([held.key]);
});

export class Future<T = unknown> implements TesseraCollection<T> {
  private _status: FutureStatus = "pending";
  private _error: Error | null = null;
  private readonly released = { done: false };
  private readonly abort = new AbortController();
  private readonly settled: Promise<void>;

  /** Wraps a key on which the caller already holds one want; the Future now owns it. */
  constructor(
    readonly key: Key,
    readonly scheduler: Scheduler,
  ) {
    this.settled = scheduler.wait(key, this.abort.signal).then(
      () => {
        if (this._status === "pending") this._status = "finished";
      },
      (err: Error) => {
        if (this._status === "pending") {
          this._status = err instanceof CancelledError ? "cancelled" : "error";
          this._error = err;
        }
      },
    );
    unreleased.register(this, { scheduler, key, released: this.released }, this);
  }

  get status(): FutureStatus {
    return this._status;
  }

  /** True once the result is ready, failed, or was cancelled. */
  done(): boolean {
    return this._status !== "pending";
  }

  /** The value, fetched from the worker holding it. Rejects with the task's error. */
  async result(opts: { signal?: AbortSignal } = {}): Promise<T> {
    await this.settled;
    if (this._error) throw this._error;
    const [value] = await this.scheduler.gather([this.key], opts.signal);
    return value as T;
  }

  /** The error the task ended with, or null if it succeeded. */
  async exception(): Promise<Error | null> {
    await this.settled;
    return this._error;
  }

  /** Stop waiting for this result and drop it; other holders of the same key are unaffected. */
  cancel(): void {
    if (this._status === "pending") {
      this._status = "cancelled";
      this._error = new CancelledError([this.key]);
    }
    this.abort.abort();
    this.release();
  }

  /** Drop this Future's want on the key (idempotent). */
  release(): void {
    if (this.released.done) return;
    this.released.done = true;
    unreleased.unregister(this);
    this.scheduler.release([this.key]);
  }

  /** Resolves when the Future is done (no value, no throw). */
  whenDone(): Promise<void> {
    return this.settled;
  }

  __tesseraGraph(): HighLevelGraph {
    return new HighLevelGraph(new Map(), new Map());
  }
  __tesseraKeys(): Key[] {
    return [this.key];
  }
  __tesseraPostcompute(values: unknown[]): T {
    return values[0] as T;
  }
  __tesseraPostpersist(): Future<T> {
    return this;
  }
  __tesseraToken(): string {
    return this.key;
  }

  toString(): string {
    return `Future('${this.key}', status=${this._status})`;
  }

  /** What `console.log` and the Node REPL show. */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Options of `wait`, as in dask.distributed. */
export interface WaitOptions {
  /** Milliseconds; rejects with a TimeoutError-named Error when exceeded. */
  timeout?: number;
  returnWhen?: "ALL_COMPLETED" | "FIRST_COMPLETED" | "FIRST_EXCEPTION";
}

/** Wait until futures are done (successfully or not). */
export async function wait<T>(
  futures: Future<T>[],
  opts: WaitOptions = {},
): Promise<{ done: Set<Future<T>>; notDone: Set<Future<T>> }> {
  const mode = opts.returnWhen ?? "ALL_COMPLETED";
  const waitAll =
    mode === "ALL_COMPLETED"
      ? Promise.all(futures.map((f) => f.whenDone()))
      : new Promise<void>((resolve) => {
          let left = futures.length;
          if (left === 0) resolve();
          for (const f of futures) {
            void f.whenDone().then(() => {
              left--;
              if (mode === "FIRST_COMPLETED" || f.status === "error" || left === 0) resolve();
            });
          }
        });
  let timer: NodeJS.Timeout | undefined;
  const timeout =
    opts.timeout === undefined
      ? null
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const err = new Error(`wait: futures not done after ${opts.timeout} ms`);
            err.name = "TimeoutError";
            reject(err);
          }, opts.timeout);
        });
  try {
    await (timeout ? Promise.race([waitAll, timeout]) : waitAll);
  } finally {
    if (timer) clearTimeout(timer);
  }
  const done = new Set(futures.filter((f) => f.done()));
  return { done, notDone: new Set(futures.filter((f) => !done.has(f))) };
}

/**
 * Futures in the order they finish (dask.distributed's `as_completed`):
 * `for await (const f of asCompleted(fs)) use(await f.result())`.
 * With `withResults`, yields `[future, result]` pairs and throws a task's error.
 */
export function asCompleted<T>(futures: Future<T>[]): AsyncIterableIterator<Future<T>>;
export function asCompleted<T>(
  futures: Future<T>[],
  opts: { withResults: true },
): AsyncIterableIterator<[Future<T>, T]>;
export async function* asCompleted<T>(
  futures: Future<T>[],
  opts: { withResults?: boolean } = {},
): AsyncIterableIterator<Future<T> | [Future<T>, T]> {
  const queue: Future<T>[] = [];
  let wake: (() => void) | null = null;
  for (const f of futures) {
    void f.whenDone().then(() => {
      queue.push(f);
      wake?.();
    });
  }
  for (let yielded = 0; yielded < futures.length; ) {
    if (queue.length === 0) await new Promise<void>((r) => (wake = r));
    wake = null;
    while (queue.length > 0) {
      const f = queue.shift()!;
      yielded++;
      yield opts.withResults ? [f, await f.result()] : f;
    }
  }
}

/**
 * Start computing collections in the cluster's memory and return them backed by the
 * results (Dask's `persist`); later computations reuse those results.
 */
export async function persist<T extends TesseraCollection[]>(
  ...args: [...T] | [...T, Omit<ComputeOptions, "signal">]
): Promise<T> {
  const [values, opts] = splitOptions<ComputeOptions>(args);
  const { scheduler, owned } = await resolveScheduler(opts.scheduler);
  if (owned) {
    await scheduler.close();
    throw new Error('persist() needs a scheduler that outlives the call; use "threads" or a Client, not "sync".');
  }
  return persistOn(scheduler, values as T, opts);
}

export async function persistOn<T extends unknown[]>(
  scheduler: Scheduler,
  values: T,
  opts: { optimizeGraph?: boolean } = {},
): Promise<T> {
  const collections = values.filter(isCollection);
  const { graph, keys } = collectionsToGraph(collections, opts);
  scheduler.submit(graph, keys, order(graph));
  const futures = new Map<Key, Future>();
  let extra: Key[] = [];
  for (const key of keys) {
    if (futures.has(key)) extra.push(key);
    else futures.set(key, new Future(key, scheduler));
  }
  // Duplicate keys took one want each; one Future per key owns one of them.
  scheduler.release(extra);
  extra = [];
  return values.map((v) => {
    if (!isCollection(v)) return v;
    const ks = v.__tesseraKeys();
    const held: PersistedKeys = { keys: ks, owners: ks.map((k) => futures.get(k)!) };
    return v.__tesseraPostpersist(held);
  }) as T;
}
