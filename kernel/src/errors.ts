/**
 * How a failed cell is reported: Jupyter's `error` content (ename, evalue, traceback).
 * Engine errors keep their names (TaskError, CancelledError, KilledWorker, …) and messages,
 * which name the key that failed; a task's own stack, taken in the worker thread, is part
 * of the traceback.
 */
import { inspect } from "node:util";

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
 * modules, and the engine's scheduler (a task's function itself shows as "eval at …").
 */
const INTERNAL_FRAME = /node_modules[\\/]tslab[\\/]|[\\/]kernel[\\/]dist[\\/]|[\\/]engine[\\/]dist[\\/]|[( ]node:/;

function isInternalFrame(line: string): boolean {
  return /^\s+at /.test(line) && INTERNAL_FRAME.test(line) && !/\beval at /.test(line);
}

/** The Jupyter error content for anything a cell threw (it may not be an Error). */
export function errorContent(thrown: unknown): ErrorContent {
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
  const lines = stack.split("\n").filter((line) => !isInternalFrame(line));
  const cause = (thrown as { cause?: unknown }).cause;
  if (cause !== undefined) lines.push("", "Caused by:", ...errorContent(cause).traceback);
  return { ename, evalue: thrown.message, traceback: lines };
}

/** Type errors found before the cell ran (tslab reports them as `line:col - message`). */
export function compileErrorContent(diagnostics: string[]): ErrorContent {
  return {
    ename: "TSError",
    evalue: diagnostics.map((d) => d.replace(/^\S*?\d+:\d+ - /, "")).join("; "),
    traceback: ["TSError: the cell did not compile", ...diagnostics],
  };
}
