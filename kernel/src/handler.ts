/**
 * The kernel's answers to Jupyter requests. Cells are type-checked and run by tslab's
 * executor; this class adds what a Jupyter client expects on top of it: real
 * `execute_result` messages with MIME bundles (display.ts), `error` messages with
 * ename/evalue/traceback pointing at the cells' lines (errors.ts, cell-converter.ts),
 * execution counts, stop-on-error, a failed cell keeping what it assigned
 * (partial-declarations.ts), and interrupts that cancel the running cell's computations
 * (cell-context.ts).
 *
 * tslab's executor reports through the console object it is given: `log(value)` for the
 * value of the cell's last expression, `error(...)` for a thrown error or a type error. The
 * console given here records them for the cell that is running instead of printing them.
 */
import { createRequire } from "node:module";
import { format } from "node:util";

import { runInCell, type CellContext } from "./cell-context.js";
import { CellConverter } from "./cell-converter.js";
import { setCellOutput } from "./cell-output.js";
import { dashboardQueryData, parseDashboardQuery } from "./dashboard-discovery.js";
import { mimeBundleOf } from "./display.js";
import { compileErrorContent, errorContent, type ErrorContent } from "./errors.js";
import { liveSubscription, showLive } from "./live-display.js";
import { declarationsAfterFailure } from "./partial-declarations.js";
import type { SourceLocation } from "./stack-frames.js";
import { converter, executor, inspect, jupyter, tslabPublic, type ConverterSet, type DisplayData, type Executor } from "./tslab.js";

export interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  stop_on_error?: boolean;
  user_expressions?: object;
  allow_stdin?: boolean;
}

export type ExecuteReply =
  | { status: "ok"; execution_count: number; payload: object[]; user_expressions: Record<string, unknown> }
  | ({ status: "error"; execution_count: number } & ErrorContent)
  | { status: "aborted"; execution_count: number };

/** Where a running cell's output goes: iopub messages in reply to its execute_request. */
export interface CellIO {
  stream(name: "stdout" | "stderr", text: string): void;
  display(data: DisplayData, update: boolean): void;
  publish(msgType: string, content: object): void;
}

/** How long an interrupted cell may take to end by cancellation before tslab cuts it off. */
const INTERRUPT_GRACE_MS = 250;

const require = createRequire(import.meta.url);
const KERNEL_VERSION = (require("../package.json") as { version: string }).version;

/** What tslab's executor reported for the cell being run. */
interface Outcome {
  hasValue: boolean;
  value: unknown;
  thrown: unknown[];
  diagnostics: string[];
}

const freshOutcome = (): Outcome => ({ hasValue: false, value: undefined, thrown: [], diagnostics: [] });

/** Lazily created converters, as tslab's own kernel does: browser cells are rare. */
export function createConverterSet(): ConverterSet {
  let node: ReturnType<typeof converter.createConverter> | undefined;
  let browser: ReturnType<typeof converter.createConverter> | undefined;
  return {
    get node() {
      return (node ??= converter.createConverter({ isJS: false, isBrowser: false }));
    },
    get browser() {
      return (browser ??= converter.createConverter({ isJS: false, isBrowser: true }));
    },
    close() {
      node?.close();
      browser?.close();
    },
  };
}

/** A `write` for process.stdout/stderr that sends what is written to the cell's stream. */
function streamWriter(name: "stdout" | "stderr", io: CellIO): typeof process.stdout.write {
  const decoder = new TextDecoder();
  return ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    io.stream(name, typeof chunk === "string" ? chunk : decoder.decode(chunk));
    const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
    if (typeof done === "function") queueMicrotask(() => (done as (err?: Error) => void)());
    return true;
  }) as typeof process.stdout.write;
}

export class TesseraKernel {
  private readonly executor: Executor;
  /** The end of the chain of cells: each runs after the ones sent before it. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Cells that failed with stop_on_error so far. */
  private failures = 0;
  private executionCount = 0;
  private outcome: Outcome = freshOutcome();
  private running: CellContext | null = null;
  /** tslab's converter with the cells' names, source maps and declarations (cell-converter.ts). */
  private readonly converter = new CellConverter();

