/**
 * The scheduler core: a pure state machine over tasks and workers (DESIGN idea 3).
 *
 * It owns no threads, timers or sockets. A transport feeds it what happened (a graph was
 * submitted, a task finished, a worker died) and drains the commands it decided on (run
 * this task there, free that result, tell the client a key is ready). The same core drives
 * the sync scheduler, the thread pool, and later workers on other hosts.
 *
 * Task states, as in dask.distributed:
 *
 *   released ─► waiting ─► queued ─► processing ─► memory ─► released ─► (forgotten)
 *                  │          (root tasks wait        │
 *                  │           for a free slot)       └─► erred
 *                  └─► no-worker (ready, but no worker exists yet)
 *
 * A task is *active* while it is waiting, queued, no-worker or processing: it still
 * needs its dependencies. A result in memory is released as soon as no active task and
 * no client (a "want": a future, a running compute) needs it.
 */
import type { Graph, Key, Task } from "../graph/task.js";
import { keyPrefix, taskDependencies } from "../graph/task.js";
import type { EventLog, WorkerId } from "../diagnostics/events.js";
import { MinHeap } from "./heap.js";

export type TaskState = "released" | "waiting" | "queued" | "no-worker" | "processing" | "memory" | "erred";

/** Why a task failed, in a form that crosses threads and processes. */
export interface TaskFailure {
  kind: "error" | "killed-worker" | "lost";
  name: string;
  message: string;
  stack?: string;
  /** The fused step that threw, when it is not the task itself (see TaskNode `key`). */
  origin?: Key;
}

/** Where a dependency can be read from: the workers holding it (empty: computed locally first). */
export type DepLocation = [key: Key, holders: WorkerId[]];

export interface RunSpec {
  key: Key;
  task: Task;
  priority: number;
  deps: DepLocation[];
}

export type SchedulerCommand =
  | { op: "run"; worker: WorkerId; spec: RunSpec }
  | { op: "free"; worker: WorkerId; key: Key }
  | { op: "abandon"; worker: WorkerId; key: Key }
  | { op: "key-memory"; key: Key }
  | { op: "key-erred"; key: Key; failure: TaskFailure; blame: Key };

export interface FinishInfo {
  nbytes: number;
  start: number;
  stop: number;
  thread?: number;
}

export interface CoreOptions {
  /** How many worker deaths a task may be blamed for before it errs (Dask's allowed-failures). */
  allowedFailures?: number;
  events?: EventLog;
  /** Target milliseconds of queued root work per worker thread; bounds memory of wide graphs. */
  queueTargetMs?: number;
}

/**
 * The empty list every task starts with for inputs, readers and holders: most tasks have
 * none of one of them, and three fresh arrays per task is most of a big graph's garbage.
 * Frozen, so a stray push fails loudly instead of corrupting every task.
 */
const NONE = Object.freeze([]) as unknown as never[];

/** Shared by every task without inputs (never mutated). */
const NO_DEPS: DepLocation[] = [];

/** Eager placement of a dependent onto its dependencies' worker is tried only for small fan-in. */
const EAGER_MAX_DEPS = 32;
/** States in which a task still needs its inputs (string compares of interned literals: cheap). */
const isActive = (s: TaskState): boolean => s === "processing" || s === "waiting" || s === "queued" || s === "no-worker";

class TaskRecord {
  private _prefix: string | null = null;
  deps: readonly TaskRecord[] = NONE;
  /**
   * Tasks reading this one. An array, not a Set: most tasks have one or two dependents and
   * this is the hottest allocation. Forgotten dependents stay until `liveDependents` says
   * the list can be dropped; they are inert (never active again).
   */
  dependents: TaskRecord[] = NONE as TaskRecord[];
  liveDependents = 0;
  forgotten = false;
  state: TaskState = "released";
  /** Dependencies not in memory; maintained while the task is active. */
  waitingOn = 0;
  /** Active dependents: they still need this result. */
  activeDependents = 0;
  /** Clients holding this key (futures, computes in progress). */
  wants = 0;
  /** Workers holding the result; usually one, so a small array. */
  whoHas: WorkerRecord[] = NONE as WorkerRecord[];
  processingOn: WorkerRecord | null = null;
  nbytes = 0;
  /** Worker deaths this task was running at. */
  suspicious = 0;
  failure: TaskFailure | null = null;
  blame: Key | null = null;
  /** False for scattered data: it cannot be recomputed if its worker dies. */
  hasLineage = true;

