/**
 * Progress bars in a notebook: the engine's ProgressDisplay drawn as HTML (one bar for the
 * whole computation, one per operation, the elapsed time) with a text/plain form for text
 * front ends, shown with display_data and redrawn in place with update_display_data. The
 * engine throttles snapshots (at most ten a second), so every snapshot is sent.
 */
import { formatProgressText, setProgressDisplay, type ProgressDisplay, type ProgressSnapshot } from "@tessera/engine";

import { escapeHtml } from "./adapters.js";
import { UpdatableDisplay } from "./cell-output.js";
import type { MimeData } from "./display.js";

/** Marks a bar's MIME bundle, so tools (and tests) can tell it from other HTML. */
export const PROGRESS_MIME = "application/vnd.tessera.progress+json";

const BOX = "font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px); line-height: 1.6";
const MUTED = "color: var(--jp-ui-font-color2, #616161)";
const TRACK = "background: var(--jp-layout-color3, #e0e0e0); border-radius: 3px; height: 10px; overflow: hidden; display: flex";

const FILL: Record<ProgressSnapshot["status"], string> = {
  running: "var(--jp-brand-color1, #1976d2)",
  finished: "var(--jp-success-color1, #388e3c)",
  erred: "var(--jp-success-color1, #388e3c)",
  cancelled: "var(--jp-warn-color1, #f57c00)",
};
const ERRED = "var(--jp-error-color1, #d32f2f)";

function percent(n: number, total: number): string {
  return `${total === 0 ? 100 : ((100 * n) / total).toFixed(2)}%`;
}

function bar(done: number, erred: number, total: number, fill: string, width: string): string {
  return (
    `<div style="${TRACK}; width: ${width}">` +
    `<div style="width: ${percent(done, total)}; background: ${fill}"></div>` +
    (erred > 0 ? `<div style="width: ${percent(erred, total)}; background: ${ERRED}"></div>` : "") +
    `</div>`
  );
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
}

export function progressHtml(s: ProgressSnapshot): string {
  const fill = FILL[s.status];
  const status = s.status === "running" ? "" : ` · ${s.status}`;
  const erred = s.erred > 0 ? ` · <span style="color: ${ERRED}">${s.erred} erred</span>` : "";
  const rows = s.operations
    .map(
      (o) =>
        `<tr><td style="padding: 0 10px 0 0; text-align: left">${escapeHtml(o.prefix)}</td>` +
        `<td style="padding: 0 10px 0 0; width: 240px">${bar(o.done, o.erred, o.total, fill, "240px")}</td>` +
        `<td style="text-align: right; ${MUTED}">${o.done} / ${o.total}</td></tr>`,
    )
    .join("");
  return (
    `<div style="${BOX}" data-tessera-progress="${s.status}">` +
    `<div style="display: flex; align-items: center; gap: 10px">` +
    `<strong>Progress</strong>${bar(s.done, s.erred, s.total, fill, "320px")}` +
    `<span>${s.done} / ${s.total} tasks</span>` +
    `<span style="${MUTED}">${seconds(s.elapsedMs)}${status}</span>${erred}</div>` +
    (rows ? `<table style="border-collapse: collapse; margin: 2px 0 0 0">${rows}</table>` : "") +
    `</div>`
  );
}

export function progressData(s: ProgressSnapshot): MimeData {
  return { "text/plain": formatProgressText(s), "text/html": progressHtml(s), [PROGRESS_MIME]: s };
}

/** A bar in the running cell; null (no bar) outside a cell. */
export function notebookProgressDisplay(first: ProgressSnapshot): ProgressDisplay | null {
  const shown = new UpdatableDisplay();
  if (!shown.show(progressData(first))) return null;
  return {
    update: (s) => void shown.show(progressData(s)),
    close: (s) => void shown.show(progressData(s)),
  };
}

/** Make `progress: true` and `progress()` draw in the notebook (idempotent). */
export function installProgressDisplay(): void {
  setProgressDisplay(notebookProgressDisplay);
}
