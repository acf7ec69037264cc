/**
 * The threads transport: a pool of `worker_threads`, one task at a time per thread, wired
 * to each other by MessageChannels so inputs move worker-to-worker without passing through
 * the main thread.
 *
 * Faults are handled here and reported to the scheduler core as worker removals: a worker
 * that exits or throws outside a task is replaced, and a worker stuck in a task that was
 * cancelled is terminated and replaced (JavaScript cannot interrupt a busy thread).
 *
 * Scaling adds workers, or retires them: a retiring worker is never replaced, and is only
 * terminated once the scheduler has copied away the results only it holds.
 */
import { availableParallelism } from "node:os";
import { MessageChannel, Worker } from "node:worker_threads";
import type { WorkerId } from "../diagnostics/events.js";
import type { Key } from "../graph/task.js";
import type { CompletionBatch, FromWorker, RunBatch, ToWorker, WorkerInit } from "./protocol.js";
import { decodeValue, encodeValue } from "./share.js";
import type { GatherResult, Transport, TransportHandler, WorkerUpdate } from "./transport.js";

export interface ThreadPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  nWorkers?: number;
  /** Heap limit per worker in MiB (`resourceLimits.maxOldGenerationSizeMb`). */
  memoryLimitMb?: number;
  /** How long a cancelled task may keep its thread busy before the thread is replaced. */
  cancelGraceMs?: number;
}

interface PooledWorker {
  id: WorkerId;
  thread: number;
  worker: Worker;
  status: Int32Array;
  /** seq → key of tasks sent and not yet reported, to name the task a dying worker ran. */
  running: Map<number, Key>;
  /** seq → key of the last tasks reported done, to blame a crash that comes just after one. */
  recent: Map<number, Key>;
  alive: boolean;
  /** Being retired: when it goes (for whatever reason) it is not replaced. */
  retiring: boolean;
  /** What the thread threw outside any task, or its exit code: named in KilledWorker errors. */
  lastError?: string;
}

const WORKER_URL = new URL("./worker.js", import.meta.url);
/** How many reported tasks a worker remembers for blaming crashes. */
const RECENT = 256;

