/**
 * Stack frames pointed at the cells the user wrote: `at f (cell[3]:7:15)`, a position in the
 * JavaScript tslab ran, becomes `at f (cell[3]:4:11)`, the line and column in the cell's
 * TypeScript, and the traceback shows those lines, as IPython does:
 *
 *     Cell In[3], line 4:
 *           3    const y = x * 2;
 *     ----> 4    throw new RangeError(`${y} is too big`);
 *                      ^
 *
 * A frame of a function shipped to a worker thread names the function
 * (`tessera-function:<id>`, see the engine's compile.ts); the kernel still holds the original
 * function, finds its source in the cell that defined it, and points the frame there.
 */
import { originalFunction, SHIPPED_FUNCTION_URL, SHIPPED_SOURCE_FIRST_LINE } from "@tessera/engine/internal";

import type { CellLocation, CellSources } from "./cell-sources.js";

/** `    at name (file:line:column)`, `    at file:line:column` or `    at async file:line:column`. */
const FRAME = /^(\s+at (?:async )?)(?:(.+?) \()?([^\s()]+):(\d+):(\d+)(\)?)$/;

/** At most this many source excerpts in one traceback (a deep recursion repeats frames). */
const MAX_EXCERPTS = 5;
/** Lines shown before the line of a frame. */
const CONTEXT_LINES = 2;

/** Where in a cell the code at `file:line:column` (a stack frame's location) was written. */
export function locateFrame(cells: CellSources, file: string, line: number, column: number): CellLocation | undefined {
  if (file.startsWith("cell[")) return cells.locateInScript(file, line, column);
  if (!file.startsWith(SHIPPED_FUNCTION_URL)) return undefined;
  const fn = originalFunction(decodeURIComponent(file.slice(SHIPPED_FUNCTION_URL.length)));
  const sourceLine = line - SHIPPED_SOURCE_FIRST_LINE + 1;
  if (!fn || sourceLine < 1) return undefined;
  return cells.locateInFunction(Function.prototype.toString.call(fn), sourceLine, column);
}

/**
 * A frame's function name as the user would write it. Cells' functions are called as
 * properties of tslab's `exports` proxy, which V8 shows as `Proxy.f`; a shipped function
 * without a name of its own shows as `eval`.
 */
function functionName(name: string | undefined, shipped: boolean): string | undefined {
  if (name === undefined || (shipped && name === "eval")) return undefined;
  return name.replace(/^Proxy\./, "").replace(/^(async )Proxy\./, "$1");
}

/**
 * `lines` of a stack with cell frames rewritten, and the cell locations found, in order.
 * A frame in a cell's script but outside the cell is tslab's call of the cell: it goes.
 */
export function mapFrames(lines: string[], cells: CellSources): { lines: string[]; locations: CellLocation[] } {
  const locations: CellLocation[] = [];
  const mapped: string[] = [];
  for (const line of lines) {
    const frame = FRAME.exec(line);
    if (!frame) {
      mapped.push(line);
      continue;
    }
    const [, at, name, file, lineText, columnText] = frame as unknown as [string, string, string | undefined, string, string, string];
    const location = locateFrame(cells, file, Number(lineText), Number(columnText));
    if (!location) {
      if (!cells.get(file)) mapped.push(line);
      continue;
    }
    locations.push(location);
    const where = `${location.cell.label}:${location.line}:${location.column}`;
    const shown = functionName(name, file.startsWith(SHIPPED_FUNCTION_URL));
    mapped.push(shown === undefined ? `${at}${where}` : `${at}${shown} (${where})`);
  }
  return { lines: mapped, locations };
}

/** A line and column (from 1) in the source of a cell labelled `label` (`cell[3]`). */
export interface SourceLocation {
  readonly cell: { readonly label: string; readonly source: string };
  readonly line: number;
  readonly column: number;
}

/** The lines of the cell up to `location`'s, with a marker on it and a caret under its column. */
export function excerpt(location: SourceLocation): string[] {
  const source = location.cell.source.split("\n");
  const first = Math.max(1, location.line - CONTEXT_LINES);
  const width = String(location.line).length;
  const out = [`${location.cell.label.replace(/^cell/, "Cell In")}, line ${location.line}:`];
  for (let n = first; n <= location.line; n++) {
    out.push(`${n === location.line ? "---->" : "     "} ${String(n).padStart(width)}    ${source[n - 1] ?? ""}`);
  }
  // Tabs stay tabs, so the caret lines up however the front end renders them.
  const indent = (source[location.line - 1] ?? "").slice(0, location.column - 1).replace(/[^\t]/g, " ");
  out.push(`${" ".repeat(6 + width + 4)}${indent}^`);
  return out;
}

/** Excerpts for `locations`, one per distinct line, innermost first, separated by blank lines. */
export function excerpts(locations: SourceLocation[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const location of locations) {
    const key = `${location.cell.label}:${location.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (seen.size > MAX_EXCERPTS) break;
    out.push("", ...excerpt(location));
  }
  return out;
}