  constructor(
    readonly key: Key,
    readonly task: Task,
    public priority: number,
  ) {}

  /** The operation name, for events; computed only when events are observed. */
  get prefix(): string {
    return (this._prefix ??= keyPrefix(this.key));
  }
}

/**
 * A worker as the core sees it. Counters rather than sets of tasks: they change for every
 * task, while the sets would only be read when a worker dies (then the core scans its tasks).
 */
class WorkerRecord {
  /** Tasks assigned here and not finished. */
  nprocessing = 0;
  /** Results held here. */
  nkeys = 0;
  /** Tasks here whose dependents were not placed yet because the worker's queue was full. */
  frontier: TaskRecord[] = [];
  nbytes = 0;
  /** Being retired (scaling down): nothing new is placed here. */
  retiring = false;
  constructor(
    readonly id: WorkerId,
    readonly nthreads: number,
  ) {}
}

export class SchedulerCore {
  private readonly tasks = new Map<Key, TaskRecord>();
  private readonly workers = new Map<WorkerId, WorkerRecord>();
  /** Ready root tasks waiting for a worker slot, most urgent first (stale entries skipped). */
  private readonly queue = new MinHeap<TaskRecord>();
  private readonly noWorker = new Set<TaskRecord>();
  /** Workers marked `retiring`: placement skips them. */
  private retiringWorkers = 0;
  private commands: SchedulerCommand[] = [];
  /** Tasks whose need may have dropped; checked once the current input is fully applied. */
  private releaseCandidates: TaskRecord[] = [];
  private generation = 0;
  private readonly allowedFailures: number;
  private readonly events: EventLog | undefined;
  private readonly queueTargetMs: number;
  /** Moving average of task duration in ms, for sizing worker queues. */
  private avgDurationMs = -1;

  constructor(opts: CoreOptions = {}) {
    this.allowedFailures = opts.allowedFailures ?? 3;
    this.events = opts.events;
    this.queueTargetMs = opts.queueTargetMs ?? 5;
  }

  // ── inputs ────────────────────────────────────────────────────────────────────────

  addWorker(id: WorkerId, nthreads = 1): void {
    if (this.workers.has(id)) throw new Error(`worker ${id} is already registered`);
    this.workers.set(id, new WorkerRecord(id, nthreads));
    if (this.events?.active) this.events.emit({ type: "worker-added", worker: id, threads: nthreads });
    const stranded = [...this.noWorker];
    this.noWorker.clear();
    for (const ts of stranded) if (ts.state === "no-worker") this.makeReady(ts);
  }

