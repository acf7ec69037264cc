/**
 * A task graph drawing that follows its computation: `visualizeLive(x)` draws the graph as it
 * will run (optimized, so its keys are the keys the scheduler sees) with every task grey,
 * then recolours nodes from the scheduler's events as tasks are queued, run, finish or fail
 * (the fills of `STATE_FILLS`, after Dask's dashboard graph). It watches; the computation is
 * started as usual, by `compute` in the same or a later cell.
 *
 * The SVG is redrawn at most every 200 ms (Dask's graph panel cadence) and once at the end;
 * listeners (`onChange`) are told after each redraw. Watching ends when every task has
 * finished or failed, or on `stop()`.
 */
import { collectionsToGraph, splitOptions } from "../collections/compute.js";
import { isCollection, type TesseraCollection } from "../collections/collection.js";
import type { Graph, Key } from "../graph/task.js";
import { graphToDot, renderSvg, type VisualizeOptions, type VisualizeState } from "../graph/visualize.js";
import { resolveScheduler, type SchedulerChoice } from "../scheduler/default-scheduler.js";
import type { TaskState } from "../scheduler/core.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { TesseraEvent } from "./events.js";

export interface LiveGraphOptions extends Omit<VisualizeOptions, "states"> {
  /** Draw the graph as it runs (default true): unoptimized keys would never see an event. */
  optimizeGraph?: boolean;
  /** The scheduler whose events colour the graph (default: the active client, or the shared pool). */
  scheduler?: SchedulerChoice;
  /** Minimum time between redraws, in ms (default 200). */
  intervalMs?: number;
}

export const LIVE_GRAPH_INTERVAL_MS = 200;

const LIVE_OPTION_KEYS = new Set(["optimizeGraph", "scheduler", "intervalMs", "rankdir", "color", "priorities", "maxNodes", "title"]);

function fromSchedulerState(state: TaskState | undefined): VisualizeState {
  switch (state) {
    case "queued":
    case "no-worker":
      return "ready";
    case "processing":
      return "processing";
    case "memory":
      return "memory";
    case "erred":
      return "erred";
    default:
      return "waiting";
  }
}

function fromEvent(event: TesseraEvent): VisualizeState | null {
  switch (event.type) {
    case "task-queued":
      return "ready";
    case "task-assigned":
    case "task-started":
      return "processing";
    case "task-finished":
      return "memory";
    case "task-erred":
      return "erred";
    case "task-released":
    case "task-cancelled":
      return "released";
    default:
      return null;
  }
}

export class LiveGraph {
  /** Current state of every key of the graph. */
  readonly states = new Map<Key, VisualizeState>();
  /** Resolves after the final redraw (every task finished or failed, or `stop()`). */
  readonly done: Promise<void>;
  private readonly listeners = new Set<() => void>();
  /** Keys that finished or failed at least once: when all have, watching ends. */
  private readonly settled = new Set<Key>();
  private unsubscribe: (() => void) | null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private drawing: Promise<void> | null = null;
  private dirty = false;
  private stopped = false;
  private resolveDone!: () => void;
  private _version = 0;

  private constructor(
    readonly graph: Graph,
    scheduler: Scheduler,
    private readonly opts: VisualizeOptions,
    private readonly intervalMs: number,
    public dot: string,
    public svg: string,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.unsubscribe = scheduler.events.subscribe((event) => this.onEvent(event));
    // Whatever ran before we subscribed (a computation already under way).
    for (const key of graph.keys()) {
      const state = fromSchedulerState(scheduler.core.stateOf(key));
      if (state !== "waiting") this.set(key, state);
      else this.states.set(key, state);
    }
    if (this.settled.size === this.states.size) this.stop();
    else this.schedule();
  }

  /** Draw `graph` and start following `scheduler`'s events for its keys. */
  static async start(graph: Graph, scheduler: Scheduler, opts: VisualizeOptions = {}, intervalMs = LIVE_GRAPH_INTERVAL_MS): Promise<LiveGraph> {
    const states = new Map<Key, VisualizeState>([...graph.keys()].map((k) => [k, "waiting" as VisualizeState]));
    const dot = graphToDot(graph, { ...opts, states });
    const svg = await renderSvg(dot);
    return new LiveGraph(graph, scheduler, opts, intervalMs, dot, svg);
  }

  /** Redraws so far (0 for the first drawing). */
  get version(): number {
    return this._version;
  }

  /** True once watching has ended. */
  get finished(): boolean {
    return this.stopped && this.drawing === null && this.timer === null;
  }

  /** Call `listener` after each redraw; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop following events; one last redraw shows the states reached. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      this.dirty = true;
    }
    if (this.drawing === null) void this.redraw();
  }

  toString(): string {
    const counts = new Map<VisualizeState, number>();
    for (const s of this.states.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    const parts = [...counts].map(([s, n]) => `${s}=${n}`).join(", ");
    return `LiveGraph(${this.graph.size} tasks${parts ? `: ${parts}` : ""}${this.stopped ? ", stopped" : ""})`;
  }

  private onEvent(event: TesseraEvent): void {
    if (!("key" in event) || !this.states.has(event.key)) return;
    const state = fromEvent(event);
    if (state === null) return;
    // A key released after it finished keeps its place among the settled ones.
    this.set(event.key, state);
    if (this.settled.size === this.states.size) this.stop();
    else this.schedule();
  }

  private set(key: Key, state: VisualizeState): void {
    if (this.states.get(key) === state) return;
    this.states.set(key, state);
    if (state === "memory" || state === "erred") this.settled.add(key);
    this.dirty = true;
  }

  private schedule(): void {
    if (this.timer !== null || this.drawing !== null || !this.dirty) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.redraw();
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private redraw(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.dirty) {
        this.dirty = false;
        const dot = graphToDot(this.graph, { ...this.opts, states: new Map(this.states) });
        try {
          this.svg = await renderSvg(dot);
          this.dot = dot;
          this._version++;
          for (const listener of [...this.listeners]) {
            try {
              listener();
            } catch {
              // A faulty listener must not stop the others.
            }
          }
        } catch {
          // Keep the last good drawing.
        }
      }
    };
    this.drawing = run().finally(() => {
      this.drawing = null;
      if (this.stopped) {
        if (this.dirty) void this.redraw();
        else this.finish();
      } else this.schedule();
    });
    return this.drawing;
  }

  private finish(): void {
    this.listeners.clear();
    this.resolveDone();
  }
}

/**
 * Draw collections' task graph and recolour it while it runs:
 *
 *   const live = await visualizeLive(total);   // shown in a notebook, updated in place
 *   await total.compute();                     // nodes turn green, then red as results land
 */
export async function visualizeLive(
  ...args: [...TesseraCollection[]] | [...TesseraCollection[], LiveGraphOptions]
): Promise<LiveGraph> {
  const [values, opts] = splitOptions<LiveGraphOptions>(args, LIVE_OPTION_KEYS);
  const collections = values.filter(isCollection);
  const { graph } = collectionsToGraph(collections, { optimizeGraph: opts.optimizeGraph ?? true });
  const { scheduler, owned } = await resolveScheduler(opts.scheduler);
  if (owned) {
    await scheduler.close();
    throw new Error('visualizeLive() follows a scheduler that outlives the call; use "threads" or a Client, not "sync".');
  }
  const { optimizeGraph: _o, scheduler: _s, intervalMs, ...drawing } = opts;
  return LiveGraph.start(graph, scheduler, drawing, intervalMs ?? LIVE_GRAPH_INTERVAL_MS);
}