  constructor(converters: ConverterSet) {
    this.executor = executor.createExecutor(process.cwd(), this.converter.wrap(converters), {
      log: (value: unknown) => {
        this.outcome.hasValue = true;
        this.outcome.value = value;
      },
      error: (first?: unknown, ...rest: unknown[]) => {
        // Type errors arrive as ("%s%d:%d - %s", file, line, column, message).
        if (typeof first === "string" && first.includes("%")) this.outcome.diagnostics.push(format(first, ...rest));
        else this.outcome.thrown.push(first);
      },
    });
  }

  handleKernel() {
    return {
      protocol_version: "5.3",
      implementation: "tessera",
      implementation_version: KERNEL_VERSION,
      language_info: {
        name: "typescript",
        version: tslabPublic.versions.typescript,
        mimetype: "text/typescript",
        file_extension: ".ts",
        // As tslab: `mode` selects TypeScript highlighting in JupyterLab, the rest in Notebook 6.
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
      },
      banner:
        `Tessera ${KERNEL_VERSION}: TypeScript with @tessera/engine ` +
        `(tslab ${tslabPublic.versions.tslab}, TypeScript ${tslabPublic.versions.typescript}, Node.js ${process.version})`,
      status: "ok",
    };
  }

  /** tslab's server interface; the Tessera server calls `execute` with a full CellIO instead. */
  handleExecute(
    req: ExecuteRequest,
    writeStream: (name: string, text: string) => void,
    writeDisplayData: (data: DisplayData, update: boolean) => void,
  ): Promise<ExecuteReply> {
    return this.execute(req, { stream: writeStream, display: writeDisplayData, publish: () => {} });
  }