  /**
   * A worker is gone. Tasks it was running go back to waiting (the one it was running when
   * it died is suspicious and errs as `killed-worker` past `allowedFailures`); results only
   * it held are recomputed from their lineage if anything still needs them.
   */
  removeWorker(id: WorkerId, reason: "crashed" | "closed" | "restarted", runningKey?: Key, detail?: string): void {
    const ws = this.workers.get(id);
    if (!ws) return;
    this.workers.delete(id);
    if (ws.retiring) this.retiringWorkers--;
    ws.frontier = [];
    if (this.events?.active) {
      this.events.emit({ type: "worker-removed", worker: id, reason: detail ? `${reason}: ${detail}` : reason });
    }

    const processing: TaskRecord[] = [];
    const lost: TaskRecord[] = [];
    for (const ts of this.tasks.values()) {
      if (ts.processingOn === ws) {
        ts.processingOn = null;
        processing.push(ts);
      }
      // Results that existed only on this worker are lost.
      if (ts.whoHas.includes(ws)) {
        ts.whoHas = ts.whoHas.filter((w) => w !== ws);
        if (ts.whoHas.length === 0 && ts.state === "memory") lost.push(ts);
      }
    }
    ws.nprocessing = 0;
    ws.nkeys = 0;
    for (const ts of lost) {
      // Dependents placed elsewhere that would have fetched this result must wait again.
      for (const dep of ts.dependents) {
        if (dep.state === "processing" && dep.processingOn) this.unassign(dep);
      }
      this.setState(ts, "released");
      ts.nbytes = 0;
    }

    // A crash right after a task returned is blamed on that task even though it is done:
    // rerunning it would kill the next worker too.
    const culprit = runningKey === undefined ? undefined : this.tasks.get(runningKey);
    if (reason === "crashed" && culprit && culprit.state !== "processing") culprit.suspicious++;

    for (const ts of processing) {
      const blamed = reason === "crashed" && (runningKey === undefined || runningKey === ts.key);
      if (blamed) ts.suspicious++;
      if (ts.suspicious > this.allowedFailures) {
        this.fail(ts, {
          kind: "killed-worker",
          name: "KilledWorker",
          message:
            `Task ${ts.key} was running on a worker that died ${ts.suspicious} times ` +
            `(allowed failures: ${this.allowedFailures}). The task itself probably crashes its worker ` +
            `(process.exit, running out of memory, an uncaught error outside the task).` +
            (detail ? ` Last worker failure: ${detail}` : ""),
        });
      } else {
        this.setState(ts, "waiting");
      }
    }
    // Recompute what is still needed; everything else stays released.
    for (const ts of lost) {
      if (!this.isNeeded(ts)) continue;
      if (ts.suspicious > this.allowedFailures) {
        this.fail(ts, {
          kind: "killed-worker",
          name: "KilledWorker",
          message:
            `Task ${ts.key} finished, then its worker died, ${ts.suspicious} times ` +
            `(allowed failures: ${this.allowedFailures}); it probably leaves something behind that crashes ` +
            `the thread (a timer, an unhandled rejection).` +
            (detail ? ` Last worker failure: ${detail}` : ""),
        });
      } else if (ts.hasLineage) this.activate([ts]);
      else
        this.fail(ts, {
          kind: "lost",
          name: "LostData",
          message: `Scattered data ${ts.key} was lost with worker ${id} and cannot be recomputed.`,
        });
    }
    for (const ts of processing) if (ts.state === "waiting" && ts.waitingOn === 0) this.makeReady(ts);
    for (const ts of lost) this.releaseCandidates.push(ts);
    this.settle();
  }

  /**
   * Start retiring a worker (scaling down): nothing new is placed on it, and the tasks it was
   * sent are taken back and placed on the other workers. Its results stay readable there
   * until it is removed; the caller copies the ones only it holds (`keysOnlyOn`) to other
   * workers first (`transferred`), so retiring recomputes nothing.
   */
  retireWorker(id: WorkerId): void {
    const ws = this.requireWorker(id);
    if (ws.retiring) return;
    if (this.workers.size - this.retiringWorkers <= 1) throw new Error(`Cannot retire ${id}: it is the last worker.`);
    ws.retiring = true;
    this.retiringWorkers++;
    ws.frontier = [];
    const taken: TaskRecord[] = [];
    for (const ts of this.tasks.values()) if (ts.state === "processing" && ts.processingOn === ws) taken.push(ts);
    for (const ts of taken) if (ts.state === "processing" && ts.processingOn === ws) this.unassign(ts);
    for (const ts of taken) if (ts.state === "waiting" && ts.waitingOn === 0) this.makeReady(ts);
    this.settle();
  }

  /** Results held by `id` and by no other worker, with their sizes. */
  keysOnlyOn(id: WorkerId): { key: Key; nbytes: number }[] {
    const ws = this.workers.get(id);
    if (!ws) return [];
    const out: { key: Key; nbytes: number }[] = [];
    for (const ts of this.tasks.values()) {
      if (ts.state === "memory" && ts.whoHas.length === 1 && ts.whoHas[0] === ws) out.push({ key: ts.key, nbytes: ts.nbytes });
    }
    return out;
  }

  /**
   * For each result `id` holds that other workers hold too, those other workers. A worker
   * fetching from `id` when it goes may have been told of no other holder (the copies were
   * made later): this is where it can fetch from instead.
   */
  otherHolders(id: WorkerId): [Key, WorkerId[]][] {
    const ws = this.workers.get(id);
    if (!ws) return [];
    const out: [Key, WorkerId[]][] = [];
    for (const ts of this.tasks.values()) {
      if (ts.whoHas.length > 1 && ts.whoHas.includes(ws)) out.push([ts.key, ts.whoHas.filter((w) => w !== ws).map((w) => w.id)]);
    }
    return out;
  }

  /** Workers tasks and data can be placed on: every registered worker but those retiring. */
  placeableWorkers(): WorkerId[] {
    const out: WorkerId[] = [];
    for (const ws of this.workers.values()) if (!ws.retiring) out.push(ws.id);
    return out;
  }

