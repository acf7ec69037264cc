/**
 * Progress bars (Dask's `progress` and `ProgressBar`), as consumers of the event stream.
 *
 * A ProgressTracker counts, per operation prefix (`inc`, `read-parquet`, …), how many of a
 * known set of tasks are waiting, processing, done or erred. `watchProgress` feeds it from a
 * scheduler's events and hands throttled snapshots (at most every 100 ms, plus the final one)
 * to a ProgressDisplay. Subscribing only while a bar is shown keeps `EventLog.active` false
 * otherwise, so computations without a bar pay nothing.
 *
 * Where a bar is drawn is a hook: the Jupyter kernel installs a display that renders HTML and
 * updates it in place (`setProgressDisplay`); in plain Node the default draws one text line on
 * stderr, redrawn in place when stderr is a terminal, and printed once at the end otherwise
 * (logs get one summary line, not a hundred carriage returns).
 */
import { order } from "../graph/order.js";
import { keyPrefix, type Graph, type Key } from "../graph/task.js";
import { collectionsToGraph, compute, splitOptions, type ComputeOptions } from "../collections/compute.js";
import { isCollection, type TesseraCollection } from "../collections/collection.js";
import { Future } from "../collections/futures.js";
import { resolveScheduler, type SchedulerChoice } from "../scheduler/default-scheduler.js";
import type { TaskState } from "../scheduler/core.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import { CancelledError } from "../scheduler/task-errors.js";
import { now, type EventLog, type TesseraEvent } from "./events.js";

/** Where one task of a tracked set is, as a progress bar sees it. */
export type ProgressTaskState = "waiting" | "processing" | "done" | "erred";

/** Counts of one operation (key prefix). */
export interface OperationProgress {
  prefix: string;
  total: number;
  done: number;
  processing: number;
  erred: number;
}

export type ProgressStatus = "running" | "finished" | "erred" | "cancelled";

export interface ProgressSnapshot {
  status: ProgressStatus;
  total: number;
  done: number;
  processing: number;
  erred: number;
  /** Milliseconds since tracking began. */
  elapsedMs: number;
  /** One entry per operation, in the order their first task runs. */
  operations: OperationProgress[];
}

/** Draws a bar: `update` with throttled snapshots while running, `close` once with the last. */
export interface ProgressDisplay {
  update(snapshot: ProgressSnapshot): void;
  close(snapshot: ProgressSnapshot): void;
}

/** Makes the display of one bar; null shows nothing. Called synchronously when tracking starts. */
export type ProgressDisplayFactory = (first: ProgressSnapshot) => ProgressDisplay | null;

/** `true`: the installed display (kernel) or the text bar; a factory: that display; false: none. */
export type ProgressOption = boolean | ProgressDisplayFactory;

/** Snapshot cadence, the dashboard's progress cadence (Dask updates progress every 100 ms). */
export const PROGRESS_INTERVAL_MS = 100;

export class ProgressTracker {
  private readonly states = new Map<Key, ProgressTaskState>();
  private readonly operations = new Map<string, OperationProgress>();
  private readonly started = now();
  private status: ProgressStatus = "running";
  private stoppedAt: number | null = null;

  /** Track `keys`; pass them in execution order so operations are listed as they run. */
  constructor(keys: Iterable<Key>) {
    for (const key of keys) {
      if (this.states.has(key)) continue;
      this.states.set(key, "waiting");
      this.operation(key).total++;
    }
  }

  get size(): number {
    return this.states.size;
  }

  has(key: Key): boolean {
    return this.states.has(key);
  }

  /** Apply one event; true if it changed a count. Events of other keys are ignored. */
  apply(event: TesseraEvent): boolean {
    switch (event.type) {
      case "task-assigned":
      case "task-started":
        return this.set(event.key, "processing");
      case "task-finished":
        return this.set(event.key, "done");
      case "task-erred":
        return this.set(event.key, "erred");
      case "task-cancelled":
        return this.set(event.key, "waiting");
      default:
        return false;
    }
  }

  /**
   * Take states from the scheduler for keys no event will speak of: results it already held
   * (shared with another computation) and, when `forgottenAreDone`, keys it no longer knows
   * (finished and released before tracking began).
   */
  seed(stateOf: (key: Key) => TaskState | undefined, forgottenAreDone = false): void {
    for (const key of this.states.keys()) {
      const state = stateOf(key);
      if (state === "memory" || (state === undefined && forgottenAreDone)) this.set(key, "done");
      else if (state === "erred") this.set(key, "erred");
      else if (state === "processing") this.set(key, "processing");
    }
  }

  /** Stop the clock. A finished computation has all its tasks done, whatever events were seen. */
  finish(status: Exclude<ProgressStatus, "running">): void {
    if (this.status !== "running") return;
    this.status = status;
    this.stoppedAt = now();
    if (status === "finished") for (const key of this.states.keys()) this.set(key, "done");
    else for (const [key, state] of this.states) if (state === "processing") this.set(key, "waiting");
  }

