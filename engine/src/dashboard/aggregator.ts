/**
 * Folds the event stream into the small state the dashboard draws: recent task rectangles,
 * per-prefix progress counters, recent exceptions and log lines, the workers seen, the flows
 * of the cluster map, per-worker occupancy over time, the cluster's memory over time and the
 * current task graph.
 *
 * It runs inside an EventLog listener, on the scheduler's own thread, so each event costs O(1)
 * work and a bounded amount of memory: rectangles, exceptions and logs live in fixed-size
 * rings, time series in fixed-size buckets, prefixes, flows, workers and graph nodes are
 * capped, and a key is remembered only while the scheduler itself still holds it (released
 * and cancelled keys are forgotten). A submitted graph costs time in the tasks it draws (at
 * most the graph's cap). Serialising for the wire happens elsewhere, at the server's own
 * cadence, never per event.
 */
import { now, type EventLog, type TesseraEvent } from "../diagnostics/events.js";
import type { DashboardException, DashboardSnapshot, TaskRect, WorkerRow } from "./protocol.js";
import { ClusterFlows } from "./state/flows.js";
import { DEFAULT_LOG_CAPACITY, LogBook, plural } from "./state/logs.js";
import { MemoryHistory } from "./state/memory-history.js";
import { OccupancySeries } from "./state/occupancy.js";
import { ERRED, groupName, MEMORY, PROCESSING, ProgressCounts, WAITING } from "./state/progress.js";
import { Ring } from "./state/ring.js";
import { TaskGraphLayout, TASK_GRAPH_LIMIT } from "./state/task-graph.js";

/** Dask keeps the last 1000 rectangles in its task stream; so do we. */
export const DEFAULT_RECT_CAPACITY = 1000;
const DEFAULT_EXCEPTION_CAPACITY = 50;
/**
 * Time series and flashes change with the clock, not only with events: after the last event
 * the version keeps moving once per tick of this clock for a while, so the final buckets of the
 * series and the end of the flashes reach the panels; then an idle cluster sends nothing.
 */
const CLOCK_MS = 200;
const CLOCK_TICKS_AFTER_ACTIVITY = 10;

export interface AggregatorOptions {
  rectCapacity?: number;
  exceptionCapacity?: number;
  logCapacity?: number;
  /** Most task graph nodes drawn (default 1000). */
  graphLimit?: number;
  /** Live per-worker numbers from the scheduler (keys and bytes held, tasks processing). */
  workers?: () => { id: string; nthreads: number; processing: number; keys: number; nbytes: number }[];
}

export interface AggregatorStats {
  rects: number;
  exceptions: number;
  prefixes: number;
  liveKeys: number;
  workers: number;
  logs: number;
  flows: number;
  graphNodes: number;
  occupancyWorkers: number;
}

export class DashboardAggregator {
  private readonly rects: Ring<TaskRect>;
  private readonly exceptions: Ring<DashboardException>;
  private readonly progress = new ProgressCounts();
  private readonly workerThreads = new Map<string, number>();
  private readonly logs: LogBook;
  private readonly flows = new ClusterFlows();
  private readonly occupancy: OccupancySeries;
  private readonly memory = new MemoryHistory();
  private readonly graph: TaskGraphLayout;
  private readonly unsubscribe: () => void;
  private readonly workerSummary: AggregatorOptions["workers"];
  /** Bumped by every event that changed something. */
  private changes = 0;
  /** Time of the latest event, which keeps the clock part of `version` moving for a while. */
  private lastActivity = 0;
  /** True while the event history is folded in at start: those flows are not flashed. */
  private replaying = false;

  constructor(events: EventLog, opts: AggregatorOptions = {}) {
    this.rects = new Ring(opts.rectCapacity ?? DEFAULT_RECT_CAPACITY);
    this.exceptions = new Ring(opts.exceptionCapacity ?? DEFAULT_EXCEPTION_CAPACITY);
    this.logs = new LogBook(opts.logCapacity ?? DEFAULT_LOG_CAPACITY);
    this.occupancy = new OccupancySeries(Date.now());
    this.graph = new TaskGraphLayout(opts.graphLimit ?? TASK_GRAPH_LIMIT);
    this.workerSummary = opts.workers;
    // A cluster keeps recent history: start from it, so what happened before the dashboard
    // started is drawn too (bounded by the history's own capacity).
    this.replaying = true;
    for (const event of events.history()) this.apply(event);
    this.replaying = false;
    // Workers that joined before anything recorded events are still worth a line.
    const started = Date.now();
    for (const w of this.workerSummary?.() ?? []) {
      if (this.workerThreads.has(w.id)) continue;
      this.logs.note({ time: started, level: "info", source: w.id, message: `running with ${plural(w.nthreads, "thread")}` });
      this.occupancy.addWorker(w.id);
    }
    this.unsubscribe = events.subscribe((event) => this.apply(event));
  }

