/**
 * Each cell runs inside its own context, which holds the AbortController an interrupt aborts.
 * The context follows the cell's asynchronous work (AsyncLocalStorage), so a computation
 * started by the cell — even one awaited later or from a callback — knows its cell.
 *
 * Computations take an optional `signal`; where the code does not pass one, the cell's signal
 * becomes the default through the engine's `setDefaultSignal` hook (every compute, get,
 * persist and gather waits through it). A Future passes its own signal and therefore lives on
 * across cells: interrupting `await future.result()` stops waiting for it but does not cancel
 * the future, as in dask.distributed.
 */
import { AsyncLocalStorage } from "node:async_hooks";

import { setDefaultSignal } from "@tessera/engine/internal";

export interface CellContext {
  readonly executionCount: number;
  readonly controller: AbortController;
}

const storage = new AsyncLocalStorage<CellContext>();

/** Run `fn` as the body of a cell; everything it starts belongs to `cell`. */
export function runInCell<T>(cell: CellContext, fn: () => T): T {
  return storage.run(cell, fn);
}

/** The cell whose code is running (directly or through its asynchronous continuations). */
export function currentCell(): CellContext | undefined {
  return storage.getStore();
}

/** The signal a computation started now should be cancelled by, if the caller gave none. */
export function defaultSignal(): AbortSignal | undefined {
  return storage.getStore()?.controller.signal;
}

let installed = false;

/** Make the current cell's signal the default for every wait on a scheduler (idempotent). */
export function installDefaultSignal(): void {
  if (installed) return;
  installed = true;
  setDefaultSignal(defaultSignal);
}
