/**
 * The sync transport: one pseudo-worker that runs tasks in the calling thread, like Dask's
 * `scheduler="sync"`. It drives the same scheduler core as the thread pool, so it is the
 * faithful way to debug a graph: original functions are called (breakpoints work), one at a
 * time, in priority order.
 */
import type { Key } from "../graph/task.js";
import type { RunSpec } from "./core.js";
import { evaluate, isThenable, type ExecutionContext } from "./execute.js";
import { MinHeap } from "./heap.js";
import { originalFunction } from "./local-functions.js";
import { toFailure, type CompletionBatch } from "./protocol.js";
import type { TaskFailure } from "./core.js";
import { sizeof } from "./sizeof.js";
import type { GatherResult, Transport, TransportHandler, WorkerUpdate } from "./transport.js";

export const SYNC_WORKER = "sync";

export class SyncExecutor implements Transport {
  readonly kind = "sync";
  private handler: TransportHandler | null = null;
  private readonly data = new Map<Key, unknown>();
  private readonly ready = new MinHeap<RunSpec>();
  private readonly pending = new Map<Key, RunSpec>();
  /** Specs whose inputs are computed first in this same executor. */
  private readonly waiting = new Map<Key, RunSpec[]>();
  private readonly missing = new Map<Key, number>();
  private running = false;

  private readonly context: ExecutionContext = {
    get: (key) => {
      if (!this.data.has(key)) throw new Error(`Input ${key} is not in memory.`);
      return this.data.get(key);
    },
    // A function with captures is compiled like in a worker: the captures are a snapshot
    // taken when it was shipped, while the original closure would read the variables'
    // current values (or names that only the captures define).
    resolveSource: (fn) => (fn.captures ? undefined : originalFunction(fn.id)),
  };

  async start(handler: TransportHandler): Promise<void> {
    this.handler = handler;
    handler.workerAdded(SYNC_WORKER, 1);
  }

  info(): { workers: number; threads: number } {
    return { workers: 1, threads: 1 };
  }

  send(_worker: string, update: WorkerUpdate): void {
    for (const key of update.free) this.data.delete(key);
    for (const key of update.abandon) this.pending.delete(key);
    for (const spec of update.run) {
      this.pending.set(spec.key, spec);
      let missing = 0;
      for (const [dep] of spec.deps) {
        if (this.data.has(dep)) continue;
        missing++;
        let list = this.waiting.get(dep);
        if (!list) this.waiting.set(dep, (list = []));
        list.push(spec);
      }
      if (missing === 0) this.ready.push(spec, spec.priority);
      else this.missing.set(spec.key, missing);
    }
    void this.drain();
  }

  /**
   * Run ready tasks until none are left. Re-entrant calls (the scheduler sending more work
   * while handling a report) only enqueue; the outer loop picks the work up.
   */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.ready.size > 0) {
        const spec = this.ready.pop()!;
        if (this.pending.get(spec.key) !== spec) continue; // abandoned
        const start = Date.now();
        let nbytes = 0;
        let failure: TaskFailure | null = null;
        try {
          let value = evaluate(spec.task, this.context);
          if (isThenable(value)) value = await value;
          if (this.pending.get(spec.key) !== spec) continue;
          this.data.set(spec.key, value);
          nbytes = sizeof(value);
          this.wake(spec.key);
        } catch (err) {
          if (this.pending.get(spec.key) !== spec) continue;
          failure = toFailure(err);
        }
        this.pending.delete(spec.key);
        const done: CompletionBatch = {
          seqs: new Int32Array(1),
          nbytes: Float64Array.of(nbytes),
          start: Float64Array.of(start),
          stop: Float64Array.of(Date.now()),
          failures: failure ? [[0, failure]] : [],
          dropped: new Int32Array(0),
        };
        this.handler?.report(SYNC_WORKER, [spec.key], done, []);
      }
    } finally {
      this.running = false;
    }
  }

  private wake(key: Key): void {
    const list = this.waiting.get(key);
    if (!list) return;
    this.waiting.delete(key);
    for (const spec of list) {
      const left = (this.missing.get(spec.key) ?? 1) - 1;
      if (left > 0) this.missing.set(spec.key, left);
      else {
        this.missing.delete(spec.key);
        if (this.pending.get(spec.key) === spec) this.ready.push(spec, spec.priority);
      }
    }
  }

  async gather(_worker: string, keys: Key[]): Promise<GatherResult> {
    const errors = new Map<Key, string>();
    const values = keys.map((key) => {
      if (!this.data.has(key)) errors.set(key, "not in memory");
      return this.data.get(key);
    });
    return { values, errors };
  }

  async scatter(_worker: string, key: Key, value: unknown): Promise<number> {
    this.data.set(key, value);
    this.wake(key);
    return sizeof(value);
  }

  setBusy(): void {}

  async restart(): Promise<void> {
    this.data.clear();
    this.pending.clear();
    this.ready.clear();
    this.waiting.clear();
    this.missing.clear();
    this.handler?.workerRemoved(SYNC_WORKER, "restarted");
    this.handler?.workerAdded(SYNC_WORKER, 1);
  }

  async close(): Promise<void> {
    this.data.clear();
    this.pending.clear();
  }
}