  /**
   * Changes when anything a panel draws may have changed; the server sends only when it
   * moved. Events move it, and so does the clock for a short while after the last event.
   */
  get version(): number {
    const clock = Math.floor(Date.now() / CLOCK_MS);
    return this.changes + Math.min(clock, Math.floor(this.lastActivity / CLOCK_MS) + CLOCK_TICKS_AFTER_ACTIVITY);
  }

  close(): void {
    this.unsubscribe();
  }

  /** Sequence number of the next rectangle; pass it back to `snapshot` to get only newer ones. */
  get rectCursor(): number {
    return this.rects.pushed;
  }

  /** Everything a panel needs; `rectsSince` limits the task stream to rectangles not yet sent. */
  snapshot(rectsSince = 0): DashboardSnapshot {
    const time = Date.now();
    const workers = this.workers();
    // Memory has no event per byte: the total is sampled here, at the server's cadence.
    this.memory.record(time, workers.reduce((n, w) => n + w.nbytes, 0));
    const threads = new Map(workers.map((w) => [w.id, w.nthreads]));
    return {
      time,
      version: this.version,
      rects: this.rects.since(rectsSince),
      rectCapacity: this.rects.capacity,
      progress: this.progress.list(),
      workers,
      exceptions: this.exceptions.since(0),
      clusterMap: this.flows.state(time),
      occupancy: this.occupancy.state(
        time,
        workers.map((w) => w.id),
        (id) => threads.get(id),
      ),
      memory: this.memory.list(),
      taskGraph: this.graph.state(),
      logs: this.logs.list(),
    };
  }

  /** Sizes of everything held, for tests and for anyone wondering what the dashboard costs. */
  stats(): AggregatorStats {
    return {
      rects: this.rects.size,
      exceptions: this.exceptions.size,
      prefixes: this.progress.size,
      liveKeys: this.progress.liveKeys,
      workers: this.workerThreads.size,
      logs: this.logs.size,
      flows: this.flows.size,
      graphNodes: this.graph.size,
      occupancyWorkers: this.occupancy.workers,
    };
  }

  private workers(): WorkerRow[] {
    const live = this.workerSummary?.() ?? [];
    const rows: WorkerRow[] = live.map((w) => ({
      id: w.id,
      nthreads: w.nthreads,
      processing: w.processing,
      keys: w.keys,
      nbytes: w.nbytes,
    }));
    // Workers known only from events (no live summary, e.g. in tests) still get a row.
    for (const [id, nthreads] of this.workerThreads) {
      if (!rows.some((r) => r.id === id)) rows.push({ id, nthreads, processing: 0, keys: 0, nbytes: 0 });
    }
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private apply(e: TesseraEvent): void {
    const logged = this.logs.add(e);
    switch (e.type) {
      case "graph-submitted":
        this.graph.submitted(e.ntasks, e.tasks);
        break;
      case "task-queued":
        this.progress.move(e.key, e.prefix, WAITING);
        this.graph.setState(e.key, "waiting");
        break;
      case "task-assigned":
        this.progress.move(e.key, e.prefix, PROCESSING);
        this.graph.setState(e.key, "processing");
        this.flows.taskSent(e.worker, this.replaying ? null : e.time);
        break;
      case "task-finished":
        this.progress.move(e.key, e.prefix, MEMORY);
        this.graph.setState(e.key, "memory");
        this.occupancy.addBusy(e.worker, e.start, e.stop);
        this.rects.push({
          key: e.key,
          prefix: groupName(e.prefix),
          worker: e.worker,
          thread: e.thread,
          start: e.start,
          stop: e.stop,
          kind: "compute",
        });
        break;
      case "task-erred":
        this.progress.move(e.key, e.prefix, ERRED);
        this.graph.setState(e.key, "erred");
        if (e.blame === e.key) {
          this.exceptions.push({ key: e.key, worker: e.worker, name: e.error.name, message: e.error.message, time: e.time });
        }
        break;
      case "task-released":
        this.progress.forget(e.key, true);
        this.graph.setState(e.key, "released");
        break;
      case "task-cancelled":
        this.progress.forget(e.key, false);
        this.graph.setState(e.key, "released");
        break;
      case "transfer":
        // Transfers are reported after the fact: flash them when they arrive.
        this.flows.transfer(e.from, e.to, e.nbytes, this.replaying ? null : now());
        this.rects.push({
          key: e.key,
          prefix: "transfer",
          worker: e.to,
          thread: 0,
          start: e.start,
          stop: e.stop,
          kind: "transfer",
        });
        break;
      case "worker-added":
        this.workerThreads.set(e.worker, e.threads);
        this.occupancy.addWorker(e.worker);
        break;
      case "worker-removed":
        this.workerThreads.delete(e.worker);
        this.occupancy.removeWorker(e.worker);
        this.flows.forgetWorker(e.worker);
        break;
      default:
        // task-started (its finish carries the same times), worker-restarted: logged only.
        if (!logged) return;
    }
    if (e.time > this.lastActivity) this.lastActivity = e.time;
    this.changes++;
  }
}