  /**
   * Run a cell after the cells sent before it; resolves to its execute_reply content. A cell
   * waiting in line when an earlier one fails (with stop_on_error) is aborted, as in ipykernel;
   * a cell sent after the failure runs.
   */
  execute(req: ExecuteRequest, io: CellIO): Promise<ExecuteReply> {
    const failuresSeen = this.failures;
    const result = this.tail.then(
      (): Promise<ExecuteReply> | ExecuteReply =>
        this.failures !== failuresSeen ? { status: "aborted", execution_count: this.executionCount } : this.run(req, io),
    );
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async run(req: ExecuteRequest, io: CellIO): Promise<ExecuteReply> {
    const silent = req.silent === true;
    if (req.store_history !== false && !silent) this.executionCount++;
    const count = this.executionCount;

    // As in IPython, output written after the cell ended (timers, background work) still
    // goes to the last cell that ran. A silent request (a front end asking something, such as
    // the extension's dashboard query after every cell) borrows the output only while it runs,
    // so what the last real cell prints later is not lost in the silent request's reply.
    const previous = { stdout: process.stdout.write, stderr: process.stderr.write, display: jupyter.lastWriteDisplayData };
    process.stdout.write = streamWriter("stdout", io);
    process.stderr.write = streamWriter("stderr", io);
    jupyter.lastWriteDisplayData = io.display;
    if (!silent) {
      setCellOutput({ display: (message, update) => io.display(message as DisplayData, update) });
      io.publish("execute_input", { code: req.code, execution_count: count });
      return this.runCell(req, io, count);
    }
    try {
      return await this.runCell(req, io, count);
    } finally {
      process.stdout.write = previous.stdout;
      process.stderr.write = previous.stderr;
      jupyter.lastWriteDisplayData = previous.display;
    }
  }

  private async runCell(req: ExecuteRequest, io: CellIO, count: number): Promise<ExecuteReply> {
    const silent = req.silent === true;

    // The JupyterLab extension's question (dashboard-discovery.ts), answered by the kernel itself.
    const query = parseDashboardQuery(req.code);
    if (query) {
      io.display({ data: dashboardQueryData(query.origin) as DisplayData["data"], metadata: {}, transient: {} }, false);
      return { status: "ok", execution_count: count, payload: [], user_expressions: {} };
    }

    const cell: CellContext = { executionCount: count, controller: new AbortController() };
    this.outcome = freshOutcome();
    this.running = cell;
    this.converter.startCell(count);
    const valuesBefore = new Map(Object.entries(this.executor.locals));
    let ok: boolean;
    try {
      ok = await runInCell(cell, () => this.executor.execute(req.code));
    } catch (err) {
      // tslab's converter can throw (e.g. when a module it watches changes under it); that is
      // this cell's error, not the kernel's end.
      this.outcome.thrown.push(err);
      ok = false;
    } finally {
      this.running = null;
    }
    const outcome = this.outcome;

    if (ok) {
      if (outcome.hasValue && !silent) {
        // A value that changes after it is shown (a live graph) needs a display_id to be
        // updated in place, which only display_data carries.
        const live = liveSubscription(outcome.value);
        if (live) await runInCell(cell, () => showLive(outcome.value, live));
        else {
          const bundle = await runInCell(cell, () => mimeBundleOf(outcome.value));
          io.publish("execute_result", { execution_count: count, data: bundle.data, metadata: bundle.metadata });
        }
      }
      return { status: "ok", execution_count: count, payload: [], user_expressions: {} };
    }

    const error =
      outcome.diagnostics.length > 0
        ? compileErrorContent(outcome.diagnostics, this.diagnosticsInCell(count))
        : errorContent(outcome.thrown.length > 0 ? outcome.thrown[0] : new Error("The cell failed."), this.converter.cells);
    if (outcome.diagnostics.length === 0) await this.keepWhatRan(valuesBefore);
    io.publish("error", error);
    if (req.stop_on_error !== false) this.failures++;
    return { status: "error", execution_count: count, ...error };
  }

  /** The running cell's type errors that are in the cell itself (not in a module it imports). */
  private diagnosticsInCell(executionCount: number): SourceLocation[] {
    const conversion = this.converter.lastConversion();
    if (!conversion) return [];
    const cell = { label: this.converter.cells.labelFor(executionCount), source: conversion.source };
    return conversion.result.diagnostics
      .filter((d) => d.fileName === undefined)
      .map((d) => ({ cell, line: d.start.line + 1, column: d.start.character + 1 }));
  }

  /**
   * After the cell that just ran failed at run time: what it assigned before the error stays
   * declared for the cells after it, as in Python (partial-declarations.ts).
   */
  private async keepWhatRan(valuesBefore: Map<string, unknown>): Promise<void> {
    const conversion = this.converter.lastConversion();
    if (!conversion?.result.output || conversion.result.declOutput === undefined) return;
    const values = this.executor.locals;
    const assigned = (name: string): boolean =>
      Object.hasOwn(values, name) && (!valuesBefore.has(name) || !Object.is(valuesBefore.get(name), values[name]));
    try {
      const declarations = declarationsAfterFailure({
        source: conversion.source,
        previous: conversion.previous,
        attempted: conversion.result.declOutput,
        assigned,
      });
      this.converter.replaceDeclarations(declarations);
      await this.executor.execute("");
    } catch (err) {
      // The cell's own error is what the user needs to see; later cells are then checked
      // against the declarations from before it, as tslab does.
      console.warn("tessera-kernel: could not keep the failed cell's declarations:", err);
    }
  }

  /**
   * Interrupt the running cell: abort its signal, so its computations reject with
   * CancelledError and stop their tasks; whatever else it awaits (a timer, a fetch) is cut
   * off by tslab a moment later, so the cell always ends. Synchronous code is stopped by
   * SIGINT itself (tslab runs cells with `breakOnSigint`).
   */
  interrupt(): void {
    const cell = this.running;
    if (!cell) return;
    cell.controller.abort();
    setTimeout(() => {
      if (this.running === cell) this.executor.interrupt();
    }, INTERRUPT_GRACE_MS).unref();
  }

  handleIsComplete(req: { code: string }) {
    const res = converter.isCompleteCode(req.code);
    return res.completed ? { status: "complete" as const } : { status: "incomplete" as const, indent: res.indent ?? "" };
  }

  handleInspect(req: { code: string; cursor_pos: number }): { status: "ok"; found: boolean; data: Record<string, string>; metadata: Record<string, never> } {
    const info = this.executor.inspect(req.code, req.cursor_pos);
    if (!info) return { status: "ok" as const, found: false, data: {}, metadata: {} };
    return { status: "ok" as const, found: true, data: { "text/plain": inspect.printQuickInfo(info) }, metadata: {} };
  }

  handleComplete(req: { code: string; cursor_pos: number }) {
    const info = this.executor.complete(req.code, req.cursor_pos);
    return { status: "ok" as const, matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: {} };
  }

  handleShutdown(req: { restart?: boolean }) {
    return { status: "ok", restart: req.restart === true };
  }

  /** Release the converters' file watchers (tslab's executor closes them). */
  close(): void {
    this.executor.close();
  }
}