  /**
   * Add tasks and take a want on `wanted` keys. Keys already known keep their state (the
   * same key means the same computation), so a graph can reference results that are
   * already in memory, e.g. persisted collections or futures.
   */
  updateGraph(graph: Graph, wanted: Key[], priorities?: Map<Key, number>): void {
    // Validate everything first, so a rejected graph leaves the core exactly as it was.
    const known = (key: Key): boolean => graph.has(key) || this.tasks.has(key);
    const fresh: [Key, Task, Key[]][] = [];
    for (const [key, task] of graph) {
      if (this.tasks.has(key)) continue;
      const deps = taskDependencies(task);
      for (const depKey of deps) {
        if (!known(depKey)) {
          throw new Error(
            `Task ${key} depends on ${depKey}, which is neither in the graph nor held by the scheduler ` +
              `(was its future released?).`,
          );
        }
      }
      fresh.push([key, task, deps]);
    }
    for (const key of wanted) {
      if (!known(key)) throw new Error(`Wanted key ${key} is not in the graph.`);
    }

    const gen = ++this.generation;
    const added: TaskRecord[] = new Array(fresh.length);
    for (let i = 0; i < fresh.length; i++) {
      const [key, task] = fresh[i]!;
      // Generation first, then the graph's static order: earlier submissions run first.
      const p = gen * 2 ** 32 + (priorities?.get(key) ?? i);
      const ts = new TaskRecord(key, task, p);
      this.tasks.set(key, ts);
      added[i] = ts;
    }
    for (let i = 0; i < fresh.length; i++) {
      const depKeys = fresh[i]![2];
      if (depKeys.length === 0) continue;
      const ts = added[i]!;
      const deps = depKeys.map((k) => this.tasks.get(k)!);
      ts.deps = deps;
      for (const dep of deps) {
        if (dep.dependents === NONE) dep.dependents = [ts];
        else dep.dependents.push(ts);
        dep.liveDependents++;
      }
    }
    if (this.events?.active) {
      const tasks = fresh.map(([key, , dependencies]) => ({ key, dependencies }));
      this.events.emit({ type: "graph-submitted", ntasks: added.length, keys: wanted, tasks });
    }

    const toActivate: TaskRecord[] = [];
    for (const key of wanted) {
      const ts = this.tasks.get(key)!;
      ts.wants++;
      if (ts.state === "released") toActivate.push(ts);
      else if (ts.state === "memory") this.commands.push({ op: "key-memory", key });
      else if (ts.state === "erred") this.pushErred(ts);
    }
    this.activate(toActivate);
    // New tasks nobody wants (culled away by the caller, or duplicates) are forgotten.
    for (const ts of added) if (ts.state === "released") this.releaseCandidates.push(ts);
    this.settle();
  }

  /** Drop one want on each key (a future released, a compute finished or cancelled). */
  releaseKeys(keys: Key[]): void {
    for (const key of keys) {
      const ts = this.tasks.get(key);
      if (!ts || ts.wants === 0) continue;
      ts.wants--;
      this.releaseCandidates.push(ts);
    }
    this.settle();
  }

  /** Data placed on a worker directly (`client.scatter`). */
  addData(worker: WorkerId, key: Key, nbytes: number, wanted = true): void {
    const ws = this.requireWorker(worker);
    let ts = this.tasks.get(key);
    if (!ts) {
      ts = new TaskRecord(key, { t: "lit", value: null }, ++this.generation * 2 ** 32);
      ts.hasLineage = false;
      this.tasks.set(key, ts);
    }
    if (wanted) ts.wants++;
    this.storeOn(ts, ws, nbytes);
    if (ts.state !== "memory") this.setState(ts, "memory");
    this.settle();
  }

  taskFinished(worker: WorkerId, key: Key, info: FinishInfo): void {
    const ws = this.workers.get(worker);
    if (!ws) return;
    this.finish(ws, key, info);
    this.settle();
  }

