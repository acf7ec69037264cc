/**
 * Messages between the scheduler (main thread) and worker threads, and between workers.
 * Every message carries plain, structured-cloneable data; commands from one scheduler
 * tick travel together in one `update` so per-task overhead is not a message round trip.
 */
import type { MessagePort } from "node:worker_threads";
import type { WorkerId } from "../diagnostics/events.js";
import type { Key } from "../graph/task.js";
import type { DepLocation, TaskFailure } from "./core.js";
import { ORIGIN_KEY } from "./execute.js";
import type { Task } from "../graph/task.js";

/**
 * Tasks for a worker, columnar: cloning a few arrays is far cheaper than one object per
 * task. Each task is numbered (`seqs`) so the pool can tell which one a dying worker ran.
 */
export interface RunBatch {
  keys: Key[];
  seqs: Int32Array;
  priorities: Float64Array;
  tasks: Task[];
  /** Inputs of each task; 0 for a task with none. */
  deps: (DepLocation[] | 0)[];
}

export type ToWorker =
  | { type: "update"; run: RunBatch | null; free: Key[]; abandon: Key[] }
  | { type: "get"; id: number; keys: Key[] }
  | { type: "put"; id: number; key: Key; value: unknown }
  | { type: "peer"; worker: WorkerId; port: MessagePort }
  /** `holders`: other workers holding results the lost one held, to fetch those from instead. */
  | { type: "peer-lost"; worker: WorkerId; holders: [Key, WorkerId[]][] };

/**
 * Finished tasks, columnar. On the wire tasks are named by `seqs` only; the pool turns
 * them back into keys. Row `i` failed when `failures` has an entry for it.
 */
export interface CompletionBatch {
  seqs: Int32Array;
  nbytes: Float64Array;
  start: Float64Array;
  stop: Float64Array;
  failures: [row: number, failure: TaskFailure][];
  /** Tasks abandoned before they ran: the pool stops tracking them. */
  dropped: Int32Array;
}

export interface TransferReport {
  key: Key;
  from: WorkerId;
  nbytes: number;
  start: number;
  stop: number;
}

export type FromWorker =
  | { type: "ready" }
  | { type: "report"; done: CompletionBatch; transfers: TransferReport[] }
  /** `values[i]` is the value of the i-th requested key, unless that key is in `errors`. */
  | { type: "values"; id: number; values: unknown[]; errors: [Key, string][] }
  | { type: "put-done"; id: number; nbytes: number };

/** Worker ⇄ worker, over a dedicated MessageChannel per pair. */
export type PeerMessage =
  | { type: "fetch"; id: number; keys: Key[] }
  | { type: "fetched"; id: number; values: unknown[]; errors: [Key, string][] };

export interface WorkerInit {
  id: WorkerId;
  /** Index of the thread, for the task stream's rows. */
  thread: number;
  /**
   * Int32 slots: [0] the `seq` of the task running (0 when idle, negative while it awaits a
   * promise and the thread is free), [1] the last one that finished.
   */
  status: SharedArrayBuffer;
}

/** Turn anything thrown into a failure that crosses threads. */
export function toFailure(err: unknown): TaskFailure {
  if (err instanceof Error) {
    const origin = (err as unknown as Record<string, unknown>)[ORIGIN_KEY];
    return {
      kind: "error",
      name: err.name,
      message: err.message,
      ...(err.stack ? { stack: err.stack } : {}),
      ...(typeof origin === "string" ? { origin } : {}),
    };
  }
  return { kind: "error", name: "Error", message: typeof err === "string" ? err : safeString(err) };
}

function safeString(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}