export class ThreadPool implements Transport {
  readonly kind = "threads";
  private readonly workers = new Map<WorkerId, PooledWorker>();
  private handler: TransportHandler | null = null;
  private nextWorker = 0;
  private seq = 0;
  private requestId = 0;
  private readonly requests = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void; worker: WorkerId }>();
  private busy = false;
  private closing = false;
  private readonly nWorkers: number;
  private readonly memoryLimitMb: number | undefined;
  private readonly cancelGraceMs: number;

  constructor(opts: ThreadPoolOptions = {}) {
    this.nWorkers = Math.max(1, opts.nWorkers ?? availableParallelism());
    this.memoryLimitMb = opts.memoryLimitMb;
    this.cancelGraceMs = opts.cancelGraceMs ?? 200;
  }

  async start(handler: TransportHandler): Promise<void> {
    this.handler = handler;
    await Promise.all(Array.from({ length: this.nWorkers }, () => this.spawn()));
  }

  info(): { workers: number; threads: number } {
    return { workers: this.workers.size, threads: this.workers.size };
  }

  send(worker: WorkerId, update: WorkerUpdate): void {
    const pw = this.workers.get(worker);
    if (!pw || !pw.alive) return;
    const run = this.numbered(pw, update.run);
    if (update.abandon.length > 0) this.watchAbandoned(pw, new Set(update.abandon));
    try {
      pw.worker.postMessage({ type: "update", run, free: update.free, abandon: update.abandon } satisfies ToWorker);
    } catch (err) {
      // A literal in a task that cannot be cloned: fail those tasks rather than the pool.
      if (!run) throw err;
      this.failUnsendable(pw, run, err as Error);
    }
  }

  /** The columnar batch for `specs`, each numbered and remembered until it is reported. */
  private numbered(pw: PooledWorker, specs: WorkerUpdate["run"]): RunBatch | null {
    const n = specs.length;
    if (n === 0) return null;
    const batch: RunBatch = {
      keys: new Array<Key>(n),
      seqs: new Int32Array(n),
      priorities: new Float64Array(n),
      tasks: new Array(n),
      deps: new Array(n),
    };
    for (let i = 0; i < n; i++) {
      const spec = specs[i]!;
      const seq = ++this.seq;
      pw.running.set(seq, spec.key);
      batch.keys[i] = spec.key;
      batch.seqs[i] = seq;
      batch.priorities[i] = spec.priority;
      batch.tasks[i] = spec.task;
      batch.deps[i] = spec.deps.length > 0 ? spec.deps : 0;
    }
    return batch;
  }

  private failUnsendable(pw: PooledWorker, run: RunBatch, err: Error): void {
    const n = run.keys.length;
    const now = Date.now();
    for (const seq of run.seqs) pw.running.delete(seq);
    const done: CompletionBatch = {
      seqs: run.seqs,
      nbytes: new Float64Array(n),
      start: new Float64Array(n).fill(now),
      stop: new Float64Array(n).fill(now),
      failures: run.keys.map((key, i) => [
        i,
        {
          kind: "error" as const,
          name: "DataCloneError",
          message: `Task ${key} cannot be sent to a worker thread: ${err.message}`,
        },
      ]),
      dropped: new Int32Array(0),
    };
    this.handler?.report(pw.id, run.keys, done, []);
  }

  async gather(worker: WorkerId, keys: Key[]): Promise<GatherResult> {
    const reply = await this.request(worker, (id) => ({ type: "get", id, keys }));
    if (reply.type !== "values") throw new Error(`unexpected reply ${reply.type}`);
    const values = reply.values;
    for (let i = 0; i < values.length; i++) values[i] = decodeValue(values[i]);
    return { values, errors: new Map(reply.errors) };
  }

  async scatter(worker: WorkerId, key: Key, value: unknown): Promise<number> {
    const reply = await this.request(worker, (id) => ({ type: "put", id, key, value: encodeValue(value) }));
    if (reply.type !== "put-done") throw new Error(`unexpected reply ${reply.type}`);
    return reply.nbytes;
  }

  setBusy(busy: boolean): void {
    if (busy === this.busy) return;
    this.busy = busy;
    for (const pw of this.workers.values()) {
      if (busy) pw.worker.ref();
      else pw.worker.unref();
    }
  }

  async restart(): Promise<void> {
    const old = [...this.workers.values()];
    await Promise.all(old.map((pw) => this.replace(pw, "restarted")));
  }

  async addWorkers(n: number): Promise<void> {
    await Promise.all(Array.from({ length: n }, () => this.spawn()));
  }

  /**
   * Retire workers: they are marked first (so none is replaced if it dies meanwhile), then
   * `handOver` runs (the scheduler moves their work and unique results elsewhere), then they
   * are removed and terminated.
   */
  async retireWorkers(ids: WorkerId[], handOver: () => Promise<void>): Promise<void> {
    const leaving = ids.map((id) => this.workers.get(id)).filter((pw): pw is PooledWorker => pw !== undefined && pw.alive);
    for (const pw of leaving) pw.retiring = true;
    try {
      await handOver();
    } finally {
      await Promise.all(leaving.map((pw) => this.remove(pw, "closed")));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.workers.values()];
    this.workers.clear();
    for (const pw of all) pw.alive = false;
    await Promise.all(all.map((pw) => pw.worker.terminate()));
    for (const [, r] of this.requests) r.reject(new Error("the thread pool was closed"));
    this.requests.clear();
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  private request(worker: WorkerId, make: (id: number) => ToWorker): Promise<FromWorker> {
    const pw = this.workers.get(worker);
    if (!pw || !pw.alive) return Promise.reject(new Error(`worker ${worker} is gone`));
    const id = ++this.requestId;
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject, worker });
      try {
        pw.worker.postMessage(make(id));
      } catch (err) {
        this.requests.delete(id);
        reject(err as Error);
      }
    });
  }

  private spawn(): Promise<void> {
    const thread = this.nextWorker++;
    const id: WorkerId = `worker-${thread}`;
    const status = new SharedArrayBuffer(8);
    const init: WorkerInit = { id, thread, status };
    const worker = new Worker(WORKER_URL, {
      workerData: init,
      ...(this.memoryLimitMb ? { resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb } } : {}),
    });
    if (!this.busy) worker.unref();
    const pw: PooledWorker = {
      id,
      thread,
      worker,
      status: new Int32Array(status),
      running: new Map(),
      recent: new Map(),
      alive: true,
      retiring: false,
    };
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on("message", (msg: FromWorker) => {
        if (msg.type === "ready" && !started) {
          started = true;
          if (this.closing) {
            // The pool closed while this replacement was starting: never let it join.
            pw.alive = false;
            void worker.terminate();
            resolve();
            return;
          }
          this.join(pw);
          resolve();
          return;
        }
        this.onMessage(pw, msg);
      });
      worker.on("error", (err) => {
        if (!started) reject(err);
        // 'exit' follows and does the clean-up.
        pw.lastError = `${err.name}: ${err.message}`;
      });
      worker.on("exit", (code) => {
        if (!started) {
          started = true;
          reject(new Error(`worker ${id} failed to start (exit code ${code})`));
          return;
        }
        if (pw.alive) this.onDeath(pw, code);
      });
    });
  }

  /** Wire a started worker to every other worker and tell the scheduler. */
  private join(pw: PooledWorker): void {
    for (const other of this.workers.values()) {
      const { port1, port2 } = new MessageChannel();
      pw.worker.postMessage({ type: "peer", worker: other.id, port: port1 } satisfies ToWorker, [port1]);
      other.worker.postMessage({ type: "peer", worker: pw.id, port: port2 } satisfies ToWorker, [port2]);
    }
    this.workers.set(pw.id, pw);
    this.handler?.workerAdded(pw.id, 1);
  }

  private onMessage(pw: PooledWorker, msg: FromWorker): void {
    switch (msg.type) {
      case "report":
        for (const seq of msg.done.dropped) pw.running.delete(seq);
        this.handler?.report(pw.id, this.keysOf(pw, msg.done.seqs), msg.done, msg.transfers);
        return;
      case "values":
      case "put-done": {
        const r = this.requests.get(msg.id);
        if (r) {
          this.requests.delete(msg.id);
          r.resolve(msg);
        }
        return;
      }
      default:
        return;
    }
  }

  private keysOf(pw: PooledWorker, seqs: Int32Array): Key[] {
    const keys = new Array<Key>(seqs.length);
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      const key = pw.running.get(seq)!;
      keys[i] = key;
      pw.running.delete(seq);
      pw.recent.set(seq, key);
    }
    if (pw.recent.size > RECENT) {
      let excess = pw.recent.size - RECENT;
      for (const seq of pw.recent.keys()) {
        if (excess-- <= 0) break;
        pw.recent.delete(seq);
      }
    }
    return keys;
  }

  /** A cancelled task that is still running after the grace period costs its thread. */
  private watchAbandoned(pw: PooledWorker, keys: Set<Key>): void {
    const current = Atomics.load(pw.status, 0);
    // Entries stay in `running` until the worker reports the task as done or dropped.
    const key = pw.running.get(current);
    if (current === 0 || key === undefined || !keys.has(key)) return;
    const timer = setTimeout(() => {
      if (pw.alive && Atomics.load(pw.status, 0) === current) void this.replace(pw, "restarted");
    }, this.cancelGraceMs);
    timer.unref();
  }

  private onDeath(pw: PooledWorker, code: number): void {
    pw.alive = false;
    this.workers.delete(pw.id);
    // The task running at the crash; if none was, the one that finished last (a timer or
    // callback it left behind can kill the thread after it returned).
    const running = Math.abs(Atomics.load(pw.status, 0));
    const last = Atomics.load(pw.status, 1);
    const runningKey =
      running !== 0 ? pw.running.get(running) : (pw.recent.get(last) ?? pw.running.get(last));
    this.failRequests(pw.id);
    this.announceLoss(pw.id);
    this.handler?.workerRemoved(pw.id, "crashed", runningKey, pw.lastError ?? `the thread exited with code ${code}`);
    if (!this.closing && !pw.retiring) void this.spawn().catch(() => undefined);
  }

  private async replace(pw: PooledWorker, reason: "restarted"): Promise<void> {
    if (!pw.alive) return;
    const retiring = pw.retiring;
    await this.remove(pw, reason);
    if (!this.closing && !retiring) await this.spawn();
  }

  /** Take a worker out: the scheduler is told, its peers forget it, and the thread ends. */
  private async remove(pw: PooledWorker, reason: "restarted" | "closed"): Promise<void> {
    if (!pw.alive) return;
    pw.alive = false;
    this.workers.delete(pw.id);
    this.failRequests(pw.id);
    this.announceLoss(pw.id);
    this.handler?.workerRemoved(pw.id, reason);
    await pw.worker.terminate();
  }

  /**
   * Tell the other workers a peer is gone, with where else the results it held live: a
   * worker fetching from it may know of no other holder (copies made after it was told).
   * Sent before the scheduler hears of the loss, so it arrives before any task sent again.
   */
  private announceLoss(worker: WorkerId): void {
    const holders = this.handler?.otherHolders?.(worker) ?? [];
    for (const other of this.workers.values()) {
      other.worker.postMessage({ type: "peer-lost", worker, holders } satisfies ToWorker);
    }
  }

  /** Requests to a worker that is gone fail, so callers ask another holder. */
  private failRequests(worker: WorkerId): void {
    for (const [id, r] of this.requests) {
      if (r.worker !== worker) continue;
      this.requests.delete(id);
      r.reject(new Error(`worker ${worker} is gone`));
    }
  }
}