  /**
   * A worker's report: row `i` is `keys[i]`, failed if `failures` has row `i`. Applying a
   * whole batch at once settles releases once instead of once per task.
   */
  tasksDone(
    worker: WorkerId,
    keys: Key[],
    done: { nbytes: ArrayLike<number>; start: ArrayLike<number>; stop: ArrayLike<number>; failures: [number, TaskFailure][] },
  ): void {
    const ws = this.workers.get(worker);
    if (!ws) return;
    const failed = done.failures.length > 0 ? new Map(done.failures) : null;
    const info: FinishInfo = { nbytes: 0, start: 0, stop: 0 };
    for (let i = 0; i < keys.length; i++) {
      const failure = failed?.get(i);
      if (failure) {
        this.erred(ws, keys[i]!, failure);
        continue;
      }
      info.nbytes = done.nbytes[i]!;
      info.start = done.start[i]!;
      info.stop = done.stop[i]!;
      this.finish(ws, keys[i]!, info);
    }
    this.settle();
  }

  private finish(ws: WorkerRecord, key: Key, info: FinishInfo): void {
    const worker = ws.id;
    const ts = this.tasks.get(key);
    if (!ts || ts.state !== "processing" || ts.processingOn !== ws) {
      // A result nobody is waiting for any more (cancelled, or computed twice): drop it.
      if (ts && ts.state === "memory") this.storeOn(ts, ws, info.nbytes);
      else this.commands.push({ op: "free", worker, key });
      return;
    }
    const ms = info.stop - info.start;
    this.avgDurationMs = this.avgDurationMs < 0 ? ms : this.avgDurationMs * 0.9 + ms * 0.1;
    ws.nprocessing--;
    ts.processingOn = null;
    this.storeOn(ts, ws, info.nbytes);
    if (this.events?.active) {
      const thread = info.thread ?? 0;
      this.events.record({
        type: "task-started",
        key,
        prefix: ts.prefix,
        worker,
        thread,
        time: info.start,
      });
      this.events.record({
        type: "task-finished",
        key,
        prefix: ts.prefix,
        worker,
        thread,
        start: info.start,
        stop: info.stop,
        nbytes: info.nbytes,
        time: info.stop,
      });
    }
    this.setState(ts, "memory");
    if (ts.wants > 0) this.commands.push({ op: "key-memory", key });
    this.releaseCandidates.push(ts);
  }

  taskErred(worker: WorkerId, key: Key, failure: TaskFailure): void {
    const ws = this.workers.get(worker);
    if (!ws) return;
    this.erred(ws, key, failure);
    this.settle();
  }

  private erred(ws: WorkerRecord, key: Key, failure: TaskFailure): void {
    const ts = this.tasks.get(key);
    if (!ts || ts.state !== "processing" || ts.processingOn !== ws) return;
    ws.nprocessing--;
    ts.processingOn = null;
    this.fail(ts, failure);
  }

  /** A worker copied `key` from another worker to run a task: it now holds a replica. */
  transferred(worker: WorkerId, key: Key, from: WorkerId, nbytes: number, start: number, stop: number): void {
    const ts = this.tasks.get(key);
    const ws = this.workers.get(worker);
    if (this.events?.active) {
      this.events.record({ type: "transfer", key, from, to: worker, nbytes, start, stop, time: stop });
    }
    if (!ws) return;
    // A copy of something forgotten meanwhile must still be freed on the worker.
    if (ts?.state === "memory") this.storeOn(ts, ws, nbytes);
    else this.commands.push({ op: "free", worker, key });
  }

  /** Commands decided since the last call, in order. Fills free worker slots first. */
  takeCommands(): SchedulerCommand[] {
    this.fillWorkers();
    const out = this.commands;
    this.commands = [];
    return out;
  }

  // ── queries ───────────────────────────────────────────────────────────────────────

  stateOf(key: Key): TaskState | undefined {
    return this.tasks.get(key)?.state;
  }

  whoHas(key: Key): WorkerId[] {
    const ts = this.tasks.get(key);
    return ts ? ts.whoHas.map((w) => w.id) : [];
  }

  /** One worker holding `key` (the first to have computed it), if any. */
  firstHolder(key: Key): WorkerId | undefined {
    return this.tasks.get(key)?.whoHas[0]?.id;
  }

  failureOf(key: Key): { failure: TaskFailure; blame: Key } | undefined {
    const ts = this.tasks.get(key);
    return ts?.failure ? { failure: ts.failure, blame: ts.blame ?? key } : undefined;
  }

  get taskCount(): number {
    return this.tasks.size;
  }

  workerIds(): WorkerId[] {
    return [...this.workers.keys()];
  }

