/**
 * Errors a computation can end with. Each names the key it is about, so a notebook user
 * sees which task failed and why, with the stack from the thread where it ran.
 */
import type { Key } from "../graph/task.js";
import type { TaskFailure } from "./core.js";

/** A task threw. `key` is the task that failed; `requestedKey` the result that was asked for. */
export class TaskError extends Error {
  override readonly name = "TaskError";
  constructor(
    readonly key: Key,
    readonly requestedKey: Key,
    readonly errorName: string,
    readonly errorMessage: string,
    readonly remoteStack?: string,
  ) {
    super(
      key === requestedKey
        ? `Task ${key} failed: ${errorName}: ${errorMessage}`
        : `Task ${key} failed (needed for ${requestedKey}): ${errorName}: ${errorMessage}`,
    );
    if (remoteStack) this.stack = `${this.name}: ${this.message}\n--- in the task ---\n${remoteStack}`;
  }
}

/** A task's worker died too many times while running it (Dask's KilledWorker). */
export class KilledWorker extends Error {
  override readonly name = "KilledWorker";
  constructor(
    readonly key: Key,
    message: string,
  ) {
    super(message);
  }
}

/** Data that cannot be recomputed (scattered) was lost with its worker. */
export class LostDataError extends Error {
  override readonly name = "LostDataError";
  constructor(
    readonly key: Key,
    message: string,
  ) {
    super(message);
  }
}

/** The computation was cancelled (AbortSignal, `client.cancel`, or a kernel interrupt). */
export class CancelledError extends Error {
  override readonly name = "CancelledError";
  constructor(
    readonly keys: Key[],
    message = `Computation of ${keys.length === 1 ? keys[0] : `${keys.length} keys`} was cancelled.`,
  ) {
    super(message);
  }
}

/** The error a client sees for a failed key. */
export function errorFor(requested: Key, failure: TaskFailure, blame: Key): Error {
  switch (failure.kind) {
    case "killed-worker":
      return new KilledWorker(blame, failure.message);
    case "lost":
      return new LostDataError(blame, failure.message);
    default:
      // The step that threw, even when optimization fused it into a bigger task.
      return new TaskError(failure.origin ?? blame, requested, failure.name, failure.message, failure.stack);
  }
}
