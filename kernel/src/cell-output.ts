/**
 * The output channel of the cell that ran last, for displays that outlive the code that
 * created them: progress bars and live graphs are shown, then updated in place with
 * `update_display_data` from event listeners and timers, which run in no cell's context.
 *
 * As in IPython, an update is sent as output of the cell running at that moment (or the last
 * one to run); front ends find the display to update by its display_id, wherever it is.
 */
import { randomUUID } from "node:crypto";

import type { MimeData } from "./display.js";

/** Sends display_data (update false) or update_display_data (update true). */
export interface DisplaySink {
  display(message: { data: MimeData; metadata: Record<string, unknown>; transient: { display_id?: string } }, update: boolean): void;
}

let current: DisplaySink | null = null;

/** Called by the kernel as each cell starts. */
export function setCellOutput(sink: DisplaySink | null): void {
  current = sink;
}

/** The output of the running (or last) cell; null before the first cell. */
export function cellOutput(): DisplaySink | null {
  return current;
}

/**
 * A display shown once and then updated in place. Each update goes to the cell running at
 * that moment, with the same display_id.
 */
export class UpdatableDisplay {
  readonly displayId = `tessera-${randomUUID()}`;
  private shown = false;

  /** Show `data` (the first call) or replace what is shown (later calls). False without a cell. */
  show(data: MimeData): boolean {
    const sink = current;
    if (!sink) return false;
    sink.display({ data, metadata: {}, transient: { display_id: this.displayId } }, this.shown);
    this.shown = true;
    return true;
  }
}