  /** Keys processing on a worker (for cancelling a task that will not yield). */
  processingOn(worker: WorkerId): Key[] {
    const ws = this.workers.get(worker);
    return ws ? [...this.tasks.values()].filter((t) => t.processingOn === ws).map((t) => t.key) : [];
  }

  workerSummary(): { id: WorkerId; nthreads: number; processing: number; keys: number; nbytes: number }[] {
    return [...this.workers.values()].map((w) => ({
      id: w.id,
      nthreads: w.nthreads,
      processing: w.nprocessing,
      keys: w.nkeys,
      nbytes: w.nbytes,
    }));
  }

  // ── transitions ──────────────────────────────────────────────────────────────────

  /**
   * The one place a task's state changes. It keeps the counters that make every other
   * decision O(1): dependencies' `activeDependents` and dependents' `waitingOn`.
   */
  private setState(ts: TaskRecord, next: TaskState): void {
    const prev = ts.state;
    if (prev === next) return;
    ts.state = next;
    const wasActive = isActive(prev);
    const nowActive = isActive(next);
    if (!wasActive && nowActive) {
      let missing = 0;
      for (const dep of ts.deps) {
        dep.activeDependents++;
        if (dep.state !== "memory") missing++;
      }
      ts.waitingOn = missing;
    } else if (wasActive && !nowActive) {
      for (const dep of ts.deps) {
        dep.activeDependents--;
        if (dep.activeDependents === 0) this.releaseCandidates.push(dep);
      }
    }
    if (next === "memory") {
      for (const d of ts.dependents) {
        if (!isActive(d.state)) continue;
        d.waitingOn--;
        if (d.waitingOn === 0 && d.state === "waiting") this.makeReady(d);
      }
    } else if (prev === "memory") {
      for (const d of ts.dependents) if (isActive(d.state)) d.waitingOn++;
    }
    if (next === "released" && this.events?.active) {
      this.events.emit({ type: "task-released", key: ts.key, prefix: ts.prefix });
    }
  }

  /** Make released tasks (and, recursively, their released dependencies) run again. */
  private activate(roots: TaskRecord[]): void {
    // Post-order without recursion (a 100k-long chain must not overflow the stack), with the
    // "children pushed" flag in a parallel array so the walk allocates nothing per task.
    const stack: TaskRecord[] = [];
    const expanded: boolean[] = [];
    for (let r = roots.length - 1; r >= 0; r--) {
      stack.push(roots[r]!);
      expanded.push(false);
    }
    const ready: TaskRecord[] = [];
    while (stack.length > 0) {
      const ts = stack.pop()!;
      const wasExpanded = expanded.pop()!;
      if (ts.state !== "released") continue;
      if (!wasExpanded) {
        stack.push(ts);
        expanded.push(true);
        for (const dep of ts.deps) {
          if (dep.state === "released") {
            stack.push(dep);
            expanded.push(false);
          }
        }
        continue;
      }
      ts.failure = null;
      ts.blame = null;
      this.setState(ts, "waiting");
      if (this.events?.active) this.events.emit({ type: "task-queued", key: ts.key, prefix: ts.prefix });
      if (ts.waitingOn === 0) ready.push(ts);
      // A dependency that is erred makes this task err at once.
      for (const d of ts.deps) {
        if (d.state === "erred") {
          this.fail(ts, d.failure!, d.blame ?? d.key);
          break;
        }
      }
    }
    for (const ts of ready) if (ts.state === "waiting") this.makeReady(ts);
  }

  /** All inputs are in memory: queue a root task, place any other task now. */
  private makeReady(ts: TaskRecord): void {
    if (this.workers.size - this.retiringWorkers === 0) {
      this.setState(ts, "no-worker");
      this.noWorker.add(ts);
      return;
    }
    if (ts.deps.length === 0) {
      this.setState(ts, "queued");
      this.queue.push(ts, ts.priority);
      return;
    }
    this.assign(ts, this.pickWorker(ts));
  }

  /** The worker holding most of the task's input bytes; ties go to the least busy. */
  private pickWorker(ts: TaskRecord): WorkerRecord {
    let best: WorkerRecord | null = null;
    let bestBytes = -1;
    if (ts.deps.length > 0) {
      const bytes = new Map<WorkerRecord, number>();
      for (const dep of ts.deps) {
        for (const ws of dep.whoHas) if (!ws.retiring) bytes.set(ws, (bytes.get(ws) ?? 0) + Math.max(dep.nbytes, 1));
      }
      for (const [ws, b] of bytes) {
        if (b > bestBytes || (b === bestBytes && best && this.load(ws) < this.load(best))) {
          best = ws;
          bestBytes = b;
        }
      }
    }
    if (best) return best;
    for (const ws of this.workers.values()) if (!ws.retiring && (!best || this.load(ws) < this.load(best))) best = ws;
    return best!;
  }

