/**
 * What the dashboard server sends over its WebSocket. Shared (as types only) by the server,
 * the panels of the standalone page and the JupyterLab extension.
 *
 * The first message after connecting is a full `snapshot`; later `update`s carry only the task
 * rectangles that are new since the previous message, and the current counters and workers.
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

export interface DashboardSnapshot {
  time: number;
  version: number;
  rects: TaskRect[];
  /** How many rectangles a task stream keeps (older ones roll off). */
  rectCapacity: number;
  progress: PrefixProgress[];
  workers: WorkerRow[];
  exceptions: DashboardException[];
}

export type DashboardMessage = ({ type: "snapshot" } | { type: "update" }) & DashboardSnapshot;

/** A panel as listed by `/individual-plots.json` (name → path) and `/panels.json` (richer). */
export interface PanelInfo {
  id: string;
  title: string;
  /** Path of its standalone page, relative to the dashboard's root. */
  path: string;
}
