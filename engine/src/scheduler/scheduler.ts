/**
 * The scheduler service: the core state machine wired to a transport, plus what clients
 * need on top of it (waiting for keys, gathering results, scattering data).
 *
 * Inputs arrive as transport callbacks or client calls; each one is applied to the core and
 * then `flush` turns the core's commands into one update per worker and notifications for
 * clients. Nothing here decides *what* runs *where*: that is the core's job.
 */
import { EventLog, type WorkerId } from "../diagnostics/events.js";
import type { Graph, Key } from "../graph/task.js";
import { SchedulerCore, type CoreOptions } from "./core.js";
import type { CompletionBatch, TransferReport } from "./protocol.js";
import { CancelledError, errorFor } from "./task-errors.js";
import type { Transport, TransportHandler, WorkerUpdate } from "./transport.js";

interface Watcher {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Where waits without an explicit signal get one (a notebook kernel supplies the running cell's). */
let defaultSignalProvider: (() => AbortSignal | undefined) | null = null;

/**
 * Give every wait that was not passed an AbortSignal a default one, e.g. the signal of the
 * notebook cell that started it, so interrupting the cell cancels its computations.
 */
export function setDefaultSignal(provider: (() => AbortSignal | undefined) | null): void {
  defaultSignalProvider = provider;
}

export interface SchedulerOptions extends Omit<CoreOptions, "events"> {
  events?: EventLog;
}

export class Scheduler implements TransportHandler {
  readonly events: EventLog;
  readonly core: SchedulerCore;
  /** Who waits for each key: one watcher (the common case, no array) or several. */
  private readonly watchers = new Map<Key, Watcher | Watcher[]>();
  private flushing = false;
  private flushAgain = false;
  private inFlight = 0;
  private closed = false;
  /** Scaling and restarts, one at a time, in the order asked. */
  private membership: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly transport: Transport,
    opts: SchedulerOptions,
  ) {
    this.events = opts.events ?? new EventLog();
    this.core = new SchedulerCore({ ...opts, events: this.events });
  }

  static async start(transport: Transport, opts: SchedulerOptions = {}): Promise<Scheduler> {
    const scheduler = new Scheduler(transport, opts);
    await transport.start(scheduler);
    return scheduler;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ── client side ──────────────────────────────────────────────────────────────────

  /** Add tasks and hold one want on each of `wanted` until `release`. */
  submit(graph: Graph, wanted: Key[], priorities?: Map<Key, number>): void {
    this.ensureOpen();
    this.core.updateGraph(graph, wanted, priorities);
    this.flush();
  }

  release(keys: Key[]): void {
    if (this.closed || keys.length === 0) return;
    this.core.releaseKeys(keys);
    this.flush();
  }

  /** Resolves when `key` is in memory; rejects with the task's error if it (or an input) failed. */
  wait(key: Key, signal?: AbortSignal): Promise<void> {
    return this.waitAll([key], signal);
  }

  /**
   * Resolves when every key is in memory; rejects with the first failure. One watcher is
   * shared by all keys, so waiting for 100k keys costs a counter, not 100k promises.
   */
  waitAll(keys: Key[], signal: AbortSignal | undefined = defaultSignalProvider?.()): Promise<void> {
    const pending: Key[] = [];
    for (const key of keys) {
      const state = this.core.stateOf(key);
      if (state === "memory") continue;
      if (state === "erred") {
        const f = this.core.failureOf(key)!;
        return Promise.reject(errorFor(key, f.failure, f.blame));
      }
      if (state === undefined) return Promise.reject(new Error(`Key ${key} is not known to the scheduler.`));
      pending.push(key);
    }
    if (pending.length === 0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new CancelledError(pending));
    return new Promise<void>((resolve, reject) => {
      let left = pending.length;
      const detach = (): void => {
        for (const key of pending) {
          const entry = this.watchers.get(key);
          if (entry === watcher) this.watchers.delete(key);
          else if (Array.isArray(entry)) {
            const i = entry.indexOf(watcher);
            if (i >= 0) entry.splice(i, 1);
            if (entry.length === 0) this.watchers.delete(key);
          }
        }
        this.updateBusy();
      };
      const onAbort = (): void => {
        detach();
        reject(new CancelledError(pending));
      };
      const watcher: Watcher = {
        resolve: () => {
          if (--left === 0) {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          }
        },
        reject: (err) => {
          signal?.removeEventListener("abort", onAbort);
          detach();
          reject(err);
        },
      };
      for (const key of pending) {
        const entry = this.watchers.get(key);
        if (entry === undefined) this.watchers.set(key, watcher);
        else if (Array.isArray(entry)) entry.push(watcher);
        else this.watchers.set(key, [entry, watcher]);
      }
      this.updateBusy();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Values of keys the caller holds wants on, fetched from the workers holding them. A
   * worker that dies in between is survived: the core recomputes the value and we ask again.
   */
  async gather(keys: Key[], signal?: AbortSignal): Promise<unknown[]> {
    const results = new Array<unknown>(keys.length);
    // Positions still to fetch; index arithmetic instead of maps keeps 100k keys cheap.
    let todo = Array.from(keys, (_, i) => i);
    this.inFlight++;
    this.updateBusy();
    try {
      for (let attempt = 0; todo.length > 0; attempt++) {
        if (attempt > 10) {
          throw new Error(`Could not gather ${todo.map((i) => keys[i]).join(", ")}: its workers keep disappearing.`);
        }
        await this.waitAll(
          todo.map((i) => keys[i]!),
          signal,
        );
        const byWorker = new Map<WorkerId, number[]>();
        const missing: number[] = [];
        for (const i of todo) {
          const w = this.core.firstHolder(keys[i]!);
          if (w === undefined) {
            missing.push(i);
            continue;
          }
          let list = byWorker.get(w);
          if (!list) byWorker.set(w, (list = []));
          list.push(i);
        }
        const requests = [...byWorker];
        const replies = await Promise.all(
          requests.map(([w, idx]) =>
            this.transport.gather(
              w,
              idx.map((i) => keys[i]!),
            ).catch(() => null),
          ),
        );
        const cloneErrors: string[] = [];
        replies.forEach((reply, r) => {
          const idx = requests[r]![1];
          if (!reply) {
            missing.push(...idx);
            return;
          }
          for (let j = 0; j < idx.length; j++) {
            const key = keys[idx[j]!]!;
            const reason = reply.errors.get(key);
            if (reason === undefined) results[idx[j]!] = reply.values[j];
            else if (reason.includes("cannot be sent")) cloneErrors.push(`${key}: ${reason}`);
            else missing.push(idx[j]!);
          }
        });
        if (cloneErrors.length > 0) {
          throw new Error(`Could not return results to the caller: ${cloneErrors.join("; ")}`);
        }
        todo = missing;
      }
    } finally {
      this.inFlight--;
      this.updateBusy();
    }
    return results;
  }

  /** Place values on workers (round-robin) under the given keys, each holding one want. */
  async scatter(entries: [Key, unknown][]): Promise<void> {
    this.ensureOpen();
    const workers = this.core.placeableWorkers();
    if (workers.length === 0) throw new Error("No workers to scatter data to.");
    // Keep the process alive until the workers have the data (the pool idles unref'd).
    this.inFlight++;
    this.updateBusy();
    try {
      await Promise.all(
        entries.map(async ([key, value], i) => {
          const worker = workers[i % workers.length]!;
          const nbytes = await this.transport.scatter(worker, key, value);
          this.core.addData(worker, key, nbytes);
        }),
      );
    } finally {
      this.inFlight--;
    }
    this.flush();
  }

  /** Replace every worker (see Transport.restart); waits for any scaling in progress first. */
  restart(): Promise<void> {
    return this.serialize(() => this.transport.restart());
  }

  /**
   * Run `n` workers (at least one). Scaling up starts threads. Scaling down retires the
   * workers holding the fewest bytes: their tasks are taken back and run elsewhere, the
   * results only they hold are copied to the remaining workers (visible as transfers), and
   * only then are they stopped, so nothing is lost or recomputed. (A retiring worker that
   * dies before handing over, e.g. stuck in a task that was taken back, loses its results;
   * they are then recomputed from their lineage, as after a crash.)
   */
  scale(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 1) return Promise.reject(new RangeError(`scale needs a whole number of workers, at least 1 (got ${n})`));
    this.ensureOpen();
    return this.serialize(async () => {
      const placeable = new Set(this.core.placeableWorkers());
      const workers = this.core.workerSummary().filter((w) => placeable.has(w.id));
      if (n > workers.length) {
        if (!this.transport.addWorkers) throw new Error(`The ${this.transport.kind} scheduler has a fixed number of workers.`);
        await this.transport.addWorkers(n - workers.length);
      } else if (n < workers.length) {
        if (!this.transport.retireWorkers) throw new Error(`The ${this.transport.kind} scheduler has a fixed number of workers.`);
        // As Dask's workers_to_close: the ones holding least, so least has to move.
        const leaving = workers
          .sort((a, b) => a.nbytes - b.nbytes || a.keys - b.keys || a.processing - b.processing)
          .slice(0, workers.length - n)
          .map((w) => w.id);
        await this.transport.retireWorkers(leaving, () => this.handOver(leaving));
      }
    });
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const next = this.membership.then(step);
    this.membership = next.catch(() => undefined);
    return next;
  }

  /** Take work off retiring workers, then copy the results only they hold to the others. */
  private async handOver(leaving: WorkerId[]): Promise<void> {
    for (const id of leaving) this.core.retireWorker(id);
    this.flush();
    this.inFlight++;
    this.updateBusy();
    try {
      // Data scattered to a worker just before it was marked may arrive late: look again.
      for (let round = 0; round < 3; round++) {
        const moves = leaving.map((id) => [id, this.core.keysOnlyOn(id)] as const).filter(([, keys]) => keys.length > 0);
        if (moves.length === 0) return;
        await Promise.all(moves.map(([id, keys]) => this.moveAway(id, keys)));
      }
    } finally {
      this.inFlight--;
      this.updateBusy();
    }
  }

  private async moveAway(from: WorkerId, keys: { key: Key; nbytes: number }[]): Promise<void> {
    const start = performance.timeOrigin + performance.now();
    const reply = await this.transport.gather(from, keys.map((k) => k.key)).catch(() => null);
    if (!reply) return; // it went away: what it held is recomputed, as after a crash
    // Each result goes to the remaining worker holding least so far.
    const placeable = new Set(this.core.placeableWorkers());
    const load = new Map(this.core.workerSummary().filter((w) => placeable.has(w.id)).map((w) => [w.id, w.nbytes]));
    await Promise.all(
      keys.map(async ({ key, nbytes }, i) => {
        if (reply.errors.has(key) || load.size === 0) return;
        let target: WorkerId | undefined;
        for (const [w, b] of load) if (target === undefined || b < load.get(target)!) target = w;
        load.set(target!, load.get(target!)! + nbytes);
        const stored = await this.transport.scatter(target!, key, reply.values[i]).catch(() => null);
        if (stored === null) return;
        this.core.transferred(target!, key, from, stored, start, performance.timeOrigin + performance.now());
        this.flush();
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error("The scheduler was closed.");
    for (const entry of this.watchers.values()) for (const w of Array.isArray(entry) ? entry : [entry]) w.reject(err);
    this.watchers.clear();
    await this.transport.close();
  }

  // ── transport side ───────────────────────────────────────────────────────────────

  workerAdded(worker: WorkerId, nthreads: number): void {
    this.core.addWorker(worker, nthreads);
    this.flush();
  }

  workerRemoved(worker: WorkerId, reason: "crashed" | "closed" | "restarted", runningKey?: Key, detail?: string): void {
    this.core.removeWorker(worker, reason, runningKey, detail);
    this.flush();
  }

  otherHolders(worker: WorkerId): [Key, WorkerId[]][] {
    return this.core.otherHolders(worker);
  }

  report(worker: WorkerId, keys: Key[], done: CompletionBatch, transfers: TransferReport[]): void {
    for (const t of transfers) this.core.transferred(worker, t.key, t.from, t.nbytes, t.start, t.stop);
    this.core.tasksDone(worker, keys, done);
    this.flush();
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  /** Apply the core's decisions. Not re-entrant: the sync executor reports from inside `send`. */
  private flush(): void {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        const updates = new Map<WorkerId, WorkerUpdate>();
        const update = (w: WorkerId): WorkerUpdate => {
          let u = updates.get(w);
          if (!u) updates.set(w, (u = { run: [], free: [], abandon: [] }));
          return u;
        };
        for (const cmd of this.core.takeCommands()) {
          switch (cmd.op) {
            case "run":
              update(cmd.worker).run.push(cmd.spec);
              break;
            case "free":
              update(cmd.worker).free.push(cmd.key);
              break;
            case "abandon":
              update(cmd.worker).abandon.push(cmd.key);
              break;
            case "key-memory":
              this.notify(cmd.key, null);
              break;
            case "key-erred":
              this.notify(cmd.key, errorFor(cmd.key, cmd.failure, cmd.blame));
              break;
          }
        }
        for (const [w, u] of updates) this.transport.send(w, u);
      } while (this.flushAgain);
    } finally {
      this.flushing = false;
    }
    this.updateBusy();
  }

  private notify(key: Key, err: Error | null): void {
    const entry = this.watchers.get(key);
    if (!entry) return;
    this.watchers.delete(key);
    if (!Array.isArray(entry)) {
      if (err) entry.reject(err);
      else entry.resolve();
      return;
    }
    for (const w of entry) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  private updateBusy(): void {
    if (!this.closed) this.transport.setBusy(this.watchers.size > 0 || this.inFlight > 0);
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error("The scheduler was closed.");
  }
}