  private load(ws: WorkerRecord): number {
    return ws.nprocessing / ws.nthreads;
  }

  private assign(ts: TaskRecord, ws: WorkerRecord): void {
    this.startProcessing(ts, ws);
    if (ts.dependents.length > 0) this.placeEagerDependents(ts, ws);
  }

  private startProcessing(ts: TaskRecord, ws: WorkerRecord): void {
    this.setState(ts, "processing");
    ts.processingOn = ws;
    ws.nprocessing++;
    const deps: DepLocation[] = ts.deps.length === 0 ? NO_DEPS : ts.deps.map((d) => [d.key, d.whoHas.map((w) => w.id)]);
    this.commands.push({ op: "run", worker: ws.id, spec: { key: ts.key, task: ts.task, priority: ts.priority, deps } });
    if (this.events?.active) {
      this.events.emit({ type: "task-assigned", key: ts.key, prefix: ts.prefix, worker: ws.id });
    }
  }

  /**
   * Send a waiting dependent to the same worker before its inputs finish when every input
   * is in memory or being computed there. The worker then runs the whole chain without a
   * round trip to the scheduler per task.
   */
  private placeEagerDependents(first: TaskRecord, ws: WorkerRecord): void {
    const capacity = this.slotsPerThread() * ws.nthreads;
    const work = [first];
    while (work.length > 0) {
      if (ws.nprocessing >= capacity) {
        // Queue full: continue from here when results come back, so sending the next part
        // of a long chain overlaps with running the current one.
        for (const t of work) ws.frontier.push(t);
        return;
      }
      const ts = work.pop()!;
      for (const d of ts.dependents) {
        if (d.state !== "waiting" || d.deps.length > EAGER_MAX_DEPS) continue;
        let local = true;
        for (const dep of d.deps) {
          if (dep.state === "memory") continue;
          if (dep.state === "processing" && dep.processingOn === ws) continue;
          local = false;
          break;
        }
        if (!local) continue;
        this.startProcessing(d, ws);
        work.push(d);
      }
    }
  }

  /** Take a processing task back from its worker (its inputs were lost); it waits again. */
  private unassign(root: TaskRecord): void {
    const ws = root.processingOn!;
    // Dependents placed eagerly on the same worker expect this task's result there: they
    // come back too, and are placed again once it is.
    const stack = [root];
    while (stack.length > 0) {
      const ts = stack.pop()!;
      if (ts.state !== "processing" || ts.processingOn !== ws) continue;
      ws.nprocessing--;
      ts.processingOn = null;
      this.commands.push({ op: "abandon", worker: ws.id, key: ts.key });
      ts.state = "waiting"; // stays active: counters unchanged
      let missing = 0;
      for (const dep of ts.deps) if (dep.state !== "memory") missing++;
      ts.waitingOn = missing;
      for (const d of ts.dependents) if (d.state === "processing" && d.processingOn === ws) stack.push(d);
    }
  }

  /** Hand queued root tasks to workers with free slots, one worker's batch at a time. */
  private fillWorkers(): void {
    if (this.workers.size - this.retiringWorkers === 0) return;
    const perThread = this.slotsPerThread();
    for (const ws of this.workers.values()) {
      while (ws.frontier.length > 0 && ws.nprocessing < perThread * ws.nthreads) {
        const ts = ws.frontier.pop()!;
        const here = (ts.state === "processing" && ts.processingOn === ws) || (ts.state === "memory" && ts.whoHas.includes(ws));
        if (!ts.forgotten && here) this.placeEagerDependents(ts, ws);
      }
    }
    if (this.queue.size === 0) return;
    const byLoad = [...this.workers.values()].filter((w) => !w.retiring).sort((a, b) => this.load(a) - this.load(b));
    for (const ws of byLoad) {
      const capacity = perThread * ws.nthreads;
      while (ws.nprocessing < capacity && this.queue.size > 0) {
        const ts = this.queue.pop()!;
        if (ts.state !== "queued") continue; // cancelled while queued
        this.assign(ts, ws);
      }
      if (this.queue.size === 0) break;
    }
  }