  snapshot(): ProgressSnapshot {
    const operations = [...this.operations.values()].map((o) => ({ ...o }));
    const sum = (f: (o: OperationProgress) => number): number => operations.reduce((a, o) => a + f(o), 0);
    return {
      status: this.status,
      total: this.states.size,
      done: sum((o) => o.done),
      processing: sum((o) => o.processing),
      erred: sum((o) => o.erred),
      elapsedMs: (this.stoppedAt ?? now()) - this.started,
      operations,
    };
  }

  private operation(key: Key): OperationProgress {
    const prefix = keyPrefix(key);
    let op = this.operations.get(prefix);
    if (!op) this.operations.set(prefix, (op = { prefix, total: 0, done: 0, processing: 0, erred: 0 }));
    return op;
  }

  private set(key: Key, next: ProgressTaskState): boolean {
    const prev = this.states.get(key);
    if (prev === undefined || prev === next) return false;
    this.states.set(key, next);
    const op = this.operation(key);
    if (prev !== "waiting") op[prev]--;
    if (next !== "waiting") op[next]++;
    return true;
  }
}

export interface ProgressWatch {
  /** Stop listening, settle the tracker and draw the final state (idempotent). */
  stop(status: Exclude<ProgressStatus, "running">): void;
}

/** Feed `tracker` from `events` and draw it on `display` at most every `intervalMs`. */
export function watchProgress(
  events: EventLog,
  tracker: ProgressTracker,
  display: ProgressDisplay | null,
  intervalMs = PROGRESS_INTERVAL_MS,
): ProgressWatch {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const draw = (): void => {
    timer = null;
    if (!stopped) safely(() => display?.update(tracker.snapshot()));
  };
  const unsubscribe = events.subscribe((event) => {
    if (tracker.apply(event) && display && timer === null) {
      timer = setTimeout(draw, intervalMs);
      timer.unref?.();
    }
  });
  return {
    stop(status) {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
      tracker.finish(status);
      safely(() => display?.close(tracker.snapshot()));
    },
  };
}

/** A faulty display must never break the computation it shows. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignored on purpose
  }
}

// ── where bars are drawn ──────────────────────────────────────────────────────────────────

let installed: ProgressDisplayFactory | null = null;

/** Install the display used by `progress: true` (the Jupyter kernel does); null restores the text bar. */
export function setProgressDisplay(factory: ProgressDisplayFactory | null): void {
  installed = factory;
}

