/**
 * How a failed cell is reported: Jupyter's `error` content (ename, evalue, traceback).
 * Engine errors keep their names (TaskError, CancelledError, KilledWorker, …) and messages,
 * which name the key that failed; a task's own stack, taken in the worker thread, is part
 * of the traceback. Frames in cells point at the lines of the cells' TypeScript, which the
 * traceback then shows (stack-frames.ts).
 */
import { inspect } from "node:util";

import type { CellSources } from "./cell-sources.js";
import { excerpts, mapFrames, type SourceLocation } from "./stack-frames.js";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** tslab's executor rejects an awaiting cell with this message when it is interrupted. */
const TSLAB_INTERRUPTED = "Interrupted asynchronously";
/** The message of the error `vm` throws when SIGINT stops synchronous code. */
const VM_INTERRUPTED = /^Script execution was interrupted by `SIGINT`/;

/**
 * Stack frames of the machinery around the user's code: tslab, this kernel, Node's own
 * modules, and the engine's scheduler (a task's function itself shows as
 * `tessera-function:…`, or "eval at …" where it could not be named).
 */
const INTERNAL_FRAME = /node_modules[\\/]tslab[\\/]|[\\/]kernel[\\/]dist[\\/]|[\\/]engine[\\/]dist[\\/]|[( ]node:/;

function isInternalFrame(line: string): boolean {
  return /^\s+at /.test(line) && INTERNAL_FRAME.test(line) && !/\beval at /.test(line);
}

/**
 * Node puts the line an error was thrown at (`cell[3]:7`, the code, a caret, a blank line)
 * before the stack of an error thrown by a script run with `vm`; it shows the JavaScript,
 * not the cell, so it goes (the traceback shows the cell's own line instead).
 */
function withoutNodeDecoration(lines: string[]): string[] {
  const decorated = lines.length > 4 && /^\S+:\d+$/.test(lines[0]!) && /^\s*\^+\s*$/.test(lines[2]!) && lines[3] === "";
  return decorated ? lines.slice(4) : lines;
}

/**
 * The Jupyter error content for anything a cell threw (it may not be an Error); with the
 * cells run so far, frames in them point at their TypeScript.
 */
export function errorContent(thrown: unknown, cells?: CellSources): ErrorContent {
  if (!(thrown instanceof Error)) {
    const evalue = typeof thrown === "string" ? thrown : inspect(thrown);
    return { ename: "Uncaught", evalue, traceback: [`Uncaught ${evalue}`] };
  }
  if (thrown.message === TSLAB_INTERRUPTED || VM_INTERRUPTED.test(thrown.message)) {
    return {
      ename: "KeyboardInterrupt",
      evalue: "the cell was interrupted",
      traceback: ["KeyboardInterrupt: the cell was interrupted"],
    };
  }
  const ename = thrown.name || thrown.constructor?.name || "Error";
  const stack = typeof thrown.stack === "string" && thrown.stack.length > 0 ? thrown.stack : `${ename}: ${thrown.message}`;
  const own = withoutNodeDecoration(stack.split("\n")).filter((line) => !isInternalFrame(line));
  const { lines, locations } = cells ? mapFrames(own, cells) : { lines: own, locations: [] };
  lines.push(...excerpts(locations));
  const cause = (thrown as { cause?: unknown }).cause;
  if (cause !== undefined) lines.push("", "Caused by:", ...errorContent(cause, cells).traceback);
  return { ename, evalue: thrown.message, traceback: lines };
}

/**
 * Type errors found before the cell ran (tslab reports them as `line:col - message`);
 * `inCell` are those in the cell itself, whose lines the traceback shows.
 */
export function compileErrorContent(diagnostics: string[], inCell: SourceLocation[] = []): ErrorContent {
  return {
    ename: "TSError",
    evalue: diagnostics.map((d) => d.replace(/^\S*?\d+:\d+ - /, "")).join("; "),
    traceback: ["TSError: the cell did not compile", ...diagnostics, ...excerpts(inCell)],
  };
}
