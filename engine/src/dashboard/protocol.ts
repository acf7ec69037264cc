/**
 * What the dashboard server sends over its WebSocket. Shared (as types only) by the server,
 * the panels of the standalone page and the JupyterLab extension.
 *
 * The first message after connecting is a full `snapshot`; later `update`s carry only the task
 * rectangles that are new since the previous message, and the current (bounded) everything
 * else: counters, workers, flows, time series, the task graph and the log.
 */

/** One bar of the task stream: a computation on a worker thread, or a transfer into a worker. */
export interface TaskRect {
  key: string;
  prefix: string;
  worker: string;
  thread: number;
  /** Milliseconds since the Unix epoch. */
  start: number;
  stop: number;
  kind: "compute" | "transfer";
}

/** Tasks of one prefix (`inc`, `read-parquet`, …) by state, as in Dask's progress panel. */
export interface PrefixProgress {
  prefix: string;
  total: number;
  waiting: number;
  processing: number;
  memory: number;
  erred: number;
  /** Computed and since released. */
  done: number;
}

export interface WorkerRow {
  id: string;
  nthreads: number;
  processing: number;
  keys: number;
  nbytes: number;
}

export interface DashboardException {
  key: string;
  worker: string | null;
  name: string;
  message: string;
  time: number;
}

/**
 * Work flowing through the cluster, as the Cluster Map draws it: tasks sent by the scheduler to
 * a worker (`kind: "task"`, `from: "scheduler"`) and results copied between workers
 * (`kind: "transfer"`).
 */
export interface FlowCount {
  kind: "task" | "transfer";
  from: string;
  to: string;
  count: number;
  /** Bytes moved (transfers only; 0 for tasks). */
  nbytes: number;
}

export interface ClusterMapState {
  /** Length of the window `recent` counts, in ms. */
  windowMs: number;
  /** Start of the last complete window (ms since the epoch): a panel flashes each window once. */
  windowStart: number;
  /** Flows counted in that window. */
  recent: FlowCount[];
  /** Flows counted since the dashboard started (bounded: rare pairs beyond a cap are not counted). */
  total: FlowCount[];
}

/** Busy fraction of one worker per time bucket: busy thread-time / (threads × bucket). */
export interface WorkerOccupancy {
  id: string;
  nthreads: number;
  /** One value per bucket, 0 (idle) to 1 (every thread busy). */
  busy: number[];
}

export interface OccupancyState {
  bucketMs: number;
  /** Start of the first bucket (ms since the epoch); bucket i starts at `start + i × bucketMs`. */
  start: number;
  workers: WorkerOccupancy[];
}

/** Bytes held by the whole cluster, sampled over time. */
export interface MemorySample {
  time: number;
  nbytes: number;
}

export type GraphNodeState = "waiting" | "processing" | "memory" | "erred" | "released";

/**
 * The task graph being computed, laid out as Dask lays it out: a task without dependencies
 * starts a new row (y) at x = 0; any other sits one column right of its deepest dependency, at
 * their mean height. Columns of values, so large graphs stay compact on the wire.
 */
export interface TaskGraphState {
  /** Tasks submitted since the drawing started; more than `keys.length` when the cap was hit. */
  total: number;
  /** Most nodes ever drawn. */
  limit: number;
  keys: string[];
  x: number[];
  y: number[];
  states: GraphNodeState[];
  /** Edges as pairs of indexes into `keys`: [dependency, dependent, dependency, dependent, …]. */
  edges: number[];
}

export type LogLevel = "info" | "warning" | "error";

export interface LogLine {
  time: number;
  level: LogLevel;
  /** What it is about: a worker id, or "scheduler". */
  source: string;
  message: string;
}

export interface DashboardSnapshot {
  time: number;
  version: number;
  rects: TaskRect[];
  /** How many rectangles a task stream keeps (older ones roll off). */
  rectCapacity: number;
  progress: PrefixProgress[];
  workers: WorkerRow[];
  exceptions: DashboardException[];
  clusterMap: ClusterMapState;
  occupancy: OccupancyState;
  /** Cluster total of `workers[].nbytes` over time, oldest first. */
  memory: MemorySample[];
  taskGraph: TaskGraphState;
  /** Recent log lines, oldest first. */
  logs: LogLine[];
}

export type DashboardMessage = ({ type: "snapshot" } | { type: "update" }) & DashboardSnapshot;

/** A panel as listed by `/individual-plots.json` (name → path) and `/panels.json` (richer). */
export interface PanelInfo {
  id: string;
  title: string;
  /** Path of its standalone page, relative to the dashboard's root. */
  path: string;
}