/** The display for a bar starting now, as chosen by a `progress` option. */
export function openProgressDisplay(option: ProgressOption, first: ProgressSnapshot): ProgressDisplay | null {
  if (option === false) return null;
  const factory = typeof option === "function" ? option : (installed ?? ((s: ProgressSnapshot) => textProgressDisplay(s)));
  try {
    return factory(first);
  } catch {
    return null;
  }
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, "0")}s`;
}

/** `[#########-----------] 12/40 tasks | 1.2s` (with the status when it is not running). */
export function formatProgressLine(s: ProgressSnapshot, width = 30): string {
  const fraction = s.total === 0 ? 1 : s.done / s.total;
  const filled = Math.round(fraction * width);
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const erred = s.erred > 0 ? `, ${s.erred} erred` : "";
  const status = s.status === "running" ? "" : ` | ${s.status}`;
  return `${bar} ${s.done}/${s.total} tasks${erred} | ${formatSeconds(s.elapsedMs)}${status}`;
}

/** The overall line followed by one line per operation: the text/plain form of a bar. */
export function formatProgressText(s: ProgressSnapshot, width = 30): string {
  const name = Math.max(0, ...s.operations.map((o) => o.prefix.length));
  const lines = [formatProgressLine(s, width)];
  for (const o of s.operations) {
    const filled = Math.round((o.total === 0 ? 1 : o.done / o.total) * 20);
    const erred = o.erred > 0 ? ` (${o.erred} erred)` : "";
    lines.push(`  ${o.prefix.padEnd(name)} [${"#".repeat(filled)}${"-".repeat(20 - filled)}] ${o.done}/${o.total}${erred}`);
  }
  return lines.join("\n");
}

/**
 * The plain-Node bar: one line on `stream` (stderr), redrawn in place on a terminal; on
 * anything else (a pipe, a log file) only the final line is written.
 */
export function textProgressDisplay(_first: ProgressSnapshot, stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const tty = stream.isTTY === true;
  return {
    update(s) {
      if (tty) stream.write(`\r${formatProgressLine(s)}\x1b[K`);
    },
    close(s) {
      stream.write(tty ? `\r${formatProgressLine(s)}\x1b[K\n` : `${formatProgressLine(s)}\n`);
    },
  };
}

// ── entry points ──────────────────────────────────────────────────────────────────────────

/**
 * `runGraph` with a progress bar: submit `graph`, gather `keys`, release them, and show the
 * tasks of `graph` as they run. Rejects as `runGraph` does; the bar shows how it ended.
 */
export async function runGraphWithProgress(
  scheduler: Scheduler,
  graph: Graph,
  keys: Key[],
  signal?: AbortSignal,
  option: ProgressOption = true,
): Promise<unknown[]> {
  const priorities = order(graph);
  const tasks = [...graph.keys()].sort((a, b) => (priorities.get(a) ?? 0) - (priorities.get(b) ?? 0));
  const tracker = new ProgressTracker(tasks);
  // Subscribe before submitting: the first tasks may finish before submit returns.
  const watch = watchProgress(scheduler.events, tracker, openProgressDisplay(option, tracker.snapshot()));
  let status: "finished" | "erred" | "cancelled" = "erred";
  try {
    scheduler.submit(graph, keys, priorities);
    tracker.seed((k) => scheduler.core.stateOf(k));
    const values = await scheduler.gather(keys, signal);
    status = "finished";
    return values;
  } catch (err) {
    if (err instanceof CancelledError) status = "cancelled";
    throw err;
  } finally {
    scheduler.release(keys);
    watch.stop(status);
  }
}

export type ComputeWithProgressOptions = ComputeOptions;

/** `compute(a, b, opts)` with a progress bar by default (`progress: true`). */
export async function computeWithProgress<T extends unknown[]>(
  ...args: [...T] | [...T, ComputeOptions]
): ReturnType<typeof compute<T>> {
  const [values, opts] = splitOptions<ComputeOptions>(args, new Set(["scheduler", "optimizeGraph", "signal", "progress"]));
  return compute<T>(...(values as T), { progress: true, ...opts });
}

export interface ProgressOptions {
  /** Where collections run when no Future says (default: the active client, or the shared pool). */
  scheduler?: SchedulerChoice;
  /** Stop watching (the computation itself goes on). */
  signal?: AbortSignal;
  /** The display to draw on (default: the installed one, or the text bar). */
  display?: ProgressDisplayFactory;
}

const PROGRESS_OPTION_KEYS = new Set(["scheduler", "signal", "display"]);

/**
 * Show the progress of work already running (Dask's `progress`): Futures (or arrays of
 * them) and persisted collections. Resolves when all of it has finished, failed or been
 * cancelled; it never rejects, the bar shows the outcome. A collection that is not persisted
 * is tracked too, by the tasks of its graph, while another call computes it.
 *
 * What is counted is what the caller holds: the tasks of a collection's graph, or the keys
 * of Futures and persisted partitions (not the tasks upstream of them, which the scheduler
 * does not expose).
 */
export async function progress(...args: unknown[]): Promise<void> {
  const [values, opts] = splitOptions<ProgressOptions>(args, PROGRESS_OPTION_KEYS);
  const items = values.flat(Infinity);
  const futures = items.filter((v): v is Future => v instanceof Future);
  const collections = items.filter((v): v is TesseraCollection => isCollection(v) && !(v instanceof Future));
  let scheduler: Scheduler;
  if (futures.length > 0) scheduler = futures[0]!.scheduler;
  else {
    const resolved = await resolveScheduler(opts.scheduler);
    if (resolved.owned) {
      await resolved.scheduler.close();
      throw new Error('progress() watches a scheduler that outlives the call; use "threads" or a Client, not "sync".');
    }
    scheduler = resolved.scheduler;
  }
  const { graph, keys } = collectionsToGraph(collections);
  const outputs = [...new Set([...keys, ...futures.map((f) => f.key)])];
  const unknown = outputs.filter((k) => scheduler.core.stateOf(k) === undefined);
  if (unknown.length > 0) {
    throw new Error(
      `progress(): ${unknown.length} key(s) are not running (e.g. ${unknown[0]}); persist the collection or ` +
        `submit the work first, or compute it with a bar: computeWithProgress(x) / x.compute({ progress: true }).`,
    );
  }
  const priorities = order(graph);
  const tasks = [...graph.keys()].sort((a, b) => (priorities.get(a) ?? 0) - (priorities.get(b) ?? 0));
  const tracker = new ProgressTracker([...tasks, ...outputs]);
  const watch = watchProgress(scheduler.events, tracker, openProgressDisplay(opts.display ?? true, tracker.snapshot()));
  // Tasks the scheduler no longer knows were done and released before we looked.
  tracker.seed((k) => scheduler.core.stateOf(k), true);
  let status: "finished" | "erred" | "cancelled";
  try {
    await scheduler.waitAll(outputs, opts.signal);
    status = "finished";
  } catch (err) {
    status = err instanceof CancelledError ? "cancelled" : "erred";
  }
  watch.stop(status);
}
