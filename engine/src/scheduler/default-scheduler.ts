/**
 * Which scheduler runs a `compute` when the caller does not say: the active client's
 * cluster if one was started (as in dask.distributed), otherwise a process-wide pool of
 * worker threads, started on first use and left idle (never keeping the process alive).
 */
import { Scheduler } from "./scheduler.js";
import { SyncExecutor } from "./sync-executor.js";
import { ThreadPool } from "./thread-pool.js";

/** Something that can hand out a running scheduler: a Client does. */
export interface SchedulerProvider {
  readonly scheduler: Scheduler;
}

export type SchedulerChoice = "threads" | "sync" | SchedulerProvider | Scheduler;

let active: SchedulerProvider | null = null;
let sharedPool: Promise<Scheduler> | null = null;

/** Make `provider` the default for computations (the first Client started does this). */
export function setActiveClient(provider: SchedulerProvider | null): void {
  active = provider;
}

export function activeClient(): SchedulerProvider | null {
  return active;
}

/** The threads scheduler shared by computations made without a client. */
export function sharedThreadsScheduler(): Promise<Scheduler> {
  if (!sharedPool) {
    sharedPool = Scheduler.start(new ThreadPool());
    sharedPool.catch(() => (sharedPool = null));
  }
  return sharedPool;
}

/** Close the shared pool (tests, and processes that want to exit promptly). */
export async function closeSharedScheduler(): Promise<void> {
  const pool = sharedPool;
  sharedPool = null;
  if (pool) await (await pool).close();
}

/**
 * Resolve a scheduler choice. `owned` is true when the caller made a scheduler just for
 * this computation and must close it afterwards (sync runs get a fresh one each time).
 */
export async function resolveScheduler(choice?: SchedulerChoice): Promise<{ scheduler: Scheduler; owned: boolean }> {
  if (choice === "sync") return { scheduler: await Scheduler.start(new SyncExecutor()), owned: true };
  if (choice instanceof Scheduler) return { scheduler: choice, owned: false };
  if (choice && typeof choice === "object") return { scheduler: choice.scheduler, owned: false };
  if (active && !active.scheduler.isClosed) return { scheduler: active.scheduler, owned: false };
  return { scheduler: await sharedThreadsScheduler(), owned: false };
}
