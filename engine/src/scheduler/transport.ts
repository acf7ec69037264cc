/**
 * What the scheduler needs from the machinery that actually runs tasks. The thread pool
 * and the in-thread sync executor implement it today; workers on other hosts will too.
 */
import type { WorkerId } from "../diagnostics/events.js";
import type { Key } from "../graph/task.js";
import type { RunSpec } from "./core.js";
import type { CompletionBatch, TransferReport } from "./protocol.js";

export interface WorkerUpdate {
  run: RunSpec[];
  free: Key[];
  abandon: Key[];
}

/** How a transport tells the scheduler what happened. */
export interface TransportHandler {
  workerAdded(worker: WorkerId, nthreads: number): void;
  workerRemoved(
    worker: WorkerId,
    reason: "crashed" | "closed" | "restarted",
    runningKey?: Key,
    detail?: string,
  ): void;
  /** `keys[i]` is the key of row `i` of `done`. */
  report(worker: WorkerId, keys: Key[], done: CompletionBatch, transfers: TransferReport[]): void;
  /** Results `worker` holds that other workers hold too, with those workers. */
  otherHolders?(worker: WorkerId): [Key, WorkerId[]][];
}

export interface GatherResult {
  /** Aligned with the requested keys; meaningless where `errors` has the key. */
  values: unknown[];
  errors: Map<Key, string>;
}

export interface Transport {
  /** Short name for reprs: "threads", "sync". */
  readonly kind: string;
  start(handler: TransportHandler): Promise<void>;
  send(worker: WorkerId, update: WorkerUpdate): void;
  gather(worker: WorkerId, keys: Key[]): Promise<GatherResult>;
  scatter(worker: WorkerId, key: Key, value: unknown): Promise<number>;
  /** Keep the process alive while work is outstanding; let it exit when idle. */
  setBusy(busy: boolean): void;
  /** Stop and replace every worker (Dask's `client.restart()`); all held data is lost. */
  restart(): Promise<void>;
  /** Start `n` more workers (scaling up); absent where the number of workers is fixed. */
  addWorkers?(n: number): Promise<void>;
  /**
   * Retire workers (scaling down): mark them so none is replaced, run `handOver` (the
   * scheduler moves their work and results away), then remove them.
   */
  retireWorkers?(workers: WorkerId[], handOver: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
  info(): { workers: number; threads: number };
}
