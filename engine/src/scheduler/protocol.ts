/**
 * Messages between the scheduler (main thread) and worker threads, and between workers.
 * Every message carries plain, structured-cloneable data; commands from one scheduler
 * tick travel together in one `update` so per-task overhead is not a message round trip.
 */
import type { MessagePort } from "node:worker_threads";
import type { WorkerId } from "../diagnostics/events.js";
import type { Key } from "../graph/task.js";
import type { RunSpec, TaskFailure } from "./core.js";

/** A task sent to a worker, numbered so the pool can tell which task a dying worker was running. */
export interface WireRun extends RunSpec {
  seq: number;
}

export type ToWorker =
  | { type: "update"; run: WireRun[]; free: Key[]; abandon: Key[] }
  | { type: "get"; id: number; keys: Key[] }
  | { type: "put"; id: number; key: Key; value: unknown }
  | { type: "peer"; worker: WorkerId; port: MessagePort }
  | { type: "peer-lost"; worker: WorkerId };

export type Completion =
  | { key: Key; seq: number; ok: true; nbytes: number; start: number; stop: number }
  | { key: Key; seq: number; ok: false; failure: TaskFailure; start: number; stop: number };

export interface TransferReport {
  key: Key;
  from: WorkerId;
  nbytes: number;
  start: number;
  stop: number;
}

export type FromWorker =
  | { type: "ready" }
  | { type: "report"; done: Completion[]; transfers: TransferReport[] }
  | { type: "values"; id: number; values: [Key, unknown][]; errors: [Key, string][] }
  | { type: "put-done"; id: number; nbytes: number };

/** Worker ⇄ worker, over a dedicated MessageChannel per pair. */
export type PeerMessage =
  | { type: "fetch"; id: number; keys: Key[] }
  | { type: "fetched"; id: number; values: [Key, unknown][]; errors: [Key, string][] };

export interface WorkerInit {
  id: WorkerId;
  /** Index of the thread, for the task stream's rows. */
  thread: number;
  /** Int32 slot the worker sets to the `seq` of the task it is running (0 when idle). */
  status: SharedArrayBuffer;
}

/** Turn anything thrown into a failure that crosses threads. */
export function toFailure(err: unknown): TaskFailure {
  if (err instanceof Error) {
    return { kind: "error", name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
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