  /** Queue depth per thread: enough queued work to hide a round trip, no more (memory). */
  private slotsPerThread(): number {
    if (this.avgDurationMs < 0) return 8;
    return Math.max(2, Math.min(2048, Math.ceil(this.queueTargetMs / Math.max(this.avgDurationMs, 0.001))));
  }

  private storeOn(ts: TaskRecord, ws: WorkerRecord, nbytes: number): void {
    ts.nbytes = nbytes;
    if (!ts.whoHas.includes(ws)) {
      if (ts.whoHas === NONE) ts.whoHas = [ws];
      else ts.whoHas.push(ws);
      ws.nkeys++;
      ws.nbytes += nbytes;
    }
  }

  /** A task failed: it and every active task depending on it err, blaming it. */
  private fail(root: TaskRecord, failure: TaskFailure, blame: Key = root.key): void {
    const stack = [root];
    while (stack.length > 0) {
      const ts = stack.pop()!;
      if (ts.state === "erred") continue;
      if (ts.state === "processing" && ts.processingOn) {
        const ws = ts.processingOn;
        ws.nprocessing--;
        ts.processingOn = null;
        this.commands.push({ op: "abandon", worker: ws.id, key: ts.key });
      }
      this.setState(ts, "erred");
      ts.failure = failure;
      ts.blame = blame;
      if (this.events?.active) {
        this.events.emit({
          type: "task-erred",
          key: ts.key,
          prefix: ts.prefix,
          worker: null,
          error: { name: failure.name, message: failure.message },
          blame,
        });
      }
      if (ts.wants > 0) this.pushErred(ts);
      for (const d of ts.dependents) if (isActive(d.state)) stack.push(d);
      this.releaseCandidates.push(ts);
    }
  }

  private pushErred(ts: TaskRecord): void {
    this.commands.push({ op: "key-erred", key: ts.key, failure: ts.failure!, blame: ts.blame ?? ts.key });
  }

  private isNeeded(ts: TaskRecord): boolean {
    return ts.wants > 0 || ts.activeDependents > 0;
  }

  /**
   * Release what nothing needs any more and forget what nothing can need again. Runs at the
   * end of every input, so intermediate states inside one input never free too early.
   */
  private settle(): void {
    // A plain array: candidates may repeat, and `release` is idempotent.
    while (this.releaseCandidates.length > 0) {
      const batch = this.releaseCandidates;
      this.releaseCandidates = [];
      for (const ts of batch) this.release(ts);
    }
  }

  private release(ts: TaskRecord): void {
    if (this.tasks.get(ts.key) !== ts || this.isNeeded(ts)) return;
    switch (ts.state) {
      case "memory":
        for (const ws of ts.whoHas) {
          ws.nkeys--;
          ws.nbytes -= ts.nbytes;
          this.commands.push({ op: "free", worker: ws.id, key: ts.key });
        }
        ts.whoHas = NONE as WorkerRecord[];
        this.setState(ts, "released");
        break;
      case "processing":
        this.commands.push({ op: "abandon", worker: ts.processingOn!.id, key: ts.key });
        ts.processingOn!.nprocessing--;
        ts.processingOn = null;
        this.cancelled(ts);
        break;
      case "waiting":
      case "queued":
      case "no-worker":
        this.noWorker.delete(ts);
        this.cancelled(ts);
        break;
      default:
        break;
    }
    // Forget records nothing refers to; their dependencies may follow.
    if ((ts.state === "released" || ts.state === "erred") && ts.wants === 0 && ts.liveDependents === 0) {
      this.tasks.delete(ts.key);
      ts.forgotten = true;
      ts.dependents = NONE as TaskRecord[];
      for (const dep of ts.deps) {
        if (--dep.liveDependents === 0) dep.dependents = NONE as TaskRecord[];
        this.releaseCandidates.push(dep);
      }
    }
  }

  private cancelled(ts: TaskRecord): void {
    this.setState(ts, "released");
    if (this.events?.active) this.events.emit({ type: "task-cancelled", key: ts.key, prefix: ts.prefix });
  }

  private requireWorker(id: WorkerId): WorkerRecord {
    const ws = this.workers.get(id);
    if (!ws) throw new Error(`unknown worker ${id}`);
    return ws;
  }
}
